package pdftext

import (
	"bytes"
	"testing"

	"github.com/go-pdf/fpdf"
)

// A plain file whose text happens to contain "/Encrypt" goes through the
// decrypt path and must come back unchanged, not fail.
func TestDecryptLeavesPlainFilesAlone(t *testing.T) {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCompression(false)
	p.AddPage()
	p.SetFont("Helvetica", "", 12)
	p.Text(20, 20, "see /Encrypt in the manual")
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte("/Encrypt")) {
		t.Fatal("the test file must contain /Encrypt literally")
	}
	doc, err := Open(buf.Bytes(), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := doc.PlainText()
	if err != nil || !bytes.Contains([]byte(got), []byte("see /Encrypt in the manual")) {
		t.Fatalf("%q, %v", got, err)
	}
}
