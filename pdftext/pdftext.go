// Package pdftext is Ferry's PDF text layer. It reads objects and decodes
// streams through github.com/ledongthuc/pdf (encrypted files are first
// decrypted with pdfcpu) but does the rest itself: a content-stream lexer,
// CMaps with correct bfrange arithmetic, CID and simple fonts, encodings
// with Differences, and glyph positions, so that Chinese text comes out
// right and a page reads as lines and columns, like `pdftotext -layout`.
//
// A character that cannot be mapped comes out as Unmapped, never guessed.
// A panic inside the PDF library is turned into an error.
package pdftext

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/ledongthuc/pdf"
)

// ErrPassword reports an encrypted PDF that the given password (or none)
// does not open.
var ErrPassword = errors.New("wrong or missing password")

// ErrUnsupportedEncryption reports an encryption scheme Ferry cannot read.
var ErrUnsupportedEncryption = errors.New("unsupported encryption")

// ErrNoText reports a page or document with no text layer, such as a
// scanned image.
var ErrNoText = errors.New("no text layer (an image-only or scanned PDF?)")

// Document is an opened PDF.
type Document struct {
	r     *pdf.Reader
	pages int
	// ctx bounds the work on the document: every page extraction stops
	// when it is done. A Document lives for one parse, so it carries its
	// caller's context rather than taking it in every method.
	ctx context.Context
}

func panicError(where string, r any) error {
	return fmt.Errorf("pdftext: %s: malformed PDF (%v)", where, r)
}

// Open reads a PDF from memory. password may be empty.
func Open(data []byte, password string) (doc *Document, err error) {
	return OpenContext(context.Background(), data, password)
}

// OpenContext reads a PDF from memory; the work on it stops with an error
// when ctx is done. password may be empty.
func OpenContext(ctx context.Context, data []byte, password string) (doc *Document, err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pdftext: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, panicError("open", r)
		}
	}()
	if encrypted(data) {
		plain, err := decrypt(data, password)
		if err != nil {
			return nil, err
		}
		data = plain
	}
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if strings.Contains(err.Error(), "encrypt") {
			return nil, fmt.Errorf("pdftext: the PDF is encrypted in a way Ferry cannot read: %w", ErrUnsupportedEncryption)
		}
		return nil, fmt.Errorf("pdftext: %w", err)
	}
	// The library resolves objects lazily and may panic on any of them;
	// count the pages here, under the recover above.
	return &Document{r: r, pages: r.NumPage(), ctx: ctx}, nil
}

// NumPages returns the number of pages.
func (d *Document) NumPages() int { return d.pages }

// Glyph is one character drawn on a page, in PDF user space (origin
// bottom-left, points).
type Glyph struct {
	X, Y  float64 // baseline start
	W     float64 // advance width
	Size  float64 // font size in user space
	Text  string
	Space bool // a blank glyph
}

// Page is the text of one page.
type Page struct {
	Number        int
	Width, Height float64
	Glyphs        []Glyph
}

// Page extracts page n (1-based).
func (d *Document) Page(n int) (pg *Page, err error) {
	defer func() {
		if r := recover(); r != nil {
			if lp, ok := r.(limitPanic); ok {
				pg, err = nil, fmt.Errorf("pdftext: page %d: %w", n, lp.err)
				return
			}
			pg, err = nil, panicError(fmt.Sprintf("page %d", n), r)
		}
	}()
	if n < 1 || n > d.pages {
		return nil, fmt.Errorf("pdftext: page %d out of range 1..%d", n, d.pages)
	}
	if err := d.ctx.Err(); err != nil {
		return nil, fmt.Errorf("pdftext: page %d: %w", n, err)
	}
	p := d.r.Page(n)
	if p.V.IsNull() {
		return nil, fmt.Errorf("pdftext: page %d: missing page object", n)
	}
	pg = &Page{Number: n}
	mb := inherited(p.V, "MediaBox")
	if mb.Len() == 4 {
		pg.Width = mb.Index(2).Float64() - mb.Index(0).Float64()
		pg.Height = mb.Index(3).Float64() - mb.Index(1).Float64()
	}
	in := &interp{page: pg, fonts: map[string]*font{}}
	in.run(p.V.Key("Contents"), p.Resources(), identity, 0)
	return pg, nil
}

// inherited finds a page attribute on the page or its ancestors.
func inherited(v pdf.Value, key string) pdf.Value {
	for i := 0; i < 32 && !v.IsNull(); i++ {
		if r := v.Key(key); !r.IsNull() {
			return r
		}
		v = v.Key("Parent")
	}
	return pdf.Value{}
}

type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

type gstate struct {
	ctm                         matrix
	font                        *font
	size, tc, tw, th, tl, trise float64
}

type interp struct {
	page  *Page
	fonts map[string]*font // by resource dict identity and name, per page
}

func (in *interp) fontFor(res pdf.Value, name string) *font {
	fv := res.Key("Font").Key(name)
	k := fmt.Sprint(fv.Key("BaseFont").Name(), "/", name, "/", fv.Key("ToUnicode").Key("Length").Int64(), "/", fv.Key("FirstChar").Int64())
	if f, ok := in.fonts[k]; ok {
		return f
	}
	f, err := loadFont(name, fv)
	if err != nil {
		f = &font{name: name, dw: 500, widths: map[int]float64{}}
	}
	in.fonts[k] = f
	return f
}

const maxFormDepth = 8

// Limits on what one page may cost, against decompression bombs and
// forms drawn inside forms: a content stream decodes to at most
// maxStreamBytes, and a page holds at most maxPageGlyphs characters.
const (
	maxStreamBytes = 64 << 20
	maxPageGlyphs  = 2_000_000
)

// ErrTooLarge reports a page beyond those limits.
var ErrTooLarge = errors.New("beyond Ferry's limits (a decompression bomb?)")

// limitPanic carries a limit breach out of the library's interpreter,
// which has no way to stop early.
type limitPanic struct{ err error }

func (in *interp) run(contents, res pdf.Value, ctm matrix, depth int) {
	if contents.IsNull() || depth > maxFormDepth {
		return
	}
	g := gstate{ctm: ctm, th: 1}
	var stack []gstate
	var tm, tlm matrix
	show := func(raw []byte) {
		if g.font == nil {
			return
		}
		for _, gl := range g.font.decode(raw) {
			trm := matrix{g.size * g.th, 0, 0, g.size, 0, g.trise}.mul(tm).mul(g.ctm)
			w0 := gl.width / 1000
			adv := (w0*g.size + g.tc)
			if gl.space {
				adv += g.tw
			}
			adv *= g.th
			size := math.Hypot(trm[2], trm[3])
			scaleX := math.Hypot(trm[0], trm[1]) / math.Max(g.size*g.th, 1e-9)
			if len(in.page.Glyphs) >= maxPageGlyphs {
				panic(limitPanic{fmt.Errorf("more than %d characters on the page: %w", maxPageGlyphs, ErrTooLarge)})
			}
			in.page.Glyphs = append(in.page.Glyphs, Glyph{
				X: trm[4], Y: trm[5], W: w0 * g.size * g.th * scaleX, Size: size,
				Text: gl.text, Space: strings.TrimSpace(gl.text) == "",
			})
			tm = matrix{1, 0, 0, 1, adv, 0}.mul(tm)
		}
	}
	// Fonts by resource name for this stream: Tf is frequent.
	local := map[string]*font{}
	interpret(streamBytes(contents), func(op string, args []operand) {
		n := len(args)
		last := func(k int) []operand { return args[n-k:] } // the last k operands
		switch op {
		case "q":
			stack = append(stack, g)
		case "Q":
			if len(stack) > 0 {
				g = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
		case "cm":
			if n >= 6 {
				var m matrix
				for i, a := range last(6) {
					m[i] = a.num
				}
				g.ctm = m.mul(g.ctm)
			}
		case "BT":
			tm, tlm = identity, identity
		case "Tf":
			if n >= 2 {
				a := last(2)
				g.size = a[1].num
				name := string(a[0].b)
				f, ok := local[name]
				if !ok {
					f = in.fontFor(res, name)
					local[name] = f
				}
				g.font = f
			}
		case "Tc":
			if n >= 1 {
				g.tc = args[n-1].num
			}
		case "Tw":
			if n >= 1 {
				g.tw = args[n-1].num
			}
		case "Tz":
			if n >= 1 {
				g.th = args[n-1].num / 100
			}
		case "TL":
			if n >= 1 {
				g.tl = args[n-1].num
			}
		case "Ts":
			if n >= 1 {
				g.trise = args[n-1].num
			}
		case "Td", "TD":
			if n >= 2 {
				tx, ty := args[n-2].num, args[n-1].num
				if op == "TD" {
					g.tl = -ty
				}
				tlm = matrix{1, 0, 0, 1, tx, ty}.mul(tlm)
				tm = tlm
			}
		case "Tm":
			if n >= 6 {
				var m matrix
				for i, a := range last(6) {
					m[i] = a.num
				}
				tm, tlm = m, m
			}
		case "T*":
			tlm = matrix{1, 0, 0, 1, 0, -g.tl}.mul(tlm)
			tm = tlm
		case "Tj":
			if n >= 1 {
				show(args[n-1].b)
			}
		case "'", "\"":
			if n >= 1 {
				if op == "\"" && n >= 3 {
					g.tw, g.tc = args[n-3].num, args[n-2].num
				}
				tlm = matrix{1, 0, 0, 1, 0, -g.tl}.mul(tlm)
				tm = tlm
				show(args[n-1].b)
			}
		case "TJ":
			if n >= 1 {
				for _, e := range args[n-1].arr {
					if e.kind == opString {
						show(e.b)
						continue
					}
					tx := -e.num / 1000 * g.size * g.th
					tm = matrix{1, 0, 0, 1, tx, 0}.mul(tm)
				}
			}
		case "Do":
			if n >= 1 {
				xo := res.Key("XObject").Key(string(args[n-1].b))
				if xo.Key("Subtype").Name() == "Form" {
					m := identity
					if fm := xo.Key("Matrix"); fm.Len() == 6 {
						for i := 0; i < 6; i++ {
							m[i] = fm.Index(i).Float64()
						}
					}
					sub := xo.Key("Resources")
					if sub.IsNull() {
						sub = res
					}
					in.run(xo, sub, m.mul(g.ctm), depth+1)
				}
			}
		}
	})
}

// Text is one run of text on a line: glyphs close enough to read as one
// phrase. A wide gap starts a new run (a new column).
type Text struct {
	X, EndX float64
	S       string
}

// Line is one line of a page, top to bottom.
type Line struct {
	Y      float64 // baseline, from the top of the page
	Runs   []Text
	Glyphs []Glyph // the line's glyphs, left to right
}

// String joins the line's runs with a gap of at least two spaces, as a
// column break in pdftotext -layout reads.
func (l Line) String() string {
	parts := make([]string, len(l.Runs))
	for i, r := range l.Runs {
		parts[i] = r.S
	}
	return strings.Join(parts, "  ")
}

// rowTolerance is how far apart, in font sizes, two baselines may be and
// still read as one row. Line spacing is at least about one font size, so
// half of it joins text set a little higher or lower on the same row (as
// pdftotext -layout does) without joining two lines.
var rowTolerance = 0.5

// chunk is a run of glyphs drawn one after the other along a baseline.
// Chunks keep drawing order, so two strings that overlap on a row do not
// interleave character by character.
type chunk struct {
	glyphs []Glyph
	x, y   float64
	size   float64
}

func chunksOf(gs []Glyph) []chunk {
	var out []chunk
	for _, g := range gs {
		if g.Text == "" {
			continue
		}
		if n := len(out); n > 0 {
			c := &out[n-1]
			last := c.glyphs[len(c.glyphs)-1]
			size := math.Max(math.Max(last.Size, g.Size), 1)
			gap := g.X - (last.X + last.W)
			if math.Abs(g.Y-last.Y) < size*0.1 && gap > -size*0.3 && gap < size*1.2 {
				c.glyphs = append(c.glyphs, g)
				c.size = math.Max(c.size, g.Size)
				continue
			}
		}
		out = append(out, chunk{glyphs: []Glyph{g}, x: g.X, y: g.Y, size: g.Size})
	}
	return out
}

// Lines groups the page's glyphs into lines in reading order.
func (p *Page) Lines() []Line {
	chunks := chunksOf(p.Glyphs)
	// Top to bottom, then left to right; rows are clustered by baseline
	// within rowTolerance.
	sort.SliceStable(chunks, func(i, j int) bool { return chunks[i].y > chunks[j].y })
	var rows [][]chunk
	for _, c := range chunks {
		if n := len(rows); n > 0 {
			ref := rows[n-1][0]
			if math.Abs(ref.y-c.y) <= math.Max(ref.size, c.size)*rowTolerance {
				rows[n-1] = append(rows[n-1], c)
				continue
			}
		}
		rows = append(rows, []chunk{c})
	}
	lines := make([]Line, 0, len(rows))
	for _, row := range rows {
		sort.SliceStable(row, func(i, j int) bool { return row[i].x < row[j].x })
		var l Line
		l.Y = p.Height - row[0].y
		for _, c := range row {
			l.Glyphs = append(l.Glyphs, c.glyphs...)
		}
		var cur *Text
		var last Glyph
		for _, g := range l.Glyphs {
			if cur != nil {
				gap := g.X - (last.X + last.W)
				size := math.Max(g.Size, 1)
				switch {
				case gap > size*1.2:
					cur = nil
				case gap > size*0.2 && !last.Space && !g.Space:
					cur.S += " "
				}
			}
			if cur == nil {
				if g.Space {
					last = g
					continue
				}
				l.Runs = append(l.Runs, Text{X: g.X})
				cur = &l.Runs[len(l.Runs)-1]
			}
			cur.S += g.Text
			cur.EndX = g.X + g.W
			last = g
		}
		for i := range l.Runs {
			l.Runs[i].S = strings.TrimRight(l.Runs[i].S, " ")
		}
		if len(l.Runs) > 0 {
			lines = append(lines, l)
		}
	}
	return lines
}

// PlainText returns the whole document's text, page by page, lines joined
// by newlines and pages by form feeds.
func (d *Document) PlainText() (string, error) {
	var b strings.Builder
	any := false
	for i := 1; i <= d.NumPages(); i++ {
		p, err := d.Page(i)
		if err != nil {
			return "", err
		}
		for _, l := range p.Lines() {
			any = true
			b.WriteString(l.String())
			b.WriteByte('\n')
		}
		b.WriteByte('\f')
	}
	if !any {
		return "", ErrNoText
	}
	return b.String(), nil
}
