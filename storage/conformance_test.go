package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/internal/pgtest"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/ferry-rpa/ferry/storage/storetest"
)

// pg is the package's private PostgreSQL server, started by the first test
// that needs it.
var pg = pgtest.New()

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pg.Stop(); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
	}
	os.Exit(code)
}

// openSQLite opens a fresh SQLite store.
func openSQLite(t testing.TB, inDB bool, now func() time.Time) *storage.DB {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.OpenWith(context.Background(), storage.Options{DSN: filepath.Join(dir, "ferry.db"), ArtifactsDir: filepath.Join(dir, "artifacts"), ArtifactsInDatabase: inDB, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openPostgres opens a store on a fresh database of the private server.
func openPostgres(t testing.TB, inDB bool, now func() time.Time) *storage.DB {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.OpenWith(context.Background(), storage.Options{DSN: migrated(t), ArtifactsDir: filepath.Join(dir, "artifacts"), ArtifactsInDatabase: inDB, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func harness(open func(testing.TB, bool, func() time.Time) *storage.DB, inDB bool) storetest.Harness {
	return storetest.Harness{
		New: func(t *testing.T, now func() time.Time) storetest.Store { return open(t, inDB, now) },
		Exec: func(t *testing.T, s storetest.Store, query string, args ...any) {
			t.Helper()
			if _, err := s.(*storage.DB).ExecSQL(context.Background(), query, args...); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		},
		Blobs: func(t *testing.T, s storetest.Store) int {
			t.Helper()
			db := s.(*storage.DB)
			if inDB {
				var n int
				if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM artifact_blobs`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			files, err := filepath.Glob(filepath.Join(db.ArtifactsDir, "??", "*"))
			if err != nil {
				t.Fatal(err)
			}
			return len(files)
		},
	}
}

func TestConformanceSQLite(t *testing.T) {
	storetest.Run(t, harness(openSQLite, false))
}

func TestConformanceSQLiteArtifactsInDatabase(t *testing.T) {
	storetest.Artifacts(t, harness(openSQLite, true))
}

func TestConformancePostgres(t *testing.T) {
	storetest.Run(t, harness(openPostgres, true))
}

func TestConformancePostgresArtifactsOnDisk(t *testing.T) {
	storetest.Artifacts(t, harness(openPostgres, false))
}

// migrated is a fresh database of the private server with Ferry's schema:
// a copy of one migrated once.
func migrated(t testing.TB) string {
	t.Helper()
	return pg.DatabaseFrom(t, "ferry", func(ctx context.Context, url string) error {
		db, err := storage.OpenWith(ctx, storage.Options{DSN: url, ArtifactsInDatabase: true})
		if err != nil {
			return err
		}
		return db.Close()
	})
}
