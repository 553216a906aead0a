package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-rpa/ferry/internal/pgtest"
)

// pg is the package's private PostgreSQL server, started by the first test
// that needs it.
var pg = pgtest.New()

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// `--database postgres://…` keeps Ferry's state in PostgreSQL: a sandbox
// run stores its run, steps and records there (no SQLite file appears in
// the data directory), and `runs list` reads them back from it.
func TestRunWithPostgres(t *testing.T) {
	t.Parallel()
	url := pg.Database(t)
	dir := t.TempDir()
	code, out, errs := ferryCmd(t, "--database", url, "run", "demobank-statements", "--sandbox", "--data", dir, "--login", "demobank-zhangwei",
		"--from", "2026-10-01", "--to", "2026-10-10", "--account", "6222021000010001")
	if code != 0 {
		t.Fatalf("run: %d\n%s%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "ferry.db")); !os.IsNotExist(err) {
		t.Fatalf("a SQLite file was written beside a PostgreSQL database: %v", err)
	}
	code, out, errs = ferryCmd(t, "--database", url, "--json", "runs", "list", "--data", dir)
	if code != 0 {
		t.Fatalf("runs list: %d %s", code, errs)
	}
	var runs []struct {
		Status string `json:"status"`
		Bot    string `json:"bot"`
	}
	if err := json.Unmarshal([]byte(out), &runs); err != nil {
		t.Fatalf("runs list --json: %v\n%s", err, out)
	}
	if len(runs) != 1 || runs[0].Status != "succeeded" || runs[0].Bot != "demobank-statements" {
		t.Fatalf("runs in PostgreSQL: %s", out)
	}
}
