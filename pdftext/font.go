package pdftext

import (
	"strconv"
	"strings"

	"github.com/ledongthuc/pdf"
	"golang.org/x/text/encoding/charmap"
)

// Unmapped marks a character whose code the font gives no Unicode for.
// Ferry never guesses such a character.
const Unmapped = '\uFFFD'

// font decodes a font's character codes into text and advance widths.
type font struct {
	name      string
	predef    predefined // a predefined CMap whose codes are a known encoding
	composite bool       // Type0: codes per the CMap, widths from /W
	toUnicode *cmap
	simple    [256]string // simple fonts: code → text from Encoding/Differences
	hasSimple [256]bool
	widths    map[int]float64 // glyph space (per 1000)
	dw        float64
	spaceCode bool // the font has a single-byte code 32 (word spacing applies)
}

type glyph struct {
	text  string
	width float64 // per 1000 text space units
	space bool    // single-byte code 32: Tw applies
}

func loadFont(name string, v pdf.Value) (*font, error) {
	f := &font{name: name, widths: map[int]float64{}, dw: 1000}
	if tu := v.Key("ToUnicode"); tu.Kind() == pdf.Stream {
		m, err := parseCMap(tu)
		if err == nil {
			f.toUnicode = m
		}
	}
	switch v.Key("Subtype").Name() {
	case "Type0":
		f.composite = true
		f.predef = predefinedCMap(v.Key("Encoding").Name())
		desc := v.Key("DescendantFonts").Index(0)
		if dw := desc.Key("DW"); dw.Kind() == pdf.Integer || dw.Kind() == pdf.Real {
			f.dw = dw.Float64()
		}
		w := desc.Key("W")
		for i := 0; i < w.Len(); {
			first := int(w.Index(i).Int64())
			next := w.Index(i + 1)
			if next.Kind() == pdf.Array {
				for j := 0; j < next.Len(); j++ {
					f.widths[first+j] = next.Index(j).Float64()
				}
				i += 2
				continue
			}
			if i+2 >= w.Len() {
				break
			}
			last, wd := int(next.Int64()), w.Index(i+2).Float64()
			for c := first; c <= last && c-first < 0x10000; c++ {
				f.widths[c] = wd
			}
			i += 3
		}
	default:
		f.dw = 0
		first := int(v.Key("FirstChar").Int64())
		ws := v.Key("Widths")
		for i := 0; i < ws.Len(); i++ {
			f.widths[first+i] = ws.Index(i).Float64()
		}
		if ws.Len() == 0 {
			f.dw = 500 // standard 14 fonts carry no widths; an average keeps gaps sane
		}
		f.loadSimpleEncoding(v)
	}
	return f, nil
}

func (f *font) loadSimpleEncoding(v pdf.Value) {
	enc := v.Key("Encoding")
	base := enc.Name()
	if enc.Kind() == pdf.Dict {
		base = enc.Key("BaseEncoding").Name()
	}
	symbolic := strings.Contains(v.Key("BaseFont").Name(), "Symbol") || strings.Contains(v.Key("BaseFont").Name(), "Dingbats")
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
	if enc.Kind() == pdf.Dict {
		diff := enc.Key("Differences")
		code := 0
		for i := 0; i < diff.Len(); i++ {
			d := diff.Index(i)
			switch d.Kind() {
			case pdf.Integer:
				code = int(d.Int64())
			case pdf.Name:
				if code >= 0 && code < 256 {
					if r, ok := glyphRune(d.Name()); ok {
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

// decode splits a shown string into glyphs.
func (f *font) decode(raw []byte) []glyph {
	var out []glyph
	for len(raw) > 0 {
		n := 1
		if f.composite {
			n = 2
			switch {
			case f.toUnicode != nil && len(f.toUnicode.space) > 0:
				n = f.toUnicode.codeLen(raw, 2)
			case f.predef.codeLen != nil:
				n = f.predef.codeLen(raw)
			}
			n = min(n, len(raw))
		}
		code := raw[:n]
		raw = raw[n:]
		g := glyph{}
		cid := int(bytesToInt(code))
		if w, ok := f.widths[cid]; ok {
			g.width = w
		} else {
			g.width = f.dw
		}
		g.space = !f.composite && cid == 32 || f.composite && n == 1 && cid == 32
		text, ok := "", false
		if f.toUnicode != nil {
			text, ok = f.toUnicode.lookup(code)
		}
		if !ok && !f.composite && f.hasSimple[cid] {
			text, ok = f.simple[cid], true
		}
		if !ok && f.predef.decode != nil {
			text, ok = f.predef.decode(code)
		}
		if !ok {
			text = string(Unmapped)
		}
		g.text = text
		out = append(out, g)
	}
	return out
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
