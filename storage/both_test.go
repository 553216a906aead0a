package storage_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/storage"
)

// TestDBOnlyMethodsOnBothDatabases covers what *storage.DB offers beside
// the store interfaces (line records for sinks, pending items for
// inspection, the old Tx and CreateRun API) on SQLite and PostgreSQL.
func TestDBOnlyMethodsOnBothDatabases(t *testing.T) {
	for name, open := range map[string]func(testing.TB, bool, func() time.Time) *storage.DB{"SQLite": openSQLite, "Postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := open(t, false, nil)
			var run int64
			err := db.Tx(ctx, func(tx *sql.Tx) error {
				var err error
				if run, err = db.CreateRun(ctx, tx, ferry.Run{Bot: "b", Login: "l", Schedule: "s", Slot: time.Date(2026, 10, 1, 3, 0, 0, 0, time.UTC)}); err != nil {
					return err
				}
				return db.SetScheduleSlot(ctx, tx, "s", "0 3 * * *", time.Date(2026, 10, 1, 3, 0, 0, 0, time.UTC))
			})
			if err != nil {
				t.Fatal(err)
			}
			a, err := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "s.csv"}, []byte("s"))
			if err != nil {
				t.Fatal(err)
			}
			st := ferry.Statement{Account: "A1", Currency: "EUR", From: oct(1), To: oct(2), NoBalances: true, Lines: []ferry.StatementLine{
				{Account: "A1", BookingDate: oct(2), Amount: dec("-70"), Currency: "EUR", Description: "second", BalanceAfter: dec("30")},
				{Account: "A1", BookingDate: oct(1), Amount: dec("20.5"), Currency: "EUR", Description: "first", TransactionID: "T1", BalanceAfter: dec("100")},
			}}
			if _, err := db.SaveStatement(ctx, run, a.ID, st, []string{"jsonl"}, ""); err != nil {
				t.Fatal(err)
			}
			recs, err := db.LineRecords(ctx, "", "")
			if err != nil || len(recs) != 2 || recs[0].Description != "first" || recs[0].Amount != "20.50" || recs[0].TransactionID != "T1" || recs[1].Amount != "-70.00" {
				t.Fatalf("LineRecords: %+v, %v", recs, err)
			}
			if recs, _ := db.LineRecords(ctx, "2026-10-02", "2026-10-31"); len(recs) != 1 || recs[0].Description != "second" {
				t.Fatalf("LineRecords from the 2nd: %+v", recs)
			}
			items, err := db.PendingOutbox(ctx, "jsonl", 10, time.Now())
			if err != nil || len(items) != 2 {
				t.Fatalf("PendingOutbox: %+v, %v", items, err)
			}
			if got, _, _ := db.ScheduleLastSlot(ctx, "s"); !got.Equal(time.Date(2026, 10, 1, 3, 0, 0, 0, time.UTC)) {
				t.Fatalf("slot: %v", got)
			}
			// A process holding the data directory's lock frees the
			// claims of processes that died, and keeps its own.
			dead, err := db.Claim(ctx, "jsonl", "dead/deliver", 1, time.Hour)
			if err != nil || len(dead) != 1 {
				t.Fatalf("claim: %v %v", dead, err)
			}
			mine, _ := db.Claim(ctx, "jsonl", "me/deliver", 1, time.Hour)
			if n, err := db.ReleaseOutboxLeases(ctx, "me/deliver"); err != nil || n != 1 {
				t.Fatalf("released %d, %v; want the dead one's 1", n, err)
			}
			again, _ := db.Claim(ctx, "jsonl", "next/deliver", 10, time.Hour)
			if len(again) != 1 || again[0].ID != dead[0].ID || len(mine) != 1 {
				t.Fatalf("after the release: %+v (mine %+v)", again, mine)
			}
		})
	}
}
