package pdftext_test

import (
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/pdftext"
)

// Simple fonts read through their encodings: WinAnsi, Differences with
// glyph names, and ZapfDingbats' own encoding (the check marks of filled-in
// forms); a symbolic font without a ToUnicode map stays unmapped rather
// than read as Latin.
func TestSimpleFontEncodings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		font, text, want string
	}{
		{"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>", `(Caf\351 \200 5) Tj`, "Café € 5"},
		{"<< /Type /Font /Subtype /Type1 /BaseFont /ABCDEF+Minion /Encoding << /Differences [65 /uni4E2D /Euro /f_i] >> >>", "(ABC) Tj", "中€" + string(pdftext.Unmapped)},
		{"<< /Type /Font /Subtype /Type1 /BaseFont /ZapfDingbats >>", "(4 l 8) Tj", "✔ ● ✘"},
		{"<< /Type /Font /Subtype /Type1 /BaseFont /Symbol >>", "(a) Tj", string(pdftext.Unmapped)},
	}
	for _, c := range cases {
		data := buildPDF([]string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
			streamObj("", "BT /F1 12 Tf 72 720 Td "+c.text+" ET"),
			c.font,
		})
		doc, err := pdftext.Open(data, "")
		if err != nil {
			t.Fatal(err)
		}
		got, err := doc.PlainText()
		if err != nil {
			t.Fatal(err)
		}
		if got = strings.TrimSpace(strings.ReplaceAll(got, "\f", "")); got != c.want {
			t.Errorf("%s: got %q, want %q", c.font, got, c.want)
		}
	}
}
