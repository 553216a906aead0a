package pdftext

import (
	"fmt"
	"io"
	"math/big"
	"strings"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"
)

// cmap maps character codes of a font to Unicode text. It is built from a
// ToUnicode stream. Unlike the library's own decoder it carries bfrange
// increments across byte boundaries: <2d41> <2de0> <5de5> maps 0x2de0 to
// U+5E84 ("年" family), not to a character 0x100 too low.
type cmap struct {
	space  []codespace
	single map[uint32]string // code → text, keyed with length in the top byte
}

type codespace struct {
	n      int // bytes
	lo, hi []byte
}

func key(code []byte) uint32 {
	var v uint32
	for _, b := range code {
		v = v<<8 | uint32(b)
	}
	return v | uint32(len(code))<<24
}

func (m *cmap) add(code []byte, text string) {
	if m.single == nil {
		m.single = map[uint32]string{}
	}
	m.single[key(code)] = text
}

func (m *cmap) lookup(code []byte) (string, bool) {
	s, ok := m.single[key(code)]
	return s, ok
}

// codeLen returns how many bytes the next code in raw takes, by the
// codespace ranges; fallback when none is declared.
func (m *cmap) codeLen(raw []byte, fallback int) int {
	for n := 1; n <= 4 && n <= len(raw); n++ {
		for _, cs := range m.space {
			if cs.n != n {
				continue
			}
			in := true
			for i := 0; i < n; i++ {
				if raw[i] < cs.lo[i] || raw[i] > cs.hi[i] {
					in = false
					break
				}
			}
			if in {
				return n
			}
		}
	}
	return min(fallback, len(raw))
}

// utf16Text decodes a bfchar/bfrange destination: UTF-16BE bytes.
func utf16Text(b []byte) string {
	if len(b)%2 == 1 {
		return string([]rune{rune(b[0])})
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}

// addOffset adds off to the big-endian integer in b, carrying across bytes.
func addOffset(b []byte, off int64) []byte {
	v := new(big.Int).SetBytes(b)
	v.Add(v, big.NewInt(off))
	out := v.Bytes()
	if len(out) < len(b) {
		pad := make([]byte, len(b)-len(out))
		out = append(pad, out...)
	}
	return out
}

func bytesToInt(b []byte) int64 {
	var v int64
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	return v
}

// cmapToken is one token of a CMap program: a string (hex or literal),
// a name, a number or an operator; arrays are flattened into items.
type cmapToken struct {
	kind  byte // 's' string, 'n' name, 'd' number, 'o' operator, '[' array
	s     string
	items []cmapToken
}

// tokenizeCMap splits a CMap stream into tokens. CMaps are a tiny subset of
// PostScript; dictionaries and procedures are skipped.
func tokenizeCMap(b []byte) []cmapToken {
	var out []cmapToken
	var arr *[]cmapToken
	emit := func(t cmapToken) {
		if arr != nil {
			*arr = append(*arr, t)
			return
		}
		out = append(out, t)
	}
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '%':
			for i < len(b) && b[i] != '\n' && b[i] != '\r' {
				i++
			}
		case c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0:
			i++
		case c == '<' && i+1 < len(b) && b[i+1] == '<', c == '>' && i+1 < len(b) && b[i+1] == '>':
			i += 2
		case c == '<':
			j := i + 1
			var hex []byte
			for j < len(b) && b[j] != '>' {
				if isHex(b[j]) {
					hex = append(hex, b[j])
				}
				j++
			}
			if len(hex)%2 == 1 {
				hex = append(hex, '0')
			}
			raw := make([]byte, len(hex)/2)
			for k := range raw {
				raw[k] = unhex(hex[2*k])<<4 | unhex(hex[2*k+1])
			}
			emit(cmapToken{kind: 's', s: string(raw)})
			i = j + 1
		case c == '(':
			depth, j := 1, i+1
			var lit []byte
			for j < len(b) && depth > 0 {
				switch b[j] {
				case '\\':
					j++
					if j < len(b) {
						lit = append(lit, b[j])
					}
				case '(':
					depth++
					lit = append(lit, b[j])
				case ')':
					depth--
					if depth > 0 {
						lit = append(lit, b[j])
					}
				default:
					lit = append(lit, b[j])
				}
				j++
			}
			emit(cmapToken{kind: 's', s: string(lit)})
			i = j
		case c == '[':
			var items []cmapToken
			arr = &items
			i++
		case c == ']':
			if arr != nil {
				items := *arr
				arr = nil
				emit(cmapToken{kind: '[', items: items})
			}
			i++
		case c == '{' || c == '}':
			i++
		default:
			j := i
			for j < len(b) && !strings.ContainsRune(" \t\r\n\f\x00<>[]{}()/%", rune(b[j])) {
				j++
			}
			if c == '/' {
				j = i + 1
				for j < len(b) && !strings.ContainsRune(" \t\r\n\f\x00<>[]{}()/%", rune(b[j])) {
					j++
				}
				emit(cmapToken{kind: 'n', s: string(b[i+1 : j])})
				i = j
				continue
			}
			if j == i {
				i++
				continue
			}
			w := string(b[i:j])
			kind := byte('o')
			if (w[0] >= '0' && w[0] <= '9') || w[0] == '-' || w[0] == '.' {
				kind = 'd'
			}
			emit(cmapToken{kind: kind, s: w})
			i = j
		}
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// parseCMap reads a ToUnicode (or embedded encoding) CMap stream.
func parseCMap(v pdf.Value) (m *cmap, err error) {
	m = &cmap{}
	defer func() {
		if r := recover(); r != nil {
			err = panicError("ToUnicode CMap", r)
		}
	}()
	rd := v.Reader()
	data, err := io.ReadAll(io.LimitReader(rd, 16<<20))
	rd.Close()
	if err != nil {
		return nil, fmt.Errorf("pdftext: ToUnicode CMap: %w", err)
	}
	return parseCMapBytes(data), nil
}

// parseCMapBytes reads the mappings of a CMap program.
func parseCMapBytes(data []byte) *cmap {
	m := &cmap{}
	var operands []cmapToken
	for _, t := range tokenizeCMap(data) {
		if t.kind != 'o' {
			operands = append(operands, t)
			continue
		}
		switch t.s {
		case "endcodespacerange":
			for i := 0; i+1 < len(operands); i += 2 {
				lo, hi := []byte(operands[i].s), []byte(operands[i+1].s)
				if len(lo) == len(hi) && len(lo) > 0 {
					m.space = append(m.space, codespace{n: len(lo), lo: lo, hi: hi})
				}
			}
		case "endbfchar":
			for i := 0; i+1 < len(operands); i += 2 {
				m.add([]byte(operands[i].s), destText(operands[i+1]))
			}
		case "endbfrange":
			for i := 0; i+2 < len(operands); i += 3 {
				m.addRange([]byte(operands[i].s), []byte(operands[i+1].s), operands[i+2])
			}
		}
		operands = operands[:0]
	}
	return m
}

func (m *cmap) addRange(lo, hi []byte, dst cmapToken) {
	if len(lo) != len(hi) || len(lo) == 0 {
		return
	}
	from, to := bytesToInt(lo), bytesToInt(hi)
	if to < from || to-from > 0xFFFF {
		return
	}
	if dst.kind == '[' {
		for c := from; c <= to && int(c-from) < len(dst.items); c++ {
			m.add(addOffset(lo, c-from), destText(dst.items[c-from]))
		}
		return
	}
	base := []byte(dst.s)
	for c := from; c <= to; c++ {
		m.add(addOffset(lo, c-from), utf16Text(addOffset(base, c-from)))
	}
}

func destText(t cmapToken) string {
	if t.kind == 'n' {
		if r, ok := glyphRune(t.s); ok {
			return string(r)
		}
		return string(Unmapped)
	}
	return utf16Text([]byte(t.s))
}
