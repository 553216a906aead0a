package statements

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"

	"github.com/ferry-rpa/ferry"
	"github.com/xuri/excelize/v2"
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
			return ferry.Statement{}, b.errorf(where, "%v", err)
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

// ParseXLSX reads an Excel statement with excelize's streaming row reader,
// so memory stays flat however long the statement is.
func ParseXLSX(name string, r io.Reader) (ferry.Statement, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "not a readable XLSX file: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "workbook has no sheets")
	}
	sheet := sheets[f.GetActiveSheetIndex()]
	rows, err := f.Rows(sheet)
	if err != nil {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "sheet %q: %v", sheet, err)
	}
	defer rows.Close()
	n := 0
	return rowsInto(newBuilder(name), func() ([]string, string, error) {
		if !rows.Next() {
			if err := rows.Error(); err != nil {
				return nil, fmt.Sprintf("sheet %q row %d", sheet, n+1), err
			}
			return nil, "", io.EOF
		}
		n++
		cells, err := rows.Columns()
		return cells, fmt.Sprintf("sheet %q row %d", sheet, n), err
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
