package pdftext

// A content-stream lexer. It works on the decoded stream in place (names,
// numbers and strings without escapes are sub-slices; a number is parsed
// only if its operator is read) and hands each operator its operands.
// Inline images (BI … ID binary EI) are skipped whole, so their bytes are
// never read as text. Every token consumes input, so a stream is lexed in
// time linear in its size.

import (
	"bytes"
)

type opKind uint8

const (
	opNum opKind = iota
	opName
	opString
	opArray
	opOther // booleans, null, dictionaries
)

// operand is one operand of a content-stream operator. A number keeps
// its text and is parsed only if its operator is one text extraction
// reads: most numbers in a page are path coordinates.
type operand struct {
	kind opKind
	b    []byte // a number's text, a name without its slash, or a string's bytes
	arr  []operand
}

// number returns a number operand's value (0 for any other operand).
func (o operand) number() float64 {
	if o.kind != opNum {
		return 0
	}
	return parseNumber(o.b)
}

// Character classes of PDF syntax, by byte.
const (
	classWhite = 1 << iota
	classDelim
)

var charClass = func() (t [256]uint8) {
	for _, c := range []byte(" \n\r\t\f\x00") {
		t[c] = classWhite
	}
	for _, c := range []byte("()<>[]{}/%") {
		t[c] = classDelim
	}
	return t
}()

func isWhite(c byte) bool { return charClass[c] == classWhite }

func isDelim(c byte) bool { return charClass[c] == classDelim }

type lexer struct {
	d   []byte
	pos int
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.d) {
		c := l.d[l.pos]
		if charClass[c] == classWhite {
			l.pos++
			continue
		}
		if c != '%' {
			return
		}
		for l.pos < len(l.d) && l.d[l.pos] != '\n' && l.d[l.pos] != '\r' {
			l.pos++
		}
	}
}

func (l *lexer) regular() []byte {
	start := l.pos
	for l.pos < len(l.d) && charClass[l.d[l.pos]] == 0 {
		l.pos++
	}
	return l.d[start:l.pos]
}

// number parses an integer or real; malformed numbers read as 0, as
// readers do.
func parseNumber(b []byte) float64 {
	neg := false
	i := 0
	for i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = neg != (b[i] == '-')
		i++
	}
	var v float64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		v = v*10 + float64(b[i]-'0')
	}
	if i < len(b) && b[i] == '.' {
		i++
		scale := 0.1
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			v += float64(b[i]-'0') * scale
			scale /= 10
		}
	}
	if neg {
		v = -v
	}
	return v
}

func isNumberStart(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.'
}

// name reads a name after its slash, decoding #xx escapes.
func (l *lexer) name() []byte {
	l.pos++ // '/'
	raw := l.regular()
	if bytes.IndexByte(raw, '#') < 0 {
		return raw
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && i+2 < len(raw) {
			if isHex(raw[i+1]) && isHex(raw[i+2]) {
				out = append(out, unhex(raw[i+1])<<4|unhex(raw[i+2]))
				i += 2
				continue
			}
		}
		out = append(out, raw[i])
	}
	return out
}

// literal reads a (string) with nesting and escapes.
func (l *lexer) literal() []byte {
	l.pos++ // '('
	start := l.pos
	depth := 1
	simple := true
	for l.pos < len(l.d) {
		c := l.d[l.pos]
		switch c {
		case '\\':
			simple = false
			l.pos += 2
			continue
		case '\r':
			simple = false
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				s := l.d[start:l.pos]
				l.pos++
				if simple {
					return s
				}
				return unescapeLiteral(s)
			}
		}
		l.pos++
	}
	if simple {
		return l.d[start:]
	}
	return unescapeLiteral(l.d[start:])
}

func unescapeLiteral(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' {
			out = append(out, '\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			continue
		}
		if c != '\\' || i+1 >= len(s) {
			out = append(out, c)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
		case '\n':
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(e - '0')
			for k := 0; k < 2 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '7'; k++ {
				i++
				v = v*8 + int(s[i]-'0')
			}
			out = append(out, byte(v))
		default:
			out = append(out, e)
		}
	}
	return out
}

// hexString reads a <hex string>; an odd final digit is followed by 0.
func (l *lexer) hexString() []byte {
	l.pos++ // '<'
	var out []byte
	var hi byte
	half := false
	for l.pos < len(l.d) {
		c := l.d[l.pos]
		l.pos++
		if c == '>' {
			break
		}
		if !isHex(c) {
			continue
		}
		v := unhex(c)
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	return out
}

// skipDict skips a << dictionary >> with nested dictionaries and strings.
func (l *lexer) skipDict() {
	l.pos += 2
	depth := 1
	for l.pos < len(l.d) && depth > 0 {
		switch c := l.d[l.pos]; {
		case c == '(':
			l.literal()
			continue
		case c == '<' && l.pos+1 < len(l.d) && l.d[l.pos+1] == '<':
			depth++
			l.pos += 2
			continue
		case c == '>' && l.pos+1 < len(l.d) && l.d[l.pos+1] == '>':
			depth--
			l.pos += 2
			continue
		}
		l.pos++
	}
}

// operand reads one operand at the current position; ok is false at an
// operator (its bytes are returned in op) or at the end.
func (l *lexer) next(depth int) (o operand, op []byte, ok bool) {
	for {
		l.skipSpace()
		if l.pos >= len(l.d) {
			return o, nil, false
		}
		c := l.d[l.pos]
		switch {
		case c == '/':
			return operand{kind: opName, b: l.name()}, nil, true
		case c == '(':
			return operand{kind: opString, b: l.literal()}, nil, true
		case c == '<':
			if l.pos+1 < len(l.d) && l.d[l.pos+1] == '<' {
				l.skipDict()
				return operand{kind: opOther}, nil, true
			}
			return operand{kind: opString, b: l.hexString()}, nil, true
		case c == '[':
			l.pos++
			a := operand{kind: opArray}
			for {
				l.skipSpace()
				if l.pos >= len(l.d) {
					break
				}
				if l.d[l.pos] == ']' {
					l.pos++
					break
				}
				if depth > 32 {
					l.pos++
					continue
				}
				e, kw, ok := l.next(depth + 1)
				if !ok {
					if kw == nil {
						break
					}
					continue // a stray keyword inside an array is ignored
				}
				if len(a.arr) < maxArrayElements {
					a.arr = append(a.arr, e)
				}
			}
			return a, nil, true
		case c == ')' || c == '>' || c == ']' || c == '{' || c == '}':
			l.pos++ // stray delimiter
			continue
		case isNumberStart(c):
			return operand{kind: opNum, b: l.regular()}, nil, true
		}
		kw := l.regular()
		if len(kw) == 0 {
			l.pos++
			continue
		}
		switch string(kw) {
		case "true", "false", "null":
			return operand{kind: opOther}, nil, true
		}
		return o, kw, false
	}
}

// skipInlineImage moves past an inline image's data: from after BI, past
// ID and the binary bytes to the EI that stands alone.
func (l *lexer) skipInlineImage() {
	for {
		_, kw, ok := l.next(0)
		if !ok && kw == nil {
			return
		}
		if !ok && string(kw) == "ID" {
			break
		}
	}
	l.pos++ // the single white-space byte after ID
	for l.pos+1 < len(l.d) {
		i := bytes.Index(l.d[l.pos:], []byte("EI"))
		if i < 0 {
			l.pos = len(l.d)
			return
		}
		at := l.pos + i
		before := at == 0 || isWhite(l.d[at-1])
		after := at+2 >= len(l.d) || isWhite(l.d[at+2]) || isDelim(l.d[at+2])
		l.pos = at + 2
		if before && after {
			return
		}
	}
}

// Bounds on one operator's operands: real operators take at most a few
// (sc and scn up to 32), and a TJ array holds one element per glyph at
// most; more is garbage that would only cost memory.
const (
	maxOperands      = 64
	maxArrayElements = 1 << 20
)

// interpret calls fn for every operator of a content stream with its
// operands, oldest first (an inline image comes as "BI" without operands).
// The slice is reused between calls. It stops at the first error fn
// returns.
func interpret(data []byte, fn func(op string, args []operand) error) error {
	l := &lexer{d: data}
	var args []operand
	for {
		// Numbers are most of a page's tokens (path coordinates): they
		// are read here without the general case.
		l.skipSpace()
		if l.pos < len(l.d) && isNumberStart(l.d[l.pos]) && len(args) < maxOperands {
			args = append(args, operand{kind: opNum, b: l.regular()})
			continue
		}
		o, kw, ok := l.next(0)
		if ok {
			if len(args) == maxOperands {
				copy(args, args[1:])
				args = args[:maxOperands-1]
			}
			args = append(args, o)
			continue
		}
		if kw == nil {
			return nil
		}
		if string(kw) == "BI" {
			l.skipInlineImage()
			args = args[:0]
		}
		if err := fn(operator(kw), args); err != nil {
			return err
		}
		args = args[:0]
	}
}

// operator returns the operator's name, without allocating for the ones
// text extraction looks at.
func operator(kw []byte) string {
	switch string(kw) {
	case "q":
		return "q"
	case "Q":
		return "Q"
	case "cm":
		return "cm"
	case "BT":
		return "BT"
	case "ET":
		return "ET"
	case "Tf":
		return "Tf"
	case "Tc":
		return "Tc"
	case "Tw":
		return "Tw"
	case "Tz":
		return "Tz"
	case "TL":
		return "TL"
	case "Ts":
		return "Ts"
	case "Td":
		return "Td"
	case "TD":
		return "TD"
	case "Tm":
		return "Tm"
	case "T*":
		return "T*"
	case "Tj":
		return "Tj"
	case "TJ":
		return "TJ"
	case "'":
		return "'"
	case "\"":
		return "\""
	case "Do":
		return "Do"
	case "BI":
		return "BI"
	}
	return "" // an operator text extraction ignores
}
