package statements

// Turning a recognised table's rows into statements: one per account,
// streamed line by line, with the balance chain checked as it goes.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// Scan reads a CSV or XLSX statement export row by row, handing each line
// to fn and keeping none, so memory stays flat however long the file is.
// Columns are recognised from the first rows (or taken from o.Mapping),
// then the rest streams. The balance chain is checked as it goes: a break
// is a ferry.ClassValidationFailed error naming the row and the columns.
// It returns one statement per account (a file with an account column
// can hold several), with header, balances, notes and warnings but no
// lines, and how many lines fn received. Lines come in file order (a
// file that lists the newest first says so in the notes).
func Scan(ctx context.Context, name string, f io.ReaderAt, size int64, o Options, fn func(ferry.StatementLine) error) ([]ferry.Statement, int, error) {
	return scanTable(ctx, name, f, size, o, fn, false)
}

// parseTable reads a whole CSV or XLSX export into statements.
func parseTable(ctx context.Context, name string, data []byte, o Options) ([]ferry.Statement, error) {
	sts, _, err := scanTable(ctx, name, bytes.NewReader(data), int64(len(data)), o, nil, true)
	return sts, err
}

func openSource(ctx context.Context, name string, f io.ReaderAt, size int64, o Options) (rowSource, error) {
	var head [8]byte
	n, _ := f.ReadAt(head[:], 0)
	isXLSX := bytes.HasPrefix(head[:n], []byte("PK\x03\x04"))
	switch {
	case bytes.HasPrefix(head[:n], []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		var ole [64 << 10]byte
		n, _ := f.ReadAt(ole[:], 0)
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%w", oleError(ole[:n]))
	case o.Format == XLSX && !isXLSX:
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "not a readable XLSX file: no ZIP container")
	}
	if isXLSX && o.Format != CSV {
		src, err := openXLSXSource(ctx, f, size)
		if err != nil {
			return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%w", err)
		}
		if o.Mapping != nil && o.Mapping.HiddenRows == "read" {
			src.keep = true
		}
		return src, nil
	}
	enc, delim := o.Encoding, rune(0)
	if m := o.Mapping; m != nil {
		if m.Encoding != "" && enc == "" {
			enc = m.Encoding
		}
		if m.Delimiter != "" {
			delim = []rune(m.Delimiter)[0]
		}
	}
	src, err := openCSV(f, size, enc, delim)
	if err != nil {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "unreadable text: %v", err)
	}
	return src, nil
}

// acctState is one account's statement as it is read.
type acctState struct {
	st               ferry.Statement
	lines            []ferry.StatementLine
	chain            chainState
	n                int
	neg              int
	total            decimal.Decimal
	opening, closing *decimal.Decimal
	openAt, closeAt  string
	from, to         ferry.Date
	currencies       map[string]bool
	account          string // the statement's account (the map key may add the currency)
	currency         string // the currency of a per-currency statement
}

// tableRun is one pass over a table's rows.
type tableRun struct {
	ctx        context.Context
	s          *spec
	src        rowSource
	name       string
	keep       bool
	fn         func(ferry.StatementLine) error
	accts      map[string]*acctState
	order      []string
	cur        *acctState
	count      int
	summaries  int
	skipped    int
	left       leftOut // rows with an amount that are not booked lines
	detailCols []int
	amountCols string // the columns the amount comes from, for messages
	// pending are the last row's lines, held until the next row: a
	// continuation row below may add to the description.
	pending []pendingLine
	gap     []string // rows skipped since the last transaction, for a warning if another follows
}

// pendingLine is a line waiting for its continuation rows.
type pendingLine struct {
	row    tableRow
	l      ferry.StatementLine
	hasBal bool
}

// queue holds a row's line for continuation rows; the lines held before
// go out first.
func (r *tableRun) queue(row tableRow, l ferry.StatementLine, hasBal bool) error {
	for _, at := range r.gap {
		r.left.add("no date and no amount between transaction rows (a garbled row?)", at)
	}
	r.gap = r.gap[:0]
	if len(r.pending) > 0 && r.pending[0].row.num != row.num {
		if err := r.flush(); err != nil {
			return err
		}
	}
	// emit needs only the row's number: no copy of its cells.
	r.pending = append(r.pending, pendingLine{row: tableRow{num: row.num}, l: l, hasBal: hasBal})
	return nil
}

// flush sends the held lines on.
func (r *tableRun) flush() error {
	p := r.pending
	r.pending = r.pending[:0]
	for _, x := range p {
		if err := r.emit(x.row, x.l, x.hasBal); err != nil {
			return err
		}
	}
	return nil
}

// continuation reports whether a row carries on the description of the
// line above it, as Singapore banks write the merchant under a "DEBIT
// PURCHASE" row: no date, no amount, no label, text only in
// description columns, in a table with a header row.
func (r *tableRun) continuation(row tableRow) bool {
	s := r.s
	if len(r.pending) == 0 || s.headerIdx < 0 || !s.has(roleDescription) || row.cell(s.first(roleBooking)) != "" {
		// Only under a header: in a table recognised by content alone,
		// the description column is a guess to add text to.
		return false
	}
	text := false
	for j, c := range row.cells {
		if strings.TrimSpace(c) == "" {
			continue
		}
		if s.roleOf(j) != roleDescription {
			return false
		}
		text = true
	}
	if !text || r.hasMoney(row) {
		return false
	}
	k, _ := r.rowLabel(row)
	return k == labelNone
}

func scanTable(ctx context.Context, name string, f io.ReaderAt, size int64, o Options, fn func(ferry.StatementLine) error, keep bool) ([]ferry.Statement, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
	}
	src, err := openSource(ctx, name, f, size, o)
	if err != nil {
		return nil, 0, err
	}
	defer src.close()
	// The sample: the first rows, kept to recognise the columns.
	var sample []tableRow
	eof := false
	for len(sample) < sampleRows {
		row, err := src.next()
		if err == io.EOF {
			eof = true
			break
		}
		if err != nil {
			return nil, 0, ferry.Errorf(ferry.ClassDocumentChanged, name+": "+src.where(row.num), "%w", err)
		}
		sample = append(sample, row.clone())
	}
	s, err := recognise(name, sample, src, o.Mapping, o)
	if err != nil {
		return nil, 0, err
	}
	if err := s.decideAccount(name, sample, o); err != nil {
		return nil, 0, err
	}
	r := &tableRun{ctx: ctx, s: s, src: src, name: name, keep: keep, fn: fn, accts: map[string]*acctState{}}
	r.prepare()
	start := s.headerIdx + 1
	if s.headerIdx < 0 {
		start = 0
	}
	// Rows of the sample above the table were the block; the table starts
	// at the header (or at the first data row without one).
	if s.headerIdx < 0 {
		start = firstDataRow(sample)
	}
	for _, row := range sample[start:] {
		if err := r.row(row); err != nil {
			return nil, r.count, err
		}
	}
	for i := 0; !eof; i++ {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, r.count, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
			}
		}
		row, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, r.count, ferry.Errorf(ferry.ClassDocumentChanged, name+": "+src.where(row.num), "%w", err)
		}
		if err := r.row(row); err != nil {
			return nil, r.count, err
		}
	}
	sts, err := r.finish()
	return sts, r.count, err
}

// decideAccount settles where the account comes from when no column
// gives it per row: the mapping, the block above the table, the caller,
// the file name. Without any, the statement's account is empty and a
// warning says so.
func (s *spec) decideAccount(name string, sample []tableRow, o Options) error {
	var m *Mapping = o.Mapping
	if m != nil {
		a := m.Account
		switch {
		case a.Value != "":
			s.account, s.accountWhy = normAccount(a.Value), "mapping"
		case a.Cell != "":
			col, row, _ := cellRef(a.Cell)
			for _, r := range sample {
				if r.num == row {
					s.account = r.cell(col)
				}
			}
			s.account = extractAccount(s.account)
			if s.account == "" {
				return ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", m.errAt("account.cell", "cell %s is empty, holds no account number or is not in the first %d rows", a.Cell, sampleRows))
			}
			s.accountWhy = "cell " + strings.ToUpper(a.Cell) + " (mapping)"
		case a.Label != "":
			s.account = ""
			lw := fold(strings.TrimRight(a.Label, ": "))
			for _, r := range sample {
				for j, c := range r.cells {
					if fold(strings.TrimRight(c, ": ")) == lw {
						for t := j + 1; t < len(r.cells); t++ {
							if v := strings.TrimSpace(r.cells[t]); v != "" {
								s.account = extractAccount(v)
								break
							}
						}
					}
				}
				if s.account != "" {
					break
				}
			}
			if s.account == "" {
				return ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", m.errAt("account.label", "no cell %q with a value beside it in the first %d rows", a.Label, sampleRows))
			}
			s.accountWhy = fmt.Sprintf("beside %q (mapping)", a.Label)
		case a.FileName != "":
			acct := ""
			if a.FileName == "iban" {
				acct = accountFromFileName(name)
			} else if mm := regexp.MustCompile(a.FileName).FindStringSubmatch(name); mm != nil {
				acct = mm[1]
			}
			if acct == "" {
				return ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", m.errAt("account.file_name", "the file name %q holds no account", name))
			}
			s.account, s.accountWhy = normAccount(acct), "the file name (mapping)"
		case a.Parameter:
			if o.Account == "" {
				return ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", m.errAt("account.parameter", "no account given (Options.Account, ferry parse --account)"))
			}
			s.account, s.accountWhy = normAccount(o.Account), "the caller's parameter"
		}
	}
	if s.has(roleAccount) {
		return nil
	}
	switch {
	case s.account != "":
		if o.Account != "" && normAccount(o.Account) != s.account && !strings.HasSuffix(s.account, normAccount(o.Account)) {
			s.warnings = append(s.warnings, fmt.Sprintf("the file names account %s, the caller expected %s", s.account, normAccount(o.Account)))
		}
	case o.Account != "":
		s.account, s.accountWhy = normAccount(o.Account), "the caller's parameter"
	default:
		if iban := accountFromFileName(name); iban != "" {
			s.account, s.accountWhy = iban, "the IBAN in the file name"
		}
	}
	if s.account != "" {
		s.notes = append(s.notes, fmt.Sprintf("account: %s (%s)", s.account, s.accountWhy))
	}
	return nil
}

// prepare lists the columns whose text goes to Details.
func (r *tableRun) prepare() {
	used := map[int]bool{}
	for ro := role(1); ro < numRoles; ro++ {
		if ro == roleCounterpartyAccount {
			continue
		}
		for _, j := range r.s.col[ro] {
			used[j] = true
		}
	}
	for j := 0; j < len(r.s.header); j++ {
		if !used[j] && strings.TrimSpace(r.s.header[j]) != "" {
			r.detailCols = append(r.detailCols, j)
		}
	}
	if j := r.s.first(roleCounterpartyAccount); j >= len(r.s.header) {
		r.detailCols = append(r.detailCols, j)
	}
	var names []string
	for _, ro := range []role{roleAmount, roleSign, roleDebit, roleCredit} {
		for _, j := range r.s.col[ro] {
			names = append(names, r.s.colName(j))
		}
	}
	r.amountCols = strings.Join(names, " with ")
}

func (r *tableRun) errorf(num int, format string, args ...any) error {
	return ferry.Errorf(ferry.ClassDocumentChanged, r.name+": "+r.src.where(num), format, args...)
}

// money reads an amount cell: 0 and false when it is empty.
func (r *tableRun) money(row tableRow, j int) (decimal.Decimal, moneyText, bool, error) {
	v := row.cell(j)
	if v == "" {
		return decimal.Zero, moneyText{}, false, nil
	}
	if row.kind(j) == cellNumber {
		d, err := decimal.NewFromString(v)
		if err != nil {
			return d, moneyText{}, false, fmt.Errorf("%s: not a number: %q", r.s.colName(j), v)
		}
		return d, moneyText{neg: d.IsNegative(), signed: d.IsNegative()}, true, nil
	}
	d, m, err := parseAmount(v, r.s.dec)
	if err != nil {
		return d, m, false, fmt.Errorf("%s: %v", r.s.colName(j), err)
	}
	return d, m, true, nil
}

// account returns the state of the account a row belongs to.
func (r *tableRun) account(key string) *acctState {
	a, ok := r.accts[key]
	if !ok {
		a = &acctState{currencies: map[string]bool{}, account: key}
		a.chain.init()
		r.accts[key] = a
		r.order = append(r.order, key)
	}
	r.cur = a
	return a
}

// balanceRow reads an opening or closing balance row.
func (r *tableRun) balanceRow(row tableRow, k labelKind, at int) error {
	s := r.s
	var val decimal.Decimal
	found := false
	var firstErr error
	for _, ro := range []role{roleBalance, roleAmount, roleCredit, roleDebit} {
		for _, j := range s.col[ro] {
			d, _, ok, err := r.money(row, j)
			if err != nil {
				// Volksbank's footer rows are shifted by two cells
				// against the header: look beside the label instead.
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			if ok {
				val, found = d, true
				if ro == roleDebit && d.IsPositive() {
					val = d.Neg()
				}
				if ro == roleAmount && s.has(roleSign) {
					sign := signMark(row.cell(s.first(roleSign)), s.debitW, s.creditW)
					if s.debitW[sign] {
						val = d.Abs().Neg()
					}
				}
				break
			}
		}
		if found {
			break
		}
	}
	if !found {
		for j := at + 1; j < len(row.cells); j++ {
			if v := row.cell(j); v != "" && row.kind(j) != cellDate {
				d, _, ok, err := r.money(row, j)
				if err == nil && ok {
					val, found = d, true
					// A Soll/Haben mark in the next cell: "1,00;S".
					if next := fold(row.cell(j + 1)); s.debitW[next] && !d.IsNegative() {
						val = d.Neg()
					}
					break
				}
			}
		}
	}
	if !found && firstErr != nil {
		return r.errorf(row.num, "balance row: %v", firstErr)
	}
	if !found {
		return r.errorf(row.num, "balance row %q has no amount", row.cell(at))
	}
	a := r.cur
	if j := s.first(roleAccount); j >= 0 && row.cell(j) != "" {
		a = r.account(normAccount(row.cell(j)))
	} else if a == nil {
		a = r.account(s.account)
	}
	where := r.src.where(row.num)
	if k == labelOpening {
		if a.opening != nil && a.n == 0 {
			return r.errorf(row.num, "a second opening balance row (the first at %s)", a.openAt)
		}
		a.opening, a.openAt = &val, where
	} else {
		a.closing, a.closeAt = &val, where
	}
	return nil
}

// rowLabel finds a balance or total label, the mapping's own first.
func (r *tableRun) rowLabel(row tableRow) (labelKind, int) {
	for i, c := range row.cells {
		f := fold(c)
		if f == "" {
			continue
		}
		for _, l := range r.s.openLabels {
			if strings.HasPrefix(f, l) {
				return labelOpening, i
			}
		}
		for _, l := range r.s.closeLabels {
			if strings.HasPrefix(f, l) {
				return labelClosing, i
			}
		}
	}
	return r.s.labels.rowLabel(row.cells)
}

// datedBalanceRow finds, in a row with a booking date, a text cell that is
// a balance label on its own (see labelIndex.balanceLabel), or one of the
// mapping's balance labels.
func (r *tableRun) datedBalanceRow(row tableRow) (labelKind, int) {
	return r.s.datedBalanceLabel(row)
}

func (s *spec) datedBalanceLabel(row tableRow) (labelKind, int) {
	for i, c := range row.cells {
		if row.kind(i) != cellText || s.isMoneyOrDateCol(i) {
			continue
		}
		f := strings.Trim(fold(c), "|#*=-:> ")
		if f == "" {
			continue
		}
		for _, l := range s.openLabels {
			if f == l {
				return labelOpening, i
			}
		}
		for _, l := range s.closeLabels {
			if f == l {
				return labelClosing, i
			}
		}
		if k := s.labels.balanceLabel(c); k != labelNone {
			return k, i
		}
	}
	return labelNone, -1
}

// balanceCol is the column the balance chain reads: the balance after
// each line, else the balance before it.
func (s *spec) balanceCol() int {
	if j := s.first(roleBalance); j >= 0 {
		return j
	}
	return s.first(roleBalanceBefore)
}

// datedSummaryRow reports whether a row with a date is a total row: a
// text cell that is exactly a total label (Swedbank's "Turnover" rows).
func (s *spec) datedSummaryRow(row tableRow) bool {
	for i, c := range row.cells {
		if row.kind(i) == cellText && !s.isMoneyOrDateCol(i) && s.labels.summaryCell(c) {
			return true
		}
	}
	return false
}

// isMoneyOrDateCol reports whether column j holds dates or amounts.
func (s *spec) isMoneyOrDateCol(j int) bool {
	for r := role(1); r < numRoles; r++ {
		if !r.isMoney() && !r.isDate() {
			continue
		}
		for _, c := range s.col[r] {
			if c == j {
				return true
			}
		}
	}
	return false
}

// leftOut counts rows with an amount that are deliberately not lines,
// by reason, with the first few places, for the statement's warnings.
type leftOut struct {
	reasons []string
	count   map[string]int
	where   map[string][]string
}

func (l *leftOut) add(reason, where string) {
	if l.count == nil {
		l.count, l.where = map[string]int{}, map[string][]string{}
	}
	if l.count[reason] == 0 {
		l.reasons = append(l.reasons, reason)
	}
	l.count[reason]++
	if len(l.where[reason]) < 5 {
		l.where[reason] = append(l.where[reason], where)
	}
}

func (l *leftOut) warnings() []string {
	var out []string
	for _, r := range l.reasons {
		at := strings.Join(l.where[r], ", ")
		if l.count[r] > len(l.where[r]) {
			at += ", ..."
		}
		out = append(out, fmt.Sprintf("%d rows left out: %s (%s)", l.count[r], r, at))
	}
	return out
}

// notBooked are status values of rows that did not (yet) move money:
// pending, declined, reverted, failed or cancelled card payments and
// transfers, closed trades in Chinese payment apps.
var notBooked = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{"pending", "declined", "reverted", "failed", "cancelled", "canceled", "rejected", "refused",
		"denied", "expired", "void", "voided", "on hold", "authorised", "authorized", "authorisation", "authorization",
		"autorizzato", "autorizzata", "in sospeso", "in attesa", "non contabilizzato", "vorgemerkt", "ausstehend",
		"nicht gebucht", "offen", "umsatz vorgemerkt", "vorgemerkter umsatz", "abgelehnt", "storniert", "en attente", "en cours", "refusé", "annulé", "pendiente", "rechazada",
		"rechazado", "cancelada", "anulada", "függő", "függőben", "elutasítva", "elutasított", "visszautasítva",
		"oczekująca", "oczekujaca", "odrzucona", "anulowana", "blokada", "čeká", "zamítnuto", "nezaúčtováno", "in behandeling",
		"geweigerd", "geannuleerd", "交易关闭", "已关闭", "关闭", "失败", "交易失败", "支付失败", "已撤销", "撤销", "处理中",
		"待支付", "等待付款", "未支付", "已取消", "交易取消", "未入账", "待入账", "对方已退还", "已退还"} {
		m[fold(w)] = true
	}
	return m
}()

// bookedWords are status values of rows that moved money.
var bookedWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{"completed", "complete", "posted", "booked", "settled", "cleared", "success", "successful",
		"done", "paid", "gebucht", "umsatz gebucht", "ausgeführt", "durchgeführt", "contabilizzato", "contabilizzata",
		"eseguito", "comptabilisé", "exécuté", "realizada", "contabilizado", "geboekt", "verwerkt", "könyvelt",
		"teljesített", "zrealizowana", "wykonana", "zaúčtováno", "provedeno", "交易成功", "支付成功", "已入账", "已完成",
		"成功", "已支付", "已收钱", "已转账", "退款成功", "已存入零钱", "提现已到账", "朋友已收钱", "已全额退款", "已退款",
		"还款成功", "已到账", "对方已收钱", "支付成功"} {
		m[fold(w)] = true
	}
	return m
}()

// neutralMarks are sign column values of payment apps' rows that are
// neither income nor expense (transfers between the user's own wallets,
// refunds, investments): the file does not say which way the money went.
var neutralMarks = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{"不计收支", "中性", "中性交易", "/", "neutral", "其他"} {
		m[fold(w)] = true
	}
	return m
}()

// row handles one table row.
func (r *tableRun) row(row tableRow) error {
	s := r.s
	if row.blank() || s.isHeaderAgain(row) {
		return nil
	}
	if r.continuation(row) {
		var more []string
		for _, j := range s.col[roleDescription] {
			if v := textCell(row, j); v != "" {
				more = append(more, strings.Join(strings.Fields(v), " "))
			}
		}
		l := &r.pending[0].l
		l.Description = strings.TrimSpace(l.Description + " " + strings.Join(more, " "))
		return nil
	}
	if err := r.flush(); err != nil {
		return err
	}
	if why := s.badWidth(row); why != "" {
		// A row that does not split into the header's columns (an
		// unquoted delimiter in a name, an escape the reader did not
		// understand) would be read with shifted columns: an amount
		// from the wrong cell. Balance and total rows, which are read by
		// their label, and notes without a date or an amount, are not
		// transactions and keep their usual handling.
		if k, _ := r.rowLabel(row); k == labelNone {
			dated := false
			if bj := s.first(roleBooking); bj >= 0 && bj < len(s.dates) && row.cell(bj) != "" {
				_, derr := s.dates[bj].parse(row.cell(bj))
				dated = derr == nil
			}
			if dated || r.hasMoney(row) {
				return r.errorf(row.num, "%s: the columns cannot be told apart (an unquoted %s inside a cell?)", why, delimWord(r.src))
			}
		}
	}
	// A row whose status says it moved no money is left out, unless the
	// file gives it a running balance: PayPal marks the bank deposits
	// that fund a payment "Pending" and counts them in its balance.
	if j := s.first(roleStatus); j >= 0 && (!s.has(roleBalance) || row.cell(s.first(roleBalance)) == "") {
		if v := row.cell(j); v != "" && s.notBookedStatus(v) {
			if r.hasMoney(row) {
				r.left.add(fmt.Sprintf("%s is %q, not booked", s.colName(j), v), r.src.where(row.num))
			}
			return nil
		}
	}
	bj := s.first(roleBooking)
	bv := row.cell(bj)
	if bv != "" && notBooked[fold(bv)] && r.hasMoney(row) {
		// John Lewis card exports date their pending rows "Pending".
		r.left.add(fmt.Sprintf("%s is %q, not booked", s.colName(bj), bv), r.src.where(row.num))
		return nil
	}
	var booking ferry.Date
	var derr error
	if bv != "" {
		booking, derr = s.dates[bj].parse(bv)
	}
	if bv == "" || derr != nil {
		if k, at := r.rowLabel(row); k == labelOpening || k == labelClosing {
			return r.balanceRow(row, k, at)
		} else if k == labelSummary {
			r.summaries++
			return nil
		}
		if !r.hasMoney(row) {
			r.skipped++ // a note, a footer, a continuation without an amount
			if r.count > 0 || len(r.pending) > 0 {
				// Between transactions it may be one the file garbled:
				// said, once a transaction follows it.
				r.gap = append(r.gap, r.src.where(row.num))
			}
			return nil
		}
		if bv == "" {
			// Another date without a booking date: a transaction the
			// bank has not booked yet (OTP's pending items, Revolut's
			// pending card payments).
			for _, j := range s.col[roleValue] {
				if v := row.cell(j); v != "" {
					if _, err := s.dates[j].parse(v); err == nil {
						r.left.add(fmt.Sprintf("no booking date in %s (not booked yet)", s.colName(bj)), r.src.where(row.num))
						return nil
					}
				}
			}
			return r.errorf(row.num, "an amount but no booking date in %s", s.colName(bj))
		}
		return r.errorf(row.num, "%s: %v", s.colName(bj), derr)
	}
	if k, at := r.datedBalanceRow(row); k != labelNone {
		return r.balanceRow(row, k, at)
	}
	if s.datedSummaryRow(row) {
		r.summaries++
		return nil
	}
	l := ferry.StatementLine{BookingDate: booking, ValueDate: booking}
	if j := s.first(roleValue); j >= 0 {
		if v := row.cell(j); v != "" && v != "-" && v != "--" {
			d, err := s.dates[j].parse(v)
			if err != nil {
				return r.errorf(row.num, "%s: %v", s.colName(j), err)
			}
			l.ValueDate = d
		}
	}
	amount, err := r.amount(row)
	if err == errNeutral {
		r.left.add(fmt.Sprintf("%s says neither income nor expense (%q)", s.colName(s.first(roleSign)), row.cell(s.first(roleSign))), r.src.where(row.num))
		return nil
	}
	if err != nil {
		return err
	}
	l.Amount = amount
	hasBal := false
	if j := s.first(roleBalance); j >= 0 {
		d, _, ok, err := r.money(row, j)
		if err != nil {
			return r.errorf(row.num, "%v", err)
		}
		l.BalanceAfter, hasBal = d, ok
	}
	if j := s.first(roleBalanceBefore); j >= 0 && !s.has(roleBalance) {
		// Only the balance before each line (ASN): the balance after it
		// follows, and the next line's balance before checks it.
		before, _, ok, err := r.money(row, j)
		if err != nil {
			return r.errorf(row.num, "%v", err)
		}
		l.BalanceAfter, hasBal = before.Add(amount), ok
	}
	if j := s.first(roleBalanceBefore); j >= 0 && hasBal && s.has(roleBalance) {
		before, _, ok, err := r.money(row, j)
		if err != nil {
			return r.errorf(row.num, "%v", err)
		}
		if ok && !before.Add(amount).Equal(l.BalanceAfter) {
			if before.Sub(amount).Equal(l.BalanceAfter) {
				return r.errorf(row.num, "the sign of the amount (%s) contradicts the balances: %s %s + %s ≠ %s %s, but with the opposite sign it would add up",
					r.amountCols, s.colName(j), before, amount, s.colName(s.first(roleBalance)), l.BalanceAfter)
			}
			return ferry.Errorf(ferry.ClassValidationFailed, r.name+": "+r.src.where(row.num), "%w: %s %s + amount %s ≠ %s %s",
				ferry.ErrUnreconciled, s.colName(j), before, amount, s.colName(s.first(roleBalance)), l.BalanceAfter)
		}
	}
	if j := s.first(roleCurrency); j >= 0 {
		if v := row.cell(j); v != "" {
			if c := currencyCode(v); c != "" {
				l.Currency = c
			} else {
				return r.errorf(row.num, "%s: %q is not a currency", s.colName(j), v)
			}
		}
	}
	if l.Currency == "" {
		l.Currency = s.currency
	}
	l.Counterparty = s.counterparty(row, l.Amount)
	var desc []string
	for _, j := range s.col[roleDescription] {
		v := textCell(row, j)
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1] // ASN quotes its descriptions in single quotes
		}
		if v = strings.Join(strings.Fields(v), " "); v != "" && !slices.Contains(desc, v) {
			desc = append(desc, v) // Nationwide repeats the type as the description
		}
	}
	l.Description = strings.Join(desc, " ")
	if j := s.first(roleReference); j >= 0 {
		l.Reference = textCell(row, j)
	}
	if j := s.first(roleTransactionID); j >= 0 {
		id := row.cell(j)
		if l.Reference == "" && !s.has(roleReference) {
			l.Reference = id
		}
		// A placeholder is no id: the line is then known by its content.
		if ferry.NormalizeReference(id) != "" {
			l.TransactionID = id
		}
	}
	var details []string
	for _, j := range r.detailCols {
		if v := row.cell(j); v != "" {
			var h string
			if j < len(s.header) && strings.TrimSpace(s.header[j]) != "" {
				h = strings.TrimSpace(s.header[j])
			} else {
				h = fmt.Sprintf("column %d", j+1)
			}
			details = append(details, h+": "+v)
		}
	}
	l.Details = strings.Join(details, "; ")
	key := s.account
	if j := s.first(roleAccount); j >= 0 {
		if v := row.cell(j); v != "" {
			key = normAccount(v)
		}
	}
	l.Account = key
	var fee decimal.Decimal
	if j := s.first(roleFee); j >= 0 {
		d, _, ok, err := r.money(row, j)
		if err != nil {
			return r.errorf(row.num, "%v", err)
		}
		if ok {
			fee = d.Abs().Neg()
		}
	}
	if fee.IsZero() {
		return r.queue(row, l, hasBal)
	}
	// The fee is a line of its own after the transaction's, the balance
	// after both (Revolut: balance = before + amount − fee).
	fl := l
	fl.Amount, fl.Counterparty = fee, ""
	fl.Description = strings.TrimSpace("Fee: " + l.Description)
	fl.Details = fmt.Sprintf("%s: fee charged with the line before", s.colName(s.first(roleFee)))
	if l.TransactionID != "" {
		fl.TransactionID = l.TransactionID + "/fee"
	}
	if l.Reference != "" {
		fl.Reference = l.Reference + "/fee"
	}
	l.BalanceAfter = decimal.Zero
	if err := r.queue(row, l, false); err != nil {
		return err
	}
	return r.queue(row, fl, hasBal)
}

// acctPrefix is "account X: " for messages, or nothing without one.
func acctPrefix(key string) string {
	if key == "" {
		return ""
	}
	return "account " + key + ": "
}

// textCell reads a name or text cell: a placeholder that only fills the
// cell ("/" in WeChat's and Meituan's exports, "----------" in Bank of
// China's) is no text.
func textCell(row tableRow, j int) string {
	v := row.cell(j)
	if strings.Trim(v, "-/—_ ") == "" {
		return ""
	}
	return v
}

// badWidth says how a text row's cells fail to line up with the
// header's, or "" when they do. Extra cells that are all empty (a
// trailing delimiter) and missing cells under unnamed header columns
// are a safe reading and line up, and so are missing cells at the end,
// unless a stray quote makes the split a guess. Workbook rows place every cell by its
// column and always line up.
func (s *spec) badWidth(row tableRow) string {
	if row.kinds != nil || s.headerIdx < 0 || len(s.header) == 0 {
		return ""
	}
	n, w := len(row.cells), len(s.header)
	for j := w; j < n; j++ {
		if strings.TrimSpace(row.cells[j]) != "" {
			return fmt.Sprintf("%d cells where the header has %d", n, w)
		}
	}
	if n < w && row.stray {
		return fmt.Sprintf("%d cells where the header has %d, and a stray quote inside a quoted cell", n, w)
	}
	// A row that stops early without a stray quote (Swedbank leaves out
	// its last, unused columns) reads right: its cells end where the
	// header's do, the missing ones are empty.
	return ""
}

// delimWord names a text source's delimiter for messages.
func delimWord(src rowSource) string {
	if c, ok := src.(*csvSource); ok {
		return delimName(rune(c.delim))
	}
	return "delimiter"
}

// counterparty is the other party's name: of several name columns, the
// payee's for a debit and the payer's for a credit first, then the first
// filled one, then the other side's; never the account holder's own.
func (s *spec) counterparty(row tableRow, amount decimal.Decimal) string {
	want := 0
	switch amount.Sign() {
	case -1:
		want = 1
	case 1:
		want = -1
	}
	for pass := 0; pass < 3; pass++ {
		for i, j := range s.col[roleCounterparty] {
			side := 0
			if i < len(s.cpSide) {
				side = s.cpSide[i]
			}
			if pass == 0 && (side == 0 || side != want) || pass == 1 && side == -want && want != 0 || pass == 2 && side != -want {
				continue
			}
			if v := textCell(row, j); v != "" && !s.selfNames[fold(v)] {
				return v
			}
		}
	}
	return ""
}

// hasMoney reports whether a row has anything in its amount columns.
func (r *tableRun) hasMoney(row tableRow) bool {
	for _, ro := range []role{roleAmount, roleDebit, roleCredit} {
		for _, j := range r.s.col[ro] {
			if _, _, ok, err := r.money(row, j); ok || err != nil {
				return true
			}
		}
	}
	return false
}

// notBookedStatus reports whether a status cell marks a row that moved no
// money (see notBooked), or one the mapping lists.
func (s *spec) notBookedStatus(v string) bool {
	f := fold(v)
	if s.statusSkip != nil {
		return s.statusSkip[f]
	}
	return notBooked[f]
}

// emit counts a line into its account's statement and hands it on.
func (r *tableRun) emit(row tableRow, l ferry.StatementLine, hasBal bool) error {
	key := l.Account
	if r.s.perCurrency && l.Currency != "" {
		// A multi-currency account keeps one balance per currency (HSBC
		// Hong Kong, PayPal, Wise): one statement each.
		key += "\x00" + l.Currency
	}
	a := r.account(key)
	a.account = l.Account
	if r.s.perCurrency {
		a.currency = l.Currency
	}
	if err := a.chain.add(l.Amount, l.BalanceAfter, hasBal); err != nil && !r.keep {
		return r.chainError(row.num, a)
	}
	a.n++
	r.count++
	a.total = a.total.Add(l.Amount)
	if l.Amount.IsNegative() {
		a.neg++
	}
	if a.from.IsZero() || l.BookingDate.Before(a.from) {
		a.from = l.BookingDate
	}
	if a.to.IsZero() || l.BookingDate.After(a.to) {
		a.to = l.BookingDate
	}
	a.currencies[l.Currency] = true
	if r.keep {
		a.lines = append(a.lines, l)
		return nil
	}
	if r.fn != nil {
		return r.fn(l)
	}
	return nil
}

// amount reads a row's signed amount from the amount column (with its
// sign column) or the debit and credit columns.
func (r *tableRun) amount(row tableRow) (decimal.Decimal, error) {
	s := r.s
	if j := s.first(roleAmount); j >= 0 {
		d, m, ok, err := r.money(row, j)
		if err != nil {
			return d, r.errorf(row.num, "%v", err)
		}
		if !ok {
			return d, r.errorf(row.num, "%s is empty", s.colName(j))
		}
		if s.flip {
			return d.Neg(), nil
		}
		if s.typeSigns {
			side, _ := s.rowType(row)
			switch {
			case d.IsNegative() && !d.IsZero():
				return d, r.errorf(row.num, "%s is negative (%q) in a file of unsigned amounts whose signs come from the transaction types", s.colName(j), row.cell(j))
			case side < 0:
				return d.Neg(), nil
			case side > 0 || d.IsZero():
				return d, nil
			}
			return d, r.errorf(row.num, "no transaction type in the text (消费, 退货, 还款, purchase, refund ...) gives the sign of %s %s, and the file states none: give the signs in a mapping (--mapping)", s.colName(j), row.cell(j))
		}
		if k := s.first(roleSign); k >= 0 {
			v := signMark(row.cell(k), s.debitW, s.creditW)
			switch {
			case s.debitW[v]:
				if m.signed && !m.neg && !d.IsZero() {
					return d, r.errorf(row.num, "%s says debit (%q) but %s is %q, explicitly positive", s.colName(k), row.cell(k), s.colName(j), row.cell(j))
				}
				return d.Abs().Neg(), nil
			case s.creditW[v]:
				if m.neg && !d.IsZero() {
					return d, r.errorf(row.num, "%s says credit (%q) but %s is negative (%q)", s.colName(k), row.cell(k), s.colName(j), row.cell(j))
				}
				return d.Abs(), nil
			case v == "" && d.IsZero():
				return d, nil
			case v == "" && s.blankSign < 0:
				if m.signed && !m.neg {
					return d, r.errorf(row.num, "%s is blank (a debit, beside its credit marks) but %s is %q, explicitly positive", s.colName(k), s.colName(j), row.cell(j))
				}
				return d.Abs().Neg(), nil
			case v == "" && s.blankSign > 0:
				if m.neg {
					return d, r.errorf(row.num, "%s is blank (a credit, beside its debit marks) but %s is negative (%q)", s.colName(k), s.colName(j), row.cell(j))
				}
				return d.Abs(), nil
			case neutralMarks[v]:
				return d, errNeutral
			}
			return d, r.errorf(row.num, "%s: %q is neither a debit nor a credit mark (known: %s)", s.colName(k), row.cell(k), signWords(s))
		}
		return d, nil
	}
	dj, cj := s.first(roleDebit), s.first(roleCredit)
	debit, _, dok, err := r.money(row, dj)
	if err != nil {
		return debit, r.errorf(row.num, "%v", err)
	}
	credit, _, cok, err := r.money(row, cj)
	if err != nil {
		return credit, r.errorf(row.num, "%v", err)
	}
	switch {
	case dok && cok && !debit.IsZero() && !credit.IsZero():
		return debit, r.errorf(row.num, "both %s %s and %s %s are set", s.colName(dj), debit, s.colName(cj), credit)
	case dok && !debit.IsZero():
		if debit.IsPositive() {
			return debit.Neg(), nil
		}
		return debit, nil // written negative already
	case cok:
		return credit, nil
	case dok:
		return decimal.Zero, nil
	}
	return decimal.Zero, r.errorf(row.num, "no amount: %s and %s are both empty", s.colName(dj), s.colName(cj))
}

// errNeutral marks a row whose sign column says neither debit nor credit.
var errNeutral = errors.New("neither debit nor credit")

func signWords(s *spec) string {
	var d, c []string
	for w := range s.debitW {
		d = append(d, w)
	}
	for w := range s.creditW {
		c = append(c, w)
	}
	sort.Strings(d)
	sort.Strings(c)
	if len(d) > 8 {
		d = append(d[:8], "...")
	}
	if len(c) > 8 {
		c = append(c[:8], "...")
	}
	return "debit " + strings.Join(d, " ") + "; credit " + strings.Join(c, " ")
}

// chainError explains a broken balance chain: a sign problem when the
// opposite signs would hold, else the row where it breaks.
func (r *tableRun) chainError(num int, a *acctState) error {
	s := r.s
	bal := s.colName(s.balanceCol())
	if a.chain.alive[2] || a.chain.alive[3] {
		return r.errorf(num, "the signs of the amounts (%s) contradict the balances in %s: with the opposite signs they add up; the sign must come from another column (a debit/credit indicator?) or a mapping", r.amountCols, bal)
	}
	return ferry.Errorf(ferry.ClassValidationFailed, r.name+": "+r.src.where(num), "%w: the balance in %s does not follow from the previous balance and the amounts in %s",
		ferry.ErrUnreconciled, bal, r.amountCols)
}

// chainState checks a balance column against the amounts, for both
// orders a bank may list lines in (oldest or newest first), and for the
// opposite signs, to tell a sign problem from a broken statement.
type chainState struct {
	alive              [4]bool // forward, reverse, forward with flipped signs, reverse flipped
	seen               bool
	checks             int
	lastBal, lastAmt   decimal.Decimal
	since, total       decimal.Decimal
	firstBal, firstAmt decimal.Decimal
	firstPrefix        decimal.Decimal
	lastPrefix         decimal.Decimal
	broken             bool
}

func (c *chainState) init() { c.alive = [4]bool{true, true, true, true} }

var errChain = errors.New("balance chain broken")

// add offers one line; it fails when neither order holds any more.
func (c *chainState) add(amt, bal decimal.Decimal, hasBal bool) error {
	c.total = c.total.Add(amt)
	if !hasBal {
		c.since = c.since.Add(amt)
		return nil
	}
	if c.seen {
		fwd := c.since.Add(amt)
		rev := c.lastAmt.Add(c.since)
		c.alive[0] = c.alive[0] && bal.Equal(c.lastBal.Add(fwd))
		c.alive[1] = c.alive[1] && c.lastBal.Equal(bal.Add(rev))
		c.alive[2] = c.alive[2] && bal.Equal(c.lastBal.Sub(fwd))
		c.alive[3] = c.alive[3] && c.lastBal.Equal(bal.Sub(rev))
		c.checks++
	} else {
		c.firstBal, c.firstAmt, c.firstPrefix = bal, amt, c.total
	}
	c.seen = true
	c.lastBal, c.lastAmt, c.lastPrefix, c.since = bal, amt, c.total, decimal.Zero
	if !c.alive[0] && !c.alive[1] && !c.broken {
		c.broken = true
		return errChain
	}
	return nil
}

// reverse reports whether the file lists the newest line first.
func (c *chainState) reverse() bool { return c.checks > 0 && !c.alive[0] && c.alive[1] }

// derived returns the opening and closing balances the chain implies.
func (c *chainState) derived() (open, close decimal.Decimal) {
	if c.reverse() {
		return c.lastBal.Sub(c.total.Sub(c.lastPrefix).Add(c.lastAmt)), c.firstBal.Add(c.firstPrefix.Sub(c.firstAmt))
	}
	return c.firstBal.Sub(c.firstPrefix), c.lastBal.Add(c.total.Sub(c.lastPrefix))
}

// finish builds the statements.
func (r *tableRun) finish() ([]ferry.Statement, error) {
	s := r.s
	if err := r.flush(); err != nil {
		return nil, err
	}
	if len(r.order) == 0 {
		r.account(s.account)
	}
	var notes []string
	notes = append(notes, r.src.notes()...)
	notes = append(notes, s.notes...)
	if r.summaries > 0 {
		notes = append(notes, fmt.Sprintf("%d total rows skipped", r.summaries))
	}
	if r.skipped > 0 {
		notes = append(notes, fmt.Sprintf("%d rows without a date and an amount skipped", r.skipped))
	}
	var out []ferry.Statement
	var empty []string
	for _, key := range r.order {
		a := r.accts[key]
		if a.n == 0 && a.opening == nil && a.closing == nil && len(r.order) > 1 {
			continue
		}
		st := ferry.Statement{Account: a.account, Name: s.holder, Notes: append([]string(nil), notes...), Warnings: append(append(append([]string(nil), s.warnings...), r.src.warnings()...), r.left.warnings()...)}
		key := a.account
		if key == "" {
			st.Warnings = append(st.Warnings, "no account: the file names none in a column, above the table or in its name; the caller must supply it (Options.Account or a mapping)")
		}
		// Currency.
		switch {
		case a.currency != "":
			st.Currency = a.currency
			if s.balanceCol() >= 0 {
				st.Notes = append(st.Notes, fmt.Sprintf("currency: %s (one statement per currency: each has its own balance in %s)", a.currency, s.colName(s.balanceCol())))
			} else {
				st.Notes = append(st.Notes, fmt.Sprintf("currency: %s (one statement per currency in %s)", a.currency, s.colName(s.first(roleCurrency))))
			}
		case s.currency != "":
			st.Currency = s.currency
			st.Notes = append(st.Notes, fmt.Sprintf("currency: %s (%s)", s.currency, s.currencyWhy))
		case len(a.currencies) == 1:
			for c := range a.currencies {
				st.Currency = c
			}
		}
		if st.Currency == "" && len(a.currencies) <= 1 {
			st.Warnings = append(st.Warnings, "no currency: no column, header or amount names it")
		}
		// Period.
		st.From, st.To = a.from, a.to
		if len(r.order) == 1 && !s.from.IsZero() && !s.to.IsZero() {
			st.From, st.To = s.from, s.to
		}
		// Balances: stated (rows in the table, or the block above it for
		// a single account), else derived from a balance column.
		open, close := a.opening, a.closing
		if len(r.order) == 1 {
			if open == nil {
				open = s.opening
			}
			if close == nil {
				close = s.closing
			}
		}
		hasChain := a.chain.seen
		if open != nil && close == nil && !hasChain {
			return nil, ferry.Errorf(ferry.ClassDocumentChanged, r.name, "states an opening balance but no closing balance row (期末余额 Closing Balance, Endsaldo, SALDO FINALE ...): the file may be truncated")
		}
		if open != nil && close == nil && hasChain {
			return nil, ferry.Errorf(ferry.ClassDocumentChanged, r.name, "states an opening balance but no closing balance (期末余额 Closing Balance, Endsaldo, SALDO FINALE ...): the file may be truncated")
		}
		dOpen, dClose := a.chain.derived()
		switch {
		case open != nil && close != nil:
			st.Opening, st.Closing = *open, *close
			st.Balances = []ferry.Balance{{Type: "opening", Amount: *open, Currency: st.Currency, Date: st.From}, {Type: "closing", Amount: *close, Currency: st.Currency, Date: st.To}}
			if !r.keep {
				if !open.Add(a.total).Equal(*close) {
					return nil, ferry.Errorf(ferry.ClassValidationFailed, r.name, "%w: account %s: opening %s + lines %s = %s, closing balance is %s (amounts from %s)", ferry.ErrUnreconciled, key, open.StringFixed(2), a.total.StringFixed(2), open.Add(a.total).StringFixed(2), close.StringFixed(2), r.amountCols)
				}
				if hasChain && !a.chain.broken && !dOpen.Equal(*open) {
					return nil, ferry.Errorf(ferry.ClassValidationFailed, r.name, "%w: account %s: the balance column implies an opening balance of %s, the file states %s", ferry.ErrUnreconciled, key, dOpen.StringFixed(2), open.StringFixed(2))
				}
			}
		case hasChain:
			st.Opening, st.Closing = dOpen, dClose
			st.Balances = []ferry.Balance{{Type: "opening", Amount: dOpen, Currency: st.Currency, Date: st.From}, {Type: "closing", Amount: dClose, Currency: st.Currency, Date: st.To}}
			st.Notes = append(st.Notes, fmt.Sprintf("balances: opening %s and closing %s derived from %s", dOpen.StringFixed(2), dClose.StringFixed(2), s.colName(s.balanceCol())))
		default:
			st.NoBalances = true
			if close != nil {
				st.Closing = *close
				st.Balances = []ferry.Balance{{Type: "closing", Amount: *close, Currency: st.Currency, Date: st.To}}
				st.Warnings = append(st.Warnings, "only a closing balance is stated: the lines cannot be reconciled")
			} else {
				st.Notes = append(st.Notes, "balances: the file states none")
			}
		}
		// Sign checks.
		if a.chain.broken && (a.chain.alive[2] || a.chain.alive[3]) {
			return nil, ferry.Errorf(ferry.ClassDocumentChanged, r.name, "account %s: the signs of the amounts (%s) contradict the balances in %s: with the opposite signs they add up; the sign must come from another column (a debit/credit indicator?) or a mapping", key, r.amountCols, s.colName(s.balanceCol()))
		}
		if s.has(roleAmount) && !s.has(roleSign) && !s.typeSigns && a.neg == 0 && a.n > 0 && st.NoBalances {
			if !s.mapped && !s.negSeen {
				// Debits shown as credits would be a silent wrong value:
				// the file must say, or a mapping.
				return nil, ferry.Errorf(ferry.ClassDocumentChanged, r.name, "%severy amount in %s is positive and nothing states the signs (no debit/credit or sign column, no balances, no transaction types such as 消费/退货 or purchase/refund): debits and credits cannot be told apart; describe the signs in a mapping (--mapping)", acctPrefix(key), s.colName(s.first(roleAmount)))
			}
			st.Warnings = append(st.Warnings, fmt.Sprintf("every amount in %s is positive and nothing confirms the signs (no debit/credit column, no sign column, no balances): check that debits are not shown as credits", s.colName(s.first(roleAmount))))
		}
		if hasChain && a.chain.checks > 0 && !a.chain.broken {
			order := "oldest first"
			if a.chain.reverse() {
				order = "newest first"
				if r.keep {
					for i, j := 0, len(a.lines)-1; i < j; i, j = i+1, j-1 {
						a.lines[i], a.lines[j] = a.lines[j], a.lines[i]
					}
					order += "; lines put in date order"
				}
			}
			st.Notes = append(st.Notes, fmt.Sprintf("signs confirmed by the balance chain in %s (lines listed %s)", s.colName(s.balanceCol()), order))
		}
		st.Lines = a.lines
		if a.n == 0 {
			empty = append(empty, key)
		}
		out = append(out, st)
	}
	if r.count == 0 && s.opening == nil && s.closing == nil && len(empty) == len(out) {
		stated := false
		for _, a := range r.accts {
			stated = stated || a.opening != nil || a.closing != nil
		}
		if !stated && (r.skipped > 0 || r.summaries > 0 || len(r.left.reasons) > 0) {
			return nil, ferry.Errorf(ferry.ClassDocumentChanged, r.name, "no transaction rows under the table header")
		}
		if !stated {
			// A period without transactions: the header and nothing else.
			for i := range out {
				out[i].Warnings = append(out[i].Warnings, "no transactions: the table has a header and no rows")
			}
		}
	}
	return out, nil
}
