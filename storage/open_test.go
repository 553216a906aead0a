package storage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/storage"
)

// TestFilesArePrivate: the database, its WAL files, the artifact files and
// their directories are readable by their owner alone.
func TestFilesArePrivate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	p := filepath.Join(dir, "data", "ferry.db")
	db, err := storage.Open(ctx, p, filepath.Join(dir, "data", "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run, err := db.NewRun(ctx, ferry.Run{Bot: "b", Login: "l"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "s.csv"}, []byte("statement"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{p, p + "-wal", p + "-shm", db.ArtifactPath(a.SHA256)} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v, want -rw-------", f, st.Mode().Perm())
		}
	}
	for _, d := range []string{filepath.Dir(p), db.ArtifactsDir, filepath.Dir(db.ArtifactPath(a.SHA256))} {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o700 {
			t.Errorf("%s is %v, want drwx------", d, st.Mode().Perm())
		}
	}
}

// TestDamagedDatabaseRefused: a database with a zeroed page does not open;
// the error names the file.
func TestDamagedDatabaseRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	p := filepath.Join(dir, "ferry.db")
	db, err := storage.Open(ctx, p, filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	st := statement2000()
	run, _ := db.NewRun(ctx, ferry.Run{Bot: "b", Login: "l"})
	a, _ := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "s.csv"}, []byte("s"))
	if _, err := db.SaveStatement(ctx, run, a.ID, st, []string{"jsonl"}, ""); err != nil {
		t.Fatal(err)
	}
	// Checkpoint the WAL into the file and close.
	if _, err := db.SQL.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	if len(data) < 8*page {
		t.Fatalf("the database has %d bytes, too few pages to damage one in the middle", len(data))
	}
	mid := len(data) / page / 2 * page
	clear(data[mid : mid+page])
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = storage.Open(ctx, p, filepath.Join(dir, "artifacts"), nil)
	if err == nil {
		t.Fatal("a database with a zeroed page opened")
	}
	if !strings.Contains(err.Error(), p) {
		t.Fatalf("the error does not name the file: %v", err)
	}
	t.Log(err)
}

// statement2000 is a statement of 2,000 lines: enough pages to damage one.
func statement2000() ferry.Statement {
	st := ferry.Statement{Account: "A1", Currency: "EUR", From: oct(1), To: oct(28), NoBalances: true}
	for i := range 2000 {
		st.Lines = append(st.Lines, ferry.StatementLine{Account: "A1", BookingDate: oct(1 + i%28), Amount: dec("-1.00").Add(dec("0.01").Mul(dec(strings.Repeat("1", 1+i%5)))),
			Currency: "EUR", Description: strings.Repeat("Rechnung ", 1+i%7), Reference: "R" + strings.Repeat("x", i%13)})
	}
	return st
}

// TestOpenPicksTheDatabaseByDSN: a postgres:// URL opens PostgreSQL, a
// path SQLite; a URL that does not parse is refused without echoing it
// (it may hold a password).
func TestOpenPicksTheDatabaseByDSN(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if db := openSQLite(t, false, nil); db.Postgres() {
		t.Fatal("a path opened PostgreSQL")
	}
	if db := openPostgres(t, true, nil); !db.Postgres() || db.Pool == nil || strings.Contains(db.Path, "host=") {
		t.Fatalf("a postgres:// URL: Postgres %v, Path %q", db.Postgres(), db.Path)
	}
	_, err := storage.Open(ctx, "postgres://ferry:s3cret-pw@db.invalid:notaport/ferry", t.TempDir(), nil)
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("a bad URL: %v (must fail without the password)", err)
	}
	_, err = storage.Open(ctx, "postgres://ferry:s3cret-pw@/ferry?host=/nonexistent&connect_timeout=2", t.TempDir(), nil)
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("an unreachable server: %v (must fail without the password)", err)
	}
	t.Log(err)
}

// TestExistingCreatesNothing: a command that only reads opens a database
// that is there, and creates none where there is none.
func TestExistingCreatesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	p := filepath.Join(dir, "data", "ferry.db")
	_, err := storage.OpenWith(ctx, storage.Options{DSN: p, ArtifactsDir: filepath.Join(dir, "data", "artifacts"), Existing: true})
	if !errors.Is(err, storage.ErrNoDatabase) || !strings.Contains(err.Error(), p) {
		t.Fatalf("no database: %v, want ErrNoDatabase naming %s", err, p)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("opening a missing database created %v", entries[0].Name())
	}
	db, err := storage.Open(ctx, p, filepath.Join(dir, "data", "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := db.NewRun(ctx, ferry.Run{Bot: "b", Login: "l"})
	db.Close()
	ro, err := storage.OpenWith(ctx, storage.Options{DSN: p, ArtifactsDir: filepath.Join(dir, "data", "artifacts"), Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Run(ctx, id); err != nil {
		t.Fatal(err)
	}
}
