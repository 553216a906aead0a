package runner

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"
)

// The ingest tests store downloads as artifacts and call ingest directly:
// no browser, no queue.

const acct = "6222021000010001"

func openIngestDB(t testing.TB, src string) *storage.DB {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "ferry.db")
	if src != "" {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := storage.Open(context.Background(), p, filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func ingestRunner(db *storage.DB, dir string) *Runner {
	return &Runner{cfg: Config{DB: db, Logger: zerolog.Nop(),
		Sinks: []delivery.Sink{&delivery.JSONLines{Path: filepath.Join(dir, "records.jsonl")}}}}
}

// file is a download: its format, and the statement rendered into it.
type file struct {
	format string
	st     ferry.Statement
}

func render(t testing.TB, f file) []byte {
	t.Helper()
	var data []byte
	var err error
	switch f.format {
	case "xlsx":
		data, err = sandbox.RenderXLSX(f.st)
	case "csv":
		data, err = sandbox.RenderCSV(f.st)
	case "pdf":
		data, err = sandbox.RenderPDF(f.st)
	default:
		t.Fatalf("format %q", f.format)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// store records a run with the files as its downloads for acct.
func store(t testing.TB, db *storage.DB, files ...file) (storage.RunRecord, []stored) {
	t.Helper()
	ctx := context.Background()
	id, err := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "demobank-statements", Login: "l"})
	if err != nil {
		t.Fatal(err)
	}
	var out []stored
	for _, f := range files {
		a, err := db.PutArtifact(ctx, ferry.Artifact{RunID: id, Kind: "download", Name: "statement_" + acct + "." + f.format, Account: acct, Format: f.format}, render(t, f))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, stored{a})
	}
	run, err := db.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return run, out
}

func october(t testing.TB) ferry.Statement {
	t.Helper()
	st, err := sandbox.New(sandbox.Options{Seed: 5}).Statement(acct, ferry.NewDate(2026, 10, 1), ferry.NewDate(2026, 10, 31))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Lines) < 10 {
		t.Fatalf("the sandbox statement has %d lines", len(st.Lines))
	}
	return st
}

func storedKeys(t testing.TB, db *storage.DB) []string {
	t.Helper()
	recs, err := db.LineRecords(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range recs {
		keys = append(keys, r.DedupKey)
	}
	slices.Sort(keys)
	return keys
}

// TestIngestStoresOnce: an account's XLSX, CSV and PDF are checked
// against each other and stored once, under the keys of the bank's own
// statement; a second run stores nothing new.
func TestIngestStoresOnce(t *testing.T) {
	t.Parallel()
	st := october(t)
	db := openIngestDB(t, "")
	r := ingestRunner(db, t.TempDir())
	want := st.DedupKeys()
	slices.Sort(want)
	for i, wantNew := range []int{len(st.Lines), 0} {
		run, files := store(t, db, file{"xlsx", st}, file{"csv", st}, file{"pdf", st})
		sum, err := r.ingest(context.Background(), run, files, map[string]int{acct: len(st.Lines)})
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if sum.Statements != 1 || sum.Lines != len(st.Lines) || sum.NewLines != wantNew || sum.Held != 0 {
			t.Fatalf("run %d: got %+v, want 1 statement, %d lines, %d new, none held", i+1, sum, len(st.Lines), wantNew)
		}
		if got := storedKeys(t, db); !slices.Equal(got, want) {
			t.Fatalf("run %d: stored %d keys, want the bank statement's %d", i+1, len(got), len(want))
		}
		rows, err := db.Statements(context.Background(), run.ID)
		if err != nil || len(rows) != 1 {
			t.Fatalf("run %d: statements %+v, %v", i+1, rows, err)
		}
		if s := rows[0]; s.Status != "accepted" || s.Lines != len(st.Lines) || s.Account != acct || s.Opening != st.Opening.String() || s.Closing != st.Closing.String() || s.Duplicates != len(st.Lines)-wantNew {
			t.Fatalf("run %d: statement row %+v", i+1, s)
		}
	}
}

// TestIngestHolds: every check keeps its meaning while the tables stream;
// a failed check holds the statement (its row, with the problem and line
// count) and stores no line.
func TestIngestHolds(t *testing.T) {
	t.Parallel()
	st := october(t)
	n := len(st.Lines)
	misstated := st
	misstated.Closing = st.Closing.Add(decimal.New(1, -2))
	broken := st
	broken.Lines = slices.Clone(st.Lines)
	for i := 6; i < len(broken.Lines); i++ { // the balance column jumps by 1.00 at line 7
		broken.Lines[i].BalanceAfter = broken.Lines[i].BalanceAfter.Add(decimal.New(1, 0))
	}
	edited := st
	edited.Lines = slices.Clone(st.Lines)
	edited.Lines[6].Description += " (corrected)"
	other, err := sandbox.New(sandbox.Options{Seed: 5}).Statement("6222021000010002", st.From, st.To)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		files     []file
		rowsSeen  int
		want      string // in the problem
		wantLines int    // the held row's line count
	}{
		{"closing misstated", []file{{"xlsx", misstated}, {"csv", misstated}, {"pdf", misstated}}, n, "does not reconcile", n},
		{"balance chain breaks", []file{{"xlsx", broken}}, n, "does not reconcile", 6},
		{"chain breaks in the second format", []file{{"pdf", st}, {"csv", broken}}, n, "does not reconcile", n},
		{"a line differs", []file{{"xlsx", st}, {"csv", edited}, {"pdf", st}}, n, "xlsx and csv disagree: line 7 (" + st.Lines[6].Reference + ")", n},
		{"a line differs in the PDF", []file{{"xlsx", st}, {"pdf", edited}}, n, "xlsx and pdf disagree: line 7 (" + st.Lines[6].Reference + ")", n},
		{"the site listed more", []file{{"xlsx", st}, {"csv", st}}, n + 1, "the site listed " + itoa(n+1) + " transactions, the statement file has " + itoa(n), n},
		{"another account", []file{{"xlsx", other}}, len(other.Lines), "holds account 6222021000010002, expected " + acct, len(other.Lines)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			db := openIngestDB(t, "")
			r := ingestRunner(db, t.TempDir())
			run, files := store(t, db, c.files...)
			sum, err := r.ingest(context.Background(), run, files, map[string]int{acct: c.rowsSeen})
			if err != nil {
				t.Fatalf("got %v, want a held statement", err)
			}
			if sum.Held != 1 || len(sum.Problems) != 1 || !strings.Contains(sum.Problems[0], c.want) {
				t.Fatalf("got %+v, want held: %q", sum, c.want)
			}
			rows, err := db.Statements(context.Background(), run.ID)
			if err != nil || len(rows) != 1 {
				t.Fatalf("statements %+v, %v", rows, err)
			}
			if s := rows[0]; s.Status != "held" || s.Lines != c.wantLines || s.NewLines != 0 || s.ArtifactID != files[0].artifact.ID {
				t.Fatalf("statement row %+v, want held with %d lines", s, c.wantLines)
			}
			if keys := storedKeys(t, db); len(keys) != 0 {
				t.Fatalf("a held statement stored %d lines", len(keys))
			}
			if ob, _ := db.OutboxCounts(context.Background()); ob["pending"] != 0 {
				t.Fatalf("a held statement queued %d records", ob["pending"])
			}
		})
	}
}

func itoa(n int) string { return decimal.NewFromInt(int64(n)).String() }

// TestIngestNewestFirst: a table listing the newest line first streams in
// its own order, the PDF is read in date order; they agree, and the lines
// are stored under the bank's keys.
func TestIngestNewestFirst(t *testing.T) {
	t.Parallel()
	st := october(t)
	rev := st
	rev.Lines = slices.Clone(st.Lines)
	slices.Reverse(rev.Lines)
	db := openIngestDB(t, "")
	r := ingestRunner(db, t.TempDir())
	run, files := store(t, db, file{"xlsx", rev}, file{"csv", st}, file{"pdf", st})
	sum, err := r.ingest(context.Background(), run, files, nil)
	if err != nil || sum.Held != 0 || sum.NewLines != len(st.Lines) {
		t.Fatalf("got %+v, %v; want %d new lines", sum, err, len(st.Lines))
	}
	want := st.DedupKeys()
	slices.Sort(want)
	if got := storedKeys(t, db); !slices.Equal(got, want) {
		t.Fatalf("stored %d keys, want the bank statement's %d", len(got), len(want))
	}
}

// TestIngestLegacyFallback: in a database the previous version wrote, a
// table whose lines may be among that version's unmatched lines is saved
// whole, so that they are matched exactly as SaveStatement matches them:
// nothing is delivered twice.
func TestIngestLegacyFallback(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	day := func(n int) ferry.Date { return ferry.NewDate(2026, 10, n) }
	// The Chinese bank's download that legacy-v1.db holds, in the sandbox
	// bank's layout.
	cn := ferry.Statement{Account: acct, Name: "张伟", Currency: "CNY", From: day(1), To: day(2), Opening: d("10000.00"), Closing: d("14996.00"), Lines: []ferry.StatementLine{
		{Account: acct, BookingDate: day(1), ValueDate: day(1), Amount: d("-2.00"), Currency: "CNY", Description: "短信服务费", Reference: "FT26100100010001", BalanceAfter: d("9998.00")},
		{Account: acct, BookingDate: day(1), ValueDate: day(1), Amount: d("-2.00"), Currency: "CNY", Description: "短信服务费", Reference: "FT26100100010002", BalanceAfter: d("9996.00")},
		{Account: acct, BookingDate: day(2), ValueDate: day(2), Amount: d("5000.00"), Currency: "CNY", Counterparty: "阿里云计算有限公司", Description: "货款", Reference: "FT26100200010001", BalanceAfter: d("14996.00")},
	}}
	legacy := filepath.Join("..", "storage", "testdata", "legacy-v1.db")
	// The reference: the statement parsed whole and saved whole.
	ref := openIngestDB(t, legacy)
	run, files := store(t, ref, file{"csv", cn})
	doc := &document{art: files[0].artifact, src: ref, format: "csv"}
	doc.opts.Account, doc.opts.Format = acct, "csv"
	whole, err := doc.parseWhole(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want, err := ref.SaveStatement(context.Background(), run.ID, files[0].artifact.ID, whole, []string{"jsonl"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if want.NewLines != 0 || want.Legacy != 3 {
		t.Fatalf("the reference save: %+v, want 3 legacy duplicates", want)
	}
	db := openIngestDB(t, legacy)
	r := ingestRunner(db, t.TempDir())
	run, files = store(t, db, file{"csv", cn}, file{"xlsx", cn})
	sum, err := r.ingest(context.Background(), run, files, nil)
	if err != nil || sum.NewLines != 0 || sum.Held != 0 || sum.Lines != 3 {
		t.Fatalf("got %+v, %v; want 3 lines, none new", sum, err)
	}
	rows, err := db.Statements(context.Background(), run.ID)
	if err != nil || len(rows) != 1 || rows[0].Legacy != 3 || rows[0].Duplicates != 3 {
		t.Fatalf("statements %+v, %v; want 3 legacy duplicates", rows, err)
	}
	if got, ref := storedKeys(t, db), storedKeys(t, ref); !slices.Equal(got, ref) {
		t.Fatalf("stored keys differ from the whole save's: %d vs %d", len(got), len(ref))
	}
}
