package storage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/storage"
)

// BenchmarkOutbox measures claim-and-acknowledge throughput (records/s) on
// both databases at two batch sizes: a deliverer's loop without the sink.
//
//	go test ./storage/ -run '^$' -bench Outbox -count 5
func BenchmarkOutbox(b *testing.B) {
	for _, db := range []struct {
		name string
		open func(testing.TB, bool, func() time.Time) *storage.DB
	}{{"SQLite", openSQLite}, {"Postgres", openPostgres}} {
		for _, batch := range []int{100, 200, 500} {
			b.Run(fmt.Sprintf("%s/batch=%d", db.name, batch), func(b *testing.B) {
				benchOutbox(b, db.open(b, false, nil), batch)
			})
		}
	}
}

// outboxPool is how many items the benchmark cycles through.
const outboxPool = 20000

func benchOutbox(b *testing.B, db *storage.DB, batch int) {
	ctx := context.Background()
	fillOutbox(b, db, outboxPool)
	cpu0, server0 := cpuTime(), pg.CPUTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		items, err := db.Claim(ctx, "erp", "bench", batch, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if len(items) < batch {
			// Every item delivered: make them all pending again, untimed.
			b.StopTimer()
			if _, err := db.ExecSQL(ctx, `UPDATE outbox SET status = 'pending', attempts = 0, delivered_at = '', lease_owner = '', lease_until = ''`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if items, err = db.Claim(ctx, "erp", "bench", batch, time.Minute); err != nil || len(items) != batch {
				b.Fatalf("claimed %d after the reset, %v", len(items), err)
			}
		}
		ids := make([]int64, len(items))
		for k, it := range items {
			ids[k] = it.ID
		}
		if err := db.Ack(ctx, "bench", ids); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
	// CPU time per record, this process's and PostgreSQL's server's: on a
	// shared, loaded machine the wall-clock rate says more about the
	// neighbours.
	cpu := cpuTime() - cpu0
	if db.Postgres() {
		cpu += pg.CPUTime() - server0
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*batch), "cpu-µs/record")
}

// fillOutbox queues n statement-line records for the sink erp.
func fillOutbox(b *testing.B, db *storage.DB, n int) {
	ctx := context.Background()
	err := db.InTx(ctx, func(ctx context.Context) error {
		const rows = 250
		for start := 0; start < n; start += rows {
			var q strings.Builder
			var args []any
			q.WriteString(`INSERT INTO outbox (sink, dedup_key, payload, status, next_attempt_at) VALUES `)
			for k := start; k < min(start+rows, n); k++ {
				if k > start {
					q.WriteString(", ")
				}
				q.WriteString(`('erp', ?, ?, 'pending', '2026-01-01T00:00:00.000000000Z')`)
				key := fmt.Sprintf("sl_%040d", k)
				args = append(args, key, fmt.Sprintf(`{"type":"statement_line","dedup_key":%q,"account":"DE89370400440532013000","booking_date":"2026-10-01","value_date":"2026-10-01","amount":"-%d.50","currency":"EUR","counterparty":"Stadtwerke München GmbH","description":"Rechnung %d","reference":"NOTPROVIDED","balance_after":"1000.00","run_id":1}`, key, k%1000, k))
			}
			if _, err := db.ExecSQL(ctx, q.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
