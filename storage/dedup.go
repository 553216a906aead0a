package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// storedLine is a statement line as the database holds it.
type storedLine struct {
	key     string // dedup_key: the key it was stored and delivered under
	line    ferry.StatementLine
	claimed bool // a line of the statement being saved matched it
}

const storedLineColumns = `dedup_key, account, booking_date, amount, currency, counterparty, description, reference, transaction_id`

func scanStoredLine(sc interface{ Scan(...any) error }) (storedLine, error) {
	var s storedLine
	var date, amount string
	l := &s.line
	if err := sc.Scan(&s.key, &l.Account, &date, &amount, &l.Currency, &l.Counterparty, &l.Description, &l.Reference, &l.TransactionID); err != nil {
		return s, err
	}
	var err error
	if l.BookingDate, err = ferry.ParseDate(date); err != nil && date != "" {
		return s, fmt.Errorf("storage: stored line %s: booking date: %w", s.key, err)
	}
	if l.Amount, err = decimal.NewFromString(amount); err != nil {
		return s, fmt.Errorf("storage: stored line %s: amount: %w", s.key, err)
	}
	return s, nil
}

// lineFinder finds stored lines by dedup key, with statements prepared
// once per save: parsing SQL for every line costs more than running it.
type lineFinder struct {
	byKey, byAlias *sql.Stmt // nil byAlias: no line has an alias
}

func newLineFinder(ctx context.Context, tx txer) (*lineFinder, error) {
	f := &lineFinder{}
	var err error
	// Two lookups, each on its own index: SQLite scans the table for one
	// query with OR over the two columns.
	if f.byKey, err = tx.PrepareContext(ctx, `SELECT `+storedLineColumns+` FROM statement_lines WHERE dedup_key = ?`); err != nil {
		return nil, fmt.Errorf("storage: prepare line lookup: %w", err)
	}
	var aliases bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM statement_lines WHERE alias_key IS NOT NULL)`).Scan(&aliases); err != nil {
		f.Close()
		return nil, fmt.Errorf("storage: line aliases: %w", err)
	}
	if aliases {
		if f.byAlias, err = tx.PrepareContext(ctx, `SELECT `+storedLineColumns+` FROM statement_lines WHERE alias_key = ?`); err != nil {
			f.Close()
			return nil, fmt.Errorf("storage: prepare alias lookup: %w", err)
		}
	}
	return f, nil
}

// Close releases the prepared statements.
func (f *lineFinder) Close() {
	f.byKey.Close()
	if f.byAlias != nil {
		f.byAlias.Close()
	}
}

// find returns the stored line with dedup key key: stored under it, or
// stored by the previous version under its old key and since matched to
// key (alias_key).
func (f *lineFinder) find(ctx context.Context, key string) (storedLine, bool, error) {
	for _, st := range []*sql.Stmt{f.byKey, f.byAlias} {
		if st == nil {
			continue
		}
		s, err := scanStoredLine(st.QueryRowContext(ctx, key))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return s, false, fmt.Errorf("storage: look up line %s: %w", key, err)
		}
		return s, true, nil
	}
	return storedLine{}, false, nil
}

func describeLine(l ferry.StatementLine) string {
	return fmt.Sprintf("%s %s %s %s on account %s", l.BookingDate, l.Amount.String(), l.Currency, l.Description, l.Account)
}

// matchLegacy finds, among the lines a database written by the previous
// version holds (legacy_key set) and no rerun has matched yet, those that
// are lines of st not found under their current key; it records each
// match's current key as the stored line's alias_key and marks the line
// stored.
//
// The old keys cannot be recomputed from a new parse: the old reference key
// joined NOTPROVIDED lines of different days (and dropped some of them),
// its occurrence count depended on the statement's other lines, and the
// parsers changed what they read (bank ids moved from Reference to
// TransactionID, texts once decoded with the wrong encoding are right now).
// So a stored line matches on what both versions read alike: the same
// account, booking date, amount and currency (ferry.StatementLine.
// DedupConflict finds no difference), and then, in passes over the whole
// statement, strongest evidence first:
//  1. the same content (ferry.StatementLine.SameContent), taking the bank
//     id as the reference as the old parsers did; among several, the one
//     under the line's exact LegacyDedupKey;
//  2. the same non-placeholder reference or bank id;
//  3. nothing more: texts and references both changed.
//
// Passes 2 and 3 match a group of lines that agree on account, day, amount
// and currency with the stored lines of that group. Where the group has at
// least as many stored lines as lines, or its lines are identical, the
// pairing does not matter; otherwise Ferry cannot tell which of different
// lines were stored, and says so with ErrLegacyAmbiguous rather than guess.
func matchLegacy(ctx context.Context, tx txer, st ferry.Statement, keys []string, stored []bool, out *SaveResult, where func(int) string) error {
	var pending bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM statement_lines INDEXED BY statement_lines_unmatched_legacy WHERE legacy_key <> '' AND alias_key IS NULL)`).Scan(&pending); err != nil {
		return fmt.Errorf("storage: legacy lines: %w", err)
	}
	if !pending {
		return nil
	}
	// What the old parsers put in Reference: the bank id where the file had
	// one, otherwise the line's reference.
	asOld := st
	asOld.Lines = make([]ferry.StatementLine, len(st.Lines))
	for i, l := range st.Lines {
		if ferry.NormalizeReference(l.TransactionID) != "" {
			l.Reference = l.TransactionID
		}
		l.TransactionID = ""
		asOld.Lines[i] = l
	}
	exact, exactAsOld := st.LegacyDedupKeys(), asOld.LegacyDedupKeys()

	// Stored lines are looked up by day and amount, once per pair.
	type bucket struct{ date, amount string }
	buckets := map[bucket][]*storedLine{}
	candidates := func(l ferry.StatementLine) ([]*storedLine, error) {
		b := bucket{l.BookingDate.String(), l.Amount.String()}
		if rows, ok := buckets[b]; ok {
			return rows, nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+storedLineColumns+` FROM statement_lines INDEXED BY statement_lines_unmatched_legacy WHERE legacy_key <> '' AND alias_key IS NULL AND booking_date = ? AND amount = ? ORDER BY rowid`, b.date, b.amount)
		if err != nil {
			return nil, fmt.Errorf("storage: legacy lines of %s: %w", b.date, err)
		}
		defer rows.Close()
		var found []*storedLine
		for rows.Next() {
			s, err := scanStoredLine(rows)
			if err != nil {
				return nil, err
			}
			found = append(found, &s)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("storage: legacy lines of %s: %w", b.date, err)
		}
		buckets[b] = found
		return found, nil
	}
	claim := func(i int, s *storedLine, byAmount bool) error {
		l := st.Lines[i]
		if _, err := tx.ExecContext(ctx, `UPDATE statement_lines SET alias_key = ?, transaction_id = CASE WHEN transaction_id = '' THEN ? ELSE transaction_id END WHERE dedup_key = ?`,
			keys[i], l.TransactionID, s.key); err != nil {
			return fmt.Errorf("storage: %s: match the previous version's line %s: %w", where(i), s.key, err)
		}
		s.claimed, stored[i] = true, true
		out.Duplicates++
		out.Legacy++
		if byAmount {
			out.LegacyByAmount++
		}
		return nil
	}
	// unclaimed returns the stored lines l may match: not claimed, the same
	// booking.
	unclaimed := func(l ferry.StatementLine) ([]*storedLine, error) {
		all, err := candidates(l)
		if err != nil {
			return nil, err
		}
		var out []*storedLine
		for _, s := range all {
			if !s.claimed && s.line.DedupConflict(l) == "" {
				out = append(out, s)
			}
		}
		return out, nil
	}

	// Pass 1: the same content.
	for i, l := range st.Lines {
		if stored[i] {
			continue
		}
		rows, err := unclaimed(l)
		if err != nil {
			return err
		}
		var best *storedLine
		for _, s := range rows {
			if !s.line.SameContent(l) && !s.line.SameContent(asOld.Lines[i]) {
				continue
			}
			if best == nil || s.key == exact[i] || s.key == exactAsOld[i] {
				best = s
			}
		}
		if best != nil {
			if err := claim(i, best, false); err != nil {
				return err
			}
		}
	}

	// Passes 2 and 3: groups of lines that agree on the booking.
	refsOf := func(l ferry.StatementLine) []string {
		var refs []string
		for _, r := range []string{l.TransactionID, l.Reference} {
			if n := ferry.NormalizeReference(r); n != "" {
				refs = append(refs, n)
			}
		}
		return refs
	}
	for pass := 2; pass <= 3; pass++ {
		done := make([]bool, len(st.Lines))
		for i, l := range st.Lines {
			if stored[i] || done[i] {
				continue
			}
			rows, err := unclaimed(l)
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				continue
			}
			// In pass 2 the group shares a reference some stored line has.
			ref := ""
			if pass == 2 {
			refs:
				for _, r := range refsOf(l) {
					for _, s := range rows {
						if ferry.NormalizeReference(s.line.Reference) == r {
							ref = r
							break refs
						}
					}
				}
				if ref == "" {
					continue
				}
				var same []*storedLine
				for _, s := range rows {
					if ferry.NormalizeReference(s.line.Reference) == ref {
						same = append(same, s)
					}
				}
				rows = same
			}
			group := []int{i}
			for j := i + 1; j < len(st.Lines); j++ {
				m := st.Lines[j]
				if stored[j] || done[j] || m.DedupConflict(l) != "" || m.BookingDate != l.BookingDate || !m.Amount.Equal(l.Amount) {
					continue
				}
				if pass == 2 && !slices.Contains(refsOf(m), ref) {
					continue
				}
				group = append(group, j)
			}
			for _, j := range group {
				done[j] = true
			}
			if len(rows) < len(group) {
				for _, j := range group[1:] {
					if !st.Lines[j].SameContent(l) {
						return ferry.Errorf(ferry.ClassValidationFailed, where(i), "%w: the previous version stored %d line(s) of account %s on %s for %s %s, and this statement has %d different ones (lines %s) whose texts changed since; check which are new and deliver them by hand",
							ErrLegacyAmbiguous, len(rows), st.Account, l.BookingDate, l.Amount.String(), l.Currency, len(group), lineNumbers(group))
					}
				}
			}
			for k, j := range group {
				if k == len(rows) {
					break
				}
				if err := claim(j, rows[k], pass == 3); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func lineNumbers(idx []int) string {
	s := make([]string, len(idx))
	for k, i := range idx {
		s[k] = strconv.Itoa(i + 1)
	}
	return strings.Join(s, ", ")
}
