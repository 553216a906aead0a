package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/statements"
)

// Several files with a bad one among them: every good file is printed, the
// bad one is named, and the exit code says not all were read.
func TestParseSeveralFilesReportsEachBadOne(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bank := sandbox.New(sandbox.Options{Seed: 1})
	st, _ := bank.Statement("9558800100003003", ferry.NewDate(2026, 9, 1), ferry.NewDate(2026, 9, 30))
	pdf, err := sandbox.RenderPDF(st)
	if err != nil {
		t.Fatal(err)
	}
	good1, bad, good2 := filepath.Join(dir, "a.pdf"), filepath.Join(dir, "b.csv"), filepath.Join(dir, "c.pdf")
	os.WriteFile(good1, pdf, 0o644)
	os.WriteFile(bad, []byte("foo;bar\n1;2\n"), 0o644)
	os.WriteFile(good2, pdf, 0o644)
	code, out, stderr := ferryCmd(t, "parse", good1, bad, good2, "--json")
	if code != exitDocumentChanged {
		t.Fatalf("got exit %d, want %d\n%s", code, exitDocumentChanged, stderr)
	}
	if n := strings.Count(out, `"type":"statement"`); n != 2 {
		t.Fatalf("got %d statements printed, want 2 (both good files):\n%s", n, out)
	}
	if !strings.Contains(stderr, "b.csv") || !strings.Contains(stderr, "1 of 3 files not read") {
		t.Fatalf("stderr does not name the bad file and the count:\n%s", stderr)
	}
}

// A statement that states no balances prints no invented opening or
// closing and no verdict on reconciling.
func TestParseNoBalancesStated(t *testing.T) {
	t.Parallel()
	f := testenv.Corpus(t, "camt/genkgo/camt054.v2.xml")
	code, out, stderr := ferryCmd(t, "parse", f, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &got); err != nil {
		t.Fatal(err)
	}
	if got["balances_stated"] != false {
		t.Fatalf("got balances_stated %v, want false", got["balances_stated"])
	}
	for _, k := range []string{"opening", "closing", "reconciles"} {
		if v, ok := got[k]; ok {
			t.Errorf("got %s %v, want it absent: the file states no balances", k, v)
		}
	}
	code, out, _ = ferryCmd(t, "parse", f)
	if code != 0 || !strings.Contains(out, "no balances stated") || strings.Contains(out, "opening 0.00") {
		t.Fatalf("text output: exit %d\n%s", code, out)
	}
}

// Large CSV and XLSX exports are read row by row (here forced with
// --stream-above 0): the same statements and the same records, keys
// included, as reading them whole. Newest-first files stay in file order.
func TestParseStreamedTablesMatchWhole(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../../statements/testdata/tables/*")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".golden") || strings.HasSuffix(f, ".md") {
			continue
		}
		n++
		code1, whole, e1 := ferryCmd(t, "parse", "--json", f)
		code2, streamed, e2 := ferryCmd(t, "parse", "--json", "--stream-above", "0", f)
		if code1 != 0 || code2 != 0 {
			t.Errorf("%s: exit %d (whole) %d (streamed)\n%s%s", f, code1, code2, e1, e2)
			continue
		}
		if a, b := summarise(t, whole), summarise(t, streamed); a != b {
			t.Errorf("%s: streamed differs from whole:\n got %s\nwant %s", f, b, a)
		}
	}
	if n < 10 {
		t.Fatalf("found %d test tables, want the bank exports of statements/testdata/tables", n)
	}
}

// summarise reduces ferry parse --json output to its statements' headers
// and their sorted line records.
func summarise(t *testing.T, out string) string {
	t.Helper()
	var parts []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var st struct {
			Account, Currency, Opening, Closing string
			Lines                               []map[string]any
		}
		if err := json.Unmarshal([]byte(line), &st); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		var ls []string
		for _, l := range st.Lines {
			ls = append(ls, fmt.Sprint(l["dedup_key"], l["booking_date"], l["amount"], l["counterparty"], l["description"]))
		}
		sort.Strings(ls)
		parts = append(parts, fmt.Sprintf("%s %s %s %s %d lines %s", st.Account, st.Currency, st.Opening, st.Closing, len(ls), strings.Join(ls, "|")))
	}
	sort.Strings(parts)
	return strings.Join(parts, "\n")
}

// A document read but not right is printed with its problem and exits 14
// (held back): a flagged invoice here. One that checks out exits 0.
func TestParseHeldDocumentsExit14(t *testing.T) {
	t.Parallel()
	flagged := testenv.Corpus(t, "cn-einvoice/sanitized_vat_invoice.pdf") // desensitised: its tax ids are not valid
	code, out, stderr := ferryCmd(t, "parse", flagged, "--json")
	if code != exitHeld || !strings.Contains(out, `"consistent":false`) || !strings.Contains(stderr, "held back") {
		t.Fatalf("flagged invoice: exit %d, want %d\n%s%s", code, exitHeld, out, stderr)
	}
	good := testenv.Corpus(t, "cn-einvoice/erma0_sample.ofd")
	code, out, stderr = ferryCmd(t, "parse", good, "--json")
	if code != 0 || !strings.Contains(out, `"consistent":true`) {
		t.Fatalf("a right invoice: exit %d\n%s%s", code, out, stderr)
	}
}

// A file over the whole-read limit that is not a table is refused before
// it is read into memory.
func TestParseRefusesHugeWholeFiles(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "huge.sta")
	h, err := os.Create(f)
	if err != nil {
		t.Fatal(err)
	}
	h.WriteString(":20:STMT\n:25:NL91ABNA0417164300\n")
	h.Truncate(statements.MaxWholeFile + 1) // sparse: no disk used
	h.Close()
	code, _, stderr := ferryCmd(t, "parse", f)
	if code != exitDocumentChanged || !strings.Contains(stderr, "huge.sta") || !strings.Contains(stderr, "larger than Ferry reads whole") {
		t.Fatalf("got exit %d: %s", code, stderr)
	}
}
