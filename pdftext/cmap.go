package pdftext

import (
	"sort"
	"strings"
	"unicode/utf16"
)

// cmap maps character codes of a font to Unicode text (a ToUnicode
// stream) or to CIDs (a Type0 font's embedded /Encoding CMap). Ranges stay
// ranges, looked up by binary search: an identity map <0000> <FFFF> <0000>
// is one entry, not 65,536. Unlike the library Ferry once used, bfrange
// increments carry across byte boundaries: <2d41> <2de0> <5de5> maps
// 0x2de0 to U+5E84, not to a character 0x100 too low.
type cmap struct {
	space  []codespace
	chars  map[uint64]string // bfchar: code key → text
	ranges []textRange       // bfrange, by lo
	// memo holds texts already computed from ranges, so a code that
	// recurs on every line costs one map lookup and no allocation.
	memo map[uint64]string
	// CID mappings, in an /Encoding CMap
	cidChars  map[uint64]int
	cidRanges []cidRange
}

type codespace struct {
	n      int // bytes
	lo, hi []byte
}

// textRange maps the codes lo..hi (keys of one length) to base, base+1, …
// (UTF-16BE), or one by one to the texts of arr.
type textRange struct {
	lo, hi uint64
	base   []byte
	arr    []string
}

type cidRange struct {
	lo, hi uint64
	cid    int
}

// maxMemo bounds a CMap's memo of range lookups.
const maxMemo = 1 << 16

// key packs a code of up to four bytes with its length, so that <20> and
// <0020> stay apart.
func key(code []byte) uint64 {
	var v uint64
	for _, b := range code {
		v = v<<8 | uint64(b)
	}
	return v | uint64(len(code))<<32
}

func (m *cmap) add(code []byte, text string) {
	if len(code) == 0 || len(code) > 4 {
		return
	}
	if m.chars == nil {
		m.chars = map[uint64]string{}
	}
	m.chars[key(code)] = text
}

// lookup returns the text of a code.
func (m *cmap) lookup(code []byte) (string, bool) {
	if len(code) == 0 || len(code) > 4 {
		return "", false
	}
	k := key(code)
	if s, ok := m.chars[k]; ok {
		return s, true
	}
	if s, ok := m.memo[k]; ok {
		return s, true
	}
	r := m.findRange(k)
	if r == nil {
		return "", false
	}
	off := k - r.lo
	var s string
	if r.arr != nil {
		if off >= uint64(len(r.arr)) {
			return "", false
		}
		s = r.arr[off]
	} else {
		s = utf16Text(addOffset(r.base, off))
	}
	if m.memo == nil {
		m.memo = map[uint64]string{}
	}
	if len(m.memo) < maxMemo {
		m.memo[k] = s
	}
	return s, true
}

// findRange returns the range holding k. Ranges may overlap in broken
// CMaps; the nearest few below k are tried.
func (m *cmap) findRange(k uint64) *textRange {
	i := sort.Search(len(m.ranges), func(i int) bool { return m.ranges[i].lo > k }) - 1
	for j := i; j >= 0 && j > i-8; j-- {
		if r := &m.ranges[j]; r.lo <= k && k <= r.hi {
			return r
		}
	}
	return nil
}

// cid returns the CID of a code by an /Encoding CMap.
func (m *cmap) cid(code []byte) (int, bool) {
	if len(code) == 0 || len(code) > 4 {
		return 0, false
	}
	k := key(code)
	if c, ok := m.cidChars[k]; ok {
		return c, true
	}
	i := sort.Search(len(m.cidRanges), func(i int) bool { return m.cidRanges[i].lo > k }) - 1
	for j := i; j >= 0 && j > i-8; j-- {
		if r := m.cidRanges[j]; r.lo <= k && k <= r.hi {
			return r.cid + int(k-r.lo), true
		}
	}
	return 0, false
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

// addOffset adds off to the big-endian integer in b, carrying across
// bytes, in a new slice of the same length.
func addOffset(b []byte, off uint64) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	carry := off
	for i := len(out) - 1; i >= 0 && carry > 0; i-- {
		sum := uint64(out[i]) + carry&0xFF
		out[i] = byte(sum)
		carry = carry>>8 + sum>>8
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

// tokenizeCMap splits a CMap stream into tokens, handed to fn one by one
// (never all at once: a CMap may be megabytes). CMaps are a tiny subset of
// PostScript; dictionaries and procedures are skipped.
func tokenizeCMap(b []byte, fn func(cmapToken)) {
	var arr *[]cmapToken
	emit := func(t cmapToken) {
		if arr != nil {
			*arr = append(*arr, t)
			return
		}
		fn(t)
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

// parseCMapBytes reads the mappings of a CMap program.
func parseCMapBytes(data []byte) *cmap {
	m := &cmap{}
	var operands []cmapToken
	tokenizeCMap(data, func(t cmapToken) {
		if t.kind != 'o' {
			operands = append(operands, t)
			return
		}
		switch t.s {
		case "endcodespacerange":
			for i := 0; i+1 < len(operands); i += 2 {
				lo, hi := []byte(operands[i].s), []byte(operands[i+1].s)
				if len(lo) == len(hi) && len(lo) > 0 && len(lo) <= 4 {
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
		case "endcidchar":
			for i := 0; i+1 < len(operands); i += 2 {
				code := []byte(operands[i].s)
				if cid, ok := parseInt([]byte(operands[i+1].s)); ok && len(code) > 0 && len(code) <= 4 && cid >= 0 {
					if m.cidChars == nil {
						m.cidChars = map[uint64]int{}
					}
					m.cidChars[key(code)] = int(cid)
				}
			}
		case "endcidrange":
			for i := 0; i+2 < len(operands); i += 3 {
				lo, hi := []byte(operands[i].s), []byte(operands[i+1].s)
				cid, ok := parseInt([]byte(operands[i+2].s))
				if ok && cid >= 0 && len(lo) == len(hi) && len(lo) > 0 && len(lo) <= 4 && key(lo) <= key(hi) {
					m.cidRanges = append(m.cidRanges, cidRange{lo: key(lo), hi: key(hi), cid: int(cid)})
				}
			}
		}
		operands = operands[:0]
	})
	sort.SliceStable(m.ranges, func(i, j int) bool { return m.ranges[i].lo < m.ranges[j].lo })
	sort.SliceStable(m.cidRanges, func(i, j int) bool { return m.cidRanges[i].lo < m.cidRanges[j].lo })
	return m
}

// addRange adds a bfrange as one range; callers outside parseCMapBytes
// keep ranges sorted themselves.
func (m *cmap) addRange(lo, hi []byte, dst cmapToken) {
	if len(lo) != len(hi) || len(lo) == 0 || len(lo) > 4 || key(lo) > key(hi) {
		return
	}
	r := textRange{lo: key(lo), hi: key(hi)}
	switch dst.kind {
	case '[':
		r.arr = make([]string, min(len(dst.items), int(r.hi-r.lo)+1))
		for i := range r.arr {
			r.arr[i] = destText(dst.items[i])
		}
	case 's':
		if len(dst.s) == 0 {
			return
		}
		r.base = []byte(dst.s)
	default:
		return
	}
	m.ranges = append(m.ranges, r)
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
