package storage

// River on the database's own driver, behind one type: riversqlite on
// SQLite's single connection, riverpgxv5 on PostgreSQL's pool. The runner
// builds its river.Config (workers, queues, periodic jobs, error handler)
// and gets a Queue; it never names a driver or a transaction type. Jobs
// inserted with the context DB.InTx gives commit and roll back with the
// rows Ferry writes in that transaction.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/ferry-rpa/ferry/internal/jobqueue"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// MigrateRiver applies River's own migrations (its job, leader and queue
// tables) to the database.
func (d *DB) MigrateRiver(ctx context.Context) error {
	var err error
	if d.Postgres() {
		// Several processes starting at once on a fresh database would
		// each apply River's migrations and collide on the functions they
		// create: one at a time, under a session lock held on a connection
		// of its own while the migrator uses the pool.
		conn, aerr := d.Pool.Acquire(ctx)
		if aerr != nil {
			return fmt.Errorf("storage: river migrations on %s: %w", d.Path, aerr)
		}
		defer conn.Release()
		if _, aerr := conn.Exec(ctx, `SELECT pg_advisory_lock(7419260002)`); aerr != nil {
			return fmt.Errorf("storage: river migrations on %s: lock: %w", d.Path, aerr)
		}
		defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7419260002)`)
		var m *rivermigrate.Migrator[pgx.Tx]
		if m, err = rivermigrate.New(riverpgxv5.New(d.Pool), nil); err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	} else {
		var m *rivermigrate.Migrator[*sql.Tx]
		if m, err = rivermigrate.New(riversqlite.New(d.SQL), nil); err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	}
	if err != nil {
		return fmt.Errorf("storage: river migrations on %s: %w", d.Path, err)
	}
	return nil
}

// Queue is a River client over the database's driver.
type Queue struct {
	d    *DB
	lite *river.Client[*sql.Tx]
	pg   *river.Client[pgx.Tx]
}

// NewQueue returns a River client configured by cfg on d's driver. A cfg
// without Queues gives a client that only inserts.
func (d *DB) NewQueue(cfg *river.Config) (jobqueue.Queue, error) {
	q := &Queue{d: d}
	var err error
	if d.Postgres() {
		q.pg, err = river.NewClient(riverpgxv5.New(d.Pool), cfg)
	} else {
		q.lite, err = river.NewClient(riversqlite.New(d.SQL), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: river client: %w", err)
	}
	return q, nil
}

// Start starts working jobs (see river.Client.Start).
func (q *Queue) Start(ctx context.Context) error {
	if q.pg != nil {
		return q.pg.Start(ctx)
	}
	return q.lite.Start(ctx)
}

// Stop stops fetching jobs and waits for those running to finish, or for
// ctx (see river.Client.Stop).
func (q *Queue) Stop(ctx context.Context) error {
	if q.pg != nil {
		return q.pg.Stop(ctx)
	}
	return q.lite.Stop(ctx)
}

// StopAndCancel cancels running jobs' contexts and waits for them (see
// river.Client.StopAndCancel).
func (q *Queue) StopAndCancel(ctx context.Context) error {
	if q.pg != nil {
		return q.pg.StopAndCancel(ctx)
	}
	return q.lite.StopAndCancel(ctx)
}

// Stopped is closed when the client has stopped.
func (q *Queue) Stopped() <-chan struct{} {
	if q.pg != nil {
		return q.pg.Stopped()
	}
	return q.lite.Stopped()
}

// Subscribe returns job events of the given kinds and a function that
// ends the subscription (see river.Client.Subscribe).
func (q *Queue) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	if q.pg != nil {
		return q.pg.Subscribe(kinds...)
	}
	return q.lite.Subscribe(kinds...)
}

// PeriodicJobs is the client's periodic job bundle.
func (q *Queue) PeriodicJobs() *river.PeriodicJobBundle {
	if q.pg != nil {
		return q.pg.PeriodicJobs()
	}
	return q.lite.PeriodicJobs()
}

// JobGet returns a job; an unknown id is river.ErrNotFound.
func (q *Queue) JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	if q.pg != nil {
		return q.pg.JobGet(ctx, id)
	}
	return q.lite.JobGet(ctx, id)
}

// JobRetry makes a job available to run now (see river.Client.JobRetry).
func (q *Queue) JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	if q.pg != nil {
		return q.pg.JobRetry(ctx, id)
	}
	return q.lite.JobRetry(ctx, id)
}

// JobCancel cancels a job (see river.Client.JobCancel).
func (q *Queue) JobCancel(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	if q.pg != nil {
		return q.pg.JobCancel(ctx, id)
	}
	return q.lite.JobCancel(ctx, id)
}

// Insert inserts a job: in the transaction ctx carries (from DB.InTx), so
// that it commits or rolls back with the rows written there, else on its
// own. Errors wrap River's.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	s := q.d.ctxTx(ctx)
	var res *rivertype.JobInsertResult
	var err error
	switch {
	case s == nil && q.pg != nil:
		res, err = q.pg.Insert(ctx, args, opts)
	case s == nil:
		res, err = q.lite.Insert(ctx, args, opts)
	case q.pg != nil:
		// River's pgx driver takes a pgx.Tx: the transaction's own
		// connection, in the transaction database/sql began on it.
		err = s.conn.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("the connection is a %T, not pgx's", dc)
			}
			var ierr error
			res, ierr = q.pg.InsertTx(ctx, &connTx{conn: c.Conn()}, args, opts)
			return ierr
		})
	default:
		res, err = q.lite.InsertTx(ctx, s.tx, args, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: insert %s job: %w", args.Kind(), err)
	}
	return res, nil
}

// errOwnedTx reports an attempt to end, through River, a transaction that
// DB.InTx owns.
var errOwnedTx = errors.New("storage: the transaction belongs to DB.InTx, which commits or rolls it back")

// connTx is a pgx.Tx over a connection already in a transaction that
// database/sql began (DB.InTx): statements run in it; nested transactions
// are savepoints; committing or rolling back is InTx's alone.
type connTx struct {
	conn  *pgx.Conn
	depth int // savepoint depth: 0 for the transaction itself
}

func (t *connTx) Begin(ctx context.Context) (pgx.Tx, error) {
	n := t.depth + 1
	if _, err := t.conn.Exec(ctx, "SAVEPOINT sp_"+strconv.Itoa(n)); err != nil {
		return nil, err
	}
	return &connTx{conn: t.conn, depth: n}, nil
}

func (t *connTx) Commit(ctx context.Context) error {
	if t.depth == 0 {
		return errOwnedTx
	}
	_, err := t.conn.Exec(ctx, "RELEASE SAVEPOINT sp_"+strconv.Itoa(t.depth))
	return err
}

func (t *connTx) Rollback(ctx context.Context) error {
	if t.depth == 0 {
		return errOwnedTx
	}
	_, err := t.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT sp_"+strconv.Itoa(t.depth))
	return err
}

func (t *connTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	return t.conn.CopyFrom(ctx, table, cols, src)
}

func (t *connTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return t.conn.SendBatch(ctx, b)
}

func (t *connTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }

func (t *connTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return t.conn.Prepare(ctx, name, sql)
}

func (t *connTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.conn.Exec(ctx, sql, args...)
}

func (t *connTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.conn.Query(ctx, sql, args...)
}

func (t *connTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return t.conn.QueryRow(ctx, sql, args...)
}

func (t *connTx) Conn() *pgx.Conn { return t.conn }
