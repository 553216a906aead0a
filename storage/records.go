package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ferry-rpa/ferry"
)

// ArtifactPath is where the file with this SHA-256 lives.
func (d *DB) ArtifactPath(sha string) string {
	return filepath.Join(d.ArtifactsDir, sha[:2], sha)
}

// PutArtifact writes data once under its SHA-256 (atomically: a temporary
// file renamed into place) and records it for the run.
func (d *DB) PutArtifact(ctx context.Context, a ferry.Artifact, data []byte) (ferry.Artifact, error) {
	a.SHA256 = ferry.SHA256Hex(data)
	a.Size = int64(len(data))
	if a.Captured.IsZero() {
		a.Captured = d.now()
	}
	p := d.ArtifactPath(a.SHA256)
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return a, fmt.Errorf("storage: artifact dir: %w", err)
		}
		tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
		if err != nil {
			return a, fmt.Errorf("storage: artifact: %w", err)
		}
		_, werr := tmp.Write(data)
		serr := tmp.Sync()
		cerr := tmp.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			os.Remove(tmp.Name())
			return a, fmt.Errorf("storage: write artifact: %w", err)
		}
		if err := os.Rename(tmp.Name(), p); err != nil {
			os.Remove(tmp.Name())
			return a, fmt.Errorf("storage: artifact: %w", err)
		}
	}
	res, err := d.SQL.ExecContext(ctx, `INSERT INTO artifacts (run_id, kind, name, sha256, size, mime, account, format, captured_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.RunID, a.Kind, a.Name, a.SHA256, a.Size, a.MIME, a.Account, a.Format, d.ts(a.Captured))
	if err != nil {
		return a, fmt.Errorf("storage: record artifact: %w", err)
	}
	a.ID, _ = res.LastInsertId()
	return a, nil
}

// Artifacts lists a run's artifacts.
func (d *DB) Artifacts(ctx context.Context, runID int64) ([]ferry.Artifact, error) {
	rows, err := d.SQL.QueryContext(ctx, `SELECT id, run_id, kind, name, sha256, size, mime, account, format, captured_at FROM artifacts WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ferry.Artifact
	for rows.Next() {
		var a ferry.Artifact
		var captured string
		if err := rows.Scan(&a.ID, &a.RunID, &a.Kind, &a.Name, &a.SHA256, &a.Size, &a.MIME, &a.Account, &a.Format, &captured); err != nil {
			return nil, err
		}
		a.Captured = parseTS(captured)
		out = append(out, a)
	}
	return out, rows.Err()
}

// LineRecord is the JSON form of a statement line handed to sinks.
type LineRecord struct {
	Type         string `json:"type"`
	DedupKey     string `json:"dedup_key"`
	Account      string `json:"account"`
	BookingDate  string `json:"booking_date"`
	ValueDate    string `json:"value_date"`
	Amount       string `json:"amount"`
	Currency     string `json:"currency"`
	Counterparty string `json:"counterparty"`
	Description  string `json:"description"`
	Reference    string `json:"reference"`
	// TransactionID is the bank's own id of the transaction, where the
	// file carries one.
	TransactionID string `json:"transaction_id,omitempty"`
	BalanceAfter  string `json:"balance_after"`
	RunID         int64  `json:"run_id"`
}

// NewLineRecord renders a line for delivery, with its dedup key (from
// Statement.DedupKeys). Amounts keep two decimals.
func NewLineRecord(runID int64, key string, l ferry.StatementLine) LineRecord {
	return LineRecord{Type: "statement_line", DedupKey: key, Account: l.Account,
		BookingDate: l.BookingDate.String(), ValueDate: l.ValueDate.String(), Amount: l.Amount.StringFixed(2),
		Currency: l.Currency, Counterparty: l.Counterparty, Description: l.Description, Reference: l.Reference,
		TransactionID: l.TransactionID, BalanceAfter: l.BalanceAfter.StringFixed(2), RunID: runID}
}

// SaveResult says what SaveStatement stored. Every line of an accepted
// statement is either new or a duplicate: NewLines + Duplicates is the
// statement's line count.
type SaveResult struct {
	StatementID int64
	NewLines    int // lines stored for the first time
	// Duplicates are lines stored before, by an earlier save or by the
	// previous version: not stored or queued again.
	Duplicates int
	// Legacy counts the Duplicates this save found among the lines a
	// database written by the previous version holds (under its dedup
	// keys, ferry.StatementLine.LegacyDedupKey); later saves find them
	// under their current key.
	Legacy int
	// LegacyByAmount counts the Legacy lines matched on account, booking
	// date, amount and currency alone, because their texts and references
	// changed between versions (a text encoding read right at last, say).
	LegacyByAmount int
	Queued         int // outbox rows written
}

// ErrKeyCollision reports two different transactions under one dedup key:
// a stored line and a new one that disagree on account, booking date,
// amount or currency. Usually a bank id (TransactionID) that is not unique
// after all. Nothing of the statement is stored.
var ErrKeyCollision = errors.New("two different transactions share a dedup key")

// ErrLegacyAmbiguous reports lines that a database written by the previous
// version may hold, where Ferry cannot tell which of them it holds: fewer
// stored lines than new ones of one account, day and amount, whose texts
// changed between versions. Nothing of the statement is stored; a person
// decides.
var ErrLegacyAmbiguous = errors.New("cannot tell which lines the previous version stored")

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
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		status := "accepted"
		if problem != "" {
			status = "held"
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO statements (run_id, artifact_id, account, currency, period_from, period_to, opening, closing, line_count, new_lines, status, problem) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
			runID, artifactID, st.Account, st.Currency, st.From.String(), st.To.String(), st.Opening.String(), st.Closing.String(), len(st.Lines), status, problem)
		if err != nil {
			return fmt.Errorf("storage: save statement %s: %w", st.Account, err)
		}
		out.StatementID, _ = res.LastInsertId()
		if problem != "" {
			return nil
		}
		// Errors name the downloaded file, the account and the line.
		file := func() string {
			var name string
			_ = tx.QueryRowContext(ctx, `SELECT name FROM artifacts WHERE id = ?`, artifactID).Scan(&name)
			return fmt.Sprintf("%s: account %s", name, st.Account)
		}
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
			if c := row.line.DedupConflict(l); c != "" {
				return ferry.Errorf(ferry.ClassValidationFailed, where(i), "%w: key %s is stored for %s, this line is %s (the %s differs); a bank id (%q) that is not unique?",
					ErrKeyCollision, keys[i], describeLine(row.line), describeLine(l), c, l.TransactionID)
			}
			stored[i] = true
			out.Duplicates++
		}
		if err := matchLegacy(ctx, tx, st, keys, stored, &out, where); err != nil {
			return err
		}
		now := d.ts(d.now())
		// A plain INSERT: every stored key was looked up above, in this
		// transaction, so a conflict here is a bug to report, not a
		// duplicate to drop.
		insertLine, err := tx.PrepareContext(ctx, `INSERT INTO statement_lines (dedup_key, statement_id, run_id, account, booking_date, value_date, amount, currency, counterparty, description, reference, transaction_id, balance_after, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("storage: prepare line insert: %w", err)
		}
		defer insertLine.Close()
		insertOutbox, err := tx.PrepareContext(ctx, `INSERT INTO outbox (sink, dedup_key, payload, status, next_attempt_at) VALUES (?, ?, ?, 'pending', ?) ON CONFLICT (sink, dedup_key) DO NOTHING`)
		if err != nil {
			return fmt.Errorf("storage: prepare outbox insert: %w", err)
		}
		defer insertOutbox.Close()
		for i, l := range st.Lines {
			if stored[i] {
				continue
			}
			key := keys[i]
			if _, err := insertLine.ExecContext(ctx,
				key, out.StatementID, runID, l.Account, l.BookingDate.String(), l.ValueDate.String(), l.Amount.String(), l.Currency,
				l.Counterparty, l.Description, l.Reference, l.TransactionID, l.BalanceAfter.String(), now); err != nil {
				return fmt.Errorf("storage: %s: save line %s: %w", where(i), key, err)
			}
			out.NewLines++
			payload, _ := json.Marshal(NewLineRecord(runID, key, l))
			for _, sink := range sinks {
				res, err := insertOutbox.ExecContext(ctx, sink, key, string(payload), now)
				if err != nil {
					return fmt.Errorf("storage: outbox: %w", err)
				}
				if n, _ := res.RowsAffected(); n > 0 {
					out.Queued++
				}
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE statements SET new_lines = ?, duplicate_lines = ?, legacy_lines = ? WHERE id = ?`, out.NewLines, out.Duplicates, out.Legacy, out.StatementID)
		return err
	})
	return out, err
}

// StatementRow is a stored statement.
type StatementRow struct {
	ID, RunID, ArtifactID int64
	Account, Currency     string
	From, To              string
	Opening, Closing      string
	Lines, NewLines       int
	// Duplicates are lines the save found stored before; Legacy those of
	// them found among the previous version's lines.
	Duplicates, Legacy int
	Status, Problem    string
}

// Statements lists a run's statements.
func (d *DB) Statements(ctx context.Context, runID int64) ([]StatementRow, error) {
	rows, err := d.SQL.QueryContext(ctx, `SELECT id, run_id, artifact_id, account, currency, period_from, period_to, opening, closing, line_count, new_lines, duplicate_lines, legacy_lines, status, problem FROM statements WHERE run_id = ? ORDER BY id`, runID)
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
	err := d.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM statement_lines`).Scan(&n)
	return n, err
}

// OutboxItem is one record waiting for (or done with) a sink.
type OutboxItem struct {
	ID       int64
	Sink     string
	DedupKey string
	Payload  []byte
	Attempts int
}

// PendingOutbox returns up to limit items of sink due for delivery at now.
func (d *DB) PendingOutbox(ctx context.Context, sink string, limit int, now time.Time) ([]OutboxItem, error) {
	rows, err := d.SQL.QueryContext(ctx, `SELECT id, sink, dedup_key, payload, attempts FROM outbox WHERE sink = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?`,
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

// MarkDelivered records that the sink acknowledged the items.
func (d *DB) MarkDelivered(ctx context.Context, ids []int64) error {
	return d.Tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = '' WHERE id = ?`, d.ts(d.now()), id); err != nil {
				return err
			}
		}
		return nil
	})
}

// MarkFailed schedules a retry, or parks the item when park is set (the
// sink rejected it: retrying cannot help until a person looks).
func (d *DB) MarkFailed(ctx context.Context, id int64, errText string, retryAt time.Time, park bool) error {
	status := "pending"
	if park {
		status = "parked"
	}
	_, err := d.SQL.ExecContext(ctx, `UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?`,
		status, errText, d.ts(retryAt), id)
	return err
}

// OutboxCounts returns how many items are pending, delivered and parked.
func (d *DB) OutboxCounts(ctx context.Context) (map[string]int, error) {
	rows, err := d.SQL.QueryContext(ctx, `SELECT status, COUNT(*) FROM outbox GROUP BY status`)
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
