package statements

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/pdftext"
	"github.com/shopspring/decimal"
)

// ErrNotAStatement reports a PDF that is something else, such as an
// invoice.
var ErrNotAStatement = errors.New("not a bank statement")

// pdfError is an error at a place in the PDF; parsePDF adds the file name.
type pdfError struct {
	where string
	class ferry.FailureClass
	err   error
}

func (e *pdfError) Error() string { return e.where + ": " + e.err.Error() }
func (e *pdfError) Unwrap() error { return e.err }

func pdfErrorfAt(r *pdfRow, format string, args ...any) error {
	return &pdfError{where: r.where(), class: ferry.ClassDocumentChanged, err: fmt.Errorf(format, args...)}
}

// ParsePDF reads a PDF bank statement through Ferry's text layer: the
// transaction table is found by its column labels and the places of the
// dates and amounts under them, on every page; the account, currency,
// period and balances come from the labelled fields around it. Pages
// without text are named in the statement's Warnings (Ferry does not OCR
// scanned pages); a file with no text at all is refused.
func ParsePDF(ctx context.Context, name string, data []byte) (ferry.Statement, error) {
	return parsePDF(ctx, name, data, "")
}

func parsePDF(ctx context.Context, name string, data []byte, password string) (ferry.Statement, error) {
	doc, err := pdftext.OpenContext(ctx, data, password)
	if err != nil {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "%w", err)
	}
	rd := &pdfReader{file: name, pages: doc.NumPages()}
	for p := 1; p <= doc.NumPages(); p++ {
		page, err := doc.Page(p)
		if err != nil {
			return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, fmt.Sprintf("%s: page %d", name, p), "%w", err)
		}
		rows := pdfRowsOfPage(page)
		if len(rows) == 0 {
			rd.blank = append(rd.blank, p)
		}
		rd.rows = append(rd.rows, rows...)
	}
	if len(rd.rows) == 0 {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name,
			"no text on any of its %d pages: %w; Ferry does not OCR scanned pages", doc.NumPages(), pdftext.ErrNoText)
	}
	st, err := rd.read()
	if err != nil {
		var pe *pdfError
		if errors.As(err, &pe) {
			return ferry.Statement{}, ferry.Errorf(pe.class, name+": "+pe.where, "%w", pe.err)
		}
		var fe *ferry.Error
		if errors.As(err, &fe) {
			return ferry.Statement{}, err
		}
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "%w", err)
	}
	return st, nil
}

// pdfReader reads one document.
type pdfReader struct {
	file    string
	pages   int
	blank   []int // pages without text
	rows    []pdfRow
	tables  []*pdfTable
	outside []*pdfRow // rows outside any table: the statement's fields
	events  []pdfEvent
	notes   []string
	warns   []string
	// what the fields say
	fields pdfFields
}

// pdfEvent is a transaction or a printed balance, in document order.
type pdfEvent struct {
	txn      *pdfTxn
	bal      pdfMoney // a balance row (brought forward, carried forward)
	closing  bool
	labelled bool // "BALANCE B/F", not a balance alone on its line
	row      *pdfRow
}

// pdfTxn is one transaction as read from the table.
type pdfTxn struct {
	row, last  *pdfRow // its first and last printed lines
	date       pdfDate
	dateRow    *pdfRow // where its date is printed; nil when it is the one above
	hasDate    bool
	valueDate  *pdfDate
	desc, ref  []string
	cp         []string
	money      *pdfMoney
	role       pdfRole // amount, debit or credit
	colLabel   string
	balance    *pdfMoney
	section    *pdfSection
	table      *pdfTable
	sign       int // +1, -1; 0 until known
	signSource string
}

func (rd *pdfReader) read() (ferry.Statement, error) {
	rd.segment()
	for _, t := range rd.tables {
		if t.skip {
			continue
		}
		if err := rd.readTable(t); err != nil {
			return ferry.Statement{}, err
		}
	}
	if err := rd.readFields(); err != nil {
		return ferry.Statement{}, err
	}
	if len(rd.events) == 0 && !rd.hasTransactionTable() {
		if r := rd.invoiceCue(); r != nil {
			return ferry.Statement{}, &pdfError{where: r.where(), class: ferry.ClassDocumentChanged,
				err: fmt.Errorf("%w: it reads as an invoice (%q); read it as one: ferry parse --format invoice, or --template DIR", ErrNotAStatement, strings.TrimSpace(pdfInvoiceCue.FindString(r.text())))}
		}
		return ferry.Statement{}, fmt.Errorf("%w: no transaction table found (want a header row with columns such as Date, Description, Amount, or Debit and Credit, Withdrawal and Deposit, Paid out and Paid in, and Balance)", ErrNotAStatement)
	}
	return rd.assemble()
}

func (rd *pdfReader) hasTransactionTable() bool {
	for _, t := range rd.tables {
		if !t.skip {
			return true
		}
	}
	return false
}

func (rd *pdfReader) invoiceCue() *pdfRow {
	for i := range rd.rows {
		if pdfInvoiceCue.MatchString(rd.rows[i].text()) {
			return &rd.rows[i]
		}
	}
	return nil
}

// segment finds the tables: a header starts one, which runs on (across
// pages) until the next header or a summary heading.
func (rd *pdfReader) segment() {
	var cur *pdfTable
	var lastHeading *pdfSection
	headingAt := -10
	for i := 0; i < len(rd.rows); i++ {
		r := &rd.rows[i]
		if pdfPageNoise.MatchString(strings.TrimSpace(r.text())) {
			continue
		}
		if cols, n := pdfHeaderAt(rd.rows, i); cols != nil {
			t := &pdfTable{groups: pdfGroupsOf(cols)}
			for k := i; k < i+n; k++ {
				t.header = append(t.header, &rd.rows[k])
			}
			// A heading just above the header names the section; a header
			// repeated at the top of a page continues the one before.
			switch {
			case lastHeading != nil && i-headingAt <= 3 && lastHeading.row.page == r.page:
				t.section = lastHeading
			case cur != nil && cur.section != nil && rd.topOfPage(i) && pdfSameColumns(cur, t):
				t.section = cur.section
			}
			t.skip = t.section != nil && t.section.kind == pdfSectionSkip || pdfBalanceTable(cols) &&
				(t.section == nil || t.section.kind != pdfSectionCredits && t.section.kind != pdfSectionDebits)
			rd.tables = append(rd.tables, t)
			cur = t
			i += n - 1
			continue
		}
		if s := pdfSectionOf(r); s != nil {
			lastHeading, headingAt = s, i
			if s.kind == pdfSectionSkip {
				cur = nil
				continue
			}
			if cur != nil && !cur.skip {
				cur.rows = append(cur.rows, pdfTableRow{row: r, section: s})
			}
			continue
		}
		switch {
		case cur == nil:
			rd.outside = append(rd.outside, r)
		case !cur.skip:
			cur.rows = append(cur.rows, pdfTableRow{row: r})
		}
	}
}

// topOfPage reports whether rows[i] comes before any table row of its page.
func (rd *pdfReader) topOfPage(i int) bool {
	for k := i - 1; k >= 0 && rd.rows[k].page == rd.rows[i].page; k-- {
		if pdfRowHasValues(&rd.rows[k]) {
			return false
		}
	}
	return true
}

func pdfSameColumns(a, b *pdfTable) bool {
	if len(a.groups) != len(b.groups) || len(a.groups[0].cols) != len(b.groups[0].cols) {
		return false
	}
	for i, c := range a.groups[0].cols {
		if c.role != b.groups[0].cols[i].role {
			return false
		}
	}
	return true
}

// pdfBalanceTable reports a table of dates and amounts only: daily balances.
func pdfBalanceTable(cols []pdfCol) bool {
	for _, c := range cols {
		switch {
		case c.role.isDate(), c.role == pdfRoleAmount, c.role == pdfRoleBalance:
		default:
			return false
		}
	}
	return true
}

// pdfRowKind is how a table row reads.
type pdfRowKind int

const (
	pdfKindEmpty   pdfRowKind = iota
	pdfKindHeading            // a section heading inside the table
	pdfKindBalance            // a balance row: brought forward, carried forward
	pdfKindTotal              // a total row
	pdfKindTxn                // a date or an amount
	pdfKindText               // words under the description: a continuation
	pdfKindOther              // words from the left edge: not the table's
)

type pdfReadRow struct {
	tr    pdfTableRow
	cells pdfRowCells
	kind  pdfRowKind
	label string // the balance or total label
	money bool   // an amount in an amount, debit or credit column
	dated bool
}

// readTable reads a table's transactions and balance rows into events.
func (rd *pdfReader) readTable(t *pdfTable) error {
	t.learn()
	rd.noteColumns(t)
	for gi := range t.groups {
		g := &t.groups[gi]
		var rows []pdfReadRow
		for _, tr := range t.rows {
			rr := pdfReadRow{tr: tr}
			if tr.section != nil {
				rr.kind = pdfKindHeading
				rows = append(rows, rr)
				continue
			}
			toks := pdfInGroup(pdfTokenize(tr.row.words), g)
			if len(toks) == 0 {
				continue
			}
			cells, err := g.cellsOf(tr.row, toks)
			if err != nil {
				return err
			}
			rr.cells = cells
			rr.classify()
			rows = append(rows, rr)
		}
		if err := rd.readGroup(t, g, rows); err != nil {
			return err
		}
	}
	return nil
}

func (rr *pdfReadRow) classify() {
	c := &rr.cells
	_, rr.dated = c.dates[pdfRoleDate]
	if _, ok := c.dates[pdfRolePostDate]; ok {
		rr.dated = true
	}
	for _, role := range []pdfRole{pdfRoleAmount, pdfRoleDebit, pdfRoleCredit} {
		if _, ok := c.money[role]; ok {
			rr.money = true
		}
	}
	text := strings.TrimSpace(strings.Join(c.text[pdfRoleType], " ") + " " + strings.Join(c.text[pdfRoleDescription], " "))
	if _, n, ok := pdfBalanceLabelAt(text); ok && len(c.all) > 0 {
		rr.kind, rr.label = pdfKindBalance, strings.TrimSpace(text[:n])
		return
	}
	if !rr.dated && len(c.all) > 0 && pdfIsTotalLabel(text) {
		rr.kind, rr.label = pdfKindTotal, text
		return
	}
	switch {
	case rr.dated || rr.money:
		rr.kind = pdfKindTxn
	case len(c.dates) > 0:
		rr.kind = pdfKindTxn // a value date alone
	case c.leftText:
		rr.kind = pdfKindOther
	case len(c.text) > 0:
		rr.kind = pdfKindText
	case len(c.all) > 0:
		rr.kind = pdfKindBalance // a balance alone on its line: the day's closing balance
	default:
		rr.kind = pdfKindEmpty
	}
}

// pdfAmountLast decides whether a multi-line transaction prints its amount on
// its last line (HSBC) rather than its first (most banks): a dated line
// without an amount, followed by the amount on a later line, says last;
// continuation lines after an amount, followed by the next dated line,
// say first.
func pdfAmountLast(rows []pdfReadRow) (bool, int, int) {
	var last, first int
	for i, r := range rows {
		if r.kind != pdfKindTxn {
			continue
		}
		if r.dated && !r.money {
			j := i + 1
			for j < len(rows) && rows[j].kind == pdfKindText {
				j++
			}
			if j < len(rows) && rows[j].kind == pdfKindTxn && rows[j].money && !rows[j].dated {
				last++
			}
		}
		if r.money {
			j := i + 1
			for j < len(rows) && rows[j].kind == pdfKindText {
				j++
			}
			if j > i+1 && (j == len(rows) || rows[j].kind == pdfKindBalance || rows[j].kind == pdfKindTxn && rows[j].dated) {
				first++
			}
		}
	}
	return last > first, last, first
}

// readGroup turns a group's rows into transactions.
func (rd *pdfReader) readGroup(t *pdfTable, g *pdfGroup, rows []pdfReadRow) error {
	last, nLast, nFirst := pdfAmountLast(rows)
	if last {
		rd.note("%s: a transaction's amount is on its last line (%d cases against %d)", t.header[0].where(), nLast, nFirst)
	}
	pitch := pdfRowPitch(rows)
	close := func(a, b *pdfRow) bool {
		return a != nil && a.page == b.page && b.y > a.y && b.y-a.y <= math.Max(1.6*pitch, 1.5*b.em())
	}
	sec := t.section
	var open *pdfTxn
	var prevDate *pdfDate
	var secSum decimal.Decimal
	secLines := 0
	suspended := false
	var held []pdfReadRow // rows read while suspended, replayed on resuming
	var prevRow *pdfRow
	var txns []*pdfTxn

	finish := func() error {
		if open != nil && open.money == nil && open.dateRow != nil {
			return pdfErrorfAt(open.row, "a dated line without an amount: %q", open.row.text())
		}
		open = nil
		return nil
	}
	start := func(r pdfReadRow) (*pdfTxn, error) {
		x := &pdfTxn{row: r.tr.row, last: r.tr.row, section: sec, table: t}
		if s, ok := r.cells.dates[pdfRoleDate]; ok {
			if err := x.setDate(s, r.tr.row); err != nil {
				return nil, err
			}
		}
		if s, ok := r.cells.dates[pdfRolePostDate]; ok {
			if x.dateRow != nil { // a transaction date and a posting date: booked when posted
				d := x.date
				x.valueDate = &d
			}
			if err := x.setDate(s, r.tr.row); err != nil {
				return nil, err
			}
		}
		if s, ok := r.cells.dates[pdfRoleValueDate]; ok {
			d, _, err := pdfScanDate(s)
			if err != nil {
				return nil, pdfErrorfAt(r.tr.row, "value date: %v", err)
			}
			x.valueDate = &d
		}
		if x.dateRow == nil && prevDate != nil {
			x.date = *prevDate // the date printed once for the day's transactions
			x.hasDate = true
		}
		if x.dateRow != nil {
			d := x.date
			prevDate = &d
		}
		x.addText(r.cells)
		txns = append(txns, x)
		return x, nil
	}
	addMoney := func(x *pdfTxn, r pdfReadRow) error {
		c := r.cells
		if b, ok := c.money[pdfRoleBalance]; ok {
			x.balance = &b
		}
		var found []pdfRole
		for _, role := range []pdfRole{pdfRoleAmount, pdfRoleDebit, pdfRoleCredit} {
			if m, ok := c.money[role]; ok && !(m.abs.IsZero() && len(c.money) > 1) {
				found = append(found, role)
			}
		}
		switch {
		case len(found) == 0:
			if _, ok := c.money[pdfRoleAmount]; ok {
				found = []pdfRole{pdfRoleAmount}
			} else if _, ok := c.money[pdfRoleDebit]; ok {
				found = []pdfRole{pdfRoleDebit}
			} else if _, ok := c.money[pdfRoleCredit]; ok {
				found = []pdfRole{pdfRoleCredit}
			} else {
				return nil
			}
		case len(found) > 1:
			return pdfErrorfAt(r.tr.row, "amounts in both the %s and the %s column", strings.ToLower(c.moneyCol[found[0]]), strings.ToLower(c.moneyCol[found[1]]))
		}
		m := c.money[found[0]]
		x.money, x.role, x.colLabel = &m, found[0], c.moneyCol[found[0]]
		switch x.role {
		case pdfRoleDebit:
			if m.sign > 0 {
				return pdfErrorfAt(r.tr.row, "the %s column holds %q, marked as a credit", strings.ToLower(x.colLabel), m.mark)
			}
			x.sign, x.signSource = -1, "column"
		case pdfRoleCredit:
			if m.sign < 0 {
				return pdfErrorfAt(r.tr.row, "the %s column holds %q, marked as a debit", strings.ToLower(x.colLabel), m.mark)
			}
			x.sign, x.signSource = 1, "column"
		}
		if sec != nil && x.role == pdfRoleAmount {
			secSum = secSum.Add(m.abs)
			secLines++
		}
		if !x.hasDate {
			return pdfErrorfAt(r.tr.row, "a transaction without a date, and none above it in its table")
		}
		return nil
	}

	var handle func(r pdfReadRow) error
	handle = func(r pdfReadRow) error {
		row := r.tr.row
		switch r.kind {
		case pdfKindEmpty:
			return nil
		case pdfKindHeading:
			if err := finish(); err != nil {
				return err
			}
			sec = r.tr.section
			secSum, secLines = decimal.Zero, 0
			return nil
		case pdfKindBalance:
			if err := finish(); err != nil {
				return err
			}
			v, ok := r.cells.money[pdfRoleBalance]
			if !ok {
				if len(r.cells.all) != 1 || r.label == "" {
					return pdfErrorfAt(row, "%q: %d amounts and no balance column to tell which is the balance", row.text(), len(r.cells.all))
				}
				v = r.cells.all[0]
			}
			closing, _, _ := pdfBalanceLabelAt(r.label)
			rd.events = append(rd.events, pdfEvent{bal: v, closing: closing, labelled: r.label != "", row: row})
			return nil
		case pdfKindTotal:
			if err := finish(); err != nil {
				return err
			}
			return rd.checkTotal(r, sec, secSum, secLines)
		case pdfKindOther:
			if err := finish(); err != nil {
				return err
			}
			rd.outside = append(rd.outside, row)
			// Words from the left edge between transactions: a heading
			// Ferry does not know, or the page's own text. What follows
			// is read only when it looks like the table again, and not
			// under the section of before.
			suspended = true
			held = nil
			if prevRow != nil && prevRow.page == row.page {
				sec = nil
			}
			return nil
		case pdfKindText:
			switch {
			case open != nil && close(open.last, row) && (!last || open.money == nil):
				open.addText(r.cells)
				open.last = row
			case last && (open == nil || open.money != nil) && (open == nil || close(open.last, row)):
				if err := finish(); err != nil {
					return err
				}
				x, err := start(r)
				if err != nil {
					return err
				}
				open = x
			default:
				rd.outside = append(rd.outside, row)
			}
			return nil
		}
		// pdfKindTxn
		if r.money && open != nil && open.money == nil && !r.dated && close(open.last, row) {
			open.addText(r.cells)
			open.last = row
			return addMoney(open, r)
		}
		if err := finish(); err != nil {
			return err
		}
		x, err := start(r)
		if err != nil {
			return err
		}
		open = x
		return addMoney(x, r)
	}

	for i, r := range rows {
		if i > 0 && prevRow != nil && r.tr.row.page != prevRow.page {
			if err := finish(); err != nil {
				return err
			}
			suspended = true // the new page may begin with its own heading
			held = nil
		}
		if suspended {
			resume := r.kind == pdfKindBalance || r.kind == pdfKindHeading ||
				r.kind == pdfKindTxn && (r.dated || r.money && pdfAlignedMoney(g, r))
			if !resume {
				if r.kind == pdfKindOther {
					held = nil
					rd.outside = append(rd.outside, r.tr.row)
				} else if r.kind == pdfKindText {
					held = append(held, r)
				}
				prevRow = r.tr.row
				continue
			}
			suspended = false
			// Lines held just above the resuming one belong to it.
			k := len(held)
			for k > 0 && (k == len(held) && close(held[k-1].tr.row, r.tr.row) || k < len(held) && close(held[k-1].tr.row, held[k].tr.row)) {
				k--
			}
			for _, h := range held[:k] {
				rd.outside = append(rd.outside, h.tr.row)
			}
			for _, h := range held[k:] {
				if err := handle(h); err != nil {
					return err
				}
			}
			held = nil
		}
		if err := handle(r); err != nil {
			return err
		}
		prevRow = r.tr.row
	}
	if err := finish(); err != nil {
		return err
	}
	for _, x := range txns {
		if x.money != nil {
			rd.events = append(rd.events, pdfEvent{txn: x, row: x.row})
		}
	}
	// Keep events in document order: transactions were added after the
	// balance rows of this group.
	sort.SliceStable(rd.events, func(i, j int) bool {
		a, b := rd.events[i].row, rd.events[j].row
		if a.page != b.page {
			return a.page < b.page
		}
		return a.line < b.line
	})
	return nil
}

// pdfAlignedMoney reports whether a row's amount lines up with its column's
// other amounts: a table row, not a number in the page's own text.
func pdfAlignedMoney(g *pdfGroup, r pdfReadRow) bool {
	for role := range r.cells.money {
		for _, c := range g.cols {
			if c.role == role && c.align != 0 {
				return true
			}
		}
	}
	return false
}

func pdfRowPitch(rows []pdfReadRow) float64 {
	var ds []float64
	for i := 1; i < len(rows); i++ {
		a, b := rows[i-1].tr.row, rows[i].tr.row
		if a.page == b.page && b.y > a.y {
			ds = append(ds, b.y-a.y)
		}
	}
	if len(ds) == 0 {
		return 12
	}
	sort.Float64s(ds)
	return ds[len(ds)/2]
}

func (x *pdfTxn) setDate(s string, r *pdfRow) error {
	d, ok, err := pdfScanDate(s)
	if err != nil {
		return pdfErrorfAt(r, "date: %v", err)
	}
	if !ok {
		return nil
	}
	x.date, x.dateRow, x.hasDate = d, r, true
	return nil
}

func (x *pdfTxn) addText(c pdfRowCells) {
	d := append(append([]string(nil), c.text[pdfRoleType]...), c.text[pdfRoleDescription]...)
	if len(d) > 0 {
		x.desc = append(x.desc, strings.Join(d, " "))
	}
	if len(c.text[pdfRoleReference]) > 0 {
		x.ref = append(x.ref, strings.Join(c.text[pdfRoleReference], " "))
	}
	if len(c.text[pdfRoleCounterparty]) > 0 {
		x.cp = append(x.cp, strings.Join(c.text[pdfRoleCounterparty], " "))
	}
}

// checkTotal compares a section's printed total with the amounts read under
// it, where the total names the section ("Total Deposits and Additions").
func (rd *pdfReader) checkTotal(r pdfReadRow, sec *pdfSection, sum decimal.Decimal, n int) error {
	if sec == nil || sec.kind != pdfSectionCredits && sec.kind != pdfSectionDebits {
		return nil
	}
	label := pdfNormHeading(pdfTotalStart.ReplaceAllString(strings.TrimSpace(r.label), ""))
	if label == "" || !strings.Contains(pdfNormHeading(sec.title), label) && !strings.Contains(label, pdfNormHeading(sec.title)) {
		return nil
	}
	v, ok := r.cells.money[pdfRoleAmount]
	if !ok {
		if len(r.cells.all) != 1 {
			return nil
		}
		v = r.cells.all[0]
	}
	if !v.abs.Equal(sum) {
		return &pdfError{where: r.tr.row.where(), class: ferry.ClassValidationFailed,
			err: fmt.Errorf("%q says %s, but the %d amounts read under %q add up to %s: a line was missed or misread", r.label, v.abs.StringFixed(2), n, sec.title, sum.StringFixed(2))}
	}
	return nil
}

func (rd *pdfReader) note(format string, args ...any) {
	rd.notes = append(rd.notes, fmt.Sprintf(format, args...))
}

func (rd *pdfReader) noteColumns(t *pdfTable) {
	var parts []string
	for gi, g := range t.groups {
		for _, c := range g.cols {
			role := c.role.String()
			if c.role == pdfRoleNone {
				role = "not read"
			}
			parts = append(parts, fmt.Sprintf("%q=%s", c.label, role))
		}
		if gi == 0 && len(t.groups) > 1 {
			parts = append(parts, fmt.Sprintf("printed %d times side by side", len(t.groups)))
			break
		}
	}
	s := fmt.Sprintf("%s: transaction table, columns %s", t.header[0].where(), strings.Join(parts, ", "))
	if t.section != nil {
		s += fmt.Sprintf(", in section %q", t.section.title)
	}
	rd.note("%s", s)
}
