package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/storage"
)

// linesOf streams st's lines; failAt > 0 fails the stream at that line.
func linesOf(st ferry.Statement, failAt int) storage.StatementLines {
	return func(yield func(ferry.StatementLine) error) error {
		for i, l := range st.Lines {
			if i+1 == failAt {
				return fmt.Errorf("reading line %d: the file ends early", i+1)
			}
			if err := yield(l); err != nil {
				return err
			}
		}
		return nil
	}
}

// header is st without its lines.
func header(st ferry.Statement) ferry.Statement {
	st.Lines = nil
	return st
}

// saveStream stores st through SaveStatementLines as a download of a new
// run.
func saveStream(t *testing.T, db *storage.DB, name string, st ferry.Statement, failAt int) (storage.SaveResult, error) {
	t.Helper()
	ctx := context.Background()
	run, err := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: name}, []byte(name))
	if err != nil {
		t.Fatal(err)
	}
	return db.SaveStatementLines(ctx, run, a.ID, header(st), linesOf(st, failAt), sinks)
}

// snapshot is what a database holds for delivery: every line record and
// every outbox row (sink, key, payload without the run id).
func snapshot(t *testing.T, db *storage.DB) (recs []string, outbox []string) {
	t.Helper()
	ctx := context.Background()
	lr, err := db.LineRecords(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range lr {
		r.RunID = 0
		recs = append(recs, fmt.Sprintf("%+v", r))
	}
	slices.Sort(recs)
	rows, err := db.SQL.QueryContext(ctx, `SELECT sink, dedup_key, status, replace(payload, '"run_id":'||json_extract(payload, '$.run_id'), '') FROM outbox ORDER BY sink, dedup_key`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var sink, key, status, payload string
		if err := rows.Scan(&sink, &key, &status, &payload); err != nil {
			t.Fatal(err)
		}
		outbox = append(outbox, sink+" "+key+" "+status+" "+payload)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return recs, outbox
}

// TestSaveStatementLinesAsSaveStatement: a sequence of saves gives, saved
// as streams, the same results and stores the same lines and outbox rows
// as saved whole.
func TestSaveStatementLinesAsSaveStatement(t *testing.T) {
	t.Parallel()
	dup := atNow()
	dup.Lines = append(dup.Lines, dup.Lines[1]) // a third identical fee: one more line
	longer := atNow()
	longer.Lines = append(longer.Lines, ferry.StatementLine{Account: at, BookingDate: oct(3), Amount: dec("1"), Currency: "EUR", Description: "Zinsen"})
	firstTwo := camtNow()
	firstTwo.Lines = firstTwo.Lines[:2]
	sameID := cnNow() // the bank id of line 1 again, with its booking: a duplicate whatever the texts
	sameID.Lines = sameID.Lines[:1]
	sameID.Lines[0].Description, sameID.Lines[0].Reference = "SMS fee", "NONREF"
	bench := benchStatement()
	bench.Lines = bench.Lines[:600]
	saves := []struct {
		name string
		st   ferry.Statement
		want storage.SaveResult // StatementID aside
	}{
		{"camt-first-two.xml", firstTwo, storage.SaveResult{NewLines: 2, Queued: 4}},
		{"camt.xml", camtNow(), storage.SaveResult{NewLines: 3, Duplicates: 2, Queued: 6}},
		{"cn.csv", cnNow(), storage.SaveResult{NewLines: 3, Queued: 6}},
		{"cn-again.csv", sameID, storage.SaveResult{Duplicates: 1}},
		{"at.csv", atNow(), storage.SaveResult{NewLines: 4, Queued: 8}},
		{"at-fee.csv", dup, storage.SaveResult{NewLines: 1, Duplicates: 4, Queued: 2}},
		{"at-longer.csv", longer, storage.SaveResult{NewLines: 1, Duplicates: 4, Queued: 2}},
		{"bench.xml", bench, storage.SaveResult{NewLines: 600, Queued: 1200}},
		{"bench-again.xml", bench, storage.SaveResult{Duplicates: 600}},
	}
	whole, stream := openDB(t), openDB(t)
	for _, s := range saves {
		a := mustSave(t, whole, s.name, s.st)
		b, err := saveStream(t, stream, s.name, s.st, 0)
		if err != nil {
			t.Fatalf("%s: streamed save: %v", s.name, err)
		}
		a.StatementID, b.StatementID = 0, 0
		if a != s.want || b != s.want {
			t.Errorf("%s: saved whole %+v, streamed %+v, want %+v", s.name, a, b, s.want)
		}
	}
	wr, wo := snapshot(t, whole)
	sr, so := snapshot(t, stream)
	if !slices.Equal(wr, sr) || !slices.Equal(wo, so) {
		t.Fatalf("the databases differ: whole %d lines %d outbox rows, streamed %d lines %d outbox rows", len(wr), len(wo), len(sr), len(so))
	}
	if len(wr) != 2+3+3+4+1+1+600 || len(wo) != 2*len(wr) {
		t.Fatalf("%d lines, %d outbox rows stored", len(wr), len(wo))
	}
	// The statement rows carry the same counts.
	ctx := context.Background()
	for _, db := range []*storage.DB{whole, stream} {
		runs, err := db.Runs(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range runs {
			rows, err := db.Statements(ctx, r.ID)
			if err != nil || len(rows) != 1 {
				t.Fatalf("run %d: statements %+v, %v", r.ID, rows, err)
			}
			s := rows[0]
			got = append(got, fmt.Sprintf("%s %s %s..%s %s %s lines %d new %d dup %d %s", s.Account, s.Currency, s.From, s.To, s.Opening, s.Closing, s.Lines, s.NewLines, s.Duplicates, s.Status))
		}
		slices.Sort(got)
		if db == whole {
			wr = got
		} else if !slices.Equal(wr, got) {
			t.Fatalf("statement rows differ:\nwhole    %q\nstreamed %q", wr, got)
		}
	}
}

// TestSaveStatementLinesAllOrNothing: a stream that fails part way, a
// cancelled context, a key collision or a bank id reused within the
// statement leave nothing stored: no statement row, line or outbox row.
func TestSaveStatementLinesAllOrNothing(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	mustSave(t, db, "cn.csv", cnNow())
	reused := atNow()
	reused.Lines[0].TransactionID, reused.Lines[3].TransactionID = "AT-2026-1", "AT-2026-1"
	other := cnNow()
	other.Lines = []ferry.StatementLine{
		{Account: cn, BookingDate: oct(5), Amount: dec("-2"), Currency: "CNY", Description: "短信服务费", TransactionID: "FT26100500010001"},
		{Account: cn, BookingDate: oct(9), Amount: dec("-2"), Currency: "CNY", Description: "短信服务费", TransactionID: "FT26100100010002"},
	}
	cases := []struct {
		name    string
		st      ferry.Statement
		failAt  int
		cancel  bool
		want    []error
		wantMsg string
	}{
		{"truncated.csv", atNow(), 3, false, nil, "the file ends early"},
		{"cancelled.csv", atNow(), 0, true, []error{context.Canceled}, ""},
		{"collision.csv", other, 0, false, []error{storage.ErrKeyCollision}, "collision.csv: account " + cn + " line 2"},
		{"reused.csv", reused, 0, false, []error{storage.ErrKeyCollision, ferry.ErrTransactionIDReused}, "reused.csv: account " + at + " line 4"},
	}
	before, obBefore := counts(t, db)
	stBefore := statementCount(t, db)
	for _, c := range cases {
		st := c.st
		lines := linesOf(st, c.failAt)
		cctx := ctx
		if c.cancel {
			var cancel context.CancelFunc
			cctx, cancel = context.WithCancel(ctx)
			// Cancelled after two lines are stored: the stream stops there.
			inner := lines
			lines = func(yield func(ferry.StatementLine) error) error {
				n := 0
				return inner(func(l ferry.StatementLine) error {
					if n++; n == 3 {
						cancel()
					}
					return yield(l)
				})
			}
			defer cancel()
		}
		run, _ := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l"})
		a, _ := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: c.name}, []byte(c.name))
		_, err := db.SaveStatementLines(cctx, run, a.ID, header(st), lines, sinks)
		if err == nil {
			t.Errorf("%s: saved, want an error", c.name)
			continue
		}
		for _, w := range c.want {
			if !errors.Is(err, w) {
				t.Errorf("%s: got %v, want %v", c.name, err, w)
			}
		}
		if !strings.Contains(err.Error(), c.wantMsg) {
			t.Errorf("%s: got %v, want it to say %q", c.name, err, c.wantMsg)
		}
		if after, ob := counts(t, db); after != before || ob["pending"] != obBefore["pending"] || statementCount(t, db) != stBefore {
			t.Errorf("%s: a failed save stored %d lines, %d outbox rows, %d statements", c.name, after-before, ob["pending"]-obBefore["pending"], statementCount(t, db)-stBefore)
		}
	}
	// A header with lines is refused: they would not be stored.
	if _, err := db.SaveStatementLines(ctx, 1, 1, atNow(), linesOf(atNow(), 0), sinks); err == nil {
		t.Error("a header with lines was accepted")
	}
}

func statementCount(t *testing.T, db *storage.DB) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM statements`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSaveStatementLinesLegacy: in a database the previous version wrote,
// a streamed save stops with ErrLegacyPending (storing nothing) exactly
// when a line not found under its key may be one of that version's
// unmatched lines; once SaveStatement has matched them, the same statement
// streams.
func TestSaveStatementLinesLegacy(t *testing.T) {
	t.Parallel()
	db := openLegacy(t)
	before, obBefore := counts(t, db)
	for _, st := range []ferry.Statement{camtNow(), cnNow(), atNow()} {
		if _, err := saveStream(t, db, "x", st, 0); !errors.Is(err, storage.ErrLegacyPending) {
			t.Fatalf("account %s: got %v, want ErrLegacyPending", st.Account, err)
		}
	}
	if after, ob := counts(t, db); after != before || ob["pending"] != obBefore["pending"] {
		t.Fatalf("refused streams stored %d lines, %d outbox rows", after-before, ob["pending"]-obBefore["pending"])
	}
	// Lines no legacy line can be: another day, or the same day and amount
	// on another account.
	fresh := ferry.Statement{Account: "DE02120300000000202051", Currency: "EUR", From: oct(1), To: oct(5), Lines: []ferry.StatementLine{
		{Account: "DE02120300000000202051", BookingDate: oct(1), Amount: dec("-50.00"), Currency: "EUR", Description: "Abschlag Strom Oktober", Reference: "NOTPROVIDED"},
		{Account: "DE02120300000000202051", BookingDate: oct(5), Amount: dec("7.00"), Currency: "EUR", Description: "Zinsen"},
	}}
	if got, err := saveStream(t, db, "fresh.xml", fresh, 0); err != nil || got.NewLines != 2 {
		t.Fatalf("lines of another account: got %+v, %v; want 2 new lines", got, err)
	}
	// SaveStatement matches the legacy lines; streams then find them under
	// their current keys.
	mustSave(t, db, "camt.xml", camtNow())
	got, err := saveStream(t, db, "camt-again.xml", camtNow(), 0)
	if err != nil || got.NewLines != 0 || got.Duplicates != 5 || got.Legacy != 0 {
		t.Fatalf("camt after the match: got %+v, %v; want 5 duplicates", got, err)
	}
	if _, err := saveStream(t, db, "cn.csv", cnNow(), 0); !errors.Is(err, storage.ErrLegacyPending) {
		t.Fatalf("the CSV, still unmatched: got %v, want ErrLegacyPending", err)
	}
}

// TestHoldStatement: a held statement is its row, with the problem and the
// line count, and nothing to deliver; a statement without balances stores
// none rather than 0.
func TestHoldStatement(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	run, _ := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l"})
	a, _ := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "s.xlsx"}, []byte("s"))
	st := header(stmt())
	if _, err := db.HoldStatement(ctx, run, a.ID, st, 1000000, "statement does not reconcile: row 17"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.HoldStatement(ctx, run, a.ID, st, 3, ""); err == nil {
		t.Fatal("a held statement without a problem was stored")
	}
	nb := ferry.Statement{Account: "A1", Currency: "EUR", From: oct(1), To: oct(1), NoBalances: true}
	if _, err := db.SaveStatementLines(ctx, run, a.ID, nb, linesOf(ferry.Statement{}, 0), sinks); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Statements(ctx, run)
	if err != nil || len(rows) != 2 {
		t.Fatalf("statements: %+v, %v", rows, err)
	}
	if r := rows[0]; r.Status != "held" || r.Lines != 1000000 || r.NewLines != 0 || r.Opening != "100" || r.Closing != "50" || !strings.Contains(r.Problem, "row 17") {
		t.Fatalf("held row: got %+v", r)
	}
	if r := rows[1]; r.Status != "accepted" || r.Opening != "" || r.Closing != "" || r.Lines != 0 {
		t.Fatalf("a statement without balances: got %+v, want no opening or closing", r)
	}
	if _, ob := counts(t, db); ob["pending"] != 0 {
		t.Fatalf("%d outbox rows for a held statement", ob["pending"])
	}
	items, _ := db.PendingOutbox(ctx, "jsonl", 10, time.Now())
	if len(items) != 0 {
		t.Fatalf("pending items: %+v", items)
	}
}

// TestPutArtifactFrom: a file stored from a reader is named and sized as
// PutArtifact names and sizes its bytes, and stored once.
func TestPutArtifactFrom(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	run, _ := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l"})
	data := []byte(strings.Repeat("交易日期,金额\n2026-10-01,-2.00\n", 5000))
	a, err := db.PutArtifactFrom(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "big.csv"}, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "again.csv"}, data)
	if err != nil {
		t.Fatal(err)
	}
	if a.SHA256 != ferry.SHA256Hex(data) || b.SHA256 != a.SHA256 || a.Size != int64(len(data)) || a.ID == b.ID {
		t.Fatalf("got %+v and %+v, want both named %s, %d bytes", a, b, ferry.SHA256Hex(data), len(data))
	}
	got, err := os.ReadFile(db.ArtifactPath(a.SHA256))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the stored file: %d bytes, %v", len(got), err)
	}
	left, _ := filepath.Glob(filepath.Join(db.ArtifactsDir, ".tmp-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
