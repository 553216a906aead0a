package statements

import (
	"bytes"
	"context"
	"io"
	"os"

	"github.com/ferry-rpa/ferry"
)

// ParseXLSX reads an Excel statement export that holds one statement.
func ParseXLSX(name string, r io.Reader) (ferry.Statement, error) {
	ra, size, done, err := readerAtOf(r)
	if err != nil {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
	}
	defer done()
	var st ferry.Statement
	sts, _, err := scanTable(context.Background(), name, ra, size, Options{Format: XLSX}, nil, true)
	if err != nil {
		return st, err
	}
	return single(name, sts)
}

// ParseCSV reads a CSV (or semicolon-, tab- or pipe-separated) statement
// export that holds one statement, in any encoding Ferry detects.
func ParseCSV(name string, data []byte) (ferry.Statement, error) {
	sts, err := parseTable(context.Background(), name, data, Options{Format: CSV})
	if err != nil {
		return ferry.Statement{}, err
	}
	return single(name, sts)
}

func single(name string, sts []ferry.Statement) (ferry.Statement, error) {
	if len(sts) != 1 {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "holds %d statements (one per account), want one", len(sts))
	}
	return sts[0], nil
}

// ScanXLSX reads an Excel statement line by line, handing each line to fn
// and keeping none, so memory stays flat however long the statement is.
// It checks the balance chain as it goes. The statement it returns has the
// header and balances but no lines; n is how many lines fn received. Scan
// is the general form (CSV too, several accounts).
func ScanXLSX(name string, r io.Reader, fn func(ferry.StatementLine) error) (ferry.Statement, int, error) {
	ra, size, done, err := readerAtOf(r)
	if err != nil {
		return ferry.Statement{}, 0, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
	}
	defer done()
	sts, n, err := Scan(context.Background(), name, ra, size, Options{Format: XLSX}, fn)
	if err != nil {
		return ferry.Statement{}, n, err
	}
	st, err := single(name, sts)
	return st, n, err
}

// readerAtOf gives random access to r: files and byte readers as they
// are, anything else spooled to a temporary file (never to memory).
func readerAtOf(r io.Reader) (io.ReaderAt, int64, func(), error) {
	switch v := r.(type) {
	case *bytes.Reader:
		return v, v.Size(), func() {}, nil
	case *os.File:
		if st, err := v.Stat(); err == nil && st.Mode().IsRegular() {
			return v, st.Size(), func() {}, nil
		}
	}
	f, err := os.CreateTemp("", "ferry-table-*")
	if err != nil {
		return nil, 0, nil, err
	}
	done := func() { f.Close(); os.Remove(f.Name()) }
	n, err := io.Copy(f, r)
	if err != nil {
		done()
		return nil, 0, nil, err
	}
	return f, n, done, nil
}
