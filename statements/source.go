package statements

// Row sources: CSV (and semicolon-, tab- or pipe-separated text) and
// XLSX, both read one row at a time so that a file of any length parses
// in bounded memory.

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Absolute limits for text tables: a record (a row, quoted line breaks
// included) and a row's cell count. Real exports are far below both; an
// unmatched quote that would swallow the rest of the file into one cell
// stops here.
const (
	maxRecordBytes = 1 << 20
	maxTableCells  = 4096
	sniffPrefix    = 64 << 10
)

// tableRow is one row of a table export. cells and kinds are reused by
// the source's next call.
type tableRow struct {
	cells []string
	kinds []cellKind // nil for text files
	num   int        // the line (CSV) or sheet row (XLSX) number
}

// clone copies a row for keeping.
func (r tableRow) clone() tableRow {
	return tableRow{cells: append([]string(nil), r.cells...), kinds: append([]cellKind(nil), r.kinds...), num: r.num}
}

func (r tableRow) cell(i int) string {
	if i < 0 || i >= len(r.cells) {
		return ""
	}
	return strings.TrimSpace(r.cells[i])
}

func (r tableRow) kind(i int) cellKind {
	if i < 0 || i >= len(r.kinds) {
		return cellText
	}
	return r.kinds[i]
}

func (r tableRow) blank() bool {
	for _, c := range r.cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// rowSource yields a table's rows.
type rowSource interface {
	next() (tableRow, error) // io.EOF after the last row
	where(num int) string    // "line 12" or `sheet "X" row 12`
	notes() []string         // how the source read the file
	warnings() []string      // what it could not read but skipped
	close()
}

// csvSource reads delimited text.
type csvSource struct {
	r      *csv.Reader
	guard  *guardReader
	enc    textEncoding
	delim  rune
	offset int // lines dropped before the reader (a "sep=;" line)
	why    string
}

// guardReader fails a read when one record has grown past the limit;
// the scan loop resets it after each record.
type guardReader struct {
	r    io.Reader
	left int
}

// errRecordTooLong reports a row longer than maxRecordBytes.
var errRecordTooLong = fmt.Errorf("a row longer than %d bytes (an unmatched quote?)", maxRecordBytes)

func (g *guardReader) Read(p []byte) (int, error) {
	if g.left <= 0 {
		return 0, errRecordTooLong
	}
	if len(p) > g.left {
		p = p[:g.left]
	}
	n, err := g.r.Read(p)
	g.left -= n
	return n, err
}

// openCSV prepares a text table: it chooses the encoding over the whole
// file (or takes enc), then the delimiter from the first 64 KiB.
func openCSV(f io.ReaderAt, size int64, encName string, delim rune) (*csvSource, error) {
	var enc textEncoding
	var err error
	if encName != "" {
		if enc, err = encodingByName(encName); err != nil {
			return nil, err
		}
		// A mark at the start is still skipped.
		var head [3]byte
		n, _ := f.ReadAt(head[:], 0)
		switch {
		case enc.name == "UTF-8" && bytes.HasPrefix(head[:n], []byte("\xEF\xBB\xBF")):
			enc.bom = 3
		case strings.HasPrefix(enc.name, "UTF-16") && n >= 2 && isBOM(head[:2]):
			enc.bom = 2
		}
	} else if enc, err = sniffEncoding(io.NewSectionReader(f, 0, size)); err != nil {
		return nil, err
	}
	text := enc.decoder(io.NewSectionReader(f, 0, size))
	prefix := make([]byte, sniffPrefix)
	n, err := io.ReadFull(text, prefix)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("%s text: %w", enc.name, err)
	}
	prefix = prefix[:n]
	s := &csvSource{enc: enc}
	// Excel's "sep=;" first line names the delimiter.
	if line, rest, ok := bytes.Cut(prefix, []byte("\n")); ok {
		l := strings.TrimSpace(string(line))
		if strings.HasPrefix(strings.ToLower(l), "sep=") && len(l) == 5 {
			delim, prefix, s.offset = rune(l[4]), rest, 1
			s.why = "the file's sep= line"
		}
	}
	if delim == 0 {
		delim = sniffDelimiter(prefix)
		s.why = "splits the first rows most evenly"
	} else if s.why == "" {
		s.why = "as configured"
	}
	s.delim = delim
	s.guard = &guardReader{r: io.MultiReader(bytes.NewReader(prefix), text), left: maxRecordBytes}
	s.r = csv.NewReader(s.guard)
	s.r.Comma = delim
	s.r.FieldsPerRecord = -1
	s.r.LazyQuotes = true
	s.r.ReuseRecord = true
	return s, nil
}

func (s *csvSource) next() (tableRow, error) {
	rec, err := s.r.Read()
	s.guard.left = maxRecordBytes
	if err != nil {
		if err == io.EOF {
			return tableRow{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return tableRow{num: pe.Line + s.offset}, fmt.Errorf("%w", pe.Err)
		}
		return tableRow{}, err
	}
	if len(rec) > maxTableCells {
		line, _ := s.r.FieldPos(0)
		return tableRow{num: line + s.offset}, fmt.Errorf("more than %d cells in a row", maxTableCells)
	}
	line, _ := s.r.FieldPos(0)
	return tableRow{cells: rec, num: line + s.offset}, nil
}

func (s *csvSource) where(num int) string { return fmt.Sprintf("line %d", num) }

// warnings: a text file has none of its own.
func (s *csvSource) warnings() []string { return nil }

func (s *csvSource) notes() []string {
	return []string{
		fmt.Sprintf("encoding: %s (%s)", s.enc.name, s.enc.why),
		fmt.Sprintf("delimiter: %s (%s)", delimName(s.delim), s.why),
	}
}

func (s *csvSource) close() {}

func delimName(d rune) string {
	switch d {
	case '\t':
		return "tab"
	case ';':
		return "semicolon"
	case ',':
		return "comma"
	case '|':
		return "pipe"
	}
	return fmt.Sprintf("%q", d)
}

// sniffDelimiter picks the separator that splits the most rows into the
// same number of cells: the table, not the header block above it, and
// not the decimal commas inside a semicolon-separated table.
func sniffDelimiter(text []byte) rune {
	best, bestScore := ',', -1
	for _, d := range []rune{',', ';', '\t', '|'} {
		r := csv.NewReader(bytes.NewReader(text))
		r.Comma = d
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		r.ReuseRecord = true
		counts := map[int]int{}
		for i := 0; i < 100; i++ {
			rec, err := r.Read()
			if err != nil {
				break
			}
			if len(rec) > 1 {
				counts[len(rec)]++
			}
		}
		score := 0
		for k, n := range counts {
			score = max(score, (k-1)*n)
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// xlsxSource reads the active sheet of a workbook.
type xlsxSource struct {
	book   *xlsxBook
	rows   *sheetRows
	hidden int
	keep   bool // read hidden rows too (a mapping asked for it)
}

// openXLSXSource opens a workbook from f. Files and byte slices are read
// in place; any other ReaderAt goes through the XLSX reader's spool.
func openXLSXSource(ctx context.Context, f io.ReaderAt, size int64) (*xlsxSource, error) {
	var r io.Reader
	switch v := f.(type) {
	case *os.File:
		r = v
	case *bytes.Reader:
		r = v
	default:
		r = io.NewSectionReader(f, 0, size)
	}
	book, err := openXLSX(r)
	if err != nil {
		return nil, fmt.Errorf("not a readable XLSX file: %w", err)
	}
	rows, err := book.rowsContext(ctx)
	if err != nil {
		book.Close()
		return nil, fmt.Errorf("sheet %q: %w", book.sheetName, err)
	}
	return &xlsxSource{book: book, rows: rows}, nil
}

func (s *xlsxSource) next() (tableRow, error) {
	for {
		n, cells, kinds, err := s.rows.Next()
		if err != nil {
			return tableRow{num: n}, err
		}
		if s.rows.Hidden() && !s.keep {
			s.hidden++
			continue
		}
		return tableRow{cells: cells, kinds: kinds, num: n}, nil
	}
}

func (s *xlsxSource) where(num int) string {
	return fmt.Sprintf("sheet %q row %d", s.book.sheetName, num)
}

func (s *xlsxSource) notes() []string {
	out := []string{fmt.Sprintf("sheet: %q (the active sheet)", s.book.sheetName)}
	if s.hidden > 0 {
		out = append(out, fmt.Sprintf("%d hidden rows skipped", s.hidden))
	}
	return out
}

// warnings are the workbook's: number formats it could not read, say.
func (s *xlsxSource) warnings() []string { return s.book.Warnings() }

func (s *xlsxSource) close() {
	s.rows.Close()
	s.book.Close()
}
