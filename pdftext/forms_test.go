package pdftext_test

import (
	"bytes"
	"fmt"
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
