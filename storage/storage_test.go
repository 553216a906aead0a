package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/shopspring/decimal"
)

func openDB(t *testing.T) *storage.DB {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.Open(context.Background(), filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func stmt() ferry.Statement {
	d := decimal.RequireFromString
	return ferry.Statement{Account: "A1", Currency: "CNY", From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 2),
		Opening: d("100.00"), Closing: d("50.00"), Lines: []ferry.StatementLine{
			{Account: "A1", BookingDate: ferry.NewDate(2026, 10, 1), ValueDate: ferry.NewDate(2026, 10, 1), Amount: d("-70.00"), Currency: "CNY", Counterparty: "阿里云计算有限公司", Reference: "R1", BalanceAfter: d("30.00")},
			{Account: "A1", BookingDate: ferry.NewDate(2026, 10, 2), ValueDate: ferry.NewDate(2026, 10, 2), Amount: d("20.00"), Currency: "CNY", Reference: "R2", BalanceAfter: d("50.00")},
		}}
}

func TestSaveStatementIsIdempotentAndTransactional(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	run, err := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "s.csv"}, []byte("data"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "again.csv"}, []byte("data"))
	if a.SHA256 != b.SHA256 {
		t.Fatal("same bytes, different names")
	}
	if _, err := os.Stat(db.ArtifactPath(a.SHA256)); err != nil {
		t.Fatalf("artifact not on disk: %v", err)
	}
	res, err := db.SaveStatement(ctx, run, a.ID, stmt(), []string{"jsonl", "http"}, "")
	if err != nil || res.NewLines != 2 || res.Queued != 4 {
		t.Fatalf("first save: %+v, %v; want 2 new lines, 4 outbox rows", res, err)
	}
	res, err = db.SaveStatement(ctx, run, a.ID, stmt(), []string{"jsonl", "http"}, "")
	if err != nil || res.NewLines != 0 || res.Queued != 0 {
		t.Fatalf("second save: %+v, %v; want nothing new", res, err)
	}
	held, err := db.SaveStatement(ctx, run, a.ID, stmt(), []string{"jsonl"}, "does not reconcile")
	if err != nil || held.NewLines != 0 {
		t.Fatalf("held save: %+v, %v", held, err)
	}
	items, _ := db.PendingOutbox(ctx, "jsonl", 10, time.Now())
	if len(items) != 2 {
		t.Fatalf("got %d pending jsonl items, want 2", len(items))
	}
	// A failure inside the transaction leaves nothing behind.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.SaveStatement(cctx, run, a.ID, stmt(), []string{"jsonl"}, ""); err == nil {
		t.Fatal("save with a cancelled context succeeded")
	}
	n, _ := db.CountLines(ctx)
	if n != 2 {
		t.Fatalf("got %d lines, want 2", n)
	}
}

func TestScheduleSlotRunsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	slot := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	if _, err := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l", Schedule: "nightly", Slot: slot}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l", Schedule: "nightly", Slot: slot}); !errors.Is(err, storage.ErrSlotTaken) {
		t.Fatalf("got %v, want ErrSlotTaken", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	p := filepath.Join(dir, "f.db")
	db, err := storage.Open(ctx, p, filepath.Join(dir, "a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l"})
	db.Close()
	db, err = storage.Open(ctx, p, filepath.Join(dir, "a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Run(ctx, id)
	if err != nil || r.Bot != "b" || r.Status != ferry.RunQueued {
		t.Fatalf("got %+v, %v", r, err)
	}
}

// A panic inside Tx rolls the transaction back before it propagates: on
// SQLite the transaction holds the only connection, and the code that
// recovers the panic (River's error handler) needs it to record the
// failure. Before, the connection stayed held until the context ended.
func TestTxPanicFreesTheConnection(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	func() {
		defer func() {
			if r := recover(); r != "parser exploded" {
				t.Fatalf("recovered %v", r)
			}
		}()
		_ = db.Tx(context.Background(), func(tx *sql.Tx) error {
			if _, err := db.CreateRun(context.Background(), tx, ferry.Run{Bot: "b", Login: "dropped"}); err != nil {
				t.Fatal(err)
			}
			panic("parser exploded")
		})
	}()
	// The deadline only bounds a hang; the outcome does not depend on it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.CreateRun(ctx, nil, ferry.Run{Bot: "b", Login: "kept"}); err != nil {
		t.Fatalf("after a panic in Tx the database is held: %v", err)
	}
	runs, err := db.Runs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Login != "kept" {
		t.Fatalf("runs after the panicked transaction: %+v, want only the later one", runs)
	}
}

// A transaction whose context is cancelled midway reports
// context.Canceled, whatever database/sql said about the query it cut.
func TestTxCancelledSaysSo(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := db.CreateRun(ctx, tx, ferry.Run{Bot: "b", Login: "l"}); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `SELECT count(*) FROM runs`)
		if err != nil {
			return err
		}
		cancel()
		// database/sql rolls the transaction back on its own goroutine;
		// once it has, the statement says only that it is closed.
		for {
			var n int
			if err := stmt.QueryRowContext(context.Background()).Scan(&n); err != nil {
				return err
			}
			runtime.Gosched()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
