package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/storage"
)

// The sinks' status on both databases: pending, parked, delivered since a
// time, the last success, and the last failure with its message, which
// stays known after the item went through.
func TestSinkStatusesOnBothDatabases(t *testing.T) {
	for name, open := range map[string]func(testing.TB, bool, func() time.Time) *storage.DB{"SQLite": openSQLite, "Postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			now := time.Now().UTC().Truncate(time.Second)
			db := open(t, false, func() time.Time { return now })
			var run int64
			err := db.Tx(ctx, func(tx *sql.Tx) error {
				var err error
				run, err = db.CreateRun(ctx, tx, ferry.Run{Bot: "b", Login: "l"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			a, err := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "s.csv"}, []byte("s"))
			if err != nil {
				t.Fatal(err)
			}
			var lines []ferry.StatementLine
			for i := 1; i <= 3; i++ {
				lines = append(lines, ferry.StatementLine{Account: "A1", BookingDate: oct(i), Amount: dec("1"), Currency: "EUR", Description: "line", TransactionID: "T" + string(rune('0'+i))})
			}
			st := ferry.Statement{Account: "A1", Currency: "EUR", From: oct(1), To: oct(3), NoBalances: true, Lines: lines}
			if _, err := db.SaveStatement(ctx, run, a.ID, st, []string{"erp", "jsonl"}, ""); err != nil {
				t.Fatal(err)
			}
			items, err := db.Claim(ctx, "erp", "me", 3, time.Hour)
			if err != nil || len(items) != 3 {
				t.Fatalf("claim: %d %v", len(items), err)
			}
			if err := db.Ack(ctx, "me", []int64{items[0].ID}); err != nil {
				t.Fatal(err)
			}
			secret := "POST https://erp:s3cret@erp.example/api?token=abc: 503"
			if err := db.Release(ctx, "me", items[1].ID, secret, now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := db.Park(ctx, "me", items[2].ID, "rejected: bad account"); err != nil {
				t.Fatal(err)
			}
			ss, err := db.SinkStatuses(ctx, now.Add(-24*time.Hour))
			if err != nil || len(ss) != 2 {
				t.Fatalf("statuses: %+v %v", ss, err)
			}
			erp, jsonl := ss[0], ss[1]
			if erp.Sink != "erp" || erp.Pending != 1 || erp.Parked != 1 || erp.DeliveredRecently != 1 || !erp.LastSuccess.Equal(now) ||
				erp.LastErrorAt.IsZero() || erp.LastError != "rejected: bad account" {
				t.Fatalf("erp: %+v", erp)
			}
			if jsonl.Sink != "jsonl" || jsonl.Pending != 3 || jsonl.Parked != 0 || jsonl.DeliveredRecently != 0 || !jsonl.LastSuccess.IsZero() || !jsonl.LastErrorAt.IsZero() {
				t.Fatalf("jsonl: %+v", jsonl)
			}
			if ss, _ := db.SinkStatuses(ctx, now.Add(time.Second)); ss[0].DeliveredRecently != 0 {
				t.Fatalf("delivered after now: %+v", ss[0])
			}
		})
	}
}

// BenchmarkSinkStatuses reads the sinks' status over an outbox of 100,000
// items (10 statements of 5,000 lines, two sinks, the first sink's items
// delivered), as the sinks page does on each load.
func BenchmarkSinkStatuses(b *testing.B) {
	ctx := context.Background()
	db, run, art := benchDB(b)
	base := benchStatement()
	for k := range 10 {
		st := base
		st.Account = fmt.Sprintf("DE%020d", k)
		st.Lines = nil
		for _, l := range base.Lines {
			l.Account = st.Account
			st.Lines = append(st.Lines, l)
		}
		if _, err := db.SaveStatement(ctx, run, art, st, []string{"erp", "jsonl"}, ""); err != nil {
			b.Fatal(err)
		}
	}
	for {
		items, err := db.Claim(ctx, "erp", "bench", 1000, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		if len(items) == 0 {
			break
		}
		ids := make([]int64, len(items))
		for i, it := range items {
			ids[i] = it.ID
		}
		if err := db.Ack(ctx, "bench", ids); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		ss, err := db.SinkStatuses(ctx, time.Now().Add(-24*time.Hour))
		if err != nil || len(ss) != 2 {
			b.Fatalf("%v %v", ss, err)
		}
	}
}
