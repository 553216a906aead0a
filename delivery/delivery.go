// Package delivery drains the outbox into sinks, the finance systems Ferry
// feeds. A record leaves the outbox only when its sink acknowledged it; a
// sink that is down is retried with backoff; a record the sink rejects is
// parked, visible and replayable, and never blocks the others.
package delivery

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/crashpoint"
	"github.com/rs/zerolog"
)

// Sink accepts records. Deliver must be idempotent per record key: Ferry
// may deliver a record again after a crash between the sink's
// acknowledgement and the outbox update.
type Sink interface {
	Name() string
	// Deliver sends the records. It returns nil when every record was
	// acknowledged, a *Rejected for records the sink refuses, or another
	// error when the sink could not be reached (all will be retried).
	Deliver(ctx context.Context, items []ferry.OutboxItem) error
}

// Rejected lists records a sink refused for good.
type Rejected struct {
	Keys   map[string]string // dedup key → the sink's reason
	Others error             // a transient failure for the rest, if any
}

func (r *Rejected) Error() string { return fmt.Sprintf("%d records rejected", len(r.Keys)) }

// JSONLines appends records to a file, one JSON object a line, skipping
// keys already in the file, so a repeated delivery adds nothing.
type JSONLines struct {
	Path string
	mu   sync.Mutex
	seen map[string]bool
}

// Name implements Sink.
func (j *JSONLines) Name() string { return "jsonl" }

func (j *JSONLines) load() error {
	if j.seen != nil {
		return nil
	}
	j.seen = map[string]bool{}
	f, err := os.Open(j.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r struct {
			Key string `json:"dedup_key"`
		}
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Key != "" {
			j.seen[r.Key] = true
		}
	}
	return sc.Err()
}

// Deliver implements Sink: the lines are written and synced before it
// returns nil.
func (j *JSONLines) Deliver(ctx context.Context, items []ferry.OutboxItem) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.load(); err != nil {
		return fmt.Errorf("jsonl %s: %w", j.Path, err)
	}
	if err := os.MkdirAll(filepath.Dir(j.Path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(j.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("jsonl %s: %w", j.Path, err)
	}
	var buf bytes.Buffer
	var keys []string
	for _, it := range items {
		if j.seen[it.DedupKey] {
			continue
		}
		buf.Write(bytes.TrimSpace(it.Payload))
		buf.WriteByte('\n')
		keys = append(keys, it.DedupKey)
	}
	_, werr := f.Write(buf.Bytes())
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("jsonl %s: %w", j.Path, err)
	}
	for _, k := range keys {
		j.seen[k] = true
	}
	return nil
}

// HTTP POSTs each record as JSON with an Idempotency-Key header equal to
// the record's dedup key. 2xx acknowledges; 409 means the sink already has
// it (acknowledged too); other 4xx rejects the record; 5xx and network
// errors are retried.
type HTTP struct {
	URL    string
	Client *http.Client
	Header http.Header // extra headers, e.g. Authorization
}

// Name implements Sink.
func (h *HTTP) Name() string { return "http" }

// Deliver implements Sink.
func (h *HTTP) Deliver(ctx context.Context, items []ferry.OutboxItem) error {
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	rej := &Rejected{Keys: map[string]string{}}
	for _, it := range items {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(it.Payload))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", it.DedupKey)
		for k, vs := range h.Header {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
		resp, err := c.Do(req)
		if err != nil {
			rej.Others = fmt.Errorf("POST %s: %w", h.URL, err)
			break
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		switch {
		case resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusConflict:
		case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
			rej.Others = fmt.Errorf("POST %s: %s", h.URL, resp.Status)
		default:
			rej.Keys[it.DedupKey] = fmt.Sprintf("%s: %s", resp.Status, bytes.TrimSpace(body))
		}
		if rej.Others != nil {
			break
		}
	}
	if len(rej.Keys) == 0 && rej.Others == nil {
		return nil
	}
	if len(rej.Keys) == 0 {
		return rej.Others
	}
	return rej
}

// Deliverer drains the outbox. Several deliverers may drain the same
// outbox at once (a run finishing while the minute's delivery job runs, or
// several machines): each claims the items it sends under a lease, so no
// item is sent by two of them at the same time.
type Deliverer struct {
	Outbox ferry.Outbox
	Sinks  []Sink
	Batch  int
	Log    zerolog.Logger
	Now    func() time.Time
	MaxGap time.Duration // longest retry backoff (default 10 min)
	// MaxAttempts bounds transient failures per record (default 20,
	// about two and a half hours with the default backoff): then the
	// record is parked with its last error, visible and replayable.
	MaxAttempts int
	// Owner names this deliverer in its claims (default: host, process
	// and a random suffix, unique per Deliverer).
	Owner string
	// Lease is how long a claim holds (default 5 minutes): longer than a
	// sink takes for a batch, short enough that items a dead deliverer
	// held are sent soon after.
	Lease time.Duration

	ownerOnce sync.Once
	owner     string
}

// Stats counts one drain.
type Stats struct {
	Delivered, Retried, Parked int
	// LeasesLost counts items whose lease ran out while the sink had them:
	// another deliverer may send them again (the sinks skip what they
	// already hold).
	LeasesLost int
}

func (d *Deliverer) ownerName() string {
	d.ownerOnce.Do(func() {
		if d.Owner != "" {
			d.owner = d.Owner
			return
		}
		host, _ := os.Hostname()
		d.owner = fmt.Sprintf("%s/%d/%08x", host, os.Getpid(), rand.Uint32())
	})
	return d.owner
}

// settled records an outcome, counting a lost lease instead of failing:
// the item is someone else's now.
func (d *Deliverer) settled(st *Stats, err error) error {
	if errors.Is(err, ferry.ErrLeaseLost) {
		st.LeasesLost++
		d.Log.Warn().Err(err).Msg("outbox lease lost while delivering; another deliverer may repeat the delivery")
		return nil
	}
	return err
}

// Drain delivers every item that is due, sink by sink, until none is left
// or a sink fails.
func (d *Deliverer) Drain(ctx context.Context) (Stats, error) {
	var st Stats
	batch := d.Batch
	if batch == 0 {
		batch = 200
	}
	lease := d.Lease
	if lease == 0 {
		lease = 5 * time.Minute
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	owner := d.ownerName()
	var errs []error
	crashpoint.Hit("deliver")
	for _, sink := range d.Sinks {
		for {
			items, err := d.Outbox.Claim(ctx, sink.Name(), owner, batch, lease)
			if err != nil {
				return st, err
			}
			if len(items) == 0 {
				break
			}
			crashpoint.Hit("send")
			derr := sink.Deliver(ctx, items)
			if derr == nil {
				crashpoint.Hit("acked") // the sink has the records; the outbox does not know yet
			}
			var rej *Rejected
			var ok []int64
			failed := false
			for _, it := range items {
				switch {
				case derr == nil:
					ok = append(ok, it.ID)
				case errors.As(derr, &rej) && rej.Keys[it.DedupKey] != "":
					st.Parked++
					if err := d.settled(&st, d.Outbox.Park(ctx, owner, it.ID, rej.Keys[it.DedupKey])); err != nil {
						return st, err
					}
					d.Log.Warn().Str("sink", sink.Name()).Str("dedup_key", it.DedupKey).Str("reason", rej.Keys[it.DedupKey]).Msg("record rejected by sink; parked")
				case errors.As(derr, &rej) && rej.Others == nil:
					ok = append(ok, it.ID)
				default:
					failed = true
					maxAttempts := d.MaxAttempts
					if maxAttempts == 0 {
						maxAttempts = 20
					}
					if it.Attempts+1 >= maxAttempts {
						st.Parked++
						msg := fmt.Sprintf("gave up after %d attempts: %v", it.Attempts+1, derr)
						if err := d.settled(&st, d.Outbox.Park(ctx, owner, it.ID, msg)); err != nil {
							return st, err
						}
						d.Log.Warn().Str("sink", sink.Name()).Str("dedup_key", it.DedupKey).Str("reason", msg).Msg("record parked")
						continue
					}
					st.Retried++
					if err := d.settled(&st, d.Outbox.Release(ctx, owner, it.ID, derr.Error(), now().Add(d.backoff(it.Attempts)))); err != nil {
						return st, err
					}
				}
			}
			if len(ok) > 0 {
				if err := d.settled(&st, d.Outbox.Ack(ctx, owner, ok)); err != nil {
					return st, err
				}
			}
			crashpoint.Hit("marked")
			st.Delivered += len(ok)
			if failed {
				errs = append(errs, fmt.Errorf("sink %s: %w", sink.Name(), derr))
				d.Log.Warn().Str("sink", sink.Name()).Err(derr).Msg("delivery failed; will retry")
				break
			}
		}
	}
	return st, errors.Join(errs...)
}

// backoff grows exponentially with jitter, so that many records retrying
// against a sink that comes back do not arrive at once.
func (d *Deliverer) backoff(attempts int) time.Duration {
	maxGap := d.MaxGap
	if maxGap == 0 {
		maxGap = 10 * time.Minute
	}
	b := time.Second << min(attempts, 20)
	if b > maxGap {
		b = maxGap
	}
	return b/2 + time.Duration(rand.Int64N(int64(b/2)+1))
}
