package storage

// Invoices (migration 0012; PostgreSQL 0013): ferry.InvoiceStore. Portable
// SQL only, as the rest of the package.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

var _ ferry.InvoiceStore = (*DB)(nil)

// lockInvoice is the advisory lock space of one invoice's saves: two runs
// downloading one invoice at once check and write it one after the other.
const lockInvoice = 741940

// invoiceColumns are the invoices table's columns that scanInvoice reads.
const invoiceColumns = `dedup_key, run_id, direction, status, state, problems, kind, code, number, issue_date, check_code, buyer_name, buyer_tax_id, seller_name, seller_tax_id, amount, tax, total, total_in_words, currency, red, flags, created_at, updated_at`

// SaveInvoice implements ferry.InvoiceStore.
func (d *DB) SaveInvoice(ctx context.Context, runID int64, doc ferry.InvoiceDoc, sinks []string) (ferry.InvoiceSaveResult, error) {
	inv := doc.Invoice
	key := ferry.InvoiceKey(inv)
	out := ferry.InvoiceSaveResult{Key: key}
	if inv.Number == "" {
		return out, fmt.Errorf("storage: save invoice: no number (发票号码), so no dedup key")
	}
	if doc.Direction != ferry.InvoiceIssued && doc.Direction != ferry.InvoiceReceived {
		return out, fmt.Errorf("storage: save invoice %s: direction %q: want issued or received", key, doc.Direction)
	}
	if doc.Status == "" {
		return out, fmt.Errorf("storage: save invoice %s: no status", key)
	}
	err := d.tx(ctx, func(tx txer) error {
		if err := d.lockOn(ctx, tx, lockInvoice, key); err != nil {
			return fmt.Errorf("storage: save invoice %s: %w", key, err)
		}
		now := d.ts(d.now())
		row, err := scanInvoice(tx.QueryRowContext(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE dedup_key = ?`, key))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return d.insertInvoice(ctx, tx, runID, key, doc, sinks, now, &out)
		case err != nil:
			return fmt.Errorf("storage: look up invoice %s: %w", key, err)
		}
		if err := loadInvoiceParts(ctx, tx, &row); err != nil {
			return err
		}
		if c := invoiceConflict(row.Invoice, inv); c != "" {
			return fmt.Errorf("storage: invoice %s (run %d): %w: %s", key, runID, ferry.ErrInvoiceConflict, c)
		}
		if err := addSources(ctx, tx, key, runID, doc.Sources); err != nil {
			return err
		}
		out.Outcome = ferry.InvoiceUnchanged
		if row.Direction != doc.Direction {
			return fmt.Errorf("storage: invoice %s (run %d): %w: stored as %s, downloaded as %s", key, runID, ferry.ErrInvoiceConflict, row.Direction, doc.Direction)
		}
		status := row.Status
		if statusRank(doc.Status) > statusRank(row.Status) {
			status = doc.Status
		}
		if row.State == "held" {
			if len(doc.Problems) > 0 {
				// Held it stays; its newest problems are what a person reads.
				out.Outcome = ferry.InvoiceHeld
				_, err := tx.ExecContext(ctx, `UPDATE invoices SET problems = ?, status = ?, updated_at = ? WHERE dedup_key = ?`, jsonList(doc.Problems), string(status), now, key)
				if err == nil {
					err = seeStatus(ctx, tx, key, doc.Status, runID, now)
				}
				return wrapInvoice(key, err)
			}
			// A read without problems (another format, a fixed parser)
			// releases it: the sinks get it first as this read has it
			// (its figures agree with the held read's; its texts and
			// items are the ones that check).
			inv.Currency = row.Invoice.Currency
			if _, err := tx.ExecContext(ctx, `UPDATE invoices SET state = 'queued', problems = '[]', status = ?, kind = ?, check_code = ?, buyer_name = ?, seller_name = ?, total_in_words = ?, flags = ?, updated_at = ? WHERE dedup_key = ?`,
				string(status), inv.Kind, inv.CheckCode, inv.BuyerName, inv.SellerName, inv.TotalInWords, jsonList(inv.Flags), now, key); err != nil {
				return wrapInvoice(key, err)
			}
			if err := writeItems(ctx, tx, key, inv.Items); err != nil {
				return err
			}
			if err := seeStatus(ctx, tx, key, doc.Status, runID, now); err != nil {
				return err
			}
			out.Outcome = ferry.InvoiceReleased
			rec := ferry.NewInvoiceRecord(runID, key, doc.Direction, status, inv)
			return d.queue(ctx, tx, key, rec, sinks, now, &out)
		}
		if statusRank(doc.Status) <= statusRank(row.Status) {
			// The same status, or an older one: a list read before the
			// void was known. A voided or red-lettered invoice stays so.
			return seeStatus(ctx, tx, key, doc.Status, runID, now)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invoices SET status = ?, updated_at = ? WHERE dedup_key = ?`, string(doc.Status), now, key); err != nil {
			return wrapInvoice(key, err)
		}
		if err := seeStatus(ctx, tx, key, doc.Status, runID, now); err != nil {
			return err
		}
		out.Outcome = ferry.InvoiceUpdated
		rec := ferry.NewInvoiceUpdate(runID, key, doc.Direction, row.Status, doc.Status, row.Invoice)
		return d.queue(ctx, tx, rec.DedupKey, rec, sinks, now, &out)
	})
	return out, err
}

// statusRank orders statuses as they can follow one another: normal, then
// partly red-lettered, then void or red-lettered, which are final.
func statusRank(s ferry.InvoiceStatus) int {
	switch s {
	case ferry.InvoiceNormal:
		return 0
	case ferry.InvoicePartRed:
		return 1
	}
	return 2
}

func wrapInvoice(key string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("storage: save invoice %s: %w", key, err)
}

// invoiceConflict names the first figure or party in which a new read of
// an invoice differs from the stored one; empty when they agree.
func invoiceConflict(a, b ferry.Invoice) string {
	for _, f := range []struct{ name, x, y string }{
		{"发票号码", a.Number, b.Number}, {"发票代码", a.Code, b.Code}, {"开票日期", a.IssueDate.String(), b.IssueDate.String()},
		{"销售方纳税人识别号", a.SellerTaxID, b.SellerTaxID}, {"购买方纳税人识别号", a.BuyerTaxID, b.BuyerTaxID},
		{"金额", a.Amount.StringFixed(2), b.Amount.StringFixed(2)}, {"税额", a.Tax.StringFixed(2), b.Tax.StringFixed(2)},
		{"价税合计", a.Total.StringFixed(2), b.Total.StringFixed(2)},
	} {
		if f.x != f.y {
			return fmt.Sprintf("%s stored %q, downloaded %q", f.name, f.x, f.y)
		}
	}
	return ""
}

// insertInvoice stores a new invoice with its items, sources and status,
// and queues it unless it has problems.
func (d *DB) insertInvoice(ctx context.Context, tx txer, runID int64, key string, doc ferry.InvoiceDoc, sinks []string, now string, out *ferry.InvoiceSaveResult) error {
	inv := doc.Invoice
	state := "queued"
	if len(doc.Problems) > 0 {
		state = "held"
	}
	cur := inv.Currency
	if cur == "" {
		cur = "CNY"
	}
	red := 0
	if inv.Red {
		red = 1
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO invoices (`+invoiceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		key, runID, string(doc.Direction), string(doc.Status), state, jsonList(doc.Problems), inv.Kind, inv.Code, inv.Number, inv.IssueDate.String(), inv.CheckCode,
		inv.BuyerName, inv.BuyerTaxID, inv.SellerName, inv.SellerTaxID, inv.Amount.String(), inv.Tax.String(), inv.Total.String(), inv.TotalInWords, cur, red,
		jsonList(inv.Flags), now, now); err != nil {
		return wrapInvoice(key, err)
	}
	if err := writeItems(ctx, tx, key, inv.Items); err != nil {
		return err
	}
	if err := addSources(ctx, tx, key, runID, doc.Sources); err != nil {
		return err
	}
	if err := seeStatus(ctx, tx, key, doc.Status, runID, now); err != nil {
		return err
	}
	if state == "held" {
		out.Outcome = ferry.InvoiceHeld
		return nil
	}
	out.Outcome = ferry.InvoiceNew
	return d.queue(ctx, tx, key, ferry.NewInvoiceRecord(runID, key, doc.Direction, doc.Status, inv), sinks, now, out)
}

// writeItems stores an invoice's items, replacing any stored before.
func writeItems(ctx context.Context, tx txer, key string, items []ferry.InvoiceItem) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM invoice_items WHERE dedup_key = ?`, key); err != nil {
		return fmt.Errorf("storage: save invoice %s items: %w", key, err)
	}
	for i, it := range items {
		q, p := "", ""
		if it.QuantityStated {
			q = it.Quantity.String()
		}
		if it.PriceStated {
			p = it.UnitPrice.String()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO invoice_items (dedup_key, seq, name, spec, unit, quantity, unit_price, amount, tax_rate, tax, tax_printed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			key, i+1, it.Name, it.Spec, it.Unit, q, p, it.Amount.String(), it.TaxRate, it.Tax.String(), it.TaxPrinted); err != nil {
			return fmt.Errorf("storage: save invoice %s item %d: %w", key, i+1, err)
		}
	}
	return nil
}

// queue writes rec under outbox key okey for every sink. An item already
// there (the same update seen twice) is not written again.
func (d *DB) queue(ctx context.Context, tx txer, okey string, rec ferry.InvoiceRecord, sinks []string, now string, out *ferry.InvoiceSaveResult) error {
	payload, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("storage: invoice %s: %w", okey, err)
	}
	for _, sink := range sinks {
		res, err := tx.ExecContext(ctx, `INSERT INTO outbox (sink, dedup_key, payload, status, next_attempt_at) VALUES (?, ?, ?, 'pending', ?) ON CONFLICT (sink, dedup_key) DO NOTHING`,
			sink, okey, string(payload), now)
		if err != nil {
			return fmt.Errorf("storage: invoice %s: outbox (sink %s): %w", okey, sink, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			out.Queued++
		}
	}
	return nil
}

func addSources(ctx context.Context, tx txer, key string, runID int64, srcs []ferry.InvoiceSource) error {
	for _, s := range srcs {
		if s.ArtifactID == 0 {
			continue
		}
		rid := s.RunID
		if rid == 0 {
			rid = runID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO invoice_sources (dedup_key, artifact_id, run_id, name, format) VALUES (?, ?, ?, ?, ?) ON CONFLICT (dedup_key, artifact_id) DO NOTHING`,
			key, s.ArtifactID, rid, s.Name, s.Format); err != nil {
			return fmt.Errorf("storage: invoice %s: source %s (artifact %d): %w", key, s.Name, s.ArtifactID, err)
		}
	}
	return nil
}

func seeStatus(ctx context.Context, tx txer, key string, status ferry.InvoiceStatus, runID int64, now string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO invoice_statuses (dedup_key, status, run_id, seen_at) VALUES (?, ?, ?, ?) ON CONFLICT (dedup_key, status) DO NOTHING`,
		key, string(status), runID, now); err != nil {
		return fmt.Errorf("storage: invoice %s: status %s: %w", key, status, err)
	}
	return nil
}

func jsonList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// scanInvoice reads a row of invoiceColumns, without items or sources.
func scanInvoice(sc interface{ Scan(...any) error }) (ferry.InvoiceRow, error) {
	var r ferry.InvoiceRow
	var dir, status, problems, date, amount, tax, total, flags, created, updated string
	var red int
	inv := &r.Invoice
	if err := sc.Scan(&r.Key, &r.RunID, &dir, &status, &r.State, &problems, &inv.Kind, &inv.Code, &inv.Number, &date, &inv.CheckCode,
		&inv.BuyerName, &inv.BuyerTaxID, &inv.SellerName, &inv.SellerTaxID, &amount, &tax, &total, &inv.TotalInWords, &inv.Currency, &red,
		&flags, &created, &updated); err != nil {
		return r, err
	}
	r.Direction, r.Status, inv.Red = ferry.InvoiceDirection(dir), ferry.InvoiceStatus(status), red != 0
	r.Created, r.Updated = parseTS(created), parseTS(updated)
	var err error
	if date != "" {
		if inv.IssueDate, err = ferry.ParseDate(date); err != nil {
			return r, fmt.Errorf("storage: invoice %s: issue date: %w", r.Key, err)
		}
	}
	for _, f := range []struct {
		dst *decimal.Decimal
		s   string
	}{{&inv.Amount, amount}, {&inv.Tax, tax}, {&inv.Total, total}} {
		if *f.dst, err = decimal.NewFromString(f.s); err != nil {
			return r, fmt.Errorf("storage: invoice %s: amount %q: %w", r.Key, f.s, err)
		}
	}
	if err := json.Unmarshal([]byte(problems), &r.Problems); err != nil {
		return r, fmt.Errorf("storage: invoice %s: problems: %w", r.Key, err)
	}
	if err := json.Unmarshal([]byte(flags), &inv.Flags); err != nil {
		return r, fmt.Errorf("storage: invoice %s: flags: %w", r.Key, err)
	}
	return r, nil
}

// Invoices implements ferry.InvoiceStore.
func (d *DB) Invoices(ctx context.Context, f ferry.InvoiceFilter) ([]ferry.InvoiceRow, error) {
	var where []string
	var args []any
	if f.Direction != "" {
		where, args = append(where, "direction = ?"), append(args, string(f.Direction))
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	if f.Number != "" {
		where, args = append(where, "number = ?"), append(args, f.Number)
	}
	if !f.From.IsZero() {
		where, args = append(where, "issue_date >= ?"), append(args, f.From.String())
	}
	if !f.To.IsZero() {
		where, args = append(where, "issue_date <= ?"), append(args, f.To.String())
	}
	q := `SELECT ` + invoiceColumns + ` FROM invoices`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY issue_date, dedup_key"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	var out []ferry.InvoiceRow
	err := d.tx(ctx, func(tx txer) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanInvoice(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		for i := range out {
			if err := loadInvoiceParts(ctx, tx, &out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: list invoices: %w", err)
	}
	return out, nil
}

// Invoice implements ferry.InvoiceStore.
func (d *DB) Invoice(ctx context.Context, key string) (ferry.InvoiceRow, error) {
	var r ferry.InvoiceRow
	err := d.tx(ctx, func(tx txer) error {
		var err error
		r, err = scanInvoice(tx.QueryRowContext(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE dedup_key = ?`, key))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("storage: invoice %s: %w", key, ferry.ErrNoInvoice)
		}
		if err != nil {
			return fmt.Errorf("storage: invoice %s: %w", key, err)
		}
		return loadInvoiceParts(ctx, tx, &r)
	})
	return r, err
}

// loadInvoiceParts reads an invoice's items and sources.
func loadInvoiceParts(ctx context.Context, tx txer, r *ferry.InvoiceRow) error {
	rows, err := tx.QueryContext(ctx, `SELECT name, spec, unit, quantity, unit_price, amount, tax_rate, tax, tax_printed FROM invoice_items WHERE dedup_key = ? ORDER BY seq`, r.Key)
	if err != nil {
		return fmt.Errorf("invoice %s: items: %w", r.Key, err)
	}
	defer rows.Close()
	for rows.Next() {
		var it ferry.InvoiceItem
		var q, p, a, t string
		if err := rows.Scan(&it.Name, &it.Spec, &it.Unit, &q, &p, &a, &it.TaxRate, &t, &it.TaxPrinted); err != nil {
			return fmt.Errorf("invoice %s: items: %w", r.Key, err)
		}
		for _, f := range []struct {
			dst    *decimal.Decimal
			s      string
			stated *bool
		}{{&it.Quantity, q, &it.QuantityStated}, {&it.UnitPrice, p, &it.PriceStated}, {&it.Amount, a, nil}, {&it.Tax, t, nil}} {
			if f.s == "" && f.stated != nil {
				continue
			}
			if *f.dst, err = decimal.NewFromString(f.s); err != nil {
				return fmt.Errorf("invoice %s: item %s: %q: %w", r.Key, it.Name, f.s, err)
			}
			if f.stated != nil {
				*f.stated = true
			}
		}
		r.Invoice.Items = append(r.Invoice.Items, it)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("invoice %s: items: %w", r.Key, err)
	}
	rows.Close()
	srows, err := tx.QueryContext(ctx, `SELECT artifact_id, run_id, name, format FROM invoice_sources WHERE dedup_key = ? ORDER BY artifact_id`, r.Key)
	if err != nil {
		return fmt.Errorf("invoice %s: sources: %w", r.Key, err)
	}
	defer srows.Close()
	for srows.Next() {
		var s ferry.InvoiceSource
		if err := srows.Scan(&s.ArtifactID, &s.RunID, &s.Name, &s.Format); err != nil {
			return fmt.Errorf("invoice %s: sources: %w", r.Key, err)
		}
		r.Sources = append(r.Sources, s)
	}
	if err := srows.Err(); err != nil {
		return fmt.Errorf("invoice %s: sources: %w", r.Key, err)
	}
	names := make([]string, len(r.Sources))
	for i, s := range r.Sources {
		names[i] = s.Name
	}
	r.Invoice.Source = strings.Join(names, ", ")
	return nil
}
