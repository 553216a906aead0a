package statements

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"gopkg.in/yaml.v3"
)

// Mapping describes a bank's table export that Ferry has no built-in
// reader for: which header names mean which fields, how dates and amounts
// are written, and what the file leaves out. Ops write one per bank.
type Mapping struct {
	Bank    string `yaml:"bank"`
	Columns struct {
		BookingDate  string `yaml:"booking_date"`
		ValueDate    string `yaml:"value_date"`
		Amount       string `yaml:"amount"` // one signed column ...
		Debit        string `yaml:"debit"`  // ... or debit and credit columns
		Credit       string `yaml:"credit"`
		Balance      string `yaml:"balance"`
		Counterparty string `yaml:"counterparty"`
		Description  string `yaml:"description"`
		Reference    string `yaml:"reference"`
		Currency     string `yaml:"currency"`
	} `yaml:"columns"`
	DateFormat       string `yaml:"date_format"`       // Go layout, e.g. 02.01.2006; default: ISO and Chinese forms
	DecimalSeparator string `yaml:"decimal_separator"` // "." (default) or ","
	Account          string `yaml:"account"`           // when the file does not say
	Currency         string `yaml:"currency"`
	Path             string `yaml:"-"`
}

// LoadMapping reads a mapping file.
func LoadMapping(path string) (*Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Mapping
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	m.Path = path
	c := m.Columns
	switch {
	case c.BookingDate == "":
		return nil, fmt.Errorf("mapping %s: columns.booking_date is required", path)
	case c.Amount == "" && (c.Debit == "" || c.Credit == ""):
		return nil, fmt.Errorf("mapping %s: give columns.amount, or columns.debit and columns.credit", path)
	case m.DecimalSeparator != "" && m.DecimalSeparator != "." && m.DecimalSeparator != ",":
		return nil, fmt.Errorf("mapping %s: decimal_separator must be \".\" or \",\"", path)
	}
	return &m, nil
}

// decodeText turns a bank's text export into UTF-8: UTF-8 with or without a
// byte-order mark, UTF-16 (LE or BE, with a BOM), else GB18030.
func decodeText(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
	case bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")):
		return data[3:], nil
	case utf8.Valid(data):
		return data, nil
	}
	return simplifiedchinese.GB18030.NewDecoder().Bytes(data)
}

// sniffDelimiter picks the separator that splits the first lines most
// consistently: comma, semicolon or tab.
func sniffDelimiter(text []byte) rune {
	lines := bytes.SplitN(text, []byte("\n"), 20)
	best, bestScore := ',', -1
	for _, d := range []rune{',', ';', '\t'} {
		score := 0
		for _, l := range lines {
			if n := bytes.Count(l, []byte(string(d))); n > 0 {
				score += n
			}
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// ErrLegacyXLS reports an Excel 97-2003 workbook.
var ErrLegacyXLS = fmt.Errorf("legacy Excel 97-2003 (.xls) workbooks are not supported: export the statement as .xlsx or .csv")

// tableRows reads every row of a CSV/TSV or XLSX table, with the line (or
// sheet row) each came from.
func tableRows(name string, data []byte) ([][]string, [][]cellKind, []int, error) {
	if bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) {
		return nil, nil, nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", ErrLegacyXLS)
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		book, err := openXLSX(bytes.NewReader(data))
		if err != nil {
			return nil, nil, nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "not a readable XLSX file: %v", err)
		}
		defer book.Close()
		rows, err := book.rows()
		if err != nil {
			return nil, nil, nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
		}
		defer rows.Close()
		var out [][]string
		var kinds [][]cellKind
		var lines []int
		for {
			n, cells, ks, err := rows.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, nil, nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
			}
			out = append(out, append([]string(nil), cells...))
			kinds = append(kinds, append([]cellKind(nil), ks...))
			lines = append(lines, n)
		}
		return out, kinds, lines, nil
	}
	text, err := decodeText(data)
	if err != nil {
		return nil, nil, nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "undecodable text: %v", err)
	}
	r := csv.NewReader(bytes.NewReader(text))
	r.Comma = sniffDelimiter(text)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var out [][]string
	var lines []int
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
		}
		line, _ := r.FieldPos(0)
		out = append(out, rec)
		lines = append(lines, line)
	}
	return out, nil, lines, nil
}

// ParseMapped reads a table export with a mapping: the header row is the
// first row that holds the mapped booking-date and amount headers; every
// later row with a date is a line. Without stated balances, a balance
// column gives the opening (before the first line) and the closing.
func ParseMapped(name string, data []byte, m *Mapping) (ferry.Statement, error) {
	rows, kinds, rowLines, err := tableRows(name, data)
	if err != nil {
		return ferry.Statement{}, err
	}
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	idx := map[string]int{}
	header := -1
	amountHead := m.Columns.Amount
	if amountHead == "" {
		amountHead = m.Columns.Debit
	}
	for i, r := range rows {
		pos := map[string]int{}
		for j, c := range r {
			pos[norm(c)] = j
		}
		if _, ok := pos[norm(m.Columns.BookingDate)]; ok {
			if _, ok := pos[norm(amountHead)]; ok {
				header, idx = i, pos
				break
			}
		}
	}
	if header < 0 {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "no header row with %q and %q (mapping %s)", m.Columns.BookingDate, amountHead, m.Path)
	}
	var rowKinds []cellKind // the current row's cell types (XLSX only)
	// kind is the type of the cell under head in the current row: numbers
	// and dates stored as such in an XLSX are machine values, never in the
	// mapping's display formats.
	kind := func(head string) cellKind {
		if j, ok := idx[norm(head)]; ok && j < len(rowKinds) {
			return rowKinds[j]
		}
		return cellText
	}
	col := func(row []string, head string) (string, bool) {
		if head == "" {
			return "", false
		}
		j, ok := idx[norm(head)]
		if !ok {
			return "", false
		}
		if j < len(row) {
			return strings.TrimSpace(row[j]), true
		}
		return "", true
	}
	for _, h := range []string{m.Columns.ValueDate, m.Columns.Credit, m.Columns.Balance, m.Columns.Counterparty, m.Columns.Description, m.Columns.Reference, m.Columns.Currency} {
		if h != "" {
			if _, ok := idx[norm(h)]; !ok {
				return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, fmt.Sprintf("%s: row %d", name, rowLines[header]), "header has no column %q (mapping %s)", h, m.Path)
			}
		}
	}
	amount := func(head, s string) (decimal.Decimal, error) {
		if m.DecimalSeparator == "," && kind(head) != cellNumber {
			s = strings.ReplaceAll(strings.ReplaceAll(s, ".", ""), " ", "")
			s = strings.Replace(s, ",", ".", 1)
		}
		return ParseMoney(s)
	}
	date := func(head, s string) (ferry.Date, error) {
		if m.DateFormat != "" && kind(head) != cellDate {
			t, err := time.Parse(m.DateFormat, s)
			if err != nil {
				return ferry.Date{}, fmt.Errorf("date %q does not match %q", s, m.DateFormat)
			}
			return ferry.DateOf(t), nil
		}
		return ferry.ParseDate(strings.Fields(s + " ")[0])
	}
	st := ferry.Statement{Account: m.Account, Currency: m.Currency}
	var balances []decimal.Decimal
	for i, r := range rows[header+1:] {
		where := fmt.Sprintf("%s: row %d", name, rowLines[header+1+i])
		rowKinds = nil
		if kinds != nil {
			rowKinds = kinds[header+1+i]
		}
		bad := func(format string, args ...any) error {
			return ferry.Errorf(ferry.ClassDocumentChanged, where, format, args...)
		}
		ds, _ := col(r, m.Columns.BookingDate)
		if ds == "" {
			continue // a blank or summary row
		}
		bd, err := date(m.Columns.BookingDate, ds)
		if err != nil {
			if len(st.Lines) > 0 && strings.TrimSpace(strings.Join(r, "")) != "" {
				// After the lines, a footer row; before them, junk is an error.
				break
			}
			return st, bad("%v", err)
		}
		l := ferry.StatementLine{Account: st.Account, BookingDate: bd, ValueDate: bd, Currency: st.Currency}
		if s, ok := col(r, m.Columns.ValueDate); ok && s != "" {
			if l.ValueDate, err = date(m.Columns.ValueDate, s); err != nil {
				return st, bad("value date: %v", err)
			}
		}
		if m.Columns.Amount != "" {
			s, _ := col(r, m.Columns.Amount)
			if l.Amount, err = amount(m.Columns.Amount, s); err != nil {
				return st, bad("amount: %v", err)
			}
		} else {
			d, _ := col(r, m.Columns.Debit)
			c, _ := col(r, m.Columns.Credit)
			var dv, cv decimal.Decimal
			if d != "" {
				if dv, err = amount(m.Columns.Debit, d); err != nil {
					return st, bad("debit: %v", err)
				}
			}
			if c != "" {
				if cv, err = amount(m.Columns.Credit, c); err != nil {
					return st, bad("credit: %v", err)
				}
			}
			if !dv.IsZero() && !cv.IsZero() {
				return st, bad("both debit %s and credit %s are set", dv, cv)
			}
			l.Amount = cv.Sub(dv.Abs())
		}
		if s, ok := col(r, m.Columns.Balance); ok && s != "" {
			if l.BalanceAfter, err = amount(m.Columns.Balance, s); err != nil {
				return st, bad("balance: %v", err)
			}
			balances = append(balances, l.BalanceAfter)
		}
		l.Counterparty, _ = col(r, m.Columns.Counterparty)
		l.Description, _ = col(r, m.Columns.Description)
		l.Reference, _ = col(r, m.Columns.Reference)
		if s, _ := col(r, m.Columns.Currency); s != "" {
			l.Currency = s
		}
		st.Lines = append(st.Lines, l)
	}
	if len(st.Lines) == 0 {
		return st, ferry.Errorf(ferry.ClassDocumentChanged, name, "no transaction rows under the header")
	}
	st.From, st.To = st.Lines[0].BookingDate, st.Lines[0].BookingDate
	for _, l := range st.Lines {
		if l.BookingDate.Before(st.From) {
			st.From = l.BookingDate
		}
		if l.BookingDate.After(st.To) {
			st.To = l.BookingDate
		}
	}
	if st.Currency == "" {
		st.Currency = st.Lines[0].Currency
	}
	if len(balances) == len(st.Lines) {
		// Opening: the first balance before its line; the chain is then
		// checked line by line by Reconcile.
		st.Opening = st.Lines[0].BalanceAfter.Sub(st.Lines[0].Amount)
		st.Closing = st.Lines[len(st.Lines)-1].BalanceAfter
	} else {
		st.NoBalances = true
	}
	if st.Account == "" {
		return st, ferry.Errorf(ferry.ClassDocumentChanged, name, "the file does not name its account: set account in mapping %s", m.Path)
	}
	return st, nil
}
