package pdftext_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/pdftext"
)

// buildPDF writes objects 1..n with a correct cross-reference table.
func buildPDF(objs []string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func TestFormFieldValues(t *testing.T) {
	t.Parallel()
	// A tax form: a text field, a UTF-16 text field (Chinese), a checkbox
	// (a name value) and a field with kids (payer.name, payer.id).
	data := buildPDF([]string{
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 5 0 R 6 0 R 7 0 R] >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R 5 0 R 6 0 R] >>",
		"<< /FT /Tx /T (invoice_no) /V (INV-2026-0042) /Rect [50 700 200 720] /Subtype /Widget >>",
		"<< /FT /Tx /T (seller) /V <FEFF4E0A6D776E216E2F79D16280> /Rect [50 660 200 680] /Subtype /Widget >>",
		"<< /FT /Btn /T (paid) /V /Yes /Rect [50 620 60 630] /Subtype /Widget >>",
		"<< /T (payer) /Kids [8 0 R 9 0 R] >>",
		"<< /FT /Tx /T (name) /V (ACME GmbH) /Parent 7 0 R >>",
		"<< /FT /Tx /T (id) /V (DE123456789) /Parent 7 0 R >>",
	})
	doc, err := pdftext.Open(data, "")
	if err != nil {
		t.Fatal(err)
	}
	fields, err := doc.FormFields()
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(fields)
	want := "[{invoice_no INV-2026-0042} {seller 上海渡港科技} {paid Yes} {payer.name ACME GmbH} {payer.id DE123456789}]"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// Annotations' appearances are drawn on the page, as viewers and
// pdftotext show them: a filled-in field's value is page text where the
// field is, a check box shows its current state, and hidden annotations
// stay hidden.
func TestAnnotationAppearancesAreDrawn(t *testing.T) {
	t.Parallel()
	ap := func(text string) string {
		content := "/Tx BMC BT /Helv 10 Tf 2 3 Td (" + text + ") Tj ET EMC"
		return fmt.Sprintf("<< /Type /XObject /Subtype /Form /BBox [0 0 150 20] /Resources << /Font << /Helv 9 0 R >> >> /Length %d >>\nstream\n%s\nendstream", len(content), content)
	}
	data := buildPDF([]string{
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 5 0 R] >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R 5 0 R 6 0 R] >>",
		"<< /Type /Annot /Subtype /Widget /FT /Tx /T (total) /V (1,234.56) /Rect [300 700 450 720] /AP << /N 7 0 R >> >>",
		"<< /Type /Annot /Subtype /Widget /FT /Btn /T (paid) /V /Yes /AS /Yes /Rect [300 650 320 670] /AP << /N << /Yes 8 0 R /Off 10 0 R >> >> >>",
		"<< /Type /Annot /Subtype /FreeText /F 2 /Rect [50 50 200 70] /AP << /N 11 0 R >> >>",
		ap("1,234.56"),
		ap("paid: yes"),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		ap("paid: no"),
		ap("hidden note"),
	})
	doc, err := pdftext.Open(data, "")
	if err != nil {
		t.Fatal(err)
	}
	text, err := doc.PlainText()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1,234.56", "paid: yes"} {
		if !strings.Contains(text, want) {
			t.Errorf("page text %q lacks %q", text, want)
		}
	}
	for _, not := range []string{"paid: no", "hidden note"} {
		if strings.Contains(text, not) {
			t.Errorf("page text %q shows %q", text, not)
		}
	}
	// The value sits in the field's rectangle: its baseline 3 points up
	// from the rectangle's bottom.
	p, _ := doc.Page(1)
	for _, g := range p.Glyphs {
		if g.Text == "1" && (g.X != 302 || g.Y != 703) {
			t.Errorf("the field value starts at (%g, %g), want (302, 703)", g.X, g.Y)
		}
	}
}
