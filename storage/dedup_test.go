package storage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/shopspring/decimal"
)

var sinks = []string{"jsonl", "http"}

// openLegacy opens a copy of testdata/legacy-v1.db, a database the version
// before per-transaction dedup keys wrote (see testdata/legacy-v1/main.go
// and make-legacy-v1.sh): Open migrates it.
func openLegacy(t *testing.T) *storage.DB {
	t.Helper()
	data, err := os.ReadFile("testdata/legacy-v1.db")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "ferry.db")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(context.Background(), p, filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatalf("open the previous version's database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// save stores st as a download of a new run and returns what was stored.
func save(t *testing.T, db *storage.DB, name string, st ferry.Statement) (storage.SaveResult, error) {
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
	return db.SaveStatement(ctx, run, a.ID, st, sinks, "")
}

func mustSave(t *testing.T, db *storage.DB, name string, st ferry.Statement) storage.SaveResult {
	t.Helper()
	res, err := save(t, db, name, st)
	if err != nil {
		t.Fatalf("save %s: %v", name, err)
	}
	return res
}

func counts(t *testing.T, db *storage.DB) (lines int, outbox map[string]int) {
	t.Helper()
	ctx := context.Background()
	lines, err := db.CountLines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	outbox, err = db.OutboxCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return lines, outbox
}

var (
	dec  = decimal.RequireFromString
	oct  = func(n int) ferry.Date { return ferry.NewDate(2026, 10, n) }
	camt = "DE89370400440532013000"
	cn   = "6222021000010001"
	at   = "AT611904300234573201"
)

// The same downloads as legacy-v1.db holds, as this version's parsers read
// them: the camt lines without AcctSvcrRef keep the EndToEndId NOTPROVIDED
// and have no bank id; the Chinese CSV's 交易流水号 is the bank id now; the
// Austrian Windows-1252 CSV is decoded right, so its texts changed.
func camtNow() ferry.Statement {
	return ferry.Statement{Account: camt, Currency: "EUR", From: oct(1), To: oct(4), Lines: []ferry.StatementLine{
		{Account: camt, BookingDate: oct(1), Amount: dec("-50.00"), Currency: "EUR", Counterparty: "Stadtwerke München GmbH", Description: "Abschlag Strom Oktober", Reference: "NOTPROVIDED"},
		{Account: camt, BookingDate: oct(2), Amount: dec("-30.00"), Currency: "EUR", Counterparty: "Telekom Deutschland GmbH", Description: "Mobilfunk Rechnung 10/2026", Reference: "NOTPROVIDED"},
		{Account: camt, BookingDate: oct(2), Amount: dec("1200.00"), Currency: "EUR", Counterparty: "ACME Maschinenbau AG", Description: "Rechnung 4711", Reference: "RE-2026-4711"},
		// The previous version dropped these two: their keys were the
		// first two lines' keys.
		{Account: camt, BookingDate: oct(3), Amount: dec("-30.00"), Currency: "EUR", Counterparty: "Telekom Deutschland GmbH", Description: "Festnetz Rechnung 10/2026", Reference: "NOTPROVIDED"},
		{Account: camt, BookingDate: oct(4), Amount: dec("-12.99"), Currency: "EUR", Counterparty: "Netflix International B.V.", Description: "Abo Oktober", Reference: "NOTPROVIDED"},
	}}
}

func cnNow() ferry.Statement {
	return ferry.Statement{Account: cn, Currency: "CNY", From: oct(1), To: oct(2), Lines: []ferry.StatementLine{
		{Account: cn, BookingDate: oct(1), Amount: dec("-2"), Currency: "CNY", Description: "短信服务费", TransactionID: "FT26100100010001", BalanceAfter: dec("9998")},
		{Account: cn, BookingDate: oct(1), Amount: dec("-2"), Currency: "CNY", Description: "短信服务费", TransactionID: "FT26100100010002", BalanceAfter: dec("9996")},
		{Account: cn, BookingDate: oct(2), Amount: dec("5000"), Currency: "CNY", Counterparty: "阿里云计算有限公司", Description: "货款", TransactionID: "FT26100200010001", BalanceAfter: dec("14996")},
	}}
}

func atNow() ferry.Statement {
	return ferry.Statement{Account: at, Currency: "EUR", From: oct(1), To: oct(2), Lines: []ferry.StatementLine{
		{Account: at, BookingDate: oct(1), Amount: dec("-800.00"), Currency: "EUR", Counterparty: "Hausverwaltung Müller", Description: "Überweisung Miete Oktober"},
		{Account: at, BookingDate: oct(1), Amount: dec("-0.50"), Currency: "EUR", Description: "Kontoführung"},
		{Account: at, BookingDate: oct(1), Amount: dec("-0.50"), Currency: "EUR", Description: "Kontoführung"},
		{Account: at, BookingDate: oct(2), Amount: dec("100.00"), Currency: "EUR", Counterparty: "Max Mustermann", Description: "Gutschrift Rueckerstattung"},
	}}
}

func TestLegacyDatabaseMigrated(t *testing.T) {
	t.Parallel()
	db := openLegacy(t)
	lines, outbox := counts(t, db)
	if lines != 10 || outbox["delivered"] != 10 || outbox["pending"] != 10 {
		t.Fatalf("legacy-v1.db: %d lines, outbox %v; want 10 lines, 10 delivered (jsonl) and 10 pending (http)", lines, outbox)
	}
	var marked int
	if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM statement_lines WHERE legacy_key = dedup_key`).Scan(&marked); err != nil || marked != 10 {
		t.Fatalf("%d lines marked legacy (%v), want 10", marked, err)
	}
	// LegacyDedupKey is verbatim: it gives the keys that version stored.
	old := cnNow()
	for i := range old.Lines {
		old.Lines[i].Reference, old.Lines[i].TransactionID = old.Lines[i].TransactionID, ""
	}
	recs, err := db.LineRecords(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, r := range recs {
		have = append(have, r.DedupKey)
	}
	for i, k := range old.LegacyDedupKeys() {
		if !slices.Contains(have, k) {
			t.Errorf("CSV line %d: LegacyDedupKey %s is not among the stored keys", i+1, k)
		}
	}
}

// TestRerunAfterUpgrade is the upgrade: a rerun over the periods the
// previous version stored delivers nothing again, and delivers what that
// version dropped and what is new.
func TestRerunAfterUpgrade(t *testing.T) {
	t.Parallel()
	db := openLegacy(t)
	ctx := context.Background()
	extra := atNow()
	extra.To = oct(3)
	extra.Lines = append(extra.Lines, ferry.StatementLine{Account: at, BookingDate: oct(3), Amount: dec("-20.00"), Currency: "EUR", Counterparty: "ÖBB", Description: "Fahrkarte Wien–Graz"})
	cases := []struct {
		name string
		st   ferry.Statement
		want storage.SaveResult // StatementID and Queued aside
	}{
		{"camt053_20261004.xml", camtNow(), storage.SaveResult{NewLines: 2, Duplicates: 3, Legacy: 3}},
		{"交易明细_20261001-20261002.csv", cnNow(), storage.SaveResult{Duplicates: 3, Legacy: 3}},
		{"Umsaetze_AT611904300234573201.csv", extra, storage.SaveResult{NewLines: 1, Duplicates: 4, Legacy: 4, LegacyByAmount: 3}},
	}
	var newKeys []string
	for _, c := range cases {
		got := mustSave(t, db, c.name, c.st)
		c.want.StatementID, c.want.Queued = got.StatementID, c.want.NewLines*len(sinks)
		if got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
		keys := c.st.DedupKeys()
		switch c.name {
		case "camt053_20261004.xml":
			newKeys = append(newKeys, keys[3], keys[4])
		case "Umsaetze_AT611904300234573201.csv":
			newKeys = append(newKeys, keys[4])
		}
	}
	lines, outbox := counts(t, db)
	if lines != 13 || outbox["pending"] != 10+3*2 || outbox["delivered"] != 10 {
		t.Fatalf("after the rerun: %d lines, outbox %v; want 13 lines, 16 pending, 10 delivered", lines, outbox)
	}
	// The outbox holds the new lines under their new keys, and nothing
	// else new: every other line keeps the key its sinks know.
	for _, sink := range sinks {
		items, err := db.PendingOutbox(ctx, sink, 100, time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range items {
			if slices.Contains(newKeys, it.DedupKey) {
				got = append(got, it.DedupKey)
			}
		}
		if len(got) != len(newKeys) {
			t.Errorf("sink %s: new keys queued %v, want %v", sink, got, newKeys)
		}
	}
	// Reruns after that find every line under its current key; so does a
	// statement for part of the period.
	part := camtNow()
	part.From, part.Lines = oct(3), part.Lines[3:]
	for _, c := range append(cases, struct {
		name string
		st   ferry.Statement
		want storage.SaveResult
	}{"camt053_20261004-part.xml", part, storage.SaveResult{}}) {
		got := mustSave(t, db, c.name, c.st)
		if got.NewLines != 0 || got.Queued != 0 || got.Legacy != 0 || got.Duplicates != len(c.st.Lines) {
			t.Errorf("second rerun of %s: got %+v, want %d duplicates and nothing new", c.name, got, len(c.st.Lines))
		}
	}
	if l, o := counts(t, db); l != 13 || o["pending"] != 16 {
		t.Fatalf("after the second rerun: %d lines, outbox %v; want no change", l, o)
	}
	// A genuinely new line still goes through.
	next := cnNow()
	next.From, next.To = oct(5), oct(5)
	next.Lines = []ferry.StatementLine{{Account: cn, BookingDate: oct(5), Amount: dec("-2"), Currency: "CNY", Description: "短信服务费", TransactionID: "FT26100500010001"}}
	if got := mustSave(t, db, "交易明细_20261005.csv", next); got.NewLines != 1 || got.Queued != 2 {
		t.Errorf("a new line: got %+v, want 1 new line, 2 outbox rows", got)
	}
}

// TestLegacyAmbiguous: where texts changed between versions and a day has
// more different lines of one amount than the previous version stored,
// Ferry cannot tell which are new; it stores nothing and says so.
func TestLegacyAmbiguous(t *testing.T) {
	t.Parallel()
	db := openLegacy(t)
	st := atNow()
	st.Lines = append(st.Lines, ferry.StatementLine{Account: at, BookingDate: oct(1), Amount: dec("-800.00"), Currency: "EUR", Counterparty: "Autohaus Graz", Description: "Anzahlung"})
	before, obBefore := counts(t, db)
	_, err := save(t, db, "Umsaetze.csv", st)
	if !errors.Is(err, storage.ErrLegacyAmbiguous) || ferry.ClassOf(err) != ferry.ClassValidationFailed ||
		!strings.Contains(err.Error(), "Umsaetze.csv: account "+at+" line 1") || !strings.Contains(err.Error(), "lines 1, 5") {
		t.Fatalf("got %v, want ErrLegacyAmbiguous (validation_failed) naming the file and lines 1, 5", err)
	}
	if after, ob := counts(t, db); after != before || ob["pending"] != obBefore["pending"] {
		t.Fatalf("a refused save stored %d lines, %d outbox rows", after-before, ob["pending"]-obBefore["pending"])
	}
	// Identical lines are interchangeable: one more identical fee than was
	// stored is one new line, not an ambiguity.
	st = atNow()
	st.Lines = append(st.Lines, st.Lines[1])
	if got := mustSave(t, db, "Umsaetze.csv", st); got.NewLines != 1 || got.Legacy != 4 {
		t.Fatalf("a third identical fee: got %+v, want 1 new line and 4 legacy duplicates", got)
	}
}

// TestPlaceholderReferencesAcrossDays is issue 9's loss: two transactions
// on different days whose only reference is NOTPROVIDED, in two runs. The
// previous version stored the first and dropped the second without a word.
func TestPlaceholderReferencesAcrossDays(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	first, second := camtNow(), camtNow()
	first.Lines, second.Lines = first.Lines[:2], first.Lines[3:]
	if got := mustSave(t, db, "a.xml", first); got.NewLines != 2 || got.Queued != 4 {
		t.Fatalf("first statement: got %+v, want 2 new lines", got)
	}
	if got := mustSave(t, db, "b.xml", second); got.NewLines != 2 || got.Queued != 4 || got.Duplicates != 0 {
		t.Fatalf("second statement: got %+v, want 2 new lines, no duplicates", got)
	}
	if got := mustSave(t, db, "all.xml", camtNow()); got.NewLines != 1 || got.Duplicates != 4 {
		t.Fatalf("the whole period: got %+v, want the one line not seen yet and 4 duplicates", got)
	}
}

// TestKeyCollision: a bank id that turns out not to be unique (the same
// TransactionID on another day) is an error naming the file and line, not
// a dropped line.
func TestKeyCollision(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	st := cnNow()
	mustSave(t, db, "one.csv", st)
	st.Lines = []ferry.StatementLine{{Account: cn, BookingDate: oct(9), Amount: dec("-2"), Currency: "CNY", Description: "短信服务费", TransactionID: "FT26100100010002"}}
	before, _ := counts(t, db)
	_, err := save(t, db, "two.csv", st)
	if !errors.Is(err, storage.ErrKeyCollision) || ferry.ClassOf(err) != ferry.ClassValidationFailed ||
		!strings.Contains(err.Error(), "two.csv: account "+cn+" line 1") || !strings.Contains(err.Error(), "booking date differs") {
		t.Fatalf("got %v, want ErrKeyCollision naming two.csv line 1 and the booking date", err)
	}
	if after, _ := counts(t, db); after != before {
		t.Fatalf("the refused statement stored %d lines", after-before)
	}
	// One statement that gives one bank id to two bookings is refused whole.
	twice := cnNow()
	twice.Lines[1].TransactionID = twice.Lines[2].TransactionID
	if _, err := save(t, db, "twice.csv", twice); !errors.Is(err, storage.ErrKeyCollision) || !errors.Is(err, ferry.ErrTransactionIDReused) ||
		!strings.Contains(err.Error(), "twice.csv: account "+cn) || !strings.Contains(err.Error(), "lines 2 and 3") {
		t.Fatalf("got %v, want ErrKeyCollision and ErrTransactionIDReused naming twice.csv lines 2 and 3", err)
	}
	// The same id with the same booking is the same transaction, whatever
	// else another format shows.
	st.Lines[0].BookingDate, st.Lines[0].Description, st.Lines[0].Reference = oct(1), "SMS fee", "NONREF"
	if got := mustSave(t, db, "three.csv", st); got.Duplicates != 1 || got.NewLines != 0 {
		t.Fatalf("the same bank id and booking: got %+v, want 1 duplicate", got)
	}
}

// TestDuplicatesCounted: a line skipped as stored before is counted, in
// the result and in the statement's row.
func TestDuplicatesCounted(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	ctx := context.Background()
	run, _ := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l"})
	a, _ := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "s.csv"}, []byte("s"))
	st := atNow()
	if _, err := db.SaveStatement(ctx, run, a.ID, st, sinks, ""); err != nil {
		t.Fatal(err)
	}
	st.Lines = append(st.Lines, ferry.StatementLine{Account: at, BookingDate: oct(3), Amount: dec("1"), Currency: "EUR", Description: "Zinsen"})
	res, err := db.SaveStatement(ctx, run, a.ID, st, sinks, "")
	if err != nil || res.NewLines != 1 || res.Duplicates != 4 || res.Queued != 2 {
		t.Fatalf("got %+v, %v; want 1 new line, 4 duplicates, 2 outbox rows", res, err)
	}
	rows, err := db.Statements(ctx, run)
	if err != nil || len(rows) != 2 {
		t.Fatalf("statements: %v, %v", rows, err)
	}
	if r := rows[1]; r.Lines != 5 || r.NewLines != 1 || r.Duplicates != 4 || r.Legacy != 0 {
		t.Fatalf("statement row: got %+v, want 5 lines, 1 new, 4 duplicates", r)
	}
	recs, err := db.LineRecords(ctx, "", "")
	if err != nil || len(recs) != 5 {
		t.Fatalf("line records: %d, %v", len(recs), err)
	}
}

// TestLegacyOccurrenceShift: the old keys counted NOTPROVIDED lines in
// statement order, so a rerun over a shorter period gives a stored line the
// old key of another one. The match is by booking and content, not by that
// key.
func TestLegacyOccurrenceShift(t *testing.T) {
	t.Parallel()
	db := openLegacy(t)
	st := camtNow()
	st.From, st.Lines = oct(2), st.Lines[1:] // Telekom Mobilfunk first
	recs, err := db.LineRecords(context.Background(), "2026-10-01", "2026-10-01")
	if err != nil || len(recs) < 1 {
		t.Fatal(recs, err)
	}
	var stadtwerke string
	for _, r := range recs {
		if r.Account == camt {
			stadtwerke = r.DedupKey
		}
	}
	if old := st.LegacyDedupKeys()[0]; old != stadtwerke {
		t.Fatalf("the Oct 2 line's old key is %s, want the Oct 1 line's %s (the shift this test is about)", old, stadtwerke)
	}
	got := mustSave(t, db, "camt053_20261002-04.xml", st)
	if got.NewLines != 2 || got.Duplicates != 2 || got.Legacy != 2 || got.LegacyByAmount != 0 {
		t.Fatalf("got %+v, want 2 new lines (the ones the old version dropped) and 2 legacy duplicates", got)
	}
	// The Oct 1 line is still unmatched, and matches its own line later.
	if got := mustSave(t, db, "camt053_20261001-04.xml", camtNow()); got.NewLines != 0 || got.Legacy != 1 || got.Duplicates != 5 {
		t.Fatalf("the whole period next: got %+v, want 1 legacy match and nothing new", got)
	}
}
