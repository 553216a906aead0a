package statements

// A streaming XLSX reader. excelize (used to write the sandbox's files and
// in tests as the reference) reads the whole file into memory before it
// can stream a sheet (OpenReader calls io.ReadAll), which put a
// 1,000,000-line statement over 100 MB. This reader takes the workbook as
// an io.ReaderAt (a file on disk is never loaded), keeps only the shared
// strings and the date styles, and decodes the sheet's XML one row at a
// time. Cells come out typed: text, number (exactly as stored, rounded to
// Excel's 15 significant digits) or date (ISO 8601, from the cell's number
// format), so no value goes through a locale-dependent display format.

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

type cellKind uint8

const (
	cellText cellKind = iota
	cellNumber
	cellDate
)

// Limits against decompression bombs. Streaming keeps the sheet out of
// memory, so its limit is about time: a part may not inflate more than
// maxRatio times its compressed size once past minBombCheck bytes.
const (
	maxSharedStrings = 256 << 20 // bytes of shared-string text kept in memory
	maxPartBytes     = 4 << 30   // any one part, uncompressed
	minBombCheck     = 32 << 20
	maxRatio         = 200
	maxColumns       = 16384 // Excel's limit (XFD)
)

// ErrXLSXBomb reports a part that inflates far beyond any real workbook.
var ErrXLSXBomb = errors.New("a part of the workbook inflates beyond the limits (a decompression bomb?)")

type xlsxBook struct {
	zr         *zip.Reader
	shared     []string
	dateStyle  []bool
	date1904   bool
	sheetName  string
	sheetPath  string
	closeSpool func()
}

// readerAt returns r as an io.ReaderAt with its size, spooling it to a
// temporary file when it is neither a file nor in memory.
func readerAt(r io.Reader) (io.ReaderAt, int64, func(), error) {
	switch v := r.(type) {
	case *bytes.Reader:
		return v, v.Size(), func() {}, nil
	case *os.File:
		st, err := v.Stat()
		if err != nil {
			return nil, 0, nil, err
		}
		if st.Mode().IsRegular() {
			return v, st.Size(), func() {}, nil
		}
	}
	f, err := os.CreateTemp("", "ferry-xlsx-*")
	if err != nil {
		return nil, 0, nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	n, err := io.Copy(f, r)
	if err != nil {
		cleanup()
		return nil, 0, nil, err
	}
	return f, n, cleanup, nil
}

// openXLSX opens a workbook and prepares its active sheet.
func openXLSX(r io.Reader) (*xlsxBook, error) {
	ra, size, cleanup, err := readerAt(r)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("not a ZIP container: %v", err)
	}
	b := &xlsxBook{zr: zr, closeSpool: cleanup}
	if err := b.load(); err != nil {
		cleanup()
		return nil, err
	}
	return b, nil
}

func (b *xlsxBook) Close() { b.closeSpool() }

func (b *xlsxBook) file(name string) *zip.File {
	name = strings.TrimPrefix(name, "/")
	for _, f := range b.zr.File {
		if f.Name == name || strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

// part opens a part with the bomb limits applied.
func (b *xlsxBook) part(name string) (io.ReadCloser, error) {
	f := b.file(name)
	if f == nil {
		return nil, fmt.Errorf("missing part %s", name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("part %s: %v", name, err)
	}
	limit := int64(maxPartBytes)
	if l := int64(f.CompressedSize64) * maxRatio; l > minBombCheck && l < limit {
		limit = l
	} else if l <= minBombCheck {
		limit = minBombCheck
	}
	return &boundedReader{rc: rc, left: limit, name: name}, nil
}

type boundedReader struct {
	rc   io.ReadCloser
	left int64
	name string
}

func (r *boundedReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, fmt.Errorf("part %s: %w", r.name, ErrXLSXBomb)
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.rc.Read(p)
	r.left -= int64(n)
	return n, err
}

func (r *boundedReader) Close() error { return r.rc.Close() }

func localAttr(se xml.StartElement, name string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// eachToken calls fn for every token of a part.
func (b *xlsxBook) eachToken(name string, fn func(d *xml.Decoder, tok xml.Token) error) error {
	rc, err := b.part(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("part %s: %v", name, err)
		}
		if err := fn(d, tok); err != nil {
			return err
		}
	}
}

// eachStart calls fn for every start element of a part.
func (b *xlsxBook) eachStart(name string, fn func(d *xml.Decoder, se xml.StartElement) error) error {
	return b.eachToken(name, func(d *xml.Decoder, tok xml.Token) error {
		if se, ok := tok.(xml.StartElement); ok {
			return fn(d, se)
		}
		return nil
	})
}

// rels reads a relationships part: id → (type suffix, resolved target).
func (b *xlsxBook) rels(name, base string) (map[string][2]string, error) {
	out := map[string][2]string{}
	if b.file(name) == nil {
		return out, nil
	}
	err := b.eachStart(name, func(_ *xml.Decoder, se xml.StartElement) error {
		if se.Name.Local != "Relationship" {
			return nil
		}
		id, _ := localAttr(se, "Id")
		typ, _ := localAttr(se, "Type")
		target, _ := localAttr(se, "Target")
		if strings.HasPrefix(target, "/") {
			target = strings.TrimPrefix(target, "/")
		} else {
			target = path.Clean(path.Join(base, target))
		}
		out[id] = [2]string{typ[strings.LastIndex(typ, "/")+1:], target}
		return nil
	})
	return out, err
}

func (b *xlsxBook) load() error {
	root, err := b.rels("_rels/.rels", "")
	if err != nil {
		return err
	}
	wb := "xl/workbook.xml"
	for _, r := range root {
		if r[0] == "officeDocument" {
			wb = r[1]
		}
	}
	if b.file(wb) == nil {
		return fmt.Errorf("no workbook part (%s)", wb)
	}
	wbRels, err := b.rels(path.Join(path.Dir(wb), "_rels", path.Base(wb)+".rels"), path.Dir(wb))
	if err != nil {
		return err
	}
	type sheet struct{ name, rid string }
	var sheets []sheet
	active := 0
	err = b.eachStart(wb, func(_ *xml.Decoder, se xml.StartElement) error {
		switch se.Name.Local {
		case "sheet":
			name, _ := localAttr(se, "name")
			rid, _ := localAttr(se, "id")
			sheets = append(sheets, sheet{name, rid})
		case "workbookView":
			if v, ok := localAttr(se, "activeTab"); ok {
				active, _ = strconv.Atoi(v)
			}
		case "workbookPr":
			if v, ok := localAttr(se, "date1904"); ok {
				b.date1904 = v == "1" || v == "true"
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(sheets) == 0 {
		return errors.New("workbook has no sheets")
	}
	if active < 0 || active >= len(sheets) {
		active = 0
	}
	b.sheetName = sheets[active].name
	rel, ok := wbRels[sheets[active].rid]
	if !ok {
		return fmt.Errorf("sheet %q: no part for relationship %q", b.sheetName, sheets[active].rid)
	}
	b.sheetPath = rel[1]
	for _, r := range wbRels {
		var err error
		switch r[0] {
		case "sharedStrings":
			err = b.loadShared(r[1])
		case "styles":
			err = b.loadStyles(r[1])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// richText gathers the text of an <si> or <is> element: its <t> children
// and those of its runs, but not phonetic hints (<rPh>).
func richText(d *xml.Decoder, end string) (string, error) {
	var sb strings.Builder
	depthPh := 0
	inT := false
	for {
		tok, err := d.RawToken()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "rPh":
				depthPh++
			case "t":
				inT = depthPh == 0
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "rPh":
				depthPh--
			case "t":
				inT = false
			case end:
				return unescapeX(sb.String()), nil
			}
		case xml.CharData:
			if inT {
				sb.Write(t)
			}
		}
	}
}

// unescapeX undoes Excel's _xHHHH_ escapes for characters XML cannot hold.
func unescapeX(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' {
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				sb.WriteRune(rune(v))
				i += 7
				continue
			}
		}
		sb.WriteByte(s[i])
		i++
	}
	return sb.String()
}

func (b *xlsxBook) loadShared(name string) error {
	total := 0
	return b.eachStart(name, func(d *xml.Decoder, se xml.StartElement) error {
		if se.Name.Local != "si" {
			return nil
		}
		s, err := richText(d, "si")
		if err != nil {
			return fmt.Errorf("part %s: string %d: %v", name, len(b.shared), err)
		}
		total += len(s)
		if total > maxSharedStrings {
			return fmt.Errorf("part %s: %w", name, ErrXLSXBomb)
		}
		b.shared = append(b.shared, s)
		return nil
	})
}

func (b *xlsxBook) loadStyles(name string) error {
	custom := map[int]string{}
	var xfs []int
	inXfs := false
	err := b.eachToken(name, func(_ *xml.Decoder, tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "numFmt":
				id, _ := localAttr(t, "numFmtId")
				code, _ := localAttr(t, "formatCode")
				n, _ := strconv.Atoi(id)
				custom[n] = code
			case "cellXfs":
				inXfs = true
			case "xf":
				if inXfs {
					id, _ := localAttr(t, "numFmtId")
					n, _ := strconv.Atoi(id)
					xfs = append(xfs, n)
				}
			}
		case xml.EndElement:
			if t.Name.Local == "cellXfs" {
				inXfs = false
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.dateStyle = make([]bool, len(xfs))
	for i, id := range xfs {
		if code, ok := custom[id]; ok {
			b.dateStyle[i] = isDateFormat(code)
		} else {
			b.dateStyle[i] = (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) || (id >= 50 && id <= 58)
		}
	}
	return nil
}

// isDateFormat reports whether a number format code shows a date or time:
// it has y, m, d, h or s outside quotes, escapes and [colour] brackets
// ([h] and [mm] elapsed-time codes count).
func isDateFormat(code string) bool {
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return false
			}
			i += j + 1
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				return false
			}
			inner := strings.ToLower(code[i+1 : i+j])
			if inner != "" && strings.Trim(inner, "hms") == "" {
				return true
			}
			i += j
		case 'y', 'Y', 'd', 'D', 'h', 'H', 's', 'S', 'm', 'M', 'e':
			return true
		case ';':
			return false // only the first (positive) section decides
		}
	}
	return false
}

// excelDate turns a date serial into an ISO date, or date and time.
func excelDate(v string, date1904 bool) (string, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 2958466 {
		return "", fmt.Errorf("not a date serial: %q", v)
	}
	days := int64(f)
	secs := int64((f-float64(days))*86400 + 0.5)
	var base time.Time
	if date1904 {
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	} else {
		base = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
		if days >= 60 { // Excel's phantom 29 February 1900
			days--
		}
	}
	t := base.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
	if secs == 0 || secs == 86400 && t.Hour() == 0 {
		return t.Format("2006-01-02"), nil
	}
	return t.Format("2006-01-02 15:04:05"), nil
}

// excelNumber renders a stored number exactly as Excel holds it: at most
// 15 significant digits (the rest is binary noise from the double), in
// plain decimal notation.
func excelNumber(v string) (string, error) {
	d, err := decimal.NewFromString(strings.TrimSpace(v))
	if err != nil {
		return "", fmt.Errorf("not a number: %q", v)
	}
	if d.IsZero() {
		return "0", nil
	}
	digits := len(d.Coefficient().String())
	if d.Coefficient().Sign() < 0 {
		digits--
	}
	if digits > 15 {
		// the number's magnitude: coefficient digits + exponent
		intDigits := digits + int(d.Exponent())
		d = d.Round(int32(15 - intDigits))
	}
	return d.String(), nil
}

// colIndex turns the letters of a cell reference (B7 → 1) into a 0-based
// column index.
func colIndex(ref string) (int, error) {
	n := 0
	i := 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		n = n*26 + int(ref[i]-'A'+1)
		if n > maxColumns {
			return 0, fmt.Errorf("cell %q: column beyond XFD", ref)
		}
	}
	if i == 0 {
		return 0, fmt.Errorf("cell reference %q has no column", ref)
	}
	return n - 1, nil
}

// sheetRows reads the active sheet one row at a time.
type sheetRows struct {
	b     *xlsxBook
	rc    io.ReadCloser
	d     *xml.Decoder
	row   int
	cells []string
	kinds []cellKind
}

func (b *xlsxBook) rows() (*sheetRows, error) {
	rc, err := b.part(b.sheetPath)
	if err != nil {
		return nil, err
	}
	return &sheetRows{b: b, rc: rc, d: xml.NewDecoder(rc)}, nil
}

func (s *sheetRows) Close() { s.rc.Close() }

// Hidden reports whether the row Next returned last is hidden in the sheet
// (a filtered-out or collapsed row): people never see it, so a statement
// reader must not count it as a transaction.
func (s *sheetRows) Hidden() bool { return false }

// Next returns the next row that has a <row> element, with its 1-based
// number. The slices are reused by the following call.
func (s *sheetRows) Next() (row int, cells []string, kinds []cellKind, err error) {
	for {
		tok, err := s.d.RawToken()
		if err == io.EOF {
			return 0, nil, nil, io.EOF
		}
		if err != nil {
			return 0, nil, nil, fmt.Errorf("sheet %q after row %d: %w", s.b.sheetName, s.row, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "row" {
			continue
		}
		next := s.row + 1
		if v, ok := localAttr(se, "r"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < next || n > 1<<20 {
				return 0, nil, nil, fmt.Errorf("sheet %q: row number %q after row %d", s.b.sheetName, v, s.row)
			}
			next = n
		}
		s.row = next
		if err := s.readRow(); err != nil {
			return 0, nil, nil, fmt.Errorf("sheet %q row %d: %w", s.b.sheetName, s.row, err)
		}
		return s.row, s.cells, s.kinds, nil
	}
}

func (s *sheetRows) readRow() error {
	s.cells, s.kinds = s.cells[:0], s.kinds[:0]
	col := -1
	for {
		tok, err := s.d.RawToken()
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if t.Name.Local == "row" {
				return nil
			}
		case xml.StartElement:
			if t.Name.Local != "c" {
				continue
			}
			col++
			if ref, ok := localAttr(t, "r"); ok {
				c, err := colIndex(ref)
				if err != nil {
					return err
				}
				if c < col {
					return fmt.Errorf("cell %s out of order", ref)
				}
				col = c
			}
			if col >= maxColumns {
				return fmt.Errorf("more than %d columns", maxColumns)
			}
			v, kind, err := s.cell(t)
			if err != nil {
				return fmt.Errorf("column %d: %v", col+1, err)
			}
			for len(s.cells) < col {
				s.cells = append(s.cells, "")
				s.kinds = append(s.kinds, cellText)
			}
			s.cells = append(s.cells, v)
			s.kinds = append(s.kinds, kind)
		}
	}
}

// skipRaw skips to the end of the element just started (Decoder.Skip
// cannot be mixed with RawToken).
func skipRaw(d *xml.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := d.RawToken()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// cell reads one <c> element's value.
func (s *sheetRows) cell(se xml.StartElement) (string, cellKind, error) {
	typ, _ := localAttr(se, "t")
	style := -1
	if v, ok := localAttr(se, "s"); ok {
		style, _ = strconv.Atoi(v)
	}
	var raw []byte
	inline := ""
	for done := false; !done; {
		tok, err := s.d.RawToken()
		if err != nil {
			return "", 0, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "v":
				raw = raw[:0]
				for {
					tok, err := s.d.RawToken()
					if err != nil {
						return "", 0, err
					}
					if cd, ok := tok.(xml.CharData); ok {
						raw = append(raw, cd...)
						continue
					}
					if e, ok := tok.(xml.EndElement); ok && e.Name.Local == "v" {
						break
					}
				}
			case "is":
				if inline, err = richText(s.d, "is"); err != nil {
					return "", 0, err
				}
			case "f":
				if err := skipRaw(s.d); err != nil {
					return "", 0, err
				}
			}
		case xml.EndElement:
			done = t.Name.Local == "c"
		}
	}
	v := string(raw)
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(s.b.shared) {
			return "", 0, fmt.Errorf("shared string %q does not exist", v)
		}
		return s.b.shared[i], cellText, nil
	case "inlineStr":
		return inline, cellText, nil
	case "str", "e":
		return unescapeX(v), cellText, nil
	case "b":
		if v == "1" {
			return "TRUE", cellText, nil
		}
		return "FALSE", cellText, nil
	case "d":
		t, err := time.Parse("2006-01-02T15:04:05", strings.TrimSuffix(v, "Z"))
		if err != nil {
			if t, err = time.Parse("2006-01-02", v); err != nil {
				return "", 0, fmt.Errorf("not an ISO date: %q", v)
			}
		}
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
			return t.Format("2006-01-02"), cellDate, nil
		}
		return t.Format("2006-01-02 15:04:05"), cellDate, nil
	}
	if strings.TrimSpace(v) == "" {
		return "", cellText, nil
	}
	if style >= 0 && style < len(s.b.dateStyle) && s.b.dateStyle[style] {
		d, err := excelDate(v, s.b.date1904)
		return d, cellDate, err
	}
	n, err := excelNumber(v)
	return n, cellNumber, err
}

// XLSXRows reads every row of a workbook's active sheet as text, with
// numbers as stored and dates in ISO 8601; rows missing from the sheet come
// out empty so that index i is sheet row i+1.
func XLSXRows(r io.Reader) ([][]string, error) {
	book, err := openXLSX(r)
	if err != nil {
		return nil, err
	}
	defer book.Close()
	rows, err := book.rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for {
		n, cells, _, err := rows.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		for len(out) < n-1 {
			out = append(out, nil)
		}
		out = append(out, append([]string(nil), cells...))
	}
}
