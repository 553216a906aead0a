package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
)

// artifacts: says where downloads and evidence are kept: the data
// directory by default, a (shared) directory, or the database itself.
func TestArtifactsWhereConfigured(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "ferry.yaml")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	put := func(cfg *Config) (ferry.Artifact, func()) {
		db, err := openDB(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		id, err := db.NewRun(ctx, ferry.Run{Bot: "b", Login: "l"})
		if err != nil {
			t.Fatal(err)
		}
		a, err := db.PutArtifact(ctx, ferry.Artifact{RunID: id, Name: "statement.csv", Kind: "download"}, []byte("date,amount\n"))
		if err != nil {
			t.Fatal(err)
		}
		rc, err := db.OpenArtifact(ctx, a.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != "date,amount\n" {
			t.Fatalf("artifact read back as %q", b)
		}
		return a, func() { db.Close() }
	}
	onDisk := func(root, sha string) bool {
		_, err := os.Stat(filepath.Join(root, sha[:2], sha))
		return err == nil
	}

	// A shared directory, relative to the config file.
	cfg, err := loadConfig(write("data_dir: data\nartifacts: shared/artifacts\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	a, done := put(cfg)
	done()
	if !onDisk(filepath.Join(dir, "shared", "artifacts"), a.SHA256) || onDisk(filepath.Join(dir, "data", "artifacts"), a.SHA256) {
		t.Fatal("artifact not in the configured directory (or also in the data directory)")
	}

	// In the database: no artifact file anywhere.
	cfg, err = loadConfig(write("data_dir: data2\nartifacts: database\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	a, done = put(cfg)
	done()
	if onDisk(filepath.Join(dir, "data2", "artifacts"), a.SHA256) {
		t.Fatal("artifacts: database wrote the bytes to the data directory")
	}

	// Anything else is refused with its line.
	for _, bad := range []string{"artifacts: s3://bucket/x\n", "artifacts: ferry.yaml\n"} {
		_, err := loadConfig(write("data_dir: data3\n"+bad), "")
		var ce *configError
		if !errors.As(err, &ce) || ce.line != 2 || !strings.Contains(err.Error(), "artifacts") {
			t.Fatalf("%q: %v, want a config error on line 2", bad, err)
		}
	}
}

// A schedule's params: are checked against the bot's declared parameters
// when the config loads, with the line.
func TestScheduleParamsChecked(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ferry.yaml")
	cfg := `sites:
  demobank: http://127.0.0.1:8700
credentials:
  lina: {user: lina, password: pw, totp: seed}
schedules:
  - id: nightly
    bot: demobank-statements
    login: lina
    cron: "@every 1h"
    params: {branch: east}
`
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadConfig(p, "")
	var ce *configError
	if !errors.As(err, &ce) || ce.line != 10 || !strings.Contains(err.Error(), `unknown parameter "branch"`) {
		t.Fatalf("got %v, want an unknown parameter error on line 10", err)
	}
}
