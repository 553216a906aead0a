package ferry

import (
	"context"
	"errors"
	"time"
)

// OutboxItem is one record on its way to one sink: the record's dedup key
// and its JSON form (a statement line or an invoice), as stored in the
// same transaction as the record itself.
type OutboxItem struct {
	ID       int64
	Sink     string
	DedupKey string
	Payload  []byte
	Attempts int // deliveries tried before this one
}

// ErrLeaseLost is returned when a deliverer acknowledges, releases or parks
// an item it no longer holds: its lease expired and the item may have been
// claimed by another deliverer, or it was already acknowledged. The caller
// must not assume its outcome was recorded; because every sink is
// idempotent per dedup key, a second delivery by the new holder adds
// nothing at the sink.
var ErrLeaseLost = errors.New("outbox: lease lost (expired or taken over by another deliverer)")

// Outbox is the queue of records waiting for sinks. A deliverer claims
// items before it sends them, so that concurrent deliverers (in one process
// or on several machines) never send the same item at the same time; a
// claim is a lease with an owner and an expiry, so that an item held by a
// deliverer that died becomes claimable again when its lease runs out.
//
// Outcomes are recorded only by the lease's owner while the lease holds:
// Ack when the sink acknowledged, Release to retry later (a sink that is
// down), Park when the sink refused the record for good (it stays visible
// and can be retried by a person).
type Outbox interface {
	// Claim leases up to limit items of sink that are pending and due at
	// now (their retry time has come) and not leased to anyone, or whose
	// lease expired, to owner until now+lease. It returns them in the
	// order they were stored; none when nothing is due. Two Claim calls
	// never return the same item while the first lease holds.
	Claim(ctx context.Context, sink, owner string, limit int, lease time.Duration) ([]OutboxItem, error)
	// Ack records that the sink acknowledged the items: they are
	// delivered and never claimed again. It returns ErrLeaseLost (wrapped,
	// naming the items) when owner no longer holds one of them; the others
	// are acknowledged all the same.
	Ack(ctx context.Context, owner string, ids []int64) error
	// Release gives an item back for a retry at retryAt, counting the
	// attempt and keeping reason as its last error. ErrLeaseLost when
	// owner no longer holds it.
	Release(ctx context.Context, owner string, id int64, reason string, retryAt time.Time) error
	// Park sets an item aside because the sink refused it for good: it is
	// not claimed again until a person retries it. ErrLeaseLost when
	// owner no longer holds it.
	Park(ctx context.Context, owner string, id int64, reason string) error
}
