package pdftext_test

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/pdftext"
)

func deflated(data []byte) []byte {
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func pageWith(content string, extra ...string) []string {
	return append([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /A 6 0 R /B 7 0 R >> >> >>",
		content,
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}, extra...)
}

// A content stream that inflates 1,000:1 to 100 MB, and forms drawn
// inside forms until the page would hold millions of characters: both are
// refused with ErrTooLarge naming the page, in bounded memory.
func TestPageLimits(t *testing.T) {
	t.Parallel()
	blank := append(bytes.Repeat([]byte(" "), 100<<20), "BT /F1 12 Tf 72 720 Td (after the blanks) Tj ET"...)
	z := deflated(blank)
	bomb := buildPDF(pageWith(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(z), z)))
	doc, err := pdftext.Open(bomb, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := doc.Page(1); !errors.Is(err, pdftext.ErrTooLarge) || !strings.Contains(err.Error(), "page 1") {
		t.Fatalf("stream bomb: got %v", err)
	}

	form := "BT /F1 1 Tf " + strings.Repeat("(0123456789) Tj ", 100) + "ET" // 1,000 characters
	calls := strings.Repeat("/A Do ", 60)                                   // 60,000
	stream := func(s string) string { return fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(s), s) }
	formObj := func(s string) string {
		return fmt.Sprintf("<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /Font << /F1 5 0 R >> /XObject << /A 6 0 R /B 7 0 R >> >> /Length %d >>\nstream\n%s\nendstream", len(s), s)
	}
	laughs := buildPDF(pageWith(stream(strings.Repeat("/B Do ", 60)), formObj(form), formObj(calls))) // 3,600,000
	doc, err = pdftext.Open(laughs, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := doc.Page(1); !errors.Is(err, pdftext.ErrTooLarge) || !strings.Contains(err.Error(), "characters") {
		t.Fatalf("nested forms: got %v", err)
	}

	// Below the limits the same constructions read normally.
	small := buildPDF(pageWith(stream("/A Do"), formObj(form), formObj(calls)))
	doc, _ = pdftext.Open(small, "")
	p, err := doc.Page(1)
	if err != nil || len(p.Glyphs) != 1000 {
		t.Fatalf("one form: %d glyphs, %v", len(p.Glyphs), err)
	}
}

// Many fonts whose ToUnicode CMaps each stay under the limit of one stream
// but together would fill memory stop the document with ErrTooLarge once
// what it keeps passes the document's limit, instead of reading on with
// fonts it had to forget.
func TestDocumentLimitAcrossFonts(t *testing.T) {
	t.Parallel()
	cmap := deflated(append(bytes.Repeat([]byte(" "), 4<<20-100), "1 begincodespacerange <00> <FF> endcodespacerange"...))
	const fonts = 20 // 20 × 4 MiB decoded, kept as parsed CMaps
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"", // the page, below
		"", // its content, below
	}
	var res, content strings.Builder
	for i := 0; i < fonts; i++ {
		fontObj, cmapObj := len(objs)+1, len(objs)+2
		objs = append(objs,
			fmt.Sprintf("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode %d 0 R >>", cmapObj),
			fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(cmap), cmap))
		fmt.Fprintf(&res, "/F%d %d 0 R ", i, fontObj)
		fmt.Fprintf(&content, "BT /F%d 12 Tf 72 %d Td (font %d) Tj ET ", i, 700-20*i, i)
	}
	objs[2] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << " + res.String() + ">> >> >>"
	objs[3] = fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", content.Len(), content.String())
	doc, err := pdftext.Open(buildPDF(objs), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := doc.Page(1); !errors.Is(err, pdftext.ErrTooLarge) || !strings.Contains(err.Error(), "page 1") {
		t.Fatalf("got %v, want ErrTooLarge for page 1", err)
	}
}
