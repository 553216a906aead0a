package pdftext

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// predefined is a predefined CMap whose character codes are a known text
// encoding, so text can be read without a ToUnicode map. (Identity-H is
// not one: its codes are glyph ids and mean nothing without ToUnicode.)
type predefined struct {
	codeLen func(raw []byte) int
	decode  func(code []byte) (string, bool)
}

// predefinedCMap recognises the predefined CMaps of the Adobe CJK
// collections by name.
func predefinedCMap(name string) predefined {
	switch {
	case strings.HasPrefix(name, "Uni") && (strings.Contains(name, "UCS2") || strings.Contains(name, "UTF16")):
		return predefined{codeLen: utf16Len, decode: decodeUTF16}
	case strings.HasPrefix(name, "Uni") && strings.Contains(name, "UTF8"):
		return predefined{codeLen: func(raw []byte) int { _, n := utf8.DecodeRune(raw); return max(n, 1) }, decode: func(c []byte) (string, bool) {
			r, _ := utf8.DecodeRune(c)
			return string(r), r != utf8.RuneError
		}}
	case strings.HasPrefix(name, "GB") || strings.HasPrefix(name, "GBK"):
		// GB-EUC, GBpc-EUC, GBK-EUC, GBK2K: GB2312/GBK/GB18030 bytes.
		return multiByte(simplifiedchinese.GB18030)
	case strings.HasPrefix(name, "B5") || strings.HasPrefix(name, "ETen") || strings.HasPrefix(name, "HKscs"):
		return multiByte(traditionalchinese.Big5)
	case strings.Contains(name, "RKSJ"):
		return multiByte(japanese.ShiftJIS)
	case name == "EUC-H" || name == "EUC-V":
		return multiByte(japanese.EUCJP)
	case strings.HasPrefix(name, "KSC"):
		return multiByte(korean.EUCKR)
	}
	return predefined{}
}

func utf16Len(raw []byte) int {
	if len(raw) >= 4 {
		u := uint16(raw[0])<<8 | uint16(raw[1])
		if u >= 0xD800 && u < 0xDC00 {
			return 4
		}
	}
	return 2
}

func decodeUTF16(c []byte) (string, bool) {
	if len(c)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(c)/2)
	for i := range u {
		u[i] = uint16(c[2*i])<<8 | uint16(c[2*i+1])
	}
	s := string(utf16.Decode(u))
	return s, !strings.ContainsRune(s, utf8.RuneError)
}

// multiByte reads codes of a legacy double-byte encoding: a byte below 0x80
// is one code, any other lead byte starts a two-byte code.
func multiByte(enc encoding.Encoding) predefined {
	return predefined{
		codeLen: func(raw []byte) int {
			if raw[0] < 0x80 {
				return 1
			}
			return 2
		},
		decode: func(c []byte) (string, bool) {
			s, err := enc.NewDecoder().Bytes(c)
			if err != nil || len(s) == 0 || strings.ContainsRune(string(s), utf8.RuneError) {
				return "", false
			}
			return string(s), true
		},
	}
}
