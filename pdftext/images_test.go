package pdftext_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/go-pdf/fpdf"

	"github.com/ferry-rpa/ferry/pdftext"
)

// A statement whose second page is a scan: the text pages read, and the
// scanned page is told apart from a blank one by Page.Images, so a reader
// can name it ("page 2 is a scanned image; Ferry does not OCR").
func TestImageOnlyPagesAreToldApart(t *testing.T) {
	t.Parallel()
	scan := image.NewGray(image.Rect(0, 0, 60, 30))
	for x := 0; x < 60; x++ {
		scan.Set(x, 15, color.Gray{Y: 30})
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, scan); err != nil {
		t.Fatal(err)
	}
	p := fpdf.New("P", "mm", "A4", "")
	p.RegisterImageOptionsReader("scan", fpdf.ImageOptions{ImageType: "PNG"}, &pngBuf)
	p.SetFont("Helvetica", "", 11)
	p.AddPage() // 1: text
	p.Text(20, 20, "Opening balance 1,000.00")
	p.AddPage() // 2: a scanned page
	p.ImageOptions("scan", 10, 10, 190, 95, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	p.AddPage() // 3: blank
	p.AddPage() // 4: text beside a logo
	p.ImageOptions("scan", 10, 10, 30, 15, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	p.Text(20, 40, "Closing balance 1,250.00")
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		t.Fatal(err)
	}
	// Page 5 draws an inline image (BI … ID … EI) and nothing else, as
	// some scanners write small pages.
	data := onePage("<< >>", "q 100 0 0 50 0 0 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x00\xff\xff\x00 EI Q")

	cases := []struct {
		data               []byte
		page, images       int
		hasText, imageOnly bool
	}{
		{buf.Bytes(), 1, 0, true, false},
		{buf.Bytes(), 2, 1, false, true},
		{buf.Bytes(), 3, 0, false, false},
		{buf.Bytes(), 4, 1, true, false},
		{data, 1, 1, false, true},
	}
	for _, c := range cases {
		doc, err := pdftext.Open(c.data, "")
		if err != nil {
			t.Fatal(err)
		}
		pg, err := doc.Page(c.page)
		if err != nil {
			t.Fatal(err)
		}
		if pg.Images != c.images || pg.HasText() != c.hasText || pg.ImageOnly() != c.imageOnly {
			t.Errorf("page %d: Images %d, HasText %v, ImageOnly %v; want %d, %v, %v",
				c.page, pg.Images, pg.HasText(), pg.ImageOnly(), c.images, c.hasText, c.imageOnly)
		}
	}
}
