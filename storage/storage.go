// Package storage keeps Ferry's state: runs, steps, artifacts (files on disk
// named by their SHA-256, stored once), statements, statement lines with a
// unique dedup key (lines a previous version stored under its keys are
// recognised too: see SaveStatement), and the outbox. A statement is saved
// whole (SaveStatement) or, when it is too long to hold, as its lines
// stream (SaveStatementLines); either way its lines and their outbox rows
// are written in one transaction. SQLite (pure Go) is the default; the
// database/sql handle is shared with the River queue, which needs a single
// open connection, so every method that runs inside a transaction takes it
// as an argument instead of going back to the pool.
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is Ferry's SQLite database and artifact directory.
type DB struct {
	SQL          *sql.DB
	Path         string
	ArtifactsDir string
	now          func() time.Time
}

// Queryer is what both *sql.DB and *sql.Tx offer.
type Queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Open opens (creating if needed) the database at path and the artifact
// directory beside it, and applies pending migrations.
func Open(ctx context.Context, path, artifactsDir string, now func() time.Time) (*DB, error) {
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	if err := os.MkdirAll(artifactsDir, 0o755); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	// One connection: River's SQLite driver requires it, and SQLite has one
	// writer anyway. Code holding a transaction must pass it down.
	db.SetMaxOpenConns(1)
	d := &DB{SQL: db, Path: path, ArtifactsDir: artifactsDir, now: now}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.SQL.Close() }

func (d *DB) migrate(ctx context.Context) error {
	if _, err := d.SQL.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS ferry_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("storage: migrations table: %w", err)
	}
	files, _ := fs.Glob(migrations, "migrations/*.sql")
	sort.Strings(files)
	for _, f := range files {
		v, err := strconv.Atoi(strings.SplitN(filepath.Base(f), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("storage: migration %s: bad name", f)
		}
		var n int
		if err := d.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM ferry_migrations WHERE version = ?`, v).Scan(&n); err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		if n > 0 {
			continue
		}
		body, _ := migrations.ReadFile(f)
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("storage: migration %s: %w", f, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO ferry_migrations (version, applied_at) VALUES (?, ?)`, v, d.ts(d.now()))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Tx runs fn in a transaction, committing if it returns nil.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	return nil
}

// tsLayout is RFC 3339 in UTC with nanoseconds always written: every
// stored time has the same width, so that text comparisons in SQL (a retry
// time that has come, a lease that expired) order them as times. Times
// written by earlier versions (RFC3339Nano in any zone) still parse.
const tsLayout = "2006-01-02T15:04:05.000000000Z"

func (d *DB) ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(tsLayout)
}

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// ErrNotFound reports a missing row.
var ErrNotFound = errors.New("not found")
