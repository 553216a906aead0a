// Package statements turns the files banks hand out (XLSX, CSV, PDF) into
// ferry.Statement values. Parsers are pure functions of bytes: no browser,
// no database. A file that does not look like a statement is a
// ferry.ClassDocumentChanged error naming the file and the row, page or line.
package statements

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// Format is a statement file format.
type Format string

// The formats this package reads.
const (
	XLSX  Format = "xlsx"
	CSV   Format = "csv"
	PDF   Format = "pdf"
	CAMT  Format = "camt"
	MT940 Format = "mt940"
	OFX   Format = "ofx"
	BAI2  Format = "bai2"
)

// Options adjust parsing.
type Options struct {
	Format   Format // "" detects it
	Password string // for encrypted PDFs
	// Mapping describes a CSV or XLSX export's columns where automatic
	// recognition needs help (see docs/mapping.md).
	Mapping *Mapping
	// Account is the account the caller downloaded the file for: the
	// statement's account when the file names none.
	Account string
	// Encoding overrides the text encoding of a CSV export (utf-8,
	// utf-16le, gb18030, windows-1252, iso-8859-15 ...).
	Encoding string
	// DateOrder (DMY, MDY or YMD) settles dates that cannot tell their
	// order themselves, when no mapping does.
	DateOrder string
}

// MaxWholeFile is the largest file ParseWith reads: a reader holding a
// whole file and its statement needs a few times its size in memory, so
// the limit holds in bytes, not only as the readers' ratios. CSV and XLSX
// exports of any size stream through Scan instead.
const MaxWholeFile = 256 << 20

// ErrFileTooLarge reports a file over MaxWholeFile.
var ErrFileTooLarge = errors.New("larger than Ferry reads whole")

// ParseWith reads a file into its statements, with options. The parse stops
// with an error when ctx is done.
func ParseWith(ctx context.Context, name string, data []byte, o Options) ([]ferry.Statement, error) {
	if err := ctx.Err(); err != nil {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%w", err)
	}
	if len(data) > MaxWholeFile {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%w: %d MiB, the limit is %d MiB (CSV and XLSX exports of any size are read row by row)", ErrFileTooLarge, len(data)>>20, MaxWholeFile>>20)
	}
	f := o.Format
	if f == "" && o.Mapping != nil {
		f = CSV // a mapping describes a table; XLSX is told by its bytes
	}
	if f == "" {
		var err error
		if f, err = Detect(name, data); err != nil {
			return nil, err
		}
	}
	one := func(st ferry.Statement, err error) ([]ferry.Statement, error) {
		if err != nil {
			return nil, err
		}
		return []ferry.Statement{st}, nil
	}
	switch f {
	case PDF:
		return one(parsePDF(ctx, name, data, o.Password))
	case XLSX, CSV:
		return parseTable(ctx, name, data, o)
	case CAMT:
		return ParseCAMTContext(ctx, name, data)
	case MT940:
		return ParseMT940Context(ctx, name, data)
	case OFX:
		return ParseOFX(name, data)
	case BAI2:
		return ParseBAI2(name, data)
	}
	return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "unknown format %q (want xlsx, csv, pdf, camt, mt940, ofx or bai2)", f)
}

// ParseAll reads a file of any supported format into its statements: one
// for XLSX, CSV and PDF exports, one per account and period for bank
// formats that carry several.
func ParseAll(ctx context.Context, name string, data []byte) ([]ferry.Statement, error) {
	return ParseWith(ctx, name, data, Options{})
}

// Parse reads a file that holds one statement.
func Parse(ctx context.Context, name string, data []byte) (ferry.Statement, error) {
	sts, err := ParseWith(ctx, name, data, Options{})
	if err != nil {
		return ferry.Statement{}, err
	}
	if len(sts) != 1 {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "holds %d statements, want one", len(sts))
	}
	return sts[0], nil
}

// column is a statement table column's meaning.
type column int

const (
	colNone column = iota
	colBooking
	colValue
	colDebit
	colCredit
	colAmount // one signed amount column
	colBalance
	colCounterparty
	colDescription
	colReference
	colCurrency
	colTransactionID // the bank's own serial number of the transaction
)

// headerWords maps words in a column header to its meaning, Chinese and
// English, as Chinese banks label their exports. Longer keys first matter:
// they are matched by containment in order.
var headerWords = []struct {
	word string
	col  column
}{
	{"起息日", colValue}, {"value date", colValue},
	{"交易日期", colBooking}, {"记账日期", colBooking}, {"booking date", colBooking}, {"date", colBooking},
	{"借方", colDebit}, {"支出", colDebit}, {"debit", colDebit},
	{"贷方", colCredit}, {"收入", colCredit}, {"credit", colCredit},
	{"交易金额", colAmount}, {"amount", colAmount},
	{"余额", colBalance}, {"balance", colBalance},
	{"对方户名", colCounterparty}, {"对方名称", colCounterparty}, {"counterparty", colCounterparty},
	{"摘要", colDescription}, {"用途", colDescription}, {"description", colDescription},
	{"流水号", colTransactionID}, {"reference", colReference},
	{"币种", colCurrency}, {"currency", colCurrency},
}

func classifyHeader(cell string) column {
	c := strings.ToLower(strings.TrimSpace(cell))
	if c == "" {
		return colNone
	}
	for _, hw := range headerWords {
		if strings.Contains(c, hw.word) {
			return hw.col
		}
	}
	return colNone
}

// isAmountColumn reports whether the column holds money (right-aligned by
// banking convention, which the PDF reader relies on).
func (c column) isAmount() bool {
	return c == colDebit || c == colCredit || c == colAmount || c == colBalance
}

// headerKey tells which statement field a key-value header row carries.
func headerKey(label string) string {
	l := strings.ToLower(label)
	for _, k := range []struct{ word, key string }{
		{"期初余额", "opening"}, {"opening", "opening"},
		{"期末余额", "closing"}, {"closing", "closing"},
		{"账号", "account"}, {"account no", "account"},
		{"户名", "name"}, {"account name", "name"},
		{"币种", "currency"}, {"currency", "currency"},
		{"起始日期", "from"}, {"from", "from"},
		{"截止日期", "to"}, {" to", "to"},
	} {
		if strings.Contains(l, k.word) {
			return k.key
		}
	}
	return ""
}

// builder assembles a statement from header fields and table rows, the same
// way for every format, so that one statement reads the same from any of them.
type builder struct {
	file   string
	fields map[string]string
	cols   []column
	st     ferry.Statement
	rows   int
	// emit, when set, receives each line instead of the statement keeping
	// it: for statements too long to hold.
	emit func(ferry.StatementLine) error
}

func newBuilder(file string) *builder { return &builder{file: file, fields: map[string]string{}} }

// header offers a row before the table. It reports whether the row was the
// table's column header.
func (b *builder) header(cells []string) bool {
	var cols []column
	known := 0
	for _, c := range cells {
		col := classifyHeader(c)
		cols = append(cols, col)
		if col != colNone {
			known++
		}
	}
	has := func(c column) bool {
		for _, x := range cols {
			if x == c {
				return true
			}
		}
		return false
	}
	if known >= 4 && has(colBooking) && (has(colAmount) || has(colDebit) && has(colCredit)) {
		b.cols = cols
		return true
	}
	if len(cells) >= 2 {
		if k := headerKey(cells[0]); k != "" {
			b.fields[k] = strings.TrimSpace(firstNonEmpty(cells[1:]))
		}
	}
	return false
}

func firstNonEmpty(cells []string) string {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return c
		}
	}
	return ""
}

// where names a place in the file for error messages.
func (b *builder) errorf(where, format string, args ...any) error {
	loc := b.file
	if where != "" {
		loc += ": " + where
	}
	return ferry.Errorf(ferry.ClassDocumentChanged, loc, format, args...)
}

// line offers a table row. It reports done when the row closes the table
// (the closing balance row).
func (b *builder) line(where string, cells []string) (done bool, err error) {
	if len(cells) > 0 {
		if k := headerKey(cells[0]); k == "closing" {
			b.fields["closing"] = strings.TrimSpace(firstNonEmpty(cells[1:]))
			return true, nil
		}
	}
	blank := true
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			blank = false
		}
	}
	if blank {
		return false, nil
	}
	var l ferry.StatementLine
	var debit, credit, amount decimal.Decimal
	var hasDebit, hasCredit, hasAmount bool
	for i, col := range b.cols {
		v := ""
		if i < len(cells) {
			v = strings.TrimSpace(cells[i])
		}
		var err error
		switch col {
		case colBooking:
			l.BookingDate, err = ferry.ParseDate(v)
		case colValue:
			if v != "" {
				l.ValueDate, err = ferry.ParseDate(v)
			}
		case colDebit:
			if v != "" {
				debit, err = ParseMoney(v)
				hasDebit = true
			}
		case colCredit:
			if v != "" {
				credit, err = ParseMoney(v)
				hasCredit = true
			}
		case colAmount:
			if v != "" {
				amount, err = ParseMoney(v)
				hasAmount = true
			}
		case colBalance:
			if v != "" {
				l.BalanceAfter, err = ParseMoney(v)
			}
		case colCounterparty:
			l.Counterparty = v
		case colDescription:
			l.Description = v
		case colReference:
			l.Reference = v
		case colTransactionID:
			// The bank's serial number is its id of the transaction,
			// unless the file prints a placeholder; it is also the
			// line's reference, as the table readers have it.
			l.Reference = v
			if ferry.NormalizeReference(v) != "" {
				l.TransactionID = v
			}
		case colCurrency:
			l.Currency = v
		}
		if err != nil {
			return false, b.errorf(where, "column %d: %v", i+1, err)
		}
	}
	switch {
	case hasAmount:
		l.Amount = amount
	case hasDebit && hasCredit && !debit.IsZero() && !credit.IsZero():
		return false, b.errorf(where, "both debit %s and credit %s are set", debit, credit)
	case hasDebit:
		l.Amount = debit.Abs().Neg()
	case hasCredit:
		l.Amount = credit.Abs()
	default:
		return false, b.errorf(where, "no amount on a transaction row")
	}
	if l.ValueDate.IsZero() {
		l.ValueDate = l.BookingDate
	}
	b.rows++
	if b.emit != nil {
		l.Account = strings.ReplaceAll(b.fields["account"], " ", "")
		if l.Currency == "" {
			l.Currency = strings.ToUpper(b.fields["currency"])
		}
		if err := b.emit(l); err != nil {
			return false, err
		}
		return false, nil
	}
	b.st.Lines = append(b.st.Lines, l)
	return false, nil
}

// finish checks the header fields and returns the statement.
func (b *builder) finish() (ferry.Statement, error) {
	st := b.st
	if b.cols == nil {
		return st, b.errorf("", "no transaction table header found (want columns such as 交易日期 Booking Date, 借方 Debit, 贷方 Credit)")
	}
	var err error
	st.Account = strings.ReplaceAll(b.fields["account"], " ", "")
	st.Name = b.fields["name"]
	st.Currency = strings.ToUpper(b.fields["currency"])
	if st.Account == "" {
		return st, b.errorf("header", "no account number (账号 Account No.)")
	}
	if st.Currency == "" {
		return st, b.errorf("header", "no currency (币种 Currency)")
	}
	if st.From, err = ferry.ParseDate(b.fields["from"]); err != nil {
		return st, b.errorf("header", "start date: %v", err)
	}
	if st.To, err = ferry.ParseDate(b.fields["to"]); err != nil {
		return st, b.errorf("header", "end date: %v", err)
	}
	if st.Opening, err = ParseMoney(b.fields["opening"]); err != nil {
		return st, b.errorf("header", "opening balance: %v", err)
	}
	c, ok := b.fields["closing"]
	if !ok {
		return st, b.errorf("end", "no closing balance row (期末余额 Closing Balance): the file may be truncated")
	}
	if st.Closing, err = ParseMoney(c); err != nil {
		return st, b.errorf("end", "closing balance: %v", err)
	}
	for i := range st.Lines {
		st.Lines[i].Account = st.Account
		if st.Lines[i].Currency == "" {
			st.Lines[i].Currency = st.Currency
		}
	}
	return st, nil
}

// ParseMoney reads an amount as banks print it: "1,234.56", "-1,234.56",
// "(1,234.56)", "¥1,234.56", "1 234,56" is not accepted (ambiguous).
// It never goes through a float.
func ParseMoney(s string) (decimal.Decimal, error) {
	orig := s
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, s[1:len(s)-1]
	}
	s = strings.TrimFunc(s, func(r rune) bool { return r == '¥' || r == '￥' || r == '$' || unicode.IsSpace(r) })
	for _, cur := range []string{"CNY", "RMB", "USD"} {
		s = strings.TrimSpace(strings.TrimPrefix(s, cur))
	}
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "−") {
		neg = !neg
		s = strings.TrimLeft(s, "-−")
	} else {
		s = strings.TrimPrefix(s, "+")
	}
	if s == "" {
		return decimal.Zero, fmt.Errorf("empty amount")
	}
	digits := strings.ReplaceAll(s, ",", "")
	for i, r := range digits {
		if (r < '0' || r > '9') && r != '.' {
			return decimal.Zero, fmt.Errorf("not an amount: %q", orig)
		}
		_ = i
	}
	if strings.Count(digits, ".") > 1 {
		return decimal.Zero, fmt.Errorf("not an amount: %q", orig)
	}
	if strings.Contains(s, ",") {
		// Thousands separators must group by three.
		intPart, _, _ := strings.Cut(s, ".")
		groups := strings.Split(intPart, ",")
		for i, g := range groups {
			if (i > 0 && len(g) != 3) || len(g) == 0 || len(g) > 3 {
				return decimal.Zero, fmt.Errorf("misplaced thousands separator in %q", orig)
			}
		}
	}
	d, err := decimal.NewFromString(digits)
	if err != nil {
		return decimal.Zero, fmt.Errorf("not an amount: %q", orig)
	}
	if neg {
		d = d.Neg()
	}
	return d, nil
}
