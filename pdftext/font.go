package pdftext

import (
	"sort"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/encoding/charmap"
)

// Unmapped marks a character whose code the font gives no Unicode for.
// Ferry never guesses such a character.
const Unmapped = '\uFFFD'

// font decodes a font's character codes into text and advance widths. A
// font is loaded once per document and shared by every page that uses it.
type font struct {
	name      string
	predef    predefined // a predefined CMap whose codes are a known encoding
	composite bool       // Type0: codes per the CMap, widths from /W
	toUnicode *cmap
	encoding  *cmap       // a Type0 font's embedded CMap: code lengths and CIDs
	simple    [256]string // simple fonts: code → text from Encoding/Differences
	hasSimple [256]bool
	widths    [256]float64 // simple fonts, glyph space
	hasWidth  [256]bool
	cidWidths []widthRange // composite fonts, by CID
	dw        float64
	units     float64 // glyph space units per text space unit: 1000, or a Type3 font's 1/matrix
}

// widthRange gives the CIDs lo..hi one width w, or the widths ws one by
// one.
type widthRange struct {
	lo, hi int
	w      float64
	ws     []float64
}

type glyph struct {
	text  string
	width float64 // glyph space
	space bool    // single-byte code 32: Tw applies
	blank bool    // white space (or nothing)
}

// maxCMapBytes bounds a decoded ToUnicode or encoding CMap; the largest
// real ones, for fonts with every Unicode character, are about a megabyte.
const maxCMapBytes = 4 << 20

// loadFont reads a font dictionary. What cannot be read leaves codes
// unmapped (Unmapped in the text), never guessed.
func (d *Document) loadFont(fname string, v dict) *font {
	f := &font{name: fname, dw: 1000, units: 1000}
	f.toUnicode = d.cmapStream(v["ToUnicode"])
	switch d.resolve(v["Subtype"]) {
	case name("Type0"):
		f.composite = true
		switch enc := d.resolve(v["Encoding"]).(type) {
		case name:
			f.predef = predefinedCMap(string(enc))
		case *stream:
			f.encoding = d.cmapStream(enc)
		}
		descs, _ := d.resolve(v["DescendantFonts"]).(array)
		var desc dict
		if len(descs) > 0 {
			desc, _ = d.resolve(descs[0]).(dict)
		}
		if dw, ok := d.resolve(desc["DW"]).(int64); ok {
			f.dw = float64(dw)
		} else if dw, ok := d.resolve(desc["DW"]).(float64); ok {
			f.dw = dw
		}
		w, _ := d.resolve(desc["W"]).(array)
		for i := 0; i+1 < len(w); {
			first, ok := d.resolve(w[i]).(int64)
			if !ok || first < 0 {
				break
			}
			if ws, ok := d.resolve(w[i+1]).(array); ok {
				r := widthRange{lo: int(first), hi: int(first) + len(ws) - 1, ws: make([]float64, len(ws))}
				for j, e := range ws {
					r.ws[j] = number(d.resolve(e))
				}
				if len(ws) > 0 {
					f.cidWidths = append(f.cidWidths, r)
				}
				i += 2
				continue
			}
			if i+2 >= len(w) {
				break
			}
			last, ok := d.resolve(w[i+1]).(int64)
			if ok && last >= first {
				f.cidWidths = append(f.cidWidths, widthRange{lo: int(first), hi: int(last), w: number(d.resolve(w[i+2]))})
			}
			i += 3
		}
		sort.SliceStable(f.cidWidths, func(i, j int) bool { return f.cidWidths[i].lo < f.cidWidths[j].lo })
	default:
		f.dw = 0
		if d.resolve(v["Subtype"]) == name("Type3") {
			if m, _ := d.resolve(v["FontMatrix"]).(array); len(m) == 6 {
				if sx := number(d.resolve(m[0])); sx != 0 {
					f.units = 1 / sx
				}
			}
		}
		first, _ := d.resolve(v["FirstChar"]).(int64)
		ws, _ := d.resolve(v["Widths"]).(array)
		for i, e := range ws {
			if c := first + int64(i); c >= 0 && c < 256 {
				f.widths[c], f.hasWidth[c] = number(d.resolve(e)), true
			}
		}
		if len(ws) == 0 {
			f.dw = 500 // standard 14 fonts carry no widths; an average keeps gaps sane
		}
		f.loadSimpleEncoding(d, v)
	}
	return f
}

// cmapStream reads a CMap stream once per document.
func (d *Document) cmapStream(v any) *cmap {
	s, ok := d.resolve(v).(*stream)
	if !ok {
		return nil
	}
	data, err := d.decodeStream(s, maxCMapBytes)
	// A parsed CMap takes a few times its text in memory.
	if err != nil || d.retain(4*len(data)) != nil {
		return nil
	}
	return parseCMapBytes(data)
}

func (f *font) loadSimpleEncoding(d *Document, v dict) {
	enc := d.resolve(v["Encoding"])
	base, _ := enc.(name)
	encDict, isDict := enc.(dict)
	if isDict {
		base, _ = d.resolve(encDict["BaseEncoding"]).(name)
	}
	baseFont, _ := d.resolve(v["BaseFont"]).(name)
	symbolic := strings.Contains(string(baseFont), "Symbol") || strings.Contains(string(baseFont), "Dingbats")
	for c := 0; c < 256; c++ {
		var r rune
		switch base {
		case "MacRomanEncoding":
			r = charmap.Macintosh.DecodeByte(byte(c))
		default: // WinAnsi, Standard and unspecified: the common Latin reading
			r = charmap.Windows1252.DecodeByte(byte(c))
			if base == "StandardEncoding" || base == "" {
				switch c {
				case 0x27:
					r = '\u2019'
				case 0x60:
					r = '\u2018'
				}
			}
		}
		if c < 0x20 || r == 0xFFFD || symbolic {
			continue
		}
		f.simple[c], f.hasSimple[c] = string(r), true
	}
	if strings.Contains(string(baseFont), "Dingbats") && (base == "" || isDict) {
		// ZapfDingbats' built-in encoding, for the check marks, crosses
		// and bullets of filled-in forms.
		for c := 0x20; c < 0x7F; c++ {
			if r := dingbat(byte(c)); r != 0 {
				f.simple[c], f.hasSimple[c] = string(r), true
			}
		}
	}
	if isDict {
		diff, _ := d.resolve(encDict["Differences"]).(array)
		code := int64(0)
		for _, e := range diff {
			switch e := d.resolve(e).(type) {
			case int64:
				code = e
			case name:
				if code >= 0 && code < 256 {
					if r, ok := glyphRune(string(e)); ok {
						f.simple[code], f.hasSimple[code] = string(r), true
					} else {
						f.simple[code], f.hasSimple[code] = "", false
					}
				}
				code++
			}
		}
	}
}

// dingbat maps a code of ZapfDingbats' built-in encoding (0x20–0x7E) to
// its character. The Unicode Dingbats block follows the font's order,
// except where its characters were already encoded elsewhere.
func dingbat(c byte) rune {
	switch c {
	case 0x20:
		return ' '
	case 0x25:
		return '\u260E' // ☎
	case 0x2A:
		return '\u261B' // ☛
	case 0x2B:
		return '\u261E' // ☞
	case 0x48:
		return '\u2605' // ★
	case 0x6C:
		return '\u25CF' // ●
	case 0x6E:
		return '\u25A0' // ■
	case 0x73:
		return '\u25B2' // ▲
	case 0x74:
		return '\u25BC' // ▼
	case 0x75:
		return '\u25C6' // ◆
	case 0x77:
		return '\u25D7' // ◗
	}
	if c > 0x20 && c < 0x7F {
		return 0x2700 + rune(c-0x20) // '4' is U+2714 ✔
	}
	return 0
}

// width returns the width of a code (a CID for composite fonts).
func (f *font) width(cid int) float64 {
	if !f.composite {
		if cid >= 0 && cid < 256 && f.hasWidth[cid] {
			return f.widths[cid]
		}
		return f.dw
	}
	ws := f.cidWidths
	i := sort.Search(len(ws), func(i int) bool { return ws[i].lo > cid }) - 1
	for j := i; j >= 0 && j > i-4; j-- {
		if r := ws[j]; r.lo <= cid && cid <= r.hi {
			if r.ws != nil {
				return r.ws[cid-r.lo]
			}
			return r.w
		}
	}
	return f.dw
}

// decode splits a shown string into glyphs, appended to dst.
func (f *font) decode(dst []glyph, raw []byte) []glyph {
	for len(raw) > 0 {
		n := 1
		if f.composite {
			n = 2
			switch {
			case f.encoding != nil && len(f.encoding.space) > 0:
				n = f.encoding.codeLen(raw, 2)
			case f.toUnicode != nil && len(f.toUnicode.space) > 0:
				n = f.toUnicode.codeLen(raw, 2)
			case f.predef.codeLen != nil:
				n = f.predef.codeLen(raw)
			}
			n = min(n, len(raw))
		}
		code := raw[:n]
		raw = raw[n:]
		cid := int(bytesToInt(code))
		if f.encoding != nil {
			if c, ok := f.encoding.cid(code); ok {
				cid = c
			}
		}
		g := glyph{width: f.width(cid), space: n == 1 && code[0] == 32}
		text, ok := "", false
		if f.toUnicode != nil {
			text, ok = f.toUnicode.lookup(code)
		}
		if !ok && !f.composite && f.hasSimple[code[0]] {
			text, ok = f.simple[code[0]], true
		}
		if !ok && f.predef.decode != nil {
			text, ok = f.predef.decode(code)
		}
		if !ok {
			text = string(Unmapped)
		}
		g.text = text
		g.blank = isBlank(text)
		dst = append(dst, g)
	}
	return dst
}

func isBlank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// glyphRune maps an Adobe glyph name to its character: uniXXXX, uXXXX and
// the names that Latin text fonts use.
func glyphRune(name string) (rune, bool) {
	if r, ok := glyphNames[name]; ok {
		return r, true
	}
	if len(name) == 1 && name[0] < 0x80 {
		return rune(name[0]), true
	}
	base, _, _ := strings.Cut(name, ".")
	if base != name {
		return glyphRune(base)
	}
	if strings.HasPrefix(name, "uni") && len(name) == 7 {
		if v, err := strconv.ParseUint(name[3:], 16, 32); err == nil {
			return rune(v), true
		}
	}
	if strings.HasPrefix(name, "u") && len(name) >= 5 && len(name) <= 7 {
		if v, err := strconv.ParseUint(name[1:], 16, 32); err == nil {
			return rune(v), true
		}
	}
	return 0, false
}

var glyphNames = map[string]rune{
	"space": ' ', "exclam": '!', "quotedbl": '"', "numbersign": '#', "dollar": '$', "percent": '%',
	"ampersand": '&', "quotesingle": '\'', "quoteright": '\u2019', "parenleft": '(', "parenright": ')',
	"asterisk": '*', "plus": '+', "comma": ',', "hyphen": '-', "minus": '\u2212', "period": '.', "slash": '/',
	"zero": '0', "one": '1', "two": '2', "three": '3', "four": '4', "five": '5', "six": '6', "seven": '7',
	"eight": '8', "nine": '9', "colon": ':', "semicolon": ';', "less": '<', "equal": '=', "greater": '>',
	"question": '?', "at": '@', "bracketleft": '[', "backslash": '\\', "bracketright": ']',
	"asciicircum": '^', "underscore": '_', "grave": '`', "quoteleft": '\u2018', "braceleft": '{', "bar": '|',
	"braceright": '}', "asciitilde": '~', "quotedblleft": '\u201c', "quotedblright": '\u201d',
	"quotesinglbase": '\u201a', "quotedblbase": '\u201e', "endash": '\u2013', "emdash": '\u2014',
	"bullet": '\u2022', "ellipsis": '\u2026', "fi": '\ufb01', "fl": '\ufb02', "dagger": '\u2020',
	"daggerdbl": '\u2021', "perthousand": '\u2030', "guilsinglleft": '\u2039', "guilsinglright": '\u203a',
	"trademark": '\u2122', "Euro": '\u20ac', "exclamdown": '\u00a1', "cent": '\u00a2', "sterling": '\u00a3',
	"currency": '\u00a4', "yen": '\u00a5', "brokenbar": '\u00a6', "section": '\u00a7', "dieresis": '\u00a8',
	"copyright": '\u00a9', "ordfeminine": '\u00aa', "guillemotleft": '\u00ab', "logicalnot": '\u00ac',
	"registered": '\u00ae', "macron": '\u00af', "degree": '\u00b0', "plusminus": '\u00b1', "acute": '\u00b4',
	"mu": '\u00b5', "paragraph": '\u00b6', "periodcentered": '\u00b7', "cedilla": '\u00b8',
	"ordmasculine": '\u00ba', "guillemotright": '\u00bb', "questiondown": '\u00bf', "multiply": '\u00d7',
	"divide": '\u00f7', "germandbls": '\u00df', "Adieresis": 'Ä', "Odieresis": 'Ö', "Udieresis": 'Ü',
	"adieresis": 'ä', "odieresis": 'ö', "udieresis": 'ü', "eacute": 'é', "egrave": 'è', "agrave": 'à',
	"ccedilla": 'ç', "Eacute": 'É', "aacute": 'á', "iacute": 'í', "oacute": 'ó', "uacute": 'ú',
	"ntilde": 'ñ', "Ntilde": 'Ñ', "ecircumflex": 'ê', "acircumflex": 'â', "ocircumflex": 'ô',
	"nbspace": '\u00a0', "nonbreakingspace": '\u00a0', "sfthyphen": '\u00ad', "softhyphen": '\u00ad',
	"circumflex": '\u02c6', "tilde": '\u02dc', "dotlessi": '\u0131', "florin": '\u0192', "Scaron": 'Š',
	"scaron": 'š', "Zcaron": 'Ž', "zcaron": 'ž', "OE": 'Œ', "oe": 'œ', "Ydieresis": 'Ÿ', "ydieresis": 'ÿ',
	"onehalf": '\u00bd', "onequarter": '\u00bc', "threequarters": '\u00be', "AE": 'Æ', "ae": 'æ',
	"Oslash": 'Ø', "oslash": 'ø', "Aring": 'Å', "aring": 'å', "ff": '\ufb00', "ffi": '\ufb03', "ffl": '\ufb04',
}
