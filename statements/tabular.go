package statements

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// rowsInto feeds rows to a builder: header rows until the column header,
// then table rows until the closing row.
func rowsInto(b *builder, next func() ([]string, string, error)) (ferry.Statement, error) {
	inTable := false
	for {
		cells, where, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return ferry.Statement{}, b.errorf(where, "%w", err)
		}
		if !inTable {
			inTable = b.header(cells)
			continue
		}
		done, err := b.line(where, cells)
		if err != nil {
			return ferry.Statement{}, err
		}
		if done {
			break
		}
	}
	return b.finish()
}

// ParseXLSX reads an Excel statement with Ferry's streaming sheet reader.
func ParseXLSX(name string, r io.Reader) (ferry.Statement, error) {
	return scanXLSX(name, r, newBuilder(name))
}

// ScanXLSX reads an Excel statement line by line, handing each line to fn
// and keeping none, so memory stays flat however long the statement is.
// It checks the balance chain as it goes. The statement it returns has the
// header and balances but no lines; n is how many lines fn received.
func ScanXLSX(name string, r io.Reader, fn func(ferry.StatementLine) error) (st ferry.Statement, n int, err error) {
	b := newBuilder(name)
	var bal decimal.Decimal
	started := false
	b.emit = func(l ferry.StatementLine) error {
		if !started {
			open, err := ParseMoney(b.fields["opening"])
			if err != nil {
				return b.errorf("header", "opening balance: %v", err)
			}
			bal, started = open, true
		}
		bal = bal.Add(l.Amount)
		if !l.BalanceAfter.IsZero() && !bal.Equal(l.BalanceAfter) {
			return ferry.Errorf(ferry.ClassValidationFailed, fmt.Sprintf("%s: line %d (ref %s)", name, n+1, l.Reference),
				"%v: running balance %s, statement says %s", ferry.ErrUnreconciled, bal.StringFixed(2), l.BalanceAfter.StringFixed(2))
		}
		n++
		return fn(l)
	}
	st, err = scanXLSX(name, r, b)
	if err == nil && started && !bal.Equal(st.Closing) {
		err = ferry.Errorf(ferry.ClassValidationFailed, name, "%v: opening + lines = %s, closing balance is %s", ferry.ErrUnreconciled, bal.StringFixed(2), st.Closing.StringFixed(2))
	}
	return st, n, err
}

func scanXLSX(name string, r io.Reader, b *builder) (ferry.Statement, error) {
	book, err := openXLSX(r)
	if err != nil {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "not a readable XLSX file: %v", err)
	}
	defer book.Close()
	rows, err := book.rows()
	if err != nil {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "sheet %q: %v", book.sheetName, err)
	}
	defer rows.Close()
	return rowsInto(b, func() ([]string, string, error) {
		n, cells, _, err := rows.Next()
		if err != nil {
			return nil, "", err
		}
		return cells, fmt.Sprintf("sheet %q row %d", book.sheetName, n), nil
	})
}

// ParseCSV reads a CSV (or semicolon- or tab-separated) statement in UTF-8
// (with or without a byte-order mark), UTF-16 or GB18030, the encoding
// Chinese banks export in.
func ParseCSV(name string, data []byte) (ferry.Statement, error) {
	data, err := decodeText(data)
	if err != nil {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "neither UTF-8, UTF-16 nor GB18030 text: %v", err)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = sniffDelimiter(data)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	return rowsInto(newBuilder(name), func() ([]string, string, error) {
		rec, err := r.Read()
		line := 0
		if err == nil && len(rec) > 0 {
			line, _ = r.FieldPos(0)
		} else if pe, ok := err.(*csv.ParseError); ok {
			line = pe.Line
		}
		return rec, fmt.Sprintf("line %d", line), err
	})
}
