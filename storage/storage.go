// Package storage keeps Ferry's state: runs, steps, artifacts (files on disk
// named by their SHA-256, stored once, or rows in PostgreSQL), statements,
// statement lines with a unique dedup key (lines a previous version stored
// under its keys are recognised too: see SaveStatement), and the outbox. A
// statement is saved whole (SaveStatement) or, when it is too long to hold,
// as its lines stream (SaveStatementLines); either way its lines and their
// outbox rows are written in one transaction.
//
// Two databases sit behind one implementation: SQLite (pure Go, the
// default: a file path) and PostgreSQL (pgx v5: a postgres:// URL). The SQL
// is written once, with ? placeholders, RETURNING, ON CONFLICT and CASE;
// the few differences (placeholders $n, SQLite's INDEXED BY hints, column
// types, unique-violation codes) are the dialect's (dialect.go), and each
// database has its own migrations. On SQLite the database/sql handle is
// shared with the River queue, which needs a single open connection, so
// every method that runs inside a transaction takes it as an argument
// instead of going back to the pool.
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
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// DB is Ferry's database (SQLite or PostgreSQL) and its artifact store.
type DB struct {
	// SQL is the database/sql handle: SQLite's single connection, or a
	// pool over Pool for PostgreSQL.
	SQL *sql.DB
	// Pool is the pgx pool of a PostgreSQL database (River's riverpgxv5
	// driver runs on it); nil for SQLite.
	Pool *pgxpool.Pool
	// Path is the SQLite file, or the PostgreSQL URL without its password.
	Path         string
	ArtifactsDir string
	now          func() time.Time
	dialect      dialect
	blobs        blobStore
	queries      sync.Map // query as written -> as the dialect runs it
}

// Queryer is what both *sql.DB and *sql.Tx offer.
type Queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// IsPostgres reports whether dsn names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens (creating if needed) the database dsn names, a SQLite file
// path or a postgres:// URL, with the artifact directory artifactsDir (for
// the on-disk artifact store; see ArtifactStore), and applies pending
// migrations. A new SQLite file is created 0600 and directories 0700; an
// existing one is checked (PRAGMA quick_check) and a damaged one refused
// with an error naming the file.
func Open(ctx context.Context, dsn, artifactsDir string, now func() time.Time) (*DB, error) {
	return OpenWith(ctx, Options{DSN: dsn, ArtifactsDir: artifactsDir, Now: now})
}

// Options say which database OpenWith opens and where artifacts go.
type Options struct {
	// DSN is a SQLite file path or a postgres:// URL.
	DSN string
	// ArtifactsDir is the on-disk artifact store (created 0700).
	ArtifactsDir string
	// ArtifactsInDatabase keeps artifact bytes in the database instead of
	// ArtifactsDir: for several machines sharing one PostgreSQL database
	// and no directory.
	ArtifactsInDatabase bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Existing opens only a SQLite database that exists, and creates no
	// file or directory: for commands that only read. A missing one is an
	// error wrapping ErrNoDatabase.
	Existing bool
}

// ErrNoDatabase reports that Options.Existing found no database file.
var ErrNoDatabase = errors.New("no Ferry database here yet")

// OpenWith is Open with every option.
func OpenWith(ctx context.Context, o Options) (*DB, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Existing && !IsPostgres(o.DSN) {
		if _, err := os.Stat(o.DSN); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("storage: %s: %w", o.DSN, ErrNoDatabase)
		}
	}
	if !o.ArtifactsInDatabase && !o.Existing {
		if o.ArtifactsDir == "" {
			return nil, fmt.Errorf("storage: no artifact directory given")
		}
		if err := os.MkdirAll(o.ArtifactsDir, 0o700); err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
	}
	var d *DB
	var err error
	if IsPostgres(o.DSN) {
		d, err = openPostgres(ctx, o.DSN)
	} else {
		d, err = openSQLite(ctx, o.DSN, !o.Existing)
	}
	if err != nil {
		return nil, err
	}
	d.ArtifactsDir, d.now = o.ArtifactsDir, o.Now
	d.blobs = diskBlobs{d}
	if o.ArtifactsInDatabase {
		d.blobs = dbBlobs{d}
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func openSQLite(ctx context.Context, path string, create bool) (*DB, error) {
	if create {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
		// Created 0600 before SQLite opens it: SQLite gives its -wal and
		// -shm files the database file's permissions.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
		f.Close()
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	// One connection: River's SQLite driver requires it, and SQLite has one
	// writer anyway. Code holding a transaction must pass it down.
	db.SetMaxOpenConns(1)
	if err := quickCheck(ctx, db, path); err != nil {
		db.Close()
		return nil, err
	}
	return &DB{SQL: db, Path: path, dialect: sqliteDialect}, nil
}

// quickCheck refuses a damaged SQLite file before anything writes to it.
func quickCheck(ctx context.Context, db *sql.DB, path string) error {
	rows, err := db.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return fmt.Errorf("storage: %s is not a readable SQLite database: %w", path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("storage: integrity check of %s: %w", path, err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: %s is damaged (%w); restore it from a backup", path, err)
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], fmt.Sprintf("and %d more", len(problems)-5))
		}
		return fmt.Errorf("storage: %s is damaged (PRAGMA quick_check: %s); restore it from a backup", path, strings.Join(problems, "; "))
	}
	return nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, fmt.Errorf("storage: the PostgreSQL URL does not parse")
	}
	name := fmt.Sprintf("postgres://%s@%s/%s", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database)
	if cfg.MaxConns < 16 {
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("storage: connect %s: %w", name, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("storage: connect %s: %w", name, err)
	}
	return &DB{SQL: stdlib.OpenDBFromPool(pool), Pool: pool, Path: name, dialect: postgresDialect}, nil
}

// Close closes the database.
func (d *DB) Close() error {
	err := d.SQL.Close()
	if d.Pool != nil {
		d.Pool.Close()
	}
	return err
}

// Postgres reports whether the database is PostgreSQL.
func (d *DB) Postgres() bool { return d.dialect == postgresDialect }

func (d *DB) migrate(ctx context.Context) error {
	dir := "migrations"
	if d.Postgres() {
		dir = "migrations/postgres"
	}
	err := d.tx(ctx, func(tx txer) error {
		if err := d.lockMigrations(ctx, tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS ferry_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: migrations table: %w", err)
	}
	files, _ := fs.Glob(migrations, dir+"/*.sql")
	sort.Strings(files)
	for _, f := range files {
		v, err := strconv.Atoi(strings.SplitN(filepath.Base(f), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("storage: migration %s: bad name", f)
		}
		body, _ := migrations.ReadFile(f)
		err = d.tx(ctx, func(tx txer) error {
			if err := d.lockMigrations(ctx, tx); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ferry_migrations WHERE version = ?`, v).Scan(&n); err != nil {
				return fmt.Errorf("storage: migration %s: %w", f, err)
			}
			if n > 0 {
				return nil
			}
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

// lockMigrations makes processes that open one PostgreSQL database at once
// migrate it one after the other (SQLite's immediate transactions already
// do).
func (d *DB) lockMigrations(ctx context.Context, tx txer) error {
	if !d.Postgres() {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7419260001)`); err != nil {
		return fmt.Errorf("storage: migration lock: %w", err)
	}
	return nil
}

// Tx runs fn in a transaction, committing if it returns nil. Queries fn
// runs on tx itself are sent as written (? placeholders work on SQLite
// only); DB methods given tx translate theirs.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return d.newTx(ctx, func(s *txState) error { return fn(s.tx) })
}

// withCtxErr adds ctx's error to err when ctx ended and err does not say
// so: database/sql reports a cancelled transaction's next query as
// "statement is closed" or "transaction has already been committed or
// rolled back", and the caller must still see context.Canceled.
func withCtxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%w)", err, cerr)
	}
	return err
}

// tx is Tx with the dialect's translation of every query fn runs; in the
// transaction ctx carries, if any.
func (d *DB) tx(ctx context.Context, fn func(tx txer) error) error {
	if s := d.ctxTx(ctx); s != nil {
		return fn(d.on(s.tx))
	}
	return d.Tx(ctx, func(tx *sql.Tx) error { return fn(d.on(tx)) })
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

// ExecSQL runs a statement written with ? placeholders, translated to the
// database's dialect, in the transaction ctx carries if any: for fixtures
// and repairs that no method covers.
func (d *DB) ExecSQL(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.conn(ctx).ExecContext(ctx, query, args...)
}
