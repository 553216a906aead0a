package storage

// Saving a statement whose lines are too many to hold in memory: they are
// looked up, stored and queued one at a time, in one transaction.

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ferry-rpa/ferry"
)

// SaveStatementLines is SaveStatement for a statement read as a stream:
// st is its header (account, currency, period, balances; st.Lines must be
// empty) and lines yields its lines. In one transaction it stores the
// statement row, every line not stored before and an outbox row per new
// line and sink, as the lines come, so that memory does not grow with the
// statement; nothing is stored when lines, ctx or a line fails.
//
// The dedup semantics are SaveStatement's: keys from one ferry.LineKeyer,
// a line found under its key is a counted duplicate, a stored line under
// the key that is another booking is ErrKeyCollision, and so is one bank id
// (TransactionID) on two different bookings of the statement (wrapping
// ferry.ErrTransactionIDReused). Lines a database written by the previous
// version holds are matched by SaveStatement alone: when a line not found
// under its key may be one of them, SaveStatementLines stops, stores
// nothing and returns ErrLegacyPending. A held statement is stored with
// HoldStatement.
//
// lines runs inside the transaction, which holds the database's only
// connection: it must not use the database itself.
func (d *DB) SaveStatementLines(ctx context.Context, runID, artifactID int64, st ferry.Statement, lines StatementLines, sinks []string) (SaveResult, error) {
	var out SaveResult
	if len(st.Lines) > 0 {
		return out, fmt.Errorf("storage: save statement %s: the header holds %d lines; SaveStatementLines takes them from lines", st.Account, len(st.Lines))
	}
	err := d.tx(ctx, func(tx txer) error {
		if err := d.lockOn(ctx, tx, lockAccount, accountKey(st.Account)); err != nil {
			return fmt.Errorf("storage: save statement %s: %w", st.Account, err)
		}
		var err error
		if out.StatementID, err = insertStatement(ctx, tx, runID, artifactID, st, 0, ""); err != nil {
			return err
		}
		file := fileLabel(ctx, tx, artifactID, st.Account)
		finder, err := newLineFinder(ctx, tx)
		if err != nil {
			return err
		}
		defer finder.Close()
		legacy, err := newLegacyProbe(ctx, tx)
		if err != nil {
			return err
		}
		defer legacy.Close()
		w, err := d.newLineWriter(ctx, tx, runID, out.StatementID, sinks)
		if err != nil {
			return err
		}
		defer w.Close()
		var keyer ferry.LineKeyer
		n := 0
		err = lines(func(l ferry.StatementLine) error {
			n++
			num := n
			where := func() string { return fmt.Sprintf("%s line %d", file, num) }
			key := keyer.Key(l)
			// One bank id on two bookings: the statement's first line with
			// this id is stored (or was found stored) under rank 0.
			if ferry.NormalizeReference(l.TransactionID) != "" {
				if first := l.DedupKey(0); first != key {
					row, ok, err := finder.find(ctx, first)
					if err != nil {
						return err
					}
					// Not found only when LineKeyer ranked this line as a
					// repeat of another identity that shares its short hash.
					if ok {
						if c := row.line.DedupConflict(l); c != "" {
							return ferry.Errorf(ferry.ClassValidationFailed, where(), "%w: %w: this line carries %q, which an earlier line of the statement gives to %s (the %s differs)",
								ErrKeyCollision, ferry.ErrTransactionIDReused, l.TransactionID, describeLine(row.line), c)
						}
					}
				}
			}
			row, ok, err := finder.find(ctx, key)
			if err != nil {
				return err
			}
			if ok {
				if err := sameBooking(row, key, l, where()); err != nil {
					return err
				}
				out.Duplicates++
				return nil
			}
			if legacy != nil {
				may, err := legacy.mayBe(ctx, l)
				if err != nil {
					return fmt.Errorf("storage: %s: %w", where(), err)
				}
				if may {
					return fmt.Errorf("storage: %s: %w", where(), ErrLegacyPending)
				}
			}
			return w.write(ctx, key, l, &out, where)
		})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE statements SET line_count = ? WHERE id = ?`, n, out.StatementID); err != nil {
			return fmt.Errorf("storage: statement %d: line count: %w", out.StatementID, err)
		}
		return setCounts(ctx, tx, out)
	})
	if err != nil {
		return SaveResult{}, err
	}
	return out, nil
}

// HoldStatement stores a statement that is held back (it does not
// reconcile, its formats disagree ...): its row, with lines as its line
// count and the problem, and none of its lines. Nothing of it is
// delivered.
func (d *DB) HoldStatement(ctx context.Context, runID, artifactID int64, st ferry.Statement, lines int, problem string) (SaveResult, error) {
	var out SaveResult
	if problem == "" {
		return out, fmt.Errorf("storage: hold statement %s: no problem given", st.Account)
	}
	err := d.tx(ctx, func(tx txer) error {
		var err error
		out.StatementID, err = insertStatement(ctx, tx, runID, artifactID, st, lines, problem)
		return err
	})
	return out, err
}

// legacyProbe tells whether a line may be one the previous version stored
// and no save has matched yet: matchLegacy considers only those that agree
// with the line on booking date and amount (its candidates) and on account
// and currency (DedupConflict), so a line with none has nothing to match.
type legacyProbe struct {
	candidates *sql.Stmt
}

// newLegacyProbe returns nil when the database holds no unmatched line of
// the previous version: the usual case, which costs one query per save.
func newLegacyProbe(ctx context.Context, tx txer) (*legacyProbe, error) {
	var pending bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM statement_lines INDEXED BY statement_lines_unmatched_legacy WHERE legacy_key <> '' AND alias_key IS NULL)`).Scan(&pending); err != nil {
		return nil, fmt.Errorf("storage: legacy lines: %w", err)
	}
	if !pending {
		return nil, nil
	}
	st, err := tx.PrepareContext(ctx, `SELECT `+storedLineColumns+` FROM statement_lines INDEXED BY statement_lines_unmatched_legacy WHERE legacy_key <> '' AND alias_key IS NULL AND booking_date = ? AND amount = ?`)
	if err != nil {
		return nil, fmt.Errorf("storage: prepare legacy lookup: %w", err)
	}
	return &legacyProbe{candidates: st}, nil
}

// Close releases the prepared statement; a nil probe has none.
func (p *legacyProbe) Close() {
	if p != nil {
		p.candidates.Close()
	}
}

func (p *legacyProbe) mayBe(ctx context.Context, l ferry.StatementLine) (bool, error) {
	rows, err := p.candidates.QueryContext(ctx, l.BookingDate.String(), l.Amount.String())
	if err != nil {
		return false, fmt.Errorf("legacy lines of %s: %w", l.BookingDate, err)
	}
	defer rows.Close()
	for rows.Next() {
		s, err := scanStoredLine(rows)
		if err != nil {
			return false, err
		}
		if s.line.DedupConflict(l) == "" {
			return true, nil
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("legacy lines of %s: %w", l.BookingDate, err)
	}
	return false, nil
}
