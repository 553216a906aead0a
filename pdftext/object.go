package pdftext

// PDF objects and their syntax (ISO 32000-1, 7.3), read from the file in
// memory. Ferry reads objects itself rather than through a library so that
// every walk over them is bounded: references resolve through a cache with
// cycle detection, nesting has a depth limit, and the cross-reference chain,
// object streams and the page tree are walked with visited sets (see
// xref.go and pages.go).

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// The object kinds: nil (null), bool, int64, float64, name, pdfString,
// array, dict, ref and *stream.
type (
	name      string
	pdfString string // the string's bytes, undecoded
	array     []any
	dict      map[name]any
	ref       struct {
		num uint32
		gen uint16
	}
	// stream is a stream object: its dictionary and its raw (encoded)
	// bytes, a slice of the file.
	stream struct {
		dict dict
		raw  []byte
		ref  ref // the object it was read as, zero when unknown
	}
)

func (r ref) String() string { return fmt.Sprintf("object %d %d", r.num, r.gen) }

// ErrMalformed reports a PDF whose structure Ferry cannot follow: a cycle
// in the page tree, forms that draw themselves, nesting beyond reason, a
// missing catalog.
var ErrMalformed = errors.New("malformed PDF")

// maxNesting bounds arrays and dictionaries inside each other.
const maxNesting = 64

// parser reads objects from b starting at pos. It never reads past b.
type parser struct {
	b   []byte
	pos int
	// streams, when set, finds the end of a stream whose /Length is wrong
	// or missing; nil inside object streams, which hold no streams.
	doc *Document
}

func (p *parser) skipSpace() {
	for p.pos < len(p.b) {
		c := p.b[p.pos]
		switch {
		case isWhite(c):
			p.pos++
		case c == '%':
			for p.pos < len(p.b) && p.b[p.pos] != '\n' && p.b[p.pos] != '\r' {
				p.pos++
			}
		default:
			return
		}
	}
}

func (p *parser) regular() []byte {
	start := p.pos
	for p.pos < len(p.b) && charClass[p.b[p.pos]] == 0 {
		p.pos++
	}
	return p.b[start:p.pos]
}

// keyword is a bare word of the file syntax (obj, endobj, R, stream …).
type keyword string

var errSyntax = fmt.Errorf("syntax error: %w", ErrMalformed)

// object reads one object. A keyword comes back as keyword; "N G R" as a
// ref.
func (p *parser) object(depth int) (any, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("objects nested more than %d deep: %w", maxNesting, ErrMalformed)
	}
	p.skipSpace()
	if p.pos >= len(p.b) {
		return nil, fmt.Errorf("unexpected end of data: %w", ErrMalformed)
	}
	c := p.b[p.pos]
	switch {
	case c == '/':
		l := lexer{d: p.b, pos: p.pos}
		n := l.name()
		p.pos = l.pos
		return name(n), nil
	case c == '(':
		l := lexer{d: p.b, pos: p.pos}
		s := l.literal()
		p.pos = l.pos
		return pdfString(s), nil
	case c == '<' && p.pos+1 < len(p.b) && p.b[p.pos+1] == '<':
		p.pos += 2
		d := dict{}
		for {
			p.skipSpace()
			if p.pos >= len(p.b) {
				return nil, fmt.Errorf("unterminated dictionary: %w", ErrMalformed)
			}
			if p.b[p.pos] == '>' {
				if p.pos+1 < len(p.b) && p.b[p.pos+1] == '>' {
					p.pos += 2
				} else {
					p.pos++
				}
				break
			}
			k, err := p.object(depth + 1)
			if err != nil {
				return nil, err
			}
			kn, ok := k.(name)
			if !ok {
				if _, kw := k.(keyword); kw {
					// endobj or stream inside a dictionary: the
					// dictionary was never closed.
					return nil, fmt.Errorf("unterminated dictionary: %w", ErrMalformed)
				}
				continue // a stray value where a key belongs
			}
			p.skipSpace()
			if p.pos < len(p.b) && p.b[p.pos] == '>' {
				d[kn] = nil
				continue
			}
			v, err := p.object(depth + 1)
			if err != nil {
				return nil, err
			}
			if _, kw := v.(keyword); kw {
				return nil, fmt.Errorf("dictionary key /%s has keyword %q as value: %w", kn, v, ErrMalformed)
			}
			if v != nil {
				d[kn] = v
			}
		}
		return d, nil
	case c == '<':
		l := lexer{d: p.b, pos: p.pos}
		s := l.hexString()
		p.pos = l.pos
		return pdfString(s), nil
	case c == '[':
		p.pos++
		var a array
		for {
			p.skipSpace()
			if p.pos >= len(p.b) {
				return nil, fmt.Errorf("unterminated array: %w", ErrMalformed)
			}
			if p.b[p.pos] == ']' {
				p.pos++
				break
			}
			v, err := p.object(depth + 1)
			if err != nil {
				return nil, err
			}
			if _, kw := v.(keyword); kw {
				return nil, fmt.Errorf("keyword %q inside an array: %w", v, ErrMalformed)
			}
			a = append(a, v)
		}
		return a, nil
	case c == ']' || c == ')' || c == '>' || c == '{' || c == '}':
		p.pos++
		return nil, fmt.Errorf("stray %q: %w", c, ErrMalformed)
	case isNumberStart(c):
		tok := p.regular()
		if len(tok) == 0 {
			p.pos++
			return nil, errSyntax
		}
		n, isInt := parseInt(tok)
		if !isInt {
			if f, err := strconv.ParseFloat(string(tok), 64); err == nil {
				return f, nil
			}
			return parseNumber(tok), nil // "1.2.3", "--5": as readers do
		}
		// "N G R" is a reference: look ahead without consuming.
		save := p.pos
		if n >= 0 && n <= 1<<31 {
			p.skipSpace()
			if g, ok := parseInt(p.regular()); ok && g >= 0 && g <= 65535 {
				p.skipSpace()
				if kw := p.regular(); len(kw) == 1 && kw[0] == 'R' {
					return ref{uint32(n), uint16(g)}, nil
				}
			}
		}
		p.pos = save
		return n, nil
	}
	tok := p.regular()
	if len(tok) == 0 {
		p.pos++
		return nil, errSyntax
	}
	switch string(tok) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	return keyword(tok), nil
}

// parseInt reads a signed decimal integer; ok is false for anything else
// (reals included).
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	i := 0
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v int64
	for ; i < len(b); i++ {
		if b[i] < '0' || b[i] > '9' {
			return 0, false
		}
		v = v*10 + int64(b[i]-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// indirect reads "N G obj <object> [stream … endstream] endobj" at the
// parser's position and checks that it is the object r.
func (p *parser) indirect(r ref) (any, error) {
	p.skipSpace()
	num, ok1 := parseInt(p.regular())
	p.skipSpace()
	gen, ok2 := parseInt(p.regular())
	p.skipSpace()
	kw := p.regular()
	if !ok1 || !ok2 || string(kw) != "obj" {
		return nil, fmt.Errorf("%v: no object header at offset %d: %w", r, p.pos, ErrMalformed)
	}
	if num != int64(r.num) || gen != int64(r.gen) {
		return nil, fmt.Errorf("%v: found object %d %d at its offset: %w", r, num, gen, ErrMalformed)
	}
	v, err := p.object(0)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", r, err)
	}
	if kw, ok := v.(keyword); ok {
		if kw == "endobj" {
			return nil, nil
		}
		return nil, fmt.Errorf("%v: keyword %q where an object belongs: %w", r, kw, ErrMalformed)
	}
	d, isDict := v.(dict)
	if !isDict {
		return v, nil
	}
	save := p.pos
	p.skipSpace()
	if !bytes.HasPrefix(p.b[p.pos:], []byte("stream")) {
		p.pos = save
		return d, nil
	}
	p.pos += len("stream")
	// The data starts after CRLF or LF (a lone CR is tolerated).
	if p.pos < len(p.b) && p.b[p.pos] == '\r' {
		p.pos++
	}
	if p.pos < len(p.b) && p.b[p.pos] == '\n' {
		p.pos++
	}
	start := p.pos
	end := -1
	if p.doc != nil {
		if n, ok := p.doc.resolve(d["Length"]).(int64); ok && n >= 0 && int64(start)+n <= int64(len(p.b)) {
			at := start + int(n)
			q := parser{b: p.b, pos: at}
			q.skipSpace()
			if bytes.HasPrefix(p.b[q.pos:], []byte("endstream")) {
				end = at
			}
		}
		if end < 0 {
			end = p.doc.endstreamAfter(start)
		}
	}
	if end < 0 {
		return nil, fmt.Errorf("%v: stream without endstream: %w", r, ErrMalformed)
	}
	p.pos = end
	return &stream{dict: d, raw: p.b[start:end], ref: r}, nil
}

// text decodes a PDF text string (PDFDocEncoding or UTF-16BE with a byte
// order mark) as UTF-8.
func (s pdfString) text() string {
	b := []byte(s)
	if len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF {
		return utf16Text(b[2:])
	}
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return string(b[3:])
	}
	out := make([]rune, 0, len(b))
	for _, c := range b {
		out = append(out, pdfDocRune(c))
	}
	return string(out)
}

// pdfDocRune maps a PDFDocEncoding byte: Latin-1 except 0x18–0x1F and
// 0x80–0xA0.
func pdfDocRune(c byte) rune {
	switch {
	case c >= 0x18 && c <= 0x1F:
		return []rune("˘ˇˆ˙˝˛˚˜")[c-0x18]
	case c >= 0x80 && c <= 0xA0:
		return []rune("•†‡…—–ƒ⁄‹›−‰„“”‘’‚™ﬁﬂŁŒŠŸŽıłœšž\uFFFD€")[c-0x80]
	}
	return rune(c)
}

// String formats an object for error messages, briefly.
func objString(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case name:
		return "/" + string(v)
	case pdfString:
		return strconv.Quote(string(v))
	case ref:
		return fmt.Sprintf("%d %d R", v.num, v.gen)
	case *stream:
		return "stream"
	case dict:
		return "dictionary"
	case array:
		return fmt.Sprintf("array of %d", len(v))
	}
	return fmt.Sprint(v)
}
