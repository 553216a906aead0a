package storage

import (
	"context"
	"database/sql"
	"fmt"
)

// txKey is the context key of the transaction InTx runs its function in.
type txKey struct{}

// txState is a transaction InTx began: the *sql.Tx Ferry's queries run on
// and, on PostgreSQL, the connection it holds (River's pgx driver inserts
// jobs on that connection, inside the same transaction).
type txState struct {
	d    *DB
	tx   *sql.Tx
	conn *sql.Conn // PostgreSQL only
}

// ctxTx returns the transaction of d that ctx carries, if any.
func (d *DB) ctxTx(ctx context.Context) *txState {
	if s, ok := ctx.Value(txKey{}).(*txState); ok && s.d == d {
		return s
	}
	return nil
}

// conn is where a method given ctx runs its queries: the transaction ctx
// carries, else the database.
func (d *DB) conn(ctx context.Context) txer {
	if s := d.ctxTx(ctx); s != nil {
		return d.on(s.tx)
	}
	return d.on(d.SQL)
}

// queryer is q with the dialect's translation, or conn(ctx) when q is nil.
func (d *DB) queryer(ctx context.Context, q Queryer) txer {
	if q == nil {
		return d.conn(ctx)
	}
	return d.on(q)
}

// InTx runs fn in a transaction and commits it when fn returns nil (see
// ferry.Transactor). Every DB method, and Queue.Insert, given fn's context
// runs in that transaction. A context that carries one of d's
// transactions already makes fn join it.
func (d *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if d.ctxTx(ctx) != nil {
		return fn(ctx)
	}
	return d.newTx(ctx, func(s *txState) error { return fn(context.WithValue(ctx, txKey{}, s)) })
}

// newTx begins a transaction (on PostgreSQL on a connection of its own),
// runs fn in it and commits when fn returns nil. It is rolled back on
// every other way out, a panic in fn too: on SQLite the transaction holds
// the only connection, and whoever recovers the panic needs it to record
// the failure. An error of a transaction whose context ended says so.
func (d *DB) newTx(ctx context.Context, fn func(s *txState) error) (err error) {
	s := &txState{d: d}
	if d.Postgres() {
		if s.conn, err = d.SQL.Conn(ctx); err != nil {
			return fmt.Errorf("storage: begin: %w", err)
		}
		defer s.conn.Close()
		s.tx, err = s.conn.BeginTx(ctx, nil)
	} else {
		s.tx, err = d.SQL.BeginTx(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = s.tx.Rollback()
		}
	}()
	if err := fn(s); err != nil {
		return withCtxErr(ctx, err)
	}
	if err := s.tx.Commit(); err != nil {
		return withCtxErr(ctx, fmt.Errorf("storage: commit: %w", err))
	}
	committed = true
	return nil
}
