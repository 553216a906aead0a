package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ferry-rpa/ferry"
)

// LineRecord is a statement line as delivered (ferry.LineRecord).
type LineRecord = ferry.LineRecord

// NewLineRecord renders a line for delivery (ferry.NewLineRecord).
func NewLineRecord(runID int64, key string, l ferry.StatementLine) LineRecord {
	return ferry.NewLineRecord(runID, key, l)
}

// SaveStatement stores a parsed statement in one transaction: the statement
// row, every line not stored before, and an outbox row per new line and
// sink. A line is stored before when a stored line has its dedup key, or,
// for databases written by the previous version, when a line stored under
// the old key is the same booking (see matchLegacy). Such duplicates are
// counted in the result and in the statement row; a stored line under the
// same key that is a different booking is ErrKeyCollision. A held
// statement (one that does not reconcile) stores only the statement row
// with its problem: nothing of it is delivered.
func (d *DB) SaveStatement(ctx context.Context, runID, artifactID int64, st ferry.Statement, sinks []string, problem string) (SaveResult, error) {
	var out SaveResult
	err := d.tx(ctx, func(tx txer) error {
		if err := d.lockOn(ctx, tx, lockAccount, accountKey(st.Account)); err != nil {
			return fmt.Errorf("storage: save statement %s: %w", st.Account, err)
		}
		var err error
		if out.StatementID, err = insertStatement(ctx, tx, runID, artifactID, st, len(st.Lines), problem); err != nil {
			return err
		}
		if problem != "" {
			return nil
		}
		// Errors name the downloaded file, the account and the line.
		file := func() string { return fileLabel(ctx, tx, artifactID, st.Account) }
		where := func(i int) string { return fmt.Sprintf("%s line %d", file(), i+1) }
		if err := st.CheckTransactionIDs(); err != nil {
			return ferry.Errorf(ferry.ClassValidationFailed, file(), "%w: %w", ErrKeyCollision, err)
		}
		keys := st.DedupKeys()
		stored := make([]bool, len(st.Lines))
		finder, err := newLineFinder(ctx, tx)
		if err != nil {
			return err
		}
		defer finder.Close()
		for i, l := range st.Lines {
			row, ok, err := finder.find(ctx, keys[i])
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := sameBooking(row, keys[i], l, where(i)); err != nil {
				return err
			}
			stored[i] = true
			out.Duplicates++
		}
		if err := matchLegacy(ctx, tx, st, keys, stored, &out, where); err != nil {
			return err
		}
		w, err := d.newLineWriter(ctx, tx, runID, out.StatementID, sinks)
		if err != nil {
			return err
		}
		defer w.Close()
		for i, l := range st.Lines {
			if stored[i] {
				continue
			}
			if err := w.write(ctx, keys[i], l, &out, func() string { return where(i) }); err != nil {
				return err
			}
		}
		return setCounts(ctx, tx, out)
	})
	return out, err
}

// insertStatement writes a statement's row. A statement that states no
// balances stores none (not an invented 0), apart from a closing balance
// it states alone.
func insertStatement(ctx context.Context, tx txer, runID, artifactID int64, st ferry.Statement, lines int, problem string) (int64, error) {
	status := "accepted"
	if problem != "" {
		status = "held"
	}
	opening, closing := st.Opening.String(), st.Closing.String()
	if st.NoBalances {
		opening, closing = "", ""
		for _, b := range st.Balances {
			if b.Type == "closing" {
				closing = b.Amount.String()
			}
		}
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO statements (run_id, artifact_id, account, currency, period_from, period_to, opening, closing, line_count, new_lines, status, problem) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING id`,
		runID, artifactID, st.Account, st.Currency, st.From.String(), st.To.String(), opening, closing, lines, status, problem).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("storage: save statement %s: %w", st.Account, err)
	}
	return id, nil
}

// setCounts records in the statement's row what its save found.
func setCounts(ctx context.Context, tx txer, out SaveResult) error {
	if _, err := tx.ExecContext(ctx, `UPDATE statements SET new_lines = ?, duplicate_lines = ?, legacy_lines = ? WHERE id = ?`, out.NewLines, out.Duplicates, out.Legacy, out.StatementID); err != nil {
		return fmt.Errorf("storage: statement %d: counts: %w", out.StatementID, err)
	}
	return nil
}

// fileLabel names a statement's downloaded file and account, for errors.
func fileLabel(ctx context.Context, tx txer, artifactID int64, account string) string {
	var name string
	_ = tx.QueryRowContext(ctx, `SELECT name FROM artifacts WHERE id = ?`, artifactID).Scan(&name)
	return fmt.Sprintf("%s: account %s", name, account)
}

// sameBooking returns ErrKeyCollision when the line stored under key is
// another booking than l.
func sameBooking(row storedLine, key string, l ferry.StatementLine, where string) error {
	if c := row.line.DedupConflict(l); c != "" {
		return ferry.Errorf(ferry.ClassValidationFailed, where, "%w: key %s is stored for %s, this line is %s (the %s differs); a bank id (%q) that is not unique?",
			ErrKeyCollision, key, describeLine(row.line), describeLine(l), c, l.TransactionID)
	}
	return nil
}

// lineWriter inserts new lines and their outbox rows, with statements
// prepared once per save.
type lineWriter struct {
	runID, statementID int64
	sinks              []string
	now                string
	line, outbox       *sql.Stmt
}

func (d *DB) newLineWriter(ctx context.Context, tx txer, runID, statementID int64, sinks []string) (*lineWriter, error) {
	w := &lineWriter{runID: runID, statementID: statementID, sinks: sinks, now: d.ts(d.now())}
	var err error
	// A plain INSERT: every stored key was looked up first, in this
	// transaction, so a conflict here is a bug to report, not a duplicate
	// to drop.
	if w.line, err = tx.PrepareContext(ctx, `INSERT INTO statement_lines (dedup_key, statement_id, run_id, account, booking_date, value_date, amount, currency, counterparty, description, reference, transaction_id, balance_after, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`); err != nil {
		return nil, fmt.Errorf("storage: prepare line insert: %w", err)
	}
	if w.outbox, err = tx.PrepareContext(ctx, `INSERT INTO outbox (sink, dedup_key, payload, status, next_attempt_at) VALUES (?, ?, ?, 'pending', ?) ON CONFLICT (sink, dedup_key) DO NOTHING`); err != nil {
		w.line.Close()
		return nil, fmt.Errorf("storage: prepare outbox insert: %w", err)
	}
	return w, nil
}

// Close releases the prepared statements.
func (w *lineWriter) Close() {
	w.line.Close()
	w.outbox.Close()
}

// write stores l under key with an outbox row per sink, and counts it.
// where names the line for errors; it is called only on one.
func (w *lineWriter) write(ctx context.Context, key string, l ferry.StatementLine, out *SaveResult, where func() string) error {
	if _, err := w.line.ExecContext(ctx,
		key, w.statementID, w.runID, l.Account, l.BookingDate.String(), l.ValueDate.String(), l.Amount.String(), l.Currency,
		l.Counterparty, l.Description, l.Reference, l.TransactionID, l.BalanceAfter.String(), w.now); err != nil {
		return fmt.Errorf("storage: %s: save line %s: %w", where(), key, err)
	}
	out.NewLines++
	payload, err := json.Marshal(NewLineRecord(w.runID, key, l))
	if err != nil {
		return fmt.Errorf("storage: %s: line %s: %w", where(), key, err)
	}
	for _, sink := range w.sinks {
		res, err := w.outbox.ExecContext(ctx, sink, key, string(payload), w.now)
		if err != nil {
			return fmt.Errorf("storage: %s: outbox: %w", where(), err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			out.Queued++
		}
	}
	return nil
}

// Statements lists a run's statements.
func (d *DB) Statements(ctx context.Context, runID int64) ([]StatementRow, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT id, run_id, artifact_id, account, currency, period_from, period_to, opening, closing, line_count, new_lines, duplicate_lines, legacy_lines, status, problem FROM statements WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StatementRow
	for rows.Next() {
		var s StatementRow
		if err := rows.Scan(&s.ID, &s.RunID, &s.ArtifactID, &s.Account, &s.Currency, &s.From, &s.To, &s.Opening, &s.Closing, &s.Lines, &s.NewLines, &s.Duplicates, &s.Legacy, &s.Status, &s.Problem); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// CountLines returns how many distinct statement lines are stored.
func (d *DB) CountLines(ctx context.Context) (int, error) {
	var n int
	err := d.conn(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM statement_lines`).Scan(&n)
	return n, err
}

// OutboxItem is one record waiting for (or done with) a sink.
type OutboxItem = ferry.OutboxItem

// PendingOutbox lists up to limit items of sink due for delivery at now,
// claimed or not: for inspection. Deliverers claim items instead (Claim).
func (d *DB) PendingOutbox(ctx context.Context, sink string, limit int, now time.Time) ([]OutboxItem, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT id, sink, dedup_key, payload, attempts FROM outbox WHERE sink = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?`,
		sink, d.ts(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var it OutboxItem
		var p string
		if err := rows.Scan(&it.ID, &it.Sink, &it.DedupKey, &p, &it.Attempts); err != nil {
			return nil, err
		}
		it.Payload = []byte(p)
		out = append(out, it)
	}
	return out, rows.Err()
}

// OutboxCounts returns how many items are pending, delivered and parked.
func (d *DB) OutboxCounts(ctx context.Context) (map[string]int, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT status, COUNT(*) FROM outbox GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{"pending": 0, "delivered": 0, "parked": 0}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}
