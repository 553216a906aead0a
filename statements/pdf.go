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
	rd := &pdfReader{file: name, pages: doc.NumPages(), secSum: map[string]decimal.Decimal{}, secLines: map[string]int{}, noted: map[string]bool{}}
	for p := 1; p <= doc.NumPages(); p++ {
		page, err := doc.Page(p)
		if err != nil {
			return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, fmt.Sprintf("%s: page %d", name, p), "%w", err)
		}
		rows := pdfRowsOfPage(page)
		// A page with no text is a scan when it draws an image; a page
		// with neither is blank on purpose and holds nothing.
		if len(rows) == 0 && page.Images > 0 {
			rd.blank = append(rd.blank, p)
		}
		if len(rows) > 0 && len(rows) <= 3 && page.Images > 0 {
			values := false
			for i := range rows {
				values = values || pdfRowHasValues(&rows[i])
			}
			if !values {
				rd.sparse = append(rd.sparse, p)
			}
		}
		rd.rows = append(rd.rows, rows...)
	}
	if len(rd.rows) == 0 {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name,
			"no text on any of its %d pages: %w; Ferry does not OCR scanned pages", doc.NumPages(), pdftext.ErrNoText)
	}
	st, err := rd.read(ctx)
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
	blank   []int // scanned pages: an image and no text
	sparse  []int // scanned pages with a line or three of text (a page number) and no date or amount
	rows    []pdfRow
	tables  []*pdfTable
	outside []*pdfRow // rows outside any table: the statement's fields
	events  []pdfEvent
	lastTxn *pdfTxn // the last transaction read, for a row split by a page break
	// lastDate is the date printed last in lastDateTable, for a table
	// that goes on on the next page with transactions of the same day.
	lastDate      *pdfDate
	lastDateTable *pdfTable
	// firstValues is, by page, the index of its first row with a date or
	// an amount (len(rows) when none).
	firstValues map[int]int
	// secSum and secLines add up the amounts under each section, by
	// title, for the section's printed total.
	secSum   map[string]decimal.Decimal
	secLines map[string]int
	notes    []string
	noted    map[string]bool // table layouts already noted
	warns    []string
	// what the fields say
	fields pdfFields
	// card: a credit card statement (two or more of its labels, such as
	// "Credit limit" and "Payment due date").
	card    bool
	cardWhy []string
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
	txid       []string
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

func (rd *pdfReader) read(ctx context.Context) (ferry.Statement, error) {
	rd.segment()
	rd.detectCard()
	if rd.card {
		// On a card, "Payments" are credits to the card and "Charges"
		// debits.
		for _, t := range rd.tables {
			for gi := range t.groups {
				for k := range t.groups[gi].cols {
					c := &t.groups[gi].cols[k]
					switch pdfNormLabel(c.label) {
					case "payments", "payment", "payments/credits", "payments and credits", "credits", "credit":
						c.role = pdfRoleCredit
					case "charges", "purchases", "purchases/charges", "new charges", "debits", "debit", "purchases and adjustments":
						c.role = pdfRoleDebit
					}
				}
			}
		}
	}
	for _, t := range rd.tables {
		if err := ctx.Err(); err != nil {
			return ferry.Statement{}, err
		}
		if t.skip {
			continue
		}
		if err := rd.readTable(t); err != nil {
			return ferry.Statement{}, err
		}
	}
	// Events in document order: a table's balance rows were added before
	// its transactions, and copies side by side one after the other.
	sort.SliceStable(rd.events, func(i, j int) bool {
		a, b := rd.events[i].row, rd.events[j].row
		if a.page != b.page {
			return a.page < b.page
		}
		return a.line < b.line
	})
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

// detectCard tells a credit card statement by its labels.
func (rd *pdfReader) detectCard() {
	seen := map[string]bool{}
	for _, r := range rd.outside { // not descriptions: "CREDIT CARD PAYMENT"
		for _, m := range pdfCardCues.FindAllString(r.text(), -1) {
			k := strings.ToLower(m)
			if !seen[k] {
				seen[k] = true
				rd.cardWhy = append(rd.cardWhy, m)
			}
		}
		if len(rd.cardWhy) >= 2 {
			rd.card = true
			rd.note("a credit card statement (%q, %q): a minus marks a payment or refund, a credit to the card", rd.cardWhy[0], rd.cardWhy[1])
			return
		}
	}
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
	rd.firstValues = map[int]int{}
	for i := range rd.rows {
		p := rd.rows[i].page
		if _, ok := rd.firstValues[p]; !ok || i < rd.firstValues[p] {
			if pdfRowHasValues(&rd.rows[i]) {
				rd.firstValues[p] = i
			} else if !ok {
				rd.firstValues[p] = len(rd.rows)
			}
		}
	}
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

// topOfPage reports whether rows[i] comes before any row of its page with
// a date or an amount.
func (rd *pdfReader) topOfPage(i int) bool {
	return rd.firstValues[rd.rows[i].page] >= i
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
	pdfKindBreak              // where the table was suspended
)

type pdfReadRow struct {
	tr    pdfTableRow
	cells pdfRowCells
	kind  pdfRowKind
	label string // the balance or total label
	money bool   // an amount in an amount, debit or credit column
	dated bool
	// resetSection: a break mid-page, after which the section heading
	// above no longer applies.
	resetSection bool
	// looseTotal: "Total" and other words ("TOTAL GAS & POWER"): a total
	// only where every transaction prints its date.
	looseTotal bool
}

// readTable reads a table's transactions and balance rows into events.
func (rd *pdfReader) readTable(t *pdfTable) error {
	t.learn()
	rd.noteColumns(t)
	// A row that the first copy of a side-by-side table reads as a label
	// row ("Total checks") spans the whole width: its amount, under the
	// second copy, is the total's, not a transaction.
	whole := map[*pdfRow]bool{}
	for gi := range t.groups {
		g := &t.groups[gi]
		var rows []pdfReadRow
		for _, tr := range t.rows {
			rr := pdfReadRow{tr: tr}
			if tr.section != nil && !g.atLeftEdge(tr.row) {
				// A description line that reads like a heading
				// ("PURCHASE"): the table's, not a section.
				tr.section, rr.tr.section = nil, nil
			}
			if tr.section != nil {
				rr.kind = pdfKindHeading
				rows = append(rows, rr)
				continue
			}
			if whole[tr.row] {
				rr.kind = pdfKindOther
				rows = append(rows, rr)
				continue
			}
			toks := pdfInGroup(tr.row.tokens(), g)
			if len(toks) == 0 {
				continue
			}
			cells, err := g.cellsOf(tr.row, toks)
			if err != nil {
				return err
			}
			rr.cells = cells
			rr.classify()
			if rr.cells.unread != nil && (rr.kind == pdfKindTxn || rr.kind == pdfKindBalance || rr.kind == pdfKindTotal) {
				rr.cells.fail(rr.cells.unread)
			}
			if gi == 0 && len(t.groups) > 1 && (rr.kind == pdfKindOther || rr.kind == pdfKindTotal || rr.kind == pdfKindBalance) {
				whole[tr.row] = true
			}
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
	// Labels ("BALANCE B/F", "Total Checks Paid") may start in any text
	// column: a checks table's first column is the check number.
	var words []string
	for _, e := range c.entries {
		if !e.role.isDate() {
			words = append(words, e.text)
		}
	}
	text := strings.Join(words, " ")
	if _, n, ok := pdfBalanceLabelAt(text); ok && len(c.all) > 0 {
		rr.kind, rr.label = pdfKindBalance, strings.TrimSpace(text[:n])
		return
	}
	if pdfInterimBalance.MatchString(text) && len(c.all) > 0 {
		rr.kind, rr.label = pdfKindBalance, text // a day's balance: a check of the running balance
		return
	}
	if !rr.dated && len(c.all) > 0 && pdfStartsTotal(text) {
		rr.kind, rr.label = pdfKindTotal, text
		rr.looseTotal = !pdfIsTotalLabel(text)
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

// readGroup turns a group's rows into transactions, in three steps: rows
// that are not the table's are set aside; lines of text go with the
// transaction line (one with a date or an amount) they belong to; and
// transactions are built from those lines.
func (rd *pdfReader) readGroup(t *pdfTable, g *pdfGroup, rows []pdfReadRow) error {
	seq, err := rd.tableRows(g, rows)
	if err != nil {
		return err
	}
	// A line starting "Total" with other words is a merchant's where
	// transactions go without a date of their own (the date printed once
	// a day), and a total where each one prints its date.
	undated := false
	for _, r := range seq {
		if r.kind == pdfKindTxn && !r.dated && r.money {
			undated = true
		}
	}
	for i := range seq {
		if seq[i].kind == pdfKindTotal && seq[i].looseTotal && undated {
			seq[i].kind = pdfKindTxn
			for _, role := range []pdfRole{pdfRoleAmount, pdfRoleDebit, pdfRoleCredit} {
				if _, ok := seq[i].cells.money[role]; ok {
					seq[i].money = true
				}
			}
		}
	}
	pitch := pdfRowPitch(seq)
	last, nLast, nFirst := pdfAmountLast(seq)
	if last && !rd.noted["amount last"] {
		rd.noted["amount last"] = true
		rd.note("%s: a transaction's amount is on its last line (%d cases against %d)", t.header[0].where(), nLast, nFirst)
	}
	owner := pdfAttach(seq, pitch, last)

	sec := t.section
	var open *pdfTxn
	var prevDate *pdfDate
	if rd.lastDate != nil && pdfSameColumns(rd.lastDateTable, t) {
		// The table goes on from the page before: so does its day.
		prevDate = rd.lastDate
	}
	defer func() {
		if prevDate != nil {
			rd.lastDate, rd.lastDateTable = prevDate, t
		}
	}()
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
		if len(found) == 0 {
			for _, role := range []pdfRole{pdfRoleAmount, pdfRoleDebit, pdfRoleCredit} {
				if _, ok := c.money[role]; ok {
					found = []pdfRole{role}
					break
				}
			}
		}
		switch {
		case len(found) == 0:
			return nil
		case len(found) > 1:
			return pdfErrorfAt(r.tr.row, "amounts in both the %s and the %s column", strings.ToLower(c.moneyCol[found[0]]), strings.ToLower(c.moneyCol[found[1]]))
		}
		m := c.money[found[0]]
		if ind := strings.ToUpper(strings.Join(c.text[pdfRoleSign], "")); ind != "" && found[0] == pdfRoleAmount {
			// A Dr/Cr column beside the amount says its sign.
			sign := map[string]int{"DR": -1, "D": -1, "DB": -1, "CR": 1, "C": 1}[strings.Trim(ind, ".")]
			if sign == 0 || m.sign != 0 && m.sign != sign {
				return pdfErrorfAt(r.tr.row, "the debit/credit mark %q does not say the sign of %s", ind, m.abs.StringFixed(2))
			}
			m.sign, m.mark = sign, strings.Trim(ind, ".")
		}
		x.money, x.role, x.colLabel = &m, found[0], c.moneyCol[found[0]]
		switch x.role {
		case pdfRoleDebit:
			if m.sign > 0 {
				return pdfErrorfAt(r.tr.row, "the %s column holds an amount marked %q, a credit", strings.ToLower(x.colLabel), m.mark)
			}
			x.sign, x.signSource = -1, "column"
		case pdfRoleCredit:
			if m.sign < 0 {
				return pdfErrorfAt(r.tr.row, "the %s column holds an amount marked %q, a debit", strings.ToLower(x.colLabel), m.mark)
			}
			x.sign, x.signSource = 1, "column"
		}
		if sec != nil && x.role == pdfRoleAmount {
			// Summed by title: a section continued on the next page is
			// one section.
			k := pdfNormHeading(sec.title)
			rd.secSum[k] = rd.secSum[k].Add(m.abs)
			rd.secLines[k]++
		}
		if !x.hasDate {
			return pdfErrorfAt(r.tr.row, "a transaction without a date, and none above it in its table")
		}
		return nil
	}
	owned := map[int][]int{} // anchor -> the lines that go with it, in order
	for i, o := range owner {
		if o >= 0 {
			owned[o] = append(owned[o], i)
		}
	}
	// text adds the lines that go with anchor a, above it or below it.
	text := func(x *pdfTxn, a int, above bool) {
		for _, i := range owned[a] {
			if (i < a) == above {
				x.addText(seq[i].cells)
				if seq[i].tr.row.y > x.last.y || seq[i].tr.row.page > x.last.page {
					x.last = seq[i].tr.row
				}
			}
		}
	}
	// Lines that end a transaction begun on the page before.
	for i, o := range owner {
		if o != -2 {
			continue
		}
		x := rd.lastTxn
		if x != nil && x.last.page == seq[i].tr.row.page-1 && (x.table == t || pdfSameColumns(x.table, t)) {
			x.addText(seq[i].cells)
			continue
		}
		// Not one Ferry can join: it goes with the transaction below.
		for k := i + 1; k < len(owner); k++ {
			if owner[k] >= 0 {
				owner[i] = owner[k]
				break
			}
		}
	}
	for i, r := range seq {
		row := r.tr.row
		switch r.kind {
		case pdfKindHeading:
			if err := finish(); err != nil {
				return err
			}
			sec = r.tr.section
		case pdfKindBreak, pdfKindOther:
			if err := finish(); err != nil {
				return err
			}
			if r.kind == pdfKindBreak && r.resetSection {
				sec = nil
			}
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
			if s, ok := r.cells.dates[pdfRoleDate]; ok {
				// "15 Mar 24 BALANCE BROUGHT FORWARD": the day the
				// transactions under it, printed without a date, are on.
				if d, ok, err := pdfScanDate(s); ok && err == nil {
					prevDate = &d
				}
			}
		case pdfKindTotal:
			if err := finish(); err != nil {
				return err
			}
			if err := rd.checkTotal(r, sec); err != nil {
				return err
			}
		case pdfKindTxn:
			if r.money && open != nil && open.money == nil && !r.dated && pdfClose(open.last, row, pitch) {
				// The amount line of a transaction whose date line came first.
				text(open, i, true)
				open.addText(r.cells)
				open.last = row
				text(open, i, false)
				if err := addMoney(open, r); err != nil {
					return err
				}
				continue
			}
			if err := finish(); err != nil {
				return err
			}
			x, err := start(r)
			if err != nil {
				return err
			}
			open = x
			text(x, i, true)
			x.addText(r.cells)
			text(x, i, false)
			if err := addMoney(x, r); err != nil {
				return err
			}
		}
	}
	if err := finish(); err != nil {
		return err
	}
	for i, o := range owner {
		if o < 0 && seq[i].kind == pdfKindText {
			rd.outside = append(rd.outside, seq[i].tr.row)
		}
	}
	for _, x := range txns {
		if x.money != nil {
			rd.events = append(rd.events, pdfEvent{txn: x, row: x.row})
			rd.lastTxn = x
		}
	}
	return nil
}

// pdfClose reports whether row b follows row a closely enough, on the same
// page, to be part of one transaction.
func pdfClose(a, b *pdfRow, pitch float64) bool {
	return a != nil && a.page == b.page && b.y > a.y && b.y-a.y <= math.Max(1.6*pitch, 2*b.em())
}

// tableRows sets aside the rows that are not the table's. Text from the
// left edge between transactions (a heading Ferry does not know, the page's
// own text) suspends the table, and so does a new page: what follows is
// read only when it looks like the table again (a date, or an amount lined
// up with its column), with the lines just above it.
func (rd *pdfReader) tableRows(g *pdfGroup, rows []pdfReadRow) ([]pdfReadRow, error) {
	var seq, held []pdfReadRow
	suspended := false
	// pageBreak: suspended by a new page, whose table rows may begin with
	// an amount line; after words from the left edge mid-page, the table
	// resumes only with a dated line.
	pageBreak := false
	var prev *pdfRow
	for _, r := range rows {
		row := r.tr.row
		if prev != nil && row.page != prev.page && !suspended {
			suspended, pageBreak = true, true
			held = nil
			seq = append(seq, pdfReadRow{kind: pdfKindBreak, tr: pdfTableRow{row: row}})
		}
		if r.kind == pdfKindOther {
			// Not under a section any more when it happens mid-page.
			reset := prev != nil && prev.page == row.page && !suspended
			if !suspended {
				pageBreak = false
			}
			if !suspended || reset {
				seq = append(seq, pdfReadRow{kind: pdfKindBreak, tr: pdfTableRow{row: row}, resetSection: reset})
			}
			for _, h := range held {
				rd.outside = append(rd.outside, h.tr.row)
			}
			suspended, held = true, nil
			rd.outside = append(rd.outside, row)
			prev = row
			continue
		}
		if suspended {
			resume := r.kind == pdfKindBalance || r.kind == pdfKindHeading ||
				r.kind == pdfKindTxn && (r.dated || pageBreak && r.money && pdfAlignedMoney(g, r))
			if !resume {
				if r.kind == pdfKindText {
					held = append(held, r)
				}
				prev = row
				continue
			}
			suspended = false
			for _, h := range held {
				if h.cells.err != nil {
					return nil, h.cells.err
				}
			}
			seq = append(seq, held...)
			held = nil
		}
		if r.cells.err != nil {
			return nil, r.cells.err
		}
		seq = append(seq, r)
		prev = row
	}
	for _, h := range held {
		rd.outside = append(rd.outside, h.tr.row)
	}
	return seq, nil
}

// pdfAttach gives each line of text the transaction line it belongs to (an
// index into seq), or -1. Between two transaction lines, the widest gap
// separates them: a description may run on below its amount line, or begin
// above it (cells centred vertically, amounts on the last line). When the
// gaps are all alike, the statement's habit decides: amountLast puts the
// lines with the transaction below.
func pdfAttach(seq []pdfReadRow, pitch float64, amountLast bool) []int {
	owner := make([]int, len(seq))
	for i := range owner {
		owner[i] = -1
	}
	for i := 0; i < len(seq); {
		if seq[i].kind != pdfKindText {
			i++
			continue
		}
		j := i
		for j < len(seq) && seq[j].kind == pdfKindText {
			j++
		}
		// seq[i:j] is a run of text lines; p and n the lines around it.
		p, n := i-1, j
		if p >= 0 && seq[p].kind != pdfKindTxn {
			p = -1
		}
		if n >= len(seq) || seq[n].kind != pdfKindTxn {
			n = -1
		}
		// gaps[k] is the gap above run line i+k; gaps[j-i] the one below
		// the run. A gap too wide (or a page break) cuts the chain.
		ys := make([]*pdfRow, 0, j-i+2)
		if p >= 0 {
			ys = append(ys, seq[p].tr.row)
		} else {
			ys = append(ys, nil)
		}
		for k := i; k < j; k++ {
			ys = append(ys, seq[k].tr.row)
		}
		if n >= 0 {
			ys = append(ys, seq[n].tr.row)
		} else {
			ys = append(ys, nil)
		}
		gaps := make([]float64, len(ys)-1)
		for k := range gaps {
			a, b := ys[k], ys[k+1]
			if a == nil || b == nil || !pdfClose(a, b, pitch) {
				gaps[k] = math.Inf(1)
			} else {
				gaps[k] = b.y - a.y
			}
		}
		split := -1 // lines before the split go up, the rest down
		// A run at the top of a page with nothing above it may end a
		// transaction the page before began: a row split by the page
		// break. Its lines go up (owner -2) when a gap clearly wider than
		// a line's sets them apart from the transaction below.
		if p < 0 && (i == 0 || seq[i-1].kind == pdfKindBreak) && n >= 0 && j-i >= 1 && seq[i].tr.row.page > 1 {
			w, sec := -1, math.Inf(-1)
			for k := 1; k < len(gaps); k++ {
				if math.IsInf(gaps[k], 1) {
					w = -1
					break
				}
				if w < 0 || gaps[k] > gaps[w] {
					if w >= 0 {
						sec = math.Max(sec, gaps[w])
					}
					w = k
				} else {
					sec = math.Max(sec, gaps[k])
				}
			}
			if w > 0 && (math.IsInf(sec, -1) && gaps[w] > 1.2*pitch || !math.IsInf(sec, -1) && gaps[w]-sec > 0.15*pitch) {
				for k := i; k < i+w; k++ {
					owner[k] = -2
				}
				for k := i + w; k < j; k++ {
					owner[k] = n
				}
				i = j
				continue
			}
		}
		widest, second := -1, math.Inf(-1)
		for k, gp := range gaps {
			if widest < 0 || gp > gaps[widest] {
				if widest >= 0 {
					second = math.Max(second, gaps[widest])
				}
				widest = k
			} else {
				second = math.Max(second, gp)
			}
		}
		switch {
		case math.IsInf(gaps[widest], 1) || gaps[widest]-second > 0.15*pitch:
			split = widest
		case amountLast:
			split = 0
		default:
			split = len(gaps) - 1
		}
		for k := i; k < j; k++ {
			idx := k - i // run line idx lies between gaps[idx] and gaps[idx+1]
			if idx < split {
				// up: every gap from p to here must be pdfClose
				ok := p >= 0
				for q := 0; q <= idx && ok; q++ {
					ok = !math.IsInf(gaps[q], 1)
				}
				if ok {
					owner[k] = p
				}
			} else {
				ok := n >= 0
				for q := idx + 1; q < len(gaps) && ok; q++ {
					ok = !math.IsInf(gaps[q], 1)
				}
				if ok {
					owner[k] = n
				}
			}
		}
		i = j
	}
	return owner
}

// pdfAlignedMoney reports whether a row's amounts line up with their
// columns' other amounts: a table row, not a number in the page's own text.
func pdfAlignedMoney(g *pdfGroup, r pdfReadRow) bool {
	if len(r.cells.moneyTok) == 0 {
		return false
	}
	em := r.tr.row.em()
	for k, tok := range r.cells.moneyTok {
		c := g.cols[k]
		if c.align != pdfAlignRight || math.Abs(tok.numX1-c.edge) > 0.6*em {
			return false
		}
	}
	return true
}

// pdfRowPitch is the table's line spacing: the distance between two
// transaction lines that follow each other, or, with too few of them, the
// median distance between lines. (Between the lines of one cell the
// distance can be half a line, when cells are centred vertically.)
func pdfRowPitch(rows []pdfReadRow) float64 {
	var all, anchors []float64
	for i := 1; i < len(rows); i++ {
		a, b := rows[i-1], rows[i]
		if a.tr.row.page != b.tr.row.page || b.tr.row.y <= a.tr.row.y || a.kind == pdfKindBreak || b.kind == pdfKindBreak {
			continue
		}
		d := b.tr.row.y - a.tr.row.y
		all = append(all, d)
		if a.kind == pdfKindTxn && b.kind == pdfKindTxn {
			anchors = append(anchors, d)
		}
	}
	ds := all
	if len(anchors) >= 3 {
		ds = anchors
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
	if len(c.text[pdfRoleTransactionID]) > 0 {
		x.txid = append(x.txid, strings.Join(c.text[pdfRoleTransactionID], " "))
	}
	if len(c.text[pdfRoleCounterparty]) > 0 {
		x.cp = append(x.cp, strings.Join(c.text[pdfRoleCounterparty], " "))
	}
}

// checkTotal compares a section's printed total with the amounts read under
// it, where the total names the section ("Total Deposits and Additions").
func (rd *pdfReader) checkTotal(r pdfReadRow, sec *pdfSection) error {
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
	k := pdfNormHeading(sec.title)
	sum, n := rd.secSum[k], rd.secLines[k]
	delete(rd.secSum, k)
	delete(rd.secLines, k)
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
	s := "columns " + strings.Join(parts, ", ")
	if t.section != nil {
		s += fmt.Sprintf(", in section %q", t.section.title)
	}
	// A header repeated on every page is noted once.
	if rd.noted[s] {
		return
	}
	rd.noted[s] = true
	rd.note("%s: transaction table, %s", t.header[0].where(), s)
}
