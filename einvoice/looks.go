package einvoice

import (
	"strings"
	"unicode"
)

// LooksLikeInvoice reports whether text (a PDF page's text, an OFD's or an
// XML's content) carries a Chinese VAT invoice's fields: at least two of its
// labels, however their characters are spaced.
func LooksLikeInvoice(text string) bool {
	squeezed := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, text)
	n := 0
	for _, label := range []string{"发票号码", "开票日期", "价税合计", "购买方", "销售方", "纳税人识别号"} {
		if strings.Contains(squeezed, label) {
			n++
		}
	}
	return n >= 2 && strings.Contains(squeezed, "发票")
}
