package storage

// What differs between SQLite and PostgreSQL, kept to the few places that
// differ: queries are written once, with ? placeholders, and translated
// (and cached) per database.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
)

// txer is what internal code runs queries on: *sql.DB or *sql.Tx behind
// the dialect's translation.
type txer interface {
	Queryer
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// indexedBy is SQLite's index hint, which PostgreSQL does not have (its
// planner needs none here).
var indexedBy = regexp.MustCompile(`\s+INDEXED BY\s+\w+`)

// translate returns query as the database runs it: for PostgreSQL the ?
// placeholders numbered $1, $2 ... (outside quoted text) and SQLite's
// index hints dropped.
func (d *DB) translate(query string) string {
	if d.dialect != postgresDialect {
		return query
	}
	if q, ok := d.queries.Load(query); ok {
		return q.(string)
	}
	q := indexedBy.ReplaceAllString(query, "")
	var b strings.Builder
	n := 0
	quoted := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	d.queries.Store(query, out)
	return out
}

// on returns q with the dialect's translation of every query.
func (d *DB) on(q Queryer) txer { return rebound{d: d, q: q} }

type rebound struct {
	d *DB
	q Queryer
}

func (r rebound) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return r.q.ExecContext(ctx, r.d.translate(query), args...)
}

func (r rebound) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.q.QueryContext(ctx, r.d.translate(query), args...)
}

func (r rebound) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.q.QueryRowContext(ctx, r.d.translate(query), args...)
}

func (r rebound) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	p, ok := r.q.(interface {
		PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	})
	if !ok {
		return nil, errors.New("storage: this handle cannot prepare statements")
	}
	return p.PrepareContext(ctx, r.d.translate(query))
}

// isUniqueViolation reports a UNIQUE or PRIMARY KEY constraint failure:
// SQLSTATE 23505 on PostgreSQL, extended result code
// SQLITE_CONSTRAINT_UNIQUE (2067) or _PRIMARYKEY (1555) on SQLite.
func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		c := lite.Code()
		return c == 2067 || c == 1555
	}
	return false
}

// Advisory lock spaces: what a transaction-scoped lock (lockOn) is taken
// on.
const (
	lockLogin        = 741926 // a site, or a login without one (BeginRun)
	lockSelectorSite = 741927 // a site's selector versions
	lockAccount      = 741928 // an account's statement lines (saves)
	lockHeal         = 741929 // a site's element's heal proposals
)

// accountKey is an account number as saves of its statements lock it:
// without spaces, in upper case, as banks print it either way.
func accountKey(account string) string {
	return strings.ToUpper(strings.Join(strings.Fields(account), ""))
}

// lockOn takes, on PostgreSQL, a transaction-scoped advisory lock on the
// key parts in space, held until tx ends: concurrent transactions that
// check then write the same thing take turns. SQLite needs none: its
// IMMEDIATE transactions already run one at a time.
func (d *DB) lockOn(ctx context.Context, tx txer, space int64, parts ...string) error {
	if !d.Postgres() {
		return nil
	}
	// Each part with its length, so that no two lists give one text.
	var key strings.Builder
	for _, p := range parts {
		key.WriteString(strconv.Itoa(len(p)) + ":" + p)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, ?))`, key.String(), space); err != nil {
		return fmt.Errorf("lock %v: %w", parts, err)
	}
	return nil
}

// inIDs is a condition "id IN ids" with its arguments: one array argument
// on PostgreSQL (one plan whatever the count), a placeholder per id on
// SQLite.
func (d *DB) inIDs(ids []int64) (string, []any) {
	if d.Postgres() {
		return "= ANY(?)", []any{ids}
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "IN (?" + strings.Repeat(", ?", len(ids)-1) + ")", args
}
