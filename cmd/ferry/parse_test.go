package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/sandbox"
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
