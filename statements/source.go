package statements

// Row sources: CSV (and semicolon-, tab- or pipe-separated text) and
// XLSX, both read one row at a time so that a file of any length parses
// in bounded memory.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/text/encoding/charmap"
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
	// stray: a quoted cell of this text row held a quote that neither
	// ended it nor was doubled, so where its cells end is a guess.
	stray bool
}

// clone copies a row for keeping.
func (r tableRow) clone() tableRow {
	return tableRow{cells: append([]string(nil), r.cells...), kinds: append([]cellKind(nil), r.kinds...), num: r.num, stray: r.stray}
}

func (r tableRow) cell(i int) string {
	if i < 0 || i >= len(r.cells) {
		return ""
	}
	v := strings.TrimSpace(r.cells[i])
	if len(v) > 1 && v[0] == '\'' && v[len(v)-1] != '\'' && r.kinds == nil {
		v = v[1:] // Excel's text mark, as NatWest and Lloyds write it: '30-96-26
	}
	return v
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
	r      *textTable
	enc    textEncoding
	delim  byte
	offset int // lines dropped before the reader (a "sep=;" line)
	why    string
	escape string // how quotes are escaped, when not by doubling
}

// errRecordTooLong reports a row longer than maxRecordBytes.
var errRecordTooLong = fmt.Errorf("a row longer than %d bytes (an unmatched quote?)", maxRecordBytes)

// textTable splits delimited text into rows. It is written here rather
// than taken from encoding/csv because bank exports break RFC 4180 in ways
// that reader cannot be told to accept, and each of them cost whole files:
// lines ended by a lone CR (old Mac exports) or by CR CR LF (a CRLF file
// converted once more, as Rabobank's were), spaces or a tab between a
// closing quote and the delimiter (HSBC Hong Kong, Alipay), and Excel's
// ="0123" for text that must keep its leading zeros. A quote inside an
// unquoted cell is a character; a lone quote inside a quoted cell that
// does not end it is one too. Memory is bounded by maxRecordBytes per row
// and maxTableCells per row.
type textTable struct {
	src   io.Reader
	buf   []byte
	pos   int
	end   int
	eof   bool
	err   error
	delim byte
	line  int // lines consumed so far
	field []byte
	cells []string
	stray bool // the last row read had a stray quote in a quoted cell
	// backslash: inside a quoted cell, \" is a quote and \\ a backslash
	// (files written by writers that escape the Unix way, as N26's
	// sample is); decided per file by sniffBackslash.
	backslash bool
}

func newTextTable(r io.Reader, delim byte) *textTable {
	return &textTable{src: r, buf: make([]byte, 64<<10), delim: delim}
}

// fill makes at least one unread byte available, or reports false at the
// end of the text.
func (t *textTable) fill() bool {
	if t.pos < t.end {
		return true
	}
	if t.eof {
		return false
	}
	for {
		n, err := t.src.Read(t.buf)
		t.pos, t.end = 0, n
		if err != nil {
			t.eof = true
			if err != io.EOF {
				t.err = err
			}
		}
		if n > 0 || t.eof {
			return n > 0
		}
	}
}

// peek returns the next byte without taking it; ok is false at the end.
func (t *textTable) peek() (byte, bool) {
	if !t.fill() {
		return 0, false
	}
	return t.buf[t.pos], true
}

// newline takes a line end that starts with the byte just read (CR or
// LF): LF, CR LF, CR CR LF and a lone CR all end one line.
func (t *textTable) newline(c byte) {
	t.line++
	if c != '\r' {
		return
	}
	for {
		n, ok := t.peek()
		switch {
		case ok && n == '\r':
			t.pos++ // CR CR LF: one line end written twice
			continue
		case ok && n == '\n':
			t.pos++
		}
		return
	}
}

// read returns the next non-empty row's cells and the line it starts on;
// io.EOF after the last. The cells are reused by the next call.
func (t *textTable) read() ([]string, int, error) {
	for {
		c, ok := t.peek()
		if !ok {
			if t.err != nil {
				return nil, t.line + 1, t.err
			}
			return nil, t.line + 1, io.EOF
		}
		if c == '\n' || c == '\r' {
			t.pos++
			t.newline(c) // an empty line is no row
			continue
		}
		break
	}
	start := t.line + 1
	t.cells = t.cells[:0]
	t.stray = false
	size := 0
	for {
		t.field = t.field[:0]
		c, ok := t.peek()
		quoted := ok && c == '"'
		if ok && c == '=' && t.pos+1 < t.end && t.buf[t.pos+1] == '"' {
			t.pos++ // ="0123": Excel's text cell
			quoted = true
		}
		ended := false // the row ended after this cell
		if quoted {
			t.pos++
		quotedLoop:
			for {
				if !t.fill() {
					ended = true
					break
				}
				c := t.buf[t.pos]
				t.pos++
				if c == '\\' && t.backslash {
					if n, ok := t.peek(); ok && (n == '"' || n == '\\') {
						t.pos++
						t.field = append(t.field, n)
						continue
					}
				}
				switch c {
				case '"':
					n, ok := t.peek()
					if ok && n == '"' {
						t.pos++
						t.field = append(t.field, '"')
						continue
					}
					// A closing quote, maybe followed by blanks, then the
					// delimiter or the line end.
					blanks := 0
					var kept [16]byte
					for ok && (n == ' ' || n == '\t') && n != t.delim && blanks < len(kept) {
						kept[blanks] = n
						blanks++
						t.pos++
						n, ok = t.peek()
					}
					switch {
					case !ok:
						ended = true
						break quotedLoop
					case n == t.delim:
						t.pos++
						break quotedLoop
					case n == '\n' || n == '\r':
						t.pos++
						t.newline(n)
						ended = true
						break quotedLoop
					}
					// A stray quote inside the cell: a character. The
					// blanks after it belong to the cell too.
					t.field = append(t.field, '"')
					t.field = append(t.field, kept[:blanks]...)
					t.stray = true
				case '\r':
					n, ok := t.peek()
					if ok && n == '\n' {
						t.pos++
					}
					t.line++
					t.field = append(t.field, '\n')
				case '\n':
					t.line++
					t.field = append(t.field, '\n')
				default:
					t.field = append(t.field, c)
				}
				if size+len(t.field) > maxRecordBytes {
					return nil, start, errRecordTooLong
				}
			}
		} else {
		plainLoop:
			for {
				if !t.fill() {
					ended = true
					break
				}
				// Take the run of ordinary bytes at once.
				i := t.pos
				for i < t.end {
					b := t.buf[i]
					if b == t.delim || b == '\n' || b == '\r' {
						break
					}
					i++
				}
				t.field = append(t.field, t.buf[t.pos:i]...)
				t.pos = i
				if size+len(t.field) > maxRecordBytes {
					return nil, start, errRecordTooLong
				}
				if i == t.end {
					continue
				}
				c := t.buf[t.pos]
				t.pos++
				if c == t.delim {
					break plainLoop
				}
				t.newline(c)
				ended = true
				break plainLoop
			}
		}
		size += len(t.field)
		t.cells = append(t.cells, string(t.field))
		if len(t.cells) > maxTableCells {
			return nil, start, fmt.Errorf("more than %d cells in a row", maxTableCells)
		}
		if ended {
			if t.err != nil {
				return nil, start, t.err
			}
			return t.cells, start, nil
		}
	}
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
	} else if _, single := enc.enc.(*charmap.Charmap); single {
		enc = preferReadableHeaders(f, size, enc)
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
	if i := bytes.IndexAny(prefix, "\r\n"); i >= 0 {
		l := strings.TrimSpace(string(prefix[:i]))
		if strings.HasPrefix(strings.ToLower(l), "sep=") && len(l) == 5 {
			delim, prefix, s.offset = rune(l[4]), trimLineEnd(prefix[i:]), 1
			s.why = "the file's sep= line"
		}
	}
	if delim == 0 {
		delim = sniffDelimiter(prefix)
		s.why = "splits the first rows most evenly"
	} else if s.why == "" {
		s.why = "as configured"
	}
	if delim >= 0x80 {
		return nil, fmt.Errorf("delimiter %q: want an ASCII character", delim)
	}
	s.delim = byte(delim)
	s.r = newTextTable(io.MultiReader(bytes.NewReader(prefix), text), s.delim)
	if sniffBackslash(prefix, s.delim) {
		s.r.backslash = true
		s.escape = "quotes inside quoted cells escaped with a backslash (\\\"), as the rows split evenly only so"
	}
	return s, nil
}

// sniffBackslash tells whether a file escapes quotes inside quoted cells
// with a backslash (\") rather than by doubling them (""). Both readings
// of the first rows are compared: the one under which more rows have the
// table's usual cell count wins, and doubling (RFC 4180) keeps a tie. A
// file without \" never changes.
func sniffBackslash(text []byte, delim byte) bool {
	if !bytes.Contains(text, []byte(`\"`)) {
		return false
	}
	even := func(backslash bool) int {
		t := newTextTable(bytes.NewReader(text), delim)
		t.backslash = backslash
		counts := map[int]int{}
		for i := 0; i < 1000; i++ {
			rec, _, err := t.read()
			if err != nil {
				break
			}
			counts[len(rec)]++
		}
		best, mode := 0, 0
		for k, n := range counts {
			if n > best || n == best && k > mode {
				best, mode = n, k
			}
		}
		return best
	}
	return even(true) > even(false)
}

// preferReadableHeaders settles Central against Western European
// single-byte text by its headers: the same bytes read as Czech in
// Windows-1250 ("Číslo účtu", "Zaúčtovaná částka") and as Italian or
// French in Windows-1252 ("Èíslo úètu"), and letter counts cannot always
// tell them apart. The encoding under which more cells of the first rows
// are known header or label words wins; a tie keeps the sniffed choice.
func preferReadableHeaders(f io.ReaderAt, size int64, enc textEncoding) textEncoding {
	alt := textEncoding{name: "Windows-1250", enc: charmap.Windows1250}
	if enc.enc == charmap.Windows1250 {
		alt = textEncoding{name: "Windows-1252", enc: charmap.Windows1252}
	}
	hits := func(e textEncoding) int {
		head := make([]byte, min(size, 16<<10))
		n, _ := f.ReadAt(head, 0)
		text, err := e.enc.NewDecoder().Bytes(head[:n])
		if err != nil {
			return 0
		}
		t := newTextTable(bytes.NewReader(text), byte(sniffDelimiter(text)))
		count := 0
		for i := 0; i < 40; i++ {
			rec, _, err := t.read()
			if err != nil {
				break
			}
			for _, c := range rec {
				if strings.TrimSpace(c) == "" || !hasNonASCII(c) {
					continue
				}
				if len(theVocab.headerRoles(c)) > 0 || looksLikeMoney(c) {
					count++ // a header, or an amount with its currency sign (£ in 1252, Ł in 1250)
				} else if k, _ := theLabels.match(c); k != labelNone {
					count++
				}
			}
		}
		return count
	}
	if a, b := hits(enc), hits(alt); b > a {
		alt.why = fmt.Sprintf("%s; %d headers with accented letters read in %s, %d in %s", enc.why, b, alt.name, a, enc.name)
		return alt
	}
	return enc
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// trimLineEnd drops the one line end at the start of b.
func trimLineEnd(b []byte) []byte {
	switch {
	case bytes.HasPrefix(b, []byte("\r\n")):
		return b[2:]
	case len(b) > 0 && (b[0] == '\n' || b[0] == '\r'):
		return b[1:]
	}
	return b
}

func (s *csvSource) next() (tableRow, error) {
	rec, line, err := s.r.read()
	if err != nil {
		return tableRow{num: line + s.offset}, err
	}
	return tableRow{cells: rec, num: line + s.offset, stray: s.r.stray}, nil
}

func (s *csvSource) where(num int) string { return fmt.Sprintf("line %d", num) }

// warnings: a text file has none of its own.
func (s *csvSource) warnings() []string { return nil }

func (s *csvSource) notes() []string {
	n := []string{
		fmt.Sprintf("encoding: %s (%s)", s.enc.name, s.enc.why),
		fmt.Sprintf("delimiter: %s (%s)", delimName(rune(s.delim)), s.why),
	}
	if s.escape != "" {
		n = append(n, s.escape)
	}
	return n
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
	for _, d := range []byte{',', ';', '\t', '|'} {
		r := newTextTable(bytes.NewReader(text), d)
		counts := map[int]int{}
		for i := 0; i < 100; i++ {
			rec, _, err := r.read()
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
			best, bestScore = rune(d), score
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
