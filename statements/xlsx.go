package statements

// A streaming XLSX reader. excelize (used to write the sandbox's files and
// in tests as the reference) reads the whole file into memory before it
// can stream a sheet (OpenReader calls io.ReadAll), which put a
// 1,000,000-line statement over 100 MB. This reader takes the workbook as
// an io.ReaderAt (a file on disk is never loaded), keeps only the shared
// strings and the cell formats, and decodes the sheet's XML one row at a
// time. Cells come out typed: text, number (exactly as stored, rounded to
// Excel's 15 significant digits), date (ISO 8601) or time, as the cell's
// number format says (xlsxfmt.go), so no value goes through a
// locale-dependent display format.
//
// Hostile files are bounded in absolute terms, not only by compression
// ratio: every part has a cap on its inflated size, every XML token (a
// tag, a run of text) on its length before encoding/xml buffers it, and
// the sheet keeps to Excel's own limits of 32,767 characters a cell,
// 1,048,576 rows and 16,384 columns.

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

type cellKind uint8

const (
	cellText   cellKind = iota
	cellNumber          // a number as Excel stores it, in plain decimal notation
	cellDate            // 2006-01-02, or 2006-01-02 15:04:05 when the format shows a time
	cellTime            // a time of day (15:04:05) or an elapsed time (36:00:00)
)

// Excel's limits (Excel specifications and limits), which no workbook
// that Excel can open exceeds.
const (
	maxCellChars = 32767
	maxRows      = 1048576
	maxColumns   = 16384 // XFD
)

// xlsxLimits bounds what reading a workbook may cost. Tests shrink them to
// reach each one cheaply.
type xlsxLimits struct {
	cellChars, rows, columns int
	token                    int   // bytes of one XML tag, text run, comment or CDATA section
	sheetPart, sharedPart    int64 // inflated bytes of the sheet and the shared-strings parts
	otherPart                int64 // inflated bytes of any other part read (workbook, styles, relationships)
	sharedTotal              int64 // bytes of shared strings kept, counting 8 bytes a string
	ratio                    int64 // inflation ratio allowed once a part is past ratioFloor bytes
	ratioFloor               int64
	styles, numFmts, sheets  int // counts of cell formats, number formats and sheets
}

func defaultXLSXLimits() xlsxLimits {
	return xlsxLimits{
		cellChars:   maxCellChars,
		rows:        maxRows,
		columns:     maxColumns,
		token:       1 << 20, // 32,767 characters written as &#x10FFFF; are 328 KB
		sheetPart:   4 << 30, // 1,048,576 rows of 20 cells at 200 bytes each
		sharedPart:  1 << 30,
		otherPart:   256 << 20,
		sharedTotal: 256 << 20,
		ratio:       200,
		ratioFloor:  32 << 20,
		styles:      1 << 20, // Excel keeps 65,490; other writers make one per cell
		numFmts:     65536,
		sheets:      65536,
	}
}

// ErrXLSXBomb reports a part that inflates far beyond any real workbook.
var ErrXLSXBomb = errors.New("a part of the workbook inflates beyond the limits (a decompression bomb?)")

// ErrXLSXLimit reports a workbook beyond Excel's own limits (characters in
// a cell, rows, columns) or beyond what Ferry keeps in memory for one.
var ErrXLSXLimit = errors.New("beyond the limits of an Excel workbook")

type xlsxSheet struct {
	name, rid, state string
}

type xlsxBook struct {
	zr         *zip.Reader
	lim        xlsxLimits
	shared     stringTable
	styles     []*numFmt // by cell format (the s attribute)
	date1904   bool
	sheets     []xlsxSheet
	rels       map[string][2]string
	sheetName  string
	sheetPath  string
	warned     map[string]bool
	warnings   []string
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
	return openXLSXLimits(r, defaultXLSXLimits())
}

func openXLSXLimits(r io.Reader, lim xlsxLimits) (*xlsxBook, error) {
	ra, size, cleanup, err := readerAt(r)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("not a ZIP container: %v", err)
	}
	b := &xlsxBook{zr: zr, lim: lim, closeSpool: cleanup, warned: map[string]bool{}}
	if err := b.load(); err != nil {
		cleanup()
		return nil, err
	}
	return b, nil
}

func (b *xlsxBook) Close() { b.closeSpool() }

// Warnings says what the reader could not read exactly (number formats it
// does not understand, cells in styles the file lacks), once each.
func (b *xlsxBook) Warnings() []string { return b.warnings }

func (b *xlsxBook) warn(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	if b.warned[w] || len(b.warnings) >= 50 {
		return
	}
	b.warned[w] = true
	b.warnings = append(b.warnings, w)
}

// sheetNames lists the workbook's sheets in tab order.
func (b *xlsxBook) sheetNames() []string {
	out := make([]string, len(b.sheets))
	for i, s := range b.sheets {
		out[i] = s.name
	}
	return out
}

// selectSheet makes the named sheet the one rows reads.
func (b *xlsxBook) selectSheet(name string) error {
	for _, s := range b.sheets {
		if s.name == name {
			rel, ok := b.rels[s.rid]
			if !ok {
				return fmt.Errorf("sheet %q: no part for relationship %q", s.name, s.rid)
			}
			b.sheetName, b.sheetPath = s.name, rel[1]
			return nil
		}
	}
	return fmt.Errorf("no sheet %q (the workbook has %q)", name, b.sheetNames())
}

func (b *xlsxBook) file(name string) *zip.File {
	name = strings.TrimPrefix(name, "/")
	for _, f := range b.zr.File {
		if f.Name == name || strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

// part opens a part, inflating at most max bytes of it (and at most ratio
// times its compressed size past ratioFloor), with every XML token bounded.
func (b *xlsxBook) part(name string, max int64) (io.ReadCloser, error) {
	f := b.file(name)
	if f == nil {
		return nil, fmt.Errorf("missing part %s", name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("part %s: %v", name, err)
	}
	limit, why := max, "its limit"
	if l := int64(f.CompressedSize64) * b.lim.ratio; l < limit {
		limit, why = l, fmt.Sprintf("%d times its compressed size", b.lim.ratio)
		if limit < b.lim.ratioFloor {
			limit = min(b.lim.ratioFloor, max)
		}
	}
	br := &boundedReader{rc: rc, left: limit, name: name, limit: limit, why: why, declared: f.UncompressedSize64}
	return &guardedPart{Reader: &xmlGuard{r: br, max: b.lim.token, part: name}, c: rc}, nil
}

type guardedPart struct {
	io.Reader
	c io.Closer
}

func (g *guardedPart) Close() error { return g.c.Close() }

type boundedReader struct {
	rc          io.ReadCloser
	left, limit int64
	name, why   string
	declared    uint64
}

func (r *boundedReader) Read(p []byte) (int, error) {
	if r.declared > uint64(r.limit) {
		// archive/zip holds a part to the size its directory entry
		// declares, so a declared size past the limit is refused before
		// anything is inflated
		return 0, fmt.Errorf("part %s inflates past %d bytes (%s): it declares %d: %w", r.name, r.limit, r.why, r.declared, ErrXLSXBomb)
	}
	if r.left <= 0 {
		return 0, fmt.Errorf("part %s inflates past %d bytes (%s): %w", r.name, r.limit, r.why, ErrXLSXBomb)
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.rc.Read(p)
	r.left -= int64(n)
	return n, err
}

// xmlGuard passes a part's XML through while measuring each token the way
// encoding/xml will split it, and fails before the decoder buffers one
// longer than max bytes: the decoder holds a whole run of text or a whole
// tag in memory, so one 1.5 GB cell would otherwise take gigabytes.
// Document type declarations, which no SpreadsheetML part has, are
// refused.
type xmlGuard struct {
	r     io.Reader
	max   int
	part  string
	state uint8
	n     int     // bytes of the current token so far
	quote byte    // the quote that opened an attribute value
	open  []byte  // the start of a markup token, until its kind is known
	last  [2]byte // the two bytes before, to find --> ]]> ?>
	err   error
}

const (
	gText uint8 = iota
	gOpen       // after <, deciding what follows
	gTag
	gQuote
	gComment
	gCDATA
	gPI
)

func (g *xmlGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	if gerr := g.scan(p[:n]); gerr != nil {
		g.err = gerr
		return 0, gerr
	}
	return n, err
}

func (g *xmlGuard) fail(what string) error {
	return fmt.Errorf("part %s: %s longer than %d bytes (no cell holds more than %d characters): %w", g.part, what, g.max, maxCellChars, ErrXLSXLimit)
}

func (g *xmlGuard) scan(p []byte) error {
	for i := 0; i < len(p); {
		switch g.state {
		case gText:
			j := bytes.IndexByte(p[i:], '<')
			if j < 0 {
				g.n += len(p) - i
				i = len(p)
			} else {
				g.n += j
				i += j + 1
				g.state, g.open = gOpen, append(g.open[:0], '<')
			}
			if g.n > g.max {
				return g.fail("a run of text")
			}
			if g.state == gOpen {
				g.n = 1
			}
			continue
		case gTag:
			j := bytes.IndexAny(p[i:], "\"'>")
			if j < 0 {
				g.n += len(p) - i
				i = len(p)
			} else {
				g.n += j + 1
				switch c := p[i+j]; c {
				case '>':
					g.state, g.n = gText, 0
				default:
					g.state, g.quote = gQuote, c
				}
				i += j + 1
			}
			if g.n > g.max {
				return g.fail("a tag")
			}
			continue
		case gQuote:
			j := bytes.IndexByte(p[i:], g.quote)
			if j < 0 {
				g.n += len(p) - i
				i = len(p)
			} else {
				g.n += j + 1
				i += j + 1
				g.state = gTag
			}
			if g.n > g.max {
				return g.fail("an attribute")
			}
			continue
		}
		c := p[i]
		i++
		g.n++
		if g.n > g.max {
			return g.fail("a comment, CDATA section or processing instruction")
		}
		switch g.state {
		case gOpen:
			g.open = append(g.open, c)
			o := g.open
			switch {
			case string(o) == "<?":
				g.state, g.last = gPI, [2]byte{}
				continue
			case o[1] != '!':
				g.state = gTag
				switch c {
				case '>':
					g.state, g.n = gText, 0
				case '"', '\'':
					g.state, g.quote = gQuote, c
				}
			case string(o) == "<!--":
				g.state, g.last = gComment, [2]byte{}
				continue // the opener's dashes do not close it
			case string(o) == "<![CDATA[":
				g.state, g.last = gCDATA, [2]byte{}
				continue
			case strings.HasPrefix("<!--", string(o)) || strings.HasPrefix("<![CDATA[", string(o)):
				// not decided yet
			default:
				return fmt.Errorf("part %s: a document type declaration or other directive, which no workbook part has: %w", g.part, ErrXLSXLimit)
			}
		case gComment, gCDATA, gPI:
			end := c == '>' && (g.state == gComment && g.last == [2]byte{'-', '-'} ||
				g.state == gCDATA && g.last == [2]byte{']', ']'} ||
				g.state == gPI && g.last[1] == '?')
			if end {
				g.state, g.n = gText, 0
			}
		}
		g.last = [2]byte{g.last[1], c}
	}
	return nil
}

func localAttr(se xml.StartElement, name string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// eachToken calls fn for every token of a part.
func (b *xlsxBook) eachToken(name string, max int64, fn func(d *xml.Decoder, tok xml.Token) error) error {
	rc, err := b.part(name, max)
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
			return fmt.Errorf("part %s: %w", name, err)
		}
		if err := fn(d, tok); err != nil {
			return err
		}
	}
}

// eachStart calls fn for every start element of a part.
func (b *xlsxBook) eachStart(name string, max int64, fn func(d *xml.Decoder, se xml.StartElement) error) error {
	return b.eachToken(name, max, func(d *xml.Decoder, tok xml.Token) error {
		if se, ok := tok.(xml.StartElement); ok {
			return fn(d, se)
		}
		return nil
	})
}

// rels reads a relationships part: id → (type suffix, resolved target).
func (b *xlsxBook) readRels(name, base string) (map[string][2]string, error) {
	out := map[string][2]string{}
	if b.file(name) == nil {
		return out, nil
	}
	err := b.eachStart(name, b.lim.otherPart, func(_ *xml.Decoder, se xml.StartElement) error {
		if se.Name.Local != "Relationship" {
			return nil
		}
		if len(out) >= b.lim.sheets*4 {
			return fmt.Errorf("part %s: more than %d relationships: %w", name, b.lim.sheets*4, ErrXLSXLimit)
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
	root, err := b.readRels("_rels/.rels", "")
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
	if b.rels, err = b.readRels(path.Join(path.Dir(wb), "_rels", path.Base(wb)+".rels"), path.Dir(wb)); err != nil {
		return err
	}
	active := 0
	err = b.eachStart(wb, b.lim.otherPart, func(_ *xml.Decoder, se xml.StartElement) error {
		switch se.Name.Local {
		case "sheet":
			if len(b.sheets) >= b.lim.sheets {
				return fmt.Errorf("more than %d sheets: %w", b.lim.sheets, ErrXLSXLimit)
			}
			name, _ := localAttr(se, "name")
			rid, _ := localAttr(se, "id")
			state, _ := localAttr(se, "state")
			b.sheets = append(b.sheets, xlsxSheet{name, rid, state})
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
	if len(b.sheets) == 0 {
		return errors.New("workbook has no sheets")
	}
	if active < 0 || active >= len(b.sheets) {
		active = 0
	}
	if err := b.selectSheet(b.sheets[active].name); err != nil {
		return err
	}
	for _, r := range b.rels {
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

// textLimit bounds the text gathered for one cell or shared string: Excel's
// 32,767 characters, checked in bytes as the text grows (a character is at
// most 4 bytes of UTF-8, or 7 as an _xHHHH_ escape) and in characters once
// it is whole.
type textLimit struct{ chars int }

func (l textLimit) grow(n int) error {
	if n > l.chars*7 {
		return fmt.Errorf("text longer than %d characters, Excel's limit for a cell: %w", l.chars, ErrXLSXLimit)
	}
	return nil
}

func (l textLimit) check(s string) error {
	if len(s) > l.chars && utf8.RuneCountInString(s) > l.chars {
		return fmt.Errorf("text of %d characters, longer than Excel's limit of %d for a cell: %w", utf8.RuneCountInString(s), l.chars, ErrXLSXLimit)
	}
	return nil
}

// richText gathers the text of an <si> or <is> element: its <t> children
// and those of its runs, but not phonetic hints (<rPh>).
func richText(d *xml.Decoder, end string, lim textLimit) (string, error) {
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
				s := unescapeX(sb.String())
				return s, lim.check(s)
			}
		case xml.CharData:
			if inT {
				if err := lim.grow(sb.Len() + len(t)); err != nil {
					return "", err
				}
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

// stringTable keeps the shared strings packed in 1 MiB blocks with an
// 8-byte index entry each, instead of a string header and an allocation
// per string: a million short strings cost their bytes and 8 MB, not
// three times that.
type stringTable struct {
	blocks []string
	cur    []byte
	index  []uint64 // block<<44 | offset<<24 | length
	bytes  int64
}

const stringBlock = 1 << 20

func (t *stringTable) add(s string) {
	if len(t.cur)+len(s) > stringBlock {
		t.seal()
	}
	if t.cur == nil {
		t.cur = make([]byte, 0, stringBlock)
	}
	t.index = append(t.index, uint64(len(t.blocks))<<44|uint64(len(t.cur))<<24|uint64(len(s)))
	t.cur = append(t.cur, s...)
	t.bytes += int64(len(s)) + 8
}

// seal turns the block being filled into a string that lookups slice.
func (t *stringTable) seal() {
	if t.cur != nil {
		t.blocks = append(t.blocks, string(t.cur))
		t.cur = nil
	}
}

func (t *stringTable) len() int { return len(t.index) }

func (t *stringTable) get(i int) string {
	e := t.index[i]
	blk, off, n := e>>44, e>>24&(1<<20-1), e&(1<<24-1)
	return t.blocks[blk][off : off+n]
}

func (b *xlsxBook) loadShared(name string) error {
	lim := textLimit{b.lim.cellChars}
	err := b.eachStart(name, b.lim.sharedPart, func(d *xml.Decoder, se xml.StartElement) error {
		if se.Name.Local != "si" {
			return nil
		}
		s, err := richText(d, "si", lim)
		if err != nil {
			return fmt.Errorf("part %s: string %d: %w", name, b.shared.len(), err)
		}
		if b.shared.bytes+int64(len(s))+8 > b.lim.sharedTotal {
			return fmt.Errorf("part %s: shared strings past %d MiB at string %d: %w", name, b.lim.sharedTotal>>20, b.shared.len(), ErrXLSXLimit)
		}
		b.shared.add(s)
		return nil
	})
	b.shared.seal()
	return err
}

func (b *xlsxBook) loadStyles(name string) error {
	codes := map[int]string{}
	var xfs []int
	var in string // the list being read: numFmts or cellXfs
	err := b.eachToken(name, b.lim.otherPart, func(_ *xml.Decoder, tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "numFmts", "cellXfs":
				in = t.Name.Local
			case "numFmt":
				// only those of numFmts: a dxf's numFmt (conditional
				// formatting) may reuse an id
				if in != "numFmts" {
					return nil
				}
				if len(codes) >= b.lim.numFmts {
					return fmt.Errorf("part %s: more than %d number formats: %w", name, b.lim.numFmts, ErrXLSXLimit)
				}
				id, _ := localAttr(t, "numFmtId")
				code, _ := localAttr(t, "formatCode")
				n, err := strconv.Atoi(id)
				if err != nil {
					return fmt.Errorf("part %s: number format id %q", name, id)
				}
				codes[n] = code
			case "xf":
				if in != "cellXfs" {
					return nil
				}
				if len(xfs) >= b.lim.styles {
					return fmt.Errorf("part %s: more than %d cell formats: %w", name, b.lim.styles, ErrXLSXLimit)
				}
				n := 0
				if id, ok := localAttr(t, "numFmtId"); ok {
					var err error
					if n, err = strconv.Atoi(id); err != nil {
						return fmt.Errorf("part %s: cell format %d: number format id %q", name, len(xfs), id)
					}
				}
				xfs = append(xfs, n)
			}
		case xml.EndElement:
			if t.Name.Local == in {
				in = ""
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	parsed := map[int]*numFmt{}
	b.styles = make([]*numFmt, len(xfs))
	for i, id := range xfs {
		f, ok := parsed[id]
		if !ok {
			if code, ok := codes[id]; ok {
				f = parseNumFmt(code)
			} else {
				f = builtinFormat(id)
			}
			parsed[id] = f
		}
		b.styles[i] = f
	}
	return nil
}

// colIndex turns the letters of a cell reference (B7 → 1) into a 0-based
// column index.
func colIndex(ref string, max int) (int, error) {
	n := 0
	i := 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		n = n*26 + int(ref[i]-'A'+1)
		if n > max {
			return 0, fmt.Errorf("cell %q is past column %d, Excel's last (XFD): %w", ref, max, ErrXLSXLimit)
		}
	}
	if i == 0 {
		return 0, fmt.Errorf("cell reference %q has no column", ref)
	}
	return n - 1, nil
}

// colName turns a 0-based column index into its letters.
func colName(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}

// sheetRows reads the active sheet one row at a time.
type sheetRows struct {
	b          *xlsxBook
	ctx        context.Context
	rc         io.ReadCloser
	d          *xml.Decoder
	row        int
	hidden     bool
	hiddenCols []bool
	cols       int // <col> elements read
	inData     bool
	cells      []string
	kinds      []cellKind
	raw        []byte
}

func (b *xlsxBook) rows() (*sheetRows, error) {
	return b.rowsContext(context.Background())
}

// rowsContext is rows with a context: Next fails once ctx is done.
func (b *xlsxBook) rowsContext(ctx context.Context) (*sheetRows, error) {
	rc, err := b.part(b.sheetPath, b.lim.sheetPart)
	if err != nil {
		return nil, err
	}
	return &sheetRows{b: b, ctx: ctx, rc: rc, d: xml.NewDecoder(rc)}, nil
}

func (s *sheetRows) Close() { s.rc.Close() }

// Hidden reports whether the row Next returned last is hidden in the sheet
// (a filtered-out or collapsed row): people never see it, so a statement
// reader must not count it as a transaction.
func (s *sheetRows) Hidden() bool { return s.hidden }

// ColumnHidden reports whether the 0-based column i is hidden in the sheet
// (known once Next has returned a row: the sheet lists its columns first).
func (s *sheetRows) ColumnHidden(i int) bool {
	return i >= 0 && i < len(s.hiddenCols) && s.hiddenCols[i]
}

// Next returns the next row that has a <row> element, with its 1-based
// number. The slices are reused by the following call.
func (s *sheetRows) Next() (row int, cells []string, kinds []cellKind, err error) {
	name := s.b.sheetName
	for {
		tok, err := s.d.RawToken()
		if err == io.EOF {
			return 0, nil, nil, io.EOF
		}
		if err != nil {
			return 0, nil, nil, fmt.Errorf("sheet %q after row %d: %w", name, s.row, err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if t.Name.Local == "sheetData" {
				s.inData = false
			}
			continue
		case xml.StartElement:
			switch t.Name.Local {
			case "sheetData":
				s.inData = true
				continue
			case "col":
				if s.inData {
					continue
				}
				if s.cols++; s.cols > s.b.lim.columns {
					return 0, nil, nil, fmt.Errorf("sheet %q: more than %d column ranges: %w", name, s.b.lim.columns, ErrXLSXLimit)
				}
				if err := s.col(t); err != nil {
					return 0, nil, nil, fmt.Errorf("sheet %q: %w", name, err)
				}
				continue
			case "row":
				if s.inData {
					break
				}
				continue
			default:
				continue
			}
			next := s.row + 1
			if v, ok := localAttr(t, "r"); ok {
				n, err := strconv.Atoi(v)
				if err != nil || n < next {
					return 0, nil, nil, fmt.Errorf("sheet %q: row number %q after row %d", name, v, s.row)
				}
				next = n
			}
			if next > s.b.lim.rows {
				return 0, nil, nil, fmt.Errorf("sheet %q: row %d is past row %d, Excel's last: %w", name, next, s.b.lim.rows, ErrXLSXLimit)
			}
			if next%1024 == 0 && s.ctx.Err() != nil {
				return 0, nil, nil, fmt.Errorf("sheet %q row %d: %w", name, next, s.ctx.Err())
			}
			s.row = next
			h, _ := localAttr(t, "hidden")
			s.hidden = h == "1" || h == "true"
			if err := s.readRow(); err != nil {
				return 0, nil, nil, fmt.Errorf("sheet %q row %d: %w", name, s.row, err)
			}
			return s.row, s.cells, s.kinds, nil
		}
	}
}

// col reads a <col min max hidden> element of <cols>.
func (s *sheetRows) col(se xml.StartElement) error {
	h, _ := localAttr(se, "hidden")
	if h != "1" && h != "true" {
		return nil
	}
	lo, err1 := strconv.Atoi(attrOr(se, "min", "0"))
	hi, err2 := strconv.Atoi(attrOr(se, "max", "0"))
	if err1 != nil || err2 != nil || lo < 1 || hi < lo {
		return fmt.Errorf("column range %q-%q", attrOr(se, "min", ""), attrOr(se, "max", ""))
	}
	hi = min(hi, s.b.lim.columns) // Excel writes max="16384" for "to the end"
	for len(s.hiddenCols) < hi {
		s.hiddenCols = append(s.hiddenCols, false)
	}
	for i := lo - 1; i < hi; i++ {
		s.hiddenCols[i] = true
	}
	return nil
}

func attrOr(se xml.StartElement, name, def string) string {
	if v, ok := localAttr(se, name); ok {
		return v
	}
	return def
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
				c, err := colIndex(ref, s.b.lim.columns)
				if err != nil {
					return err
				}
				if c < col {
					return fmt.Errorf("cell %s out of order", ref)
				}
				col = c
			}
			if col >= s.b.lim.columns {
				return fmt.Errorf("more than %d columns, Excel's limit: %w", s.b.lim.columns, ErrXLSXLimit)
			}
			v, kind, err := s.cell(t)
			if err != nil {
				return fmt.Errorf("cell %s%d: %w", colName(col), s.row, err)
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
	style := 0
	if v, ok := localAttr(se, "s"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return "", 0, fmt.Errorf("style %q is not a number", v)
		}
		style = n
	}
	lim := textLimit{s.b.lim.cellChars}
	s.raw = s.raw[:0]
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
				s.raw = s.raw[:0]
			value:
				for {
					tok, err := s.d.RawToken()
					if err != nil {
						return "", 0, err
					}
					switch t := tok.(type) {
					case xml.CharData:
						if err := lim.grow(len(s.raw) + len(t)); err != nil {
							return "", 0, err
						}
						s.raw = append(s.raw, t...)
					case xml.EndElement:
						if t.Name.Local == "v" {
							break value
						}
					}
				}
			case "is":
				if inline, err = richText(s.d, "is", lim); err != nil {
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
	switch typ {
	case "s":
		if len(bytes.TrimSpace(s.raw)) == 0 {
			return "", cellText, nil // Tencent Office writes styled empty cells so
		}
		i, err := strconv.Atoi(strings.TrimSpace(string(s.raw)))
		if err != nil || i < 0 || i >= s.b.shared.len() {
			return "", 0, fmt.Errorf("shared string %q does not exist", s.raw)
		}
		return s.b.shared.get(i), cellText, nil
	case "inlineStr":
		return inline, cellText, nil
	case "str", "e":
		v := unescapeX(string(s.raw))
		return v, cellText, lim.check(v)
	case "b":
		switch strings.TrimSpace(string(s.raw)) {
		case "1", "true":
			return "TRUE", cellText, nil
		case "0", "false":
			return "FALSE", cellText, nil
		case "":
			return "", cellText, nil
		}
		return "", 0, fmt.Errorf("boolean %q", s.raw)
	case "d":
		return isoCell(strings.TrimSpace(string(s.raw)))
	case "", "n":
	default:
		return "", 0, fmt.Errorf("unknown cell type %q", typ)
	}
	v := strings.TrimSpace(string(s.raw))
	if v == "" {
		return "", cellText, nil
	}
	f := s.b.format(style)
	if f != nil && f.invalid != "" {
		s.b.warn("number format %s %q: %s; its cells are read as plain numbers", f.code, f.code, f.invalid)
		f = nil
	}
	// Most cells hold a number written as decimal.String writes it, in a
	// format without conditions: they need no arithmetic (a third of the
	// time of a large sheet went to it).
	if sign, ok := plainNumber(v); ok && (f == nil || !f.conditional()) {
		sec := fmtSection{kind: fmtNumber}
		if f != nil {
			sec = f.sectionFor(sign)
		}
		switch {
		case sec.kind == fmtNumber || sec.kind == fmtText:
			return v, cellNumber, nil
		case sign >= 0 && !strings.Contains(v, "."):
			days, err := strconv.ParseInt(v, 10, 64)
			if err == nil && days <= maxSerial1900 {
				out, kind, err := showDays(days, 0, 1, sec, s.b.date1904)
				if err != nil {
					return "", 0, fmt.Errorf("format %q: number %s: %w", f.code, v, err)
				}
				return out, kind, nil
			}
		}
	}
	d, err := decimal.NewFromString(v)
	if err != nil {
		return "", 0, fmt.Errorf("not a number: %q", v)
	}
	if e := int64(d.Exponent()) + int64(len(d.Coefficient().String())); e > 309 || e < -330 {
		// a double holds no more; 1E+999999999 would print a billion digits
		return "", 0, fmt.Errorf("number %q is beyond the range of an Excel number", v)
	}
	if f == nil {
		return excelNumber(d), cellNumber, nil
	}
	sec, ok := f.kindFor(d)
	if !ok {
		return "", 0, fmt.Errorf("number %s fits no section of the format %q (Excel shows #####)", v, f.code)
	}
	switch sec.kind {
	case fmtNumber, fmtText:
		return excelNumber(d), cellNumber, nil
	}
	out, kind, err := showSerial(d, sec, s.b.date1904)
	if err != nil {
		return "", 0, fmt.Errorf("format %q: %w", f.code, err)
	}
	return out, kind, nil
}

// plainNumber reports whether v is a number written exactly as
// excelNumber would write it (no exponent, no leading or trailing zeros
// that change nothing, at most 15 significant digits), and its sign.
func plainNumber(v string) (int, bool) {
	i, sign := 0, 1
	if strings.HasPrefix(v, "-") {
		i, sign = 1, -1
	}
	intPart, frac, dot := v[i:], "", false
	if k := strings.IndexByte(intPart, '.'); k >= 0 {
		intPart, frac, dot = intPart[:k], intPart[k+1:], true
	}
	if intPart == "" || len(intPart) > 1 && intPart[0] == '0' || dot && (frac == "" || frac[len(frac)-1] == '0') {
		return 0, false
	}
	sig, zero := 0, true
	for _, part := range []string{intPart, frac} {
		for j := 0; j < len(part); j++ {
			c := part[j]
			if c < '0' || c > '9' {
				return 0, false
			}
			if c != '0' || !zero {
				zero = false
				sig++
			}
		}
	}
	if zero {
		if sign < 0 || dot {
			return 0, false // -0 and 0.0 print as 0
		}
		return 0, true
	}
	return sign, sig <= 15
}

// format returns the number format of a cell format, nil for General.
func (b *xlsxBook) format(style int) *numFmt {
	if style < len(b.styles) {
		return b.styles[style]
	}
	if style > 0 {
		b.warn("cells in style %d, which the workbook does not define (it has %d): read as plain numbers", style, len(b.styles))
	}
	return nil
}

// isoCell reads a t="d" cell: an ISO 8601 date, date and time, or time.
func isoCell(v string) (string, cellKind, error) {
	v = strings.TrimSuffix(v, "Z")
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
				return t.Format("2006-01-02"), cellDate, nil
			}
			return t.Format("2006-01-02 15:04:05"), cellDate, nil
		}
	}
	for _, layout := range []string{"T15:04:05.999999999", "15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format("15:04:05"), cellTime, nil
		}
	}
	return "", 0, fmt.Errorf("not an ISO 8601 date: %q", v)
}

// excelNumber renders a stored number exactly as Excel holds it: at most
// 15 significant digits (the rest is binary noise from the double), in
// plain decimal notation.
func excelNumber(d decimal.Decimal) string {
	if d.IsZero() {
		return "0"
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
	return d.String()
}

// XLSXRows reads every row of a workbook's active sheet as text, with
// numbers as stored, dates in ISO 8601 and times as 15:04:05; rows missing
// from the sheet come out empty so that index i is sheet row i+1.
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
