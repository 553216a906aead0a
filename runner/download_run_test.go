package runner_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/scripts"
)

// declaredBot writes a copy of the nightly statement bot to dir under
// name, with its downloads changed by edit.
func declaredBot(t *testing.T, dir, name string, edit func(string) string) {
	t.Helper()
	_, data, err := scripts.Source("", "demobank-statements")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(data), "bot: demobank-statements", "bot: "+name, 1)
	if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(edit(src)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestFileOnlyBotSucceedsWithArtifactsAndNoRecords: a bot whose downloads
// are declared as file runs to success, keeps every file as an artifact,
// and stores and delivers no record; a bot declaring invoices fails with
// what went wrong, naming the file, not "internal" noise.
func TestFileOnlyBotSucceedsWithArtifactsAndNoRecords(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 5})
	dir := t.TempDir()
	scriptsDir := filepath.Join(dir, "scripts")
	if err := os.MkdirAll(scriptsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	declaredBot(t, scriptsDir, "demobank-files", func(s string) string {
		for _, f := range []string{"xlsx", "csv", "pdf"} {
			s = strings.Replace(s, "format: "+f+"\n", "format: "+f+"\n          as: file\n", 1)
		}
		return s
	})
	declaredBot(t, scriptsDir, "demobank-invoices", func(s string) string {
		return strings.Replace(s, "format: pdf\n", "format: pdf\n          as: invoice\n", 1)
	})
	e := setup(t, dir, bank, func(c *runner.Config) {
		c.ScriptsDir = scriptsDir
		c.StepTimeout = 30 * time.Second
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run := func(bot string) ferry.RunRecord {
		id, err := e.r.Enqueue(ctx, runner.Request{Bot: bot, Login: "demobank-zhangwei",
			Params: ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 31)}})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := e.r.Wait(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	files := run("demobank-files")
	if files.Status != ferry.RunSucceeded {
		t.Fatalf("file-only run: %s %s %s", files.Status, files.Class, files.Error)
	}
	accounts := len(sandbox.DefaultUsers()[0].Accounts)
	arts, err := e.db.Artifacts(ctx, files.ID)
	if err != nil || len(arts) != 3*accounts {
		t.Fatalf("file-only run stored %d artifacts (%v), want %d", len(arts), err, 3*accounts)
	}
	if rows, err := e.db.Statements(ctx, files.ID); err != nil || len(rows) != 0 {
		t.Fatalf("file-only run stored statements %+v, %v", rows, err)
	}
	if n := countLines(t, e.jsonl); n != 0 {
		t.Fatalf("file-only run delivered %d records", n)
	}
	inv := run("demobank-invoices")
	if inv.Status != ferry.RunFailed || inv.Class != ferry.ClassDocumentChanged || !strings.Contains(inv.Error, ".pdf") {
		t.Fatalf("invoice run: %s %s %s; want document_changed naming the PDF (a statement is no invoice)", inv.Status, inv.Class, inv.Error)
	}
}
