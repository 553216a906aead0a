package statements

// Text encodings of bank exports. Banks write CSV in whatever their
// platform's default was: UTF-8 (often with a byte-order mark), UTF-16
// from Excel's "Unicode text", GB18030/GBK in China, Windows-1252 or
// ISO-8859-1/-15 in older German, Austrian and Italian systems. The file
// does not say which, so the whole text is read once and the encoding
// chosen by what the bytes look like.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// textEncoding is a chosen encoding: its name for notes and mappings, the
// decoder (nil for UTF-8, which needs none) and how many bytes of
// byte-order mark to skip.
type textEncoding struct {
	name string
	enc  encoding.Encoding
	bom  int
	why  string
}

// encodingNames are the names a mapping or Options may give, folded to
// lower case without "-" and "_".
var encodingNames = map[string]textEncoding{
	"utf8":        {name: "UTF-8"},
	"utf16":       {name: "UTF-16LE", enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)},
	"utf16le":     {name: "UTF-16LE", enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)},
	"utf16be":     {name: "UTF-16BE", enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)},
	"gb18030":     {name: "GB18030", enc: simplifiedchinese.GB18030},
	"gbk":         {name: "GB18030", enc: simplifiedchinese.GB18030},
	"gb2312":      {name: "GB18030", enc: simplifiedchinese.GB18030},
	"windows1252": {name: "Windows-1252", enc: charmap.Windows1252},
	"cp1252":      {name: "Windows-1252", enc: charmap.Windows1252},
	"iso88591":    {name: "ISO-8859-1", enc: charmap.ISO8859_1},
	"latin1":      {name: "ISO-8859-1", enc: charmap.ISO8859_1},
	"iso885915":   {name: "ISO-8859-15", enc: charmap.ISO8859_15},
	"latin9":      {name: "ISO-8859-15", enc: charmap.ISO8859_15},
	"windows1250": {name: "Windows-1250", enc: charmap.Windows1250},
	"cp1250":      {name: "Windows-1250", enc: charmap.Windows1250},
	"iso88592":    {name: "ISO-8859-2", enc: charmap.ISO8859_2},
	"latin2":      {name: "ISO-8859-2", enc: charmap.ISO8859_2},
}

// encodingByName looks up an encoding a person named.
func encodingByName(s string) (textEncoding, error) {
	k := strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(strings.TrimSpace(s)))
	e, ok := encodingNames[k]
	if !ok {
		return textEncoding{}, fmt.Errorf("unknown encoding %q (want utf-8, utf-16le, utf-16be, gb18030, windows-1252, iso-8859-1, iso-8859-15, windows-1250 or iso-8859-2)", s)
	}
	e.why = "as configured"
	return e, nil
}

// ErrEncodingUnclear reports a text whose non-ASCII bytes fit Chinese
// GB18030 and a Western single-byte encoding about equally well.
var ErrEncodingUnclear = errors.New("cannot tell whether the text is GB18030 or Windows-1252/ISO-8859: set the encoding (mapping key encoding, or Options.Encoding)")

// encodingStats gathers, in one pass over the whole text, what tells the
// encodings apart.
type encodingStats struct {
	head      []byte // the first bytes, for byte-order marks and UTF-16
	utf8OK    bool
	carry     []byte // an incomplete UTF-8 sequence at a chunk's end
	highRun   int    // length of the current run of bytes >= 0x80
	runStart  byte
	prev      byte
	gbPairs   int // runs of even length made of GB2312 byte pairs
	singles   int // lone high bytes between ASCII: Western accented letters
	c1        int // bytes 0x80-0x9F: printable only in Windows-1252
	currency4 int // byte 0xA4: the euro sign in ISO-8859-15
	run       []byte
	hist      [128]int // how often each byte >= 0x80 occurs
}

func newEncodingStats() *encodingStats { return &encodingStats{utf8OK: true} }

func (s *encodingStats) write(p []byte) {
	if len(s.head) < 4096 {
		s.head = append(s.head, p[:min(len(p), 4096-len(s.head))]...)
	}
	if s.utf8OK {
		s.checkUTF8(p)
	}
	for _, c := range p {
		if c >= 0x80 {
			s.hist[c-0x80]++
			if len(s.run) < 64 {
				s.run = append(s.run, c)
			}
			s.highRun++
			if c >= 0x80 && c <= 0x9F {
				s.c1++
			}
			if c == 0xA4 {
				s.currency4++
			}
		} else {
			s.endRun()
		}
		s.prev = c
	}
}

// checkUTF8 validates the next chunk of the text as UTF-8, carrying a
// sequence cut by the chunk's end over to the next chunk.
func (s *encodingStats) checkUTF8(p []byte) {
	if len(s.carry) > 0 {
		need := utf8SeqLen(s.carry[0]) - len(s.carry)
		if need > len(p) {
			s.carry = append(s.carry, p...)
			return
		}
		r := append(append([]byte(nil), s.carry...), p[:need]...)
		s.carry = s.carry[:0]
		if !utf8.Valid(r) {
			s.utf8OK = false
			return
		}
		p = p[need:]
	}
	cut := incompleteTail(p)
	if !utf8.Valid(p[:cut]) {
		s.utf8OK = false
		return
	}
	s.carry = append(s.carry, p[cut:]...)
}

// utf8SeqLen is the length of the UTF-8 sequence a lead byte starts (1
// for bytes that cannot start one: they fail validation).
func utf8SeqLen(c byte) int {
	switch {
	case c >= 0xF0 && c <= 0xF7:
		return 4
	case c >= 0xE0:
		return 3
	case c >= 0xC0:
		return 2
	}
	return 1
}

// incompleteTail returns where a UTF-8 sequence cut short by the end of b
// starts, or len(b).
func incompleteTail(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		if utf8.RuneStart(b[i]) {
			if b[i] >= 0xC0 && len(b)-i < utf8SeqLen(b[i]) {
				return i
			}
			break
		}
	}
	return len(b)
}

// endRun judges a finished run of high bytes: one byte alone is a Western
// accented letter; pairs whose bytes both lie in GB2312's ranges are
// Chinese characters.
func (s *encodingStats) endRun() {
	n := s.highRun
	if n == 0 {
		return
	}
	latin := n <= len(s.run)
	for _, c := range s.run {
		latin = latin && latinLetter(c)
	}
	if n == 1 || latin {
		s.singles += n // "Straße", "żółć": accented letters, alone or together
	} else if n%2 == 0 {
		ok := true
		for i := 0; i+1 < len(s.run); i += 2 {
			if s.run[i] < 0xA1 || s.run[i] > 0xF7 || s.run[i+1] < 0xA1 || s.run[i+1] == 0xFF {
				ok = false
				break
			}
		}
		if ok {
			s.gbPairs += n / 2
		}
	}
	s.highRun = 0
	s.run = s.run[:0]
}

// decide picks the encoding from the gathered evidence.
func (s *encodingStats) decide() (textEncoding, error) {
	s.endRun()
	h := s.head
	switch {
	case bytes.HasPrefix(h, []byte("\xEF\xBB\xBF")):
		return textEncoding{name: "UTF-8", bom: 3, why: "byte-order mark"}, nil
	case bytes.HasPrefix(h, []byte{0xFF, 0xFE}):
		return textEncoding{name: "UTF-16LE", enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), bom: 2, why: "byte-order mark"}, nil
	case bytes.HasPrefix(h, []byte{0xFE, 0xFF}):
		return textEncoding{name: "UTF-16BE", enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), bom: 2, why: "byte-order mark"}, nil
	}
	// UTF-16 without a mark: ASCII text has a zero in every other byte.
	if len(h) >= 4 {
		var even, odd int
		for i, c := range h[:len(h)&^1] {
			if c == 0 {
				if i%2 == 0 {
					even++
				} else {
					odd++
				}
			}
		}
		half := len(h) / 2
		switch {
		case odd*10 > half*3 && even*10 < half:
			return textEncoding{name: "UTF-16LE", enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), why: "zero bytes after each ASCII character"}, nil
		case even*10 > half*3 && odd*10 < half:
			return textEncoding{name: "UTF-16BE", enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), why: "zero bytes before each ASCII character"}, nil
		}
	}
	if s.utf8OK && len(s.carry) == 0 {
		return textEncoding{name: "UTF-8", why: "valid UTF-8"}, nil
	}
	switch {
	case s.gbPairs > 0 && s.gbPairs >= 2*s.singles:
		return textEncoding{name: "GB18030", enc: simplifiedchinese.GB18030, why: fmt.Sprintf("%d Chinese byte pairs, %d lone accented bytes", s.gbPairs, s.singles)}, nil
	case s.singles > 0 && s.singles >= 2*s.gbPairs:
	default:
		return textEncoding{}, ErrEncodingUnclear
	}
	// Central European (Polish, Hungarian, Czech) text in Windows-1250
	// reads in Windows-1252 as symbols and rare letters (ł as ³, ő as õ):
	// count the bytes each decodes to a letter of its languages.
	why := fmt.Sprintf("not UTF-8; %d lone accented bytes", s.singles)
	if w, l := s.letters(charmap.Windows1250, central), s.letters(charmap.Windows1252, western); w > l {
		return textEncoding{name: "Windows-1250", enc: charmap.Windows1250, why: fmt.Sprintf("%s; %d Central European letters against %d Western", why, w, l)}, nil
	}
	// Western single-byte: 0x80-0x9F are printable (€ „ " – …) only in
	// Windows-1252; elsewhere 0xA4 is the euro sign of ISO-8859-15 (¤ in
	// Latin-1 is all but unused).
	switch {
	case s.c1 > 0:
		return textEncoding{name: "Windows-1252", enc: charmap.Windows1252, why: why + ", bytes 0x80-0x9F"}, nil
	case s.currency4 > 0:
		return textEncoding{name: "ISO-8859-15", enc: charmap.ISO8859_15, why: why + ", byte 0xA4 (€)"}, nil
	}
	return textEncoding{name: "ISO-8859-1", enc: charmap.ISO8859_1, why: why + " (Windows-1252 reads the same)"}, nil
}

// The letters of the languages each single-byte family serves.
const (
	western = "äöüßÄÖÜéèêëàâáçùûúîïíìòóôñÉÈÀÇÑ"
	central = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻőűŐŰáéíóöüúÁÉÍÓÖÜÚčďěňřšťůžýČĎĚŇŘŠŤŮŽÝäÄ"
)

// latinLetter reports whether a byte is an accented letter of a Western
// or Central European language in Windows-1252 or Windows-1250.
func latinLetter(c byte) bool {
	return strings.ContainsRune(western+central, charmap.Windows1252.DecodeByte(c)) ||
		strings.ContainsRune(central, charmap.Windows1250.DecodeByte(c))
}

// letters counts the high bytes that cm decodes to one of the letters.
func (s *encodingStats) letters(cm *charmap.Charmap, letters string) int {
	n := 0
	for i, c := range s.hist {
		if c > 0 && strings.ContainsRune(letters, cm.DecodeByte(byte(0x80+i))) {
			n += c
		}
	}
	return n
}

// maxSniffBytes bounds the encoding pass: past it the evidence so far
// decides (a valid-UTF-8 claim is then checked as the text is read).
const maxSniffBytes = 1 << 30

// sniffEncoding reads r to the end (or maxSniffBytes) and chooses its
// encoding.
func sniffEncoding(r io.Reader) (textEncoding, error) {
	s := newEncodingStats()
	buf := make([]byte, 64<<10)
	total := 0
	for total < maxSniffBytes {
		n, err := r.Read(buf)
		if n > 0 {
			s.write(buf[:n])
			total += n
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return textEncoding{}, err
		}
	}
	return s.decide()
}

// decoder returns a reader of UTF-8 text from r in encoding e.
func (e textEncoding) decoder(r io.Reader) io.Reader {
	if e.bom > 0 {
		var skip [4]byte
		n, _ := io.ReadFull(r, skip[:e.bom])
		if n < e.bom || !isBOM(skip[:n]) {
			r = io.MultiReader(bytes.NewReader(append([]byte(nil), skip[:n]...)), r)
		}
	}
	if e.enc == nil {
		return &utf8Checker{r: r}
	}
	return e.enc.NewDecoder().Reader(r)
}

func isBOM(b []byte) bool {
	return bytes.Equal(b, []byte("\xEF\xBB\xBF")) || bytes.Equal(b, []byte{0xFF, 0xFE}) || bytes.Equal(b, []byte{0xFE, 0xFF})
}

// utf8Checker passes UTF-8 text through and fails on the first invalid
// byte, so text chosen as UTF-8 never reaches a record with U+FFFD in it.
type utf8Checker struct {
	r     io.Reader
	carry []byte
	off   int64
}

// errNotUTF8 reports invalid UTF-8 after the encoding was chosen.
var errNotUTF8 = errors.New("invalid UTF-8")

func (c *utf8Checker) Read(p []byte) (int, error) {
	if len(p) < 8 {
		return 0, io.ErrShortBuffer
	}
	k := copy(p, c.carry)
	c.carry = c.carry[:0]
	n, err := c.r.Read(p[k:])
	n += k
	b := p[:n]
	cut := len(b)
	if err == nil {
		cut = incompleteTail(b)
	}
	if !utf8.Valid(b[:cut]) {
		return 0, fmt.Errorf("%w near byte %d", errNotUTF8, c.off)
	}
	c.carry = append(c.carry, b[cut:]...)
	c.off += int64(cut)
	if err == io.EOF && len(c.carry) > 0 {
		return 0, fmt.Errorf("%w at the end", errNotUTF8)
	}
	return cut, err
}

// decodeText turns a whole text export into UTF-8, choosing its encoding
// by content. It returns the encoding chosen.
func decodeText(data []byte) ([]byte, textEncoding, error) {
	e, err := sniffEncoding(bytes.NewReader(data))
	if err != nil {
		return nil, e, err
	}
	out, err := io.ReadAll(io.LimitReader(e.decoder(bytes.NewReader(data)), int64(len(data))*3+16))
	return out, e, err
}
