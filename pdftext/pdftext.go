// Package pdftext is Ferry's PDF text layer: it reads a PDF's objects,
// decodes its streams and interprets its pages' content itself (encrypted
// files are first decrypted with pdfcpu): a content-stream lexer, CMaps
// with correct bfrange arithmetic, CID and simple fonts, encodings with
// Differences, and glyph positions, so that Chinese text comes out right
// and a page reads as lines and columns, like `pdftotext -layout`.
//
// A character that cannot be mapped comes out as Unmapped, never guessed.
// (A font missing from a page's resources reads as a standard Latin font,
// as viewers draw it with a substitute.)
//
// Pages are read as viewers show them: turned by /Rotate, with the
// appearances of their annotations (filled-in form fields, stamps). A page
// counts the images it draws (Page.Images), so that a scanned page can be
// told from a blank one (Page.ImageOnly).
//
// Hostile files are bounded: every walk over the file's objects (the
// cross-reference chain, object streams, the page tree, resources, forms
// drawn inside forms, form fields) detects cycles and has a depth limit;
// a page may cost at most maxPageOperators operators, maxStreamBytes of
// decoded data per stream and maxPageGlyphs characters; and the context
// given to OpenContext is checked as pages are read, so a cancelled parse
// stops within milliseconds.
package pdftext

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// ErrPassword reports an encrypted PDF that the given password (or none)
// does not open.
var ErrPassword = errors.New("wrong or missing password")

// ErrUnsupportedEncryption reports an encryption scheme Ferry cannot read.
var ErrUnsupportedEncryption = errors.New("unsupported encryption")

// ErrNoText reports a page or document with no text layer, such as a
// scanned image.
var ErrNoText = errors.New("no text layer (an image-only or scanned PDF?)")

// Document is an opened PDF. Its methods may be called from several
// goroutines; they take turns.
type Document struct {
	data []byte
	// ctx bounds the work on the document: every page extraction stops
	// when it is done. A Document lives for one parse, so it carries its
	// caller's context rather than taking it in every method.
	ctx context.Context
	mu  sync.Mutex

	xref       map[uint32]xrefEntry
	trailer    dict
	cache      map[ref]any // resolved objects
	busy       map[ref]bool
	objstms    map[uint32]*objStm
	endstreams []int // offsets of "endstream", found when a /Length is wrong
	repaired   bool
	retained   int64 // decoded bytes kept in caches
	scan       int64 // bytes read by the object parser
	// fault, once set, stops all further reading of objects: a limit was
	// reached.
	fault error

	pages []pageInfo
	fonts map[any]*font  // by font object: fonts are shared across pages
	forms map[ref][]byte // decoded form XObject contents
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
	return open(ctx, data, password, true)
}

func open(ctx context.Context, data []byte, password string, mayDecrypt bool) (doc *Document, err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pdftext: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, panicError("open", r)
		}
	}()
	if !bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")) {
		return nil, fmt.Errorf("pdftext: not a PDF file (no %%PDF- header)")
	}
	d := &Document{data: data, ctx: ctx, fonts: map[any]*font{}, forms: map[ref][]byte{}}
	if err := d.load(); err != nil {
		return nil, fmt.Errorf("pdftext: %w", err)
	}
	if d.trailer["Encrypt"] != nil {
		if !mayDecrypt {
			return nil, fmt.Errorf("pdftext: the PDF is still encrypted after decryption: %w", ErrUnsupportedEncryption)
		}
		plain, err := decrypt(data, password)
		if err != nil {
			return nil, err
		}
		return open(ctx, plain, "", false)
	}
	if d.pages, err = d.walkPages(); err != nil {
		return nil, fmt.Errorf("pdftext: %w", err)
	}
	if d.fault != nil {
		return nil, fmt.Errorf("pdftext: %w", d.fault)
	}
	if len(d.pages) == 0 {
		return nil, fmt.Errorf("pdftext: the document has no pages: %w", ErrMalformed)
	}
	return d, nil
}

func (d *Document) ctxErr() error {
	if err := d.ctx.Err(); err != nil {
		return fmt.Errorf("stopped: %w", err)
	}
	return nil
}

// NumPages returns the number of pages.
func (d *Document) NumPages() int { return len(d.pages) }

// Glyph is one character drawn on a page, in points from the bottom-left
// corner of the page as it is shown (its media box, turned by /Rotate).
type Glyph struct {
	X, Y  float64 // baseline start
	W     float64 // advance width
	Size  float64 // font size in user space
	Text  string
	Space bool // a blank glyph
}

// Page is the text of one page.
type Page struct {
	Number        int     // 1-based
	Width, Height float64 // as shown, in points
	Glyphs        []Glyph // in drawing order
	// Images counts the images the page draws: image XObjects (inside
	// forms too) and inline images. A page with images and no text is a
	// scanned page (see ImageOnly); a page with neither is blank.
	Images int
}

// HasText reports whether the page draws any character other than white
// space.
func (p *Page) HasText() bool {
	for _, g := range p.Glyphs {
		if !g.Space {
			return true
		}
	}
	return false
}

// ImageOnly reports whether the page is an image without a text layer,
// such as a scanned page: text on it can only be read by OCR, which Ferry
// does not do. A page that is merely blank is not image-only.
func (p *Page) ImageOnly() bool { return p.Images > 0 && !p.HasText() }

// Page extracts page n (1-based).
func (d *Document) Page(n int) (pg *Page, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			pg, err = nil, panicError(fmt.Sprintf("page %d", n), r)
			d.fault = err // its caches may be half-written: read no further
		}
	}()
	if n < 1 || n > len(d.pages) {
		return nil, fmt.Errorf("pdftext: page %d out of range 1..%d", n, len(d.pages))
	}
	if err := d.ctxErr(); err != nil {
		return nil, fmt.Errorf("pdftext: page %d: %w", n, err)
	}
	if d.fault != nil {
		return nil, fmt.Errorf("pdftext: page %d: %w", n, d.fault)
	}
	info := d.pages[n-1]
	pg = &Page{Number: n}
	base := identity
	if mb, ok := box(d, info.mediaBox); ok {
		w, h := mb[2]-mb[0], mb[3]-mb[1]
		pg.Width, pg.Height = w, h
		// Glyphs are placed as the page is shown: from the media box's
		// corner, and turned by /Rotate (clockwise), so that a landscape
		// page stored upright with its text turned reads across.
		base = matrix{1, 0, 0, 1, -mb[0], -mb[1]}
		rot, _ := d.resolve(info.rotate).(int64)
		switch (rot%360 + 360) % 360 {
		case 90:
			base = base.mul(matrix{0, -1, 1, 0, 0, w})
			pg.Width, pg.Height = h, w
		case 180:
			base = base.mul(matrix{-1, 0, 0, -1, w, h})
		case 270:
			base = base.mul(matrix{0, 1, -1, 0, h, 0})
			pg.Width, pg.Height = h, w
		}
	}
	in := &interp{doc: d, page: pg, forms: map[ref]bool{}}
	content, err := d.pageContent(info.dict["Contents"])
	if err != nil {
		return nil, fmt.Errorf("pdftext: page %d: %w", n, err)
	}
	// Room for the glyphs a page of this much content usually draws.
	pg.Glyphs = make([]Glyph, 0, min(len(content)/16, 1<<16))
	res, _ := d.resolve(info.resources).(dict)
	if err := in.run(content, res, base, 0); err != nil {
		return nil, fmt.Errorf("pdftext: page %d: %w", n, err)
	}
	if err := in.annotations(info.dict, res, base); err != nil {
		return nil, fmt.Errorf("pdftext: page %d: %w", n, err)
	}
	if d.fault != nil {
		return nil, fmt.Errorf("pdftext: page %d: %w", n, d.fault)
	}
	return pg, nil
}

// number reads an integer or real object; anything else is 0.
func number(v any) float64 {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

// pageContent decodes a page's content: a stream or an array of streams,
// joined by newlines as the specification reads them, at most
// maxStreamBytes in all.
func (d *Document) pageContent(v any) ([]byte, error) {
	var parts []any
	switch c := d.resolve(v).(type) {
	case nil:
		return nil, nil
	case *stream:
		parts = []any{c}
	case array:
		parts = c
	default:
		return nil, fmt.Errorf("/Contents is %s: %w", objString(c), ErrMalformed)
	}
	var buf []byte
	for _, p := range parts {
		s, ok := d.resolve(p).(*stream)
		if !ok {
			continue // a missing part draws nothing
		}
		b, err := d.decodeStream(s, maxStreamBytes-len(buf))
		if err != nil {
			return nil, fmt.Errorf("content stream: %w", err)
		}
		if len(parts) == 1 {
			return b, nil
		}
		buf = append(append(buf, b...), '\n')
	}
	return buf, nil
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

// Limits on what one page may cost, against decompression bombs, forms
// drawn inside forms and endless content: a stream decodes to at most
// maxStreamBytes, a page holds at most maxPageGlyphs characters and runs at
// most maxPageOperators operators (forms' operators counted each time they
// are drawn), and forms nest at most maxFormDepth deep.
const (
	maxStreamBytes   = 64 << 20
	maxPageGlyphs    = 2_000_000
	maxPageOperators = 10_000_000
	maxFormDepth     = 32
	// ctxEvery is how many operators run between two looks at the
	// context: a few microseconds of work.
	ctxEvery = 1024
)

// ErrTooLarge reports a page beyond those limits.
var ErrTooLarge = errors.New("beyond Ferry's limits (a decompression bomb?)")

type interp struct {
	doc   *Document
	page  *Page
	ops   int
	forms map[ref]bool // the forms being drawn, against forms that draw themselves
	codes []glyph      // reused by show
}

// fontFor returns the font named in a resource dictionary, loaded once per
// document.
func (in *interp) fontFor(res dict, fname string) *font {
	d := in.doc
	fonts, _ := d.resolve(res["Font"]).(dict)
	fv := fonts[name(fname)]
	var key any
	switch v := fv.(type) {
	case ref:
		key = v
	case dict:
		key = reflect.ValueOf(v).UnsafePointer()
	default:
		key = fname
	}
	if f, ok := d.fonts[key]; ok {
		return f
	}
	fd, _ := d.resolve(fv).(dict)
	// A font missing from the resources reads as a standard Latin font,
	// as viewers show it with a substitute.
	f := d.loadFont(fname, fd)
	d.fonts[key] = f
	return f
}

// formContent decodes a form XObject's content once per document while
// the decoded bytes kept stay under maxRetained.
func (d *Document) formContent(s *stream) ([]byte, error) {
	if b, ok := d.forms[s.ref]; ok && s.ref != (ref{}) {
		return b, nil
	}
	b, err := d.decodeStream(s, maxStreamBytes)
	if err != nil {
		return nil, err
	}
	if s.ref != (ref{}) && d.retained+int64(len(b)) <= maxRetained {
		d.retained += int64(len(b))
		d.forms[s.ref] = b
	}
	return b, nil
}

func (in *interp) run(content []byte, res dict, ctm matrix, depth int) error {
	if len(content) == 0 {
		return nil
	}
	d := in.doc
	g := gstate{ctm: ctm, th: 1}
	var stack []gstate
	var tm, tlm matrix
	var xobjects dict
	xobjectsRead := false
	show := func(raw []byte) error {
		if g.font == nil {
			return nil
		}
		in.codes = g.font.decode(in.codes[:0], raw)
		if len(in.page.Glyphs)+len(in.codes) > maxPageGlyphs {
			return fmt.Errorf("more than %d characters on the page: %w", maxPageGlyphs, ErrTooLarge)
		}
		// The text rendering matrix of a glyph is [size·Th 0 0 size 0
		// rise] × Tm × CTM; each glyph moves Tm by its advance along x.
		// (Computed glyph by glyph in this order, the positions are the
		// same to the last bit as in earlier versions.)
		sx := g.size * g.th
		scale := matrix{sx, 0, 0, g.size, 0, g.trise}
		for _, gl := range in.codes {
			trm := scale.mul(tm).mul(g.ctm)
			w0 := gl.width / g.font.units
			adv := (w0*g.size + g.tc)
			if gl.space {
				adv += g.tw
			}
			adv *= g.th
			size := math.Hypot(trm[2], trm[3])
			scaleX := math.Hypot(trm[0], trm[1]) / math.Max(sx, 1e-9)
			if x, y := trm[4], trm[5]; !math.IsInf(x+y, 0) && !math.IsNaN(x+y) {
				in.page.Glyphs = append(in.page.Glyphs, Glyph{
					X: x, Y: y, W: w0 * g.size * g.th * scaleX, Size: size,
					Text: gl.text, Space: gl.blank,
				})
			}
			tm[4], tm[5] = adv*tm[0]+tm[4], adv*tm[1]+tm[5]
		}
		return nil
	}
	// Fonts by resource name for this stream: Tf is frequent.
	local := map[string]*font{}
	return interpret(content, func(op string, args []operand) error {
		in.ops++
		if in.ops%ctxEvery == 0 {
			if err := d.ctxErr(); err != nil {
				return err
			}
			if in.ops > maxPageOperators {
				return fmt.Errorf("more than %d operators on the page: %w", maxPageOperators, ErrTooLarge)
			}
		}
		n := len(args)
		last := func(k int) []operand { return args[n-k:] } // the last k operands
		switch op {
		case "q":
			// Some producers never close their states; a hostile stream
			// may open millions. Beyond any real depth q is ignored.
			if len(stack) < 1<<16 {
				stack = append(stack, g)
			}
		case "Q":
			if len(stack) > 0 {
				g = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
		case "cm":
			if n >= 6 {
				var m matrix
				for i, a := range last(6) {
					m[i] = a.number()
				}
				g.ctm = m.mul(g.ctm)
			}
		case "BT":
			tm, tlm = identity, identity
		case "Tf":
			if n >= 2 {
				a := last(2)
				g.size = a[1].number()
				fname := string(a[0].b)
				f, ok := local[fname]
				if !ok {
					f = in.fontFor(res, fname)
					local[fname] = f
				}
				g.font = f
			}
		case "Tc":
			if n >= 1 {
				g.tc = args[n-1].number()
			}
		case "Tw":
			if n >= 1 {
				g.tw = args[n-1].number()
			}
		case "Tz":
			if n >= 1 {
				g.th = args[n-1].number() / 100
			}
		case "TL":
			if n >= 1 {
				g.tl = args[n-1].number()
			}
		case "Ts":
			if n >= 1 {
				g.trise = args[n-1].number()
			}
		case "Td", "TD":
			if n >= 2 {
				tx, ty := args[n-2].number(), args[n-1].number()
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
					m[i] = a.number()
				}
				tm, tlm = m, m
			}
		case "T*":
			tlm = matrix{1, 0, 0, 1, 0, -g.tl}.mul(tlm)
			tm = tlm
		case "Tj":
			if n >= 1 {
				return show(args[n-1].b)
			}
		case "'", "\"":
			if n >= 1 {
				if op == "\"" && n >= 3 {
					g.tw, g.tc = args[n-3].number(), args[n-2].number()
				}
				tlm = matrix{1, 0, 0, 1, 0, -g.tl}.mul(tlm)
				tm = tlm
				return show(args[n-1].b)
			}
		case "TJ":
			if n >= 1 {
				for _, e := range args[n-1].arr {
					if e.kind == opString {
						if err := show(e.b); err != nil {
							return err
						}
						continue
					}
					tx := -e.number() / 1000 * g.size * g.th
					tm = matrix{1, 0, 0, 1, tx, 0}.mul(tm)
				}
			}
		case "BI":
			in.page.Images++
		case "Do":
			if n >= 1 {
				if !xobjectsRead {
					xobjects, _ = d.resolve(res["XObject"]).(dict)
					xobjectsRead = true
				}
				return in.draw(xobjects[name(args[n-1].b)], res, g.ctm, depth)
			}
		}
		return nil
	})
}

// Annotation flags (ISO 32000-1, 12.5.3) that keep an annotation off the
// screen.
const (
	annotHidden = 1 << 1
	annotNoView = 1 << 5
)

// annotations draws the appearances of the page's annotations, as viewers
// and pdftotext show them: filled-in form fields, stamps, free text. Each
// appearance is a form whose box is fitted into the annotation's
// rectangle.
func (in *interp) annotations(page dict, res dict, base matrix) error {
	d := in.doc
	annots, _ := d.resolve(page["Annots"]).(array)
	for i, v := range annots {
		if i%64 == 0 {
			if err := d.ctxErr(); err != nil {
				return err
			}
		}
		a, ok := d.resolve(v).(dict)
		if !ok {
			continue
		}
		if f, _ := d.resolve(a["F"]).(int64); f&(annotHidden|annotNoView) != 0 {
			continue
		}
		ap, _ := d.resolve(a["AP"]).(dict)
		nv := ap["N"]
		if states, ok := d.resolve(nv).(dict); ok {
			as, _ := d.resolve(a["AS"]).(name)
			nv = states[as]
		}
		form, ok := d.resolve(nv).(*stream)
		if !ok {
			continue
		}
		rect, ok := box(d, a["Rect"])
		if !ok {
			continue
		}
		bbox, ok := box(d, form.dict["BBox"])
		if !ok {
			continue
		}
		m := identity
		if fm, _ := d.resolve(form.dict["Matrix"]).(array); len(fm) == 6 {
			for i := range m {
				m[i] = number(d.resolve(fm[i]))
			}
		}
		// the appearance box as the form's matrix places it, fitted into
		// the rectangle
		xs, ys := [4]float64{}, [4]float64{}
		for k, c := range [4][2]float64{{bbox[0], bbox[1]}, {bbox[2], bbox[1]}, {bbox[0], bbox[3]}, {bbox[2], bbox[3]}} {
			xs[k], ys[k] = c[0]*m[0]+c[1]*m[2]+m[4], c[0]*m[1]+c[1]*m[3]+m[5]
		}
		x0, x1 := min(xs[0], xs[1], xs[2], xs[3]), max(xs[0], xs[1], xs[2], xs[3])
		y0, y1 := min(ys[0], ys[1], ys[2], ys[3]), max(ys[0], ys[1], ys[2], ys[3])
		if x1-x0 <= 0 || y1-y0 <= 0 {
			continue
		}
		sx, sy := (rect[2]-rect[0])/(x1-x0), (rect[3]-rect[1])/(y1-y0)
		fit := matrix{sx, 0, 0, sy, rect[0] - x0*sx, rect[1] - y0*sy}
		if err := in.drawForm(nv, form, res, fit.mul(base), 0); err != nil {
			return fmt.Errorf("annotation %d: %w", i+1, err)
		}
	}
	return nil
}

// box reads a rectangle [x0 y0 x1 y1], normalised so that x0 ≤ x1 and
// y0 ≤ y1.
func box(d *Document, v any) ([4]float64, bool) {
	a, _ := d.resolve(v).(array)
	if len(a) != 4 {
		return [4]float64{}, false
	}
	var b [4]float64
	for i := range b {
		b[i] = number(d.resolve(a[i]))
	}
	return [4]float64{min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])}, true
}

// draw runs a Do: an image is counted, a form is interpreted with its own
// resources (or its parent's, as old files expect).
func (in *interp) draw(v any, res dict, ctm matrix, depth int) error {
	d := in.doc
	xo, ok := d.resolve(v).(*stream)
	if !ok {
		return nil // a missing XObject draws nothing
	}
	switch d.resolve(xo.dict["Subtype"]) {
	case name("Image"):
		in.page.Images++
		return nil
	case name("Form"):
	default:
		return nil
	}
	return in.drawForm(v, xo, res, ctm, depth)
}

// drawForm interprets a form XObject drawn with the matrix ctm.
func (in *interp) drawForm(v any, xo *stream, res dict, ctm matrix, depth int) error {
	d := in.doc
	r, _ := v.(ref)
	if in.forms[r] {
		return fmt.Errorf("form XObject %v draws itself: %w", r, ErrMalformed)
	}
	if depth >= maxFormDepth {
		return fmt.Errorf("forms drawn inside forms more than %d deep: %w", maxFormDepth, ErrMalformed)
	}
	content, err := d.formContent(xo)
	if err != nil {
		return fmt.Errorf("form XObject: %w", err)
	}
	m := identity
	if fm, _ := d.resolve(xo.dict["Matrix"]).(array); len(fm) == 6 {
		for i := range m {
			m[i] = number(d.resolve(fm[i]))
		}
	}
	sub, ok := d.resolve(xo.dict["Resources"]).(dict)
	if !ok {
		sub = res
	}
	in.forms[r] = true
	err = in.run(content, sub, m.mul(ctm), depth+1)
	delete(in.forms, r)
	return err
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
		// Runs are built in buf (a string per glyph would copy the run
		// over and over) and stored when they end.
		var buf []byte
		open := false
		flush := func() {
			if open {
				l.Runs[len(l.Runs)-1].S = strings.TrimRight(string(buf), " ")
			}
			buf, open = buf[:0], false
		}
		var last Glyph
		for _, g := range l.Glyphs {
			if open {
				gap := g.X - (last.X + last.W)
				size := math.Max(g.Size, 1)
				switch {
				case gap > size*1.2:
					flush()
				case gap > size*0.2 && !last.Space && !g.Space:
					buf = append(buf, ' ')
				}
			}
			if !open {
				if g.Space {
					last = g
					continue
				}
				l.Runs = append(l.Runs, Text{X: g.X})
				open = true
			}
			buf = append(buf, g.Text...)
			l.Runs[len(l.Runs)-1].EndX = g.X + g.W
			last = g
		}
		flush()
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
