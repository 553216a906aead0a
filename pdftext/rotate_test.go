package pdftext_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/pdftext"
)

// A landscape statement is often a portrait page with /Rotate 90 and its
// text turned the other way: it reads across once turned as viewers show
// it, and so it must read in Lines and Layout (pdftotext does the same).
func TestRotatedPagesReadAcross(t *testing.T) {
	t.Parallel()
	const w, h = 595.0, 842.0
	rows := []struct {
		x, y float64 // where the row starts on the page as shown
		text string
	}{
		{50, 500, "Date        Description        Amount"},
		{50, 480, "2026-10-01  Coffee Roasters     -3.50"},
		{50, 460, "2026-10-02  Salary           2,500.00"},
	}
	for _, rot := range []int{0, 90, 180, 270} {
		var content strings.Builder
		content.WriteString("BT /F1 10 Tf ")
		for _, r := range rows {
			var tm string
			switch rot {
			case 0:
				tm = fmt.Sprintf("1 0 0 1 %g %g", r.x, r.y)
			case 90:
				tm = fmt.Sprintf("0 1 -1 0 %g %g", w-r.y, r.x)
			case 180:
				tm = fmt.Sprintf("-1 0 0 -1 %g %g", w-r.x, h-r.y)
			case 270:
				tm = fmt.Sprintf("0 -1 1 0 %g %g", r.y, h-r.x)
			}
			fmt.Fprintf(&content, "%s Tm (%s) Tj ", tm, r.text)
		}
		content.WriteString("ET")
		data := buildPDF([]string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			fmt.Sprintf("<< /Type /Pages /Kids [3 0 R] /Count 1 /Rotate %d >>", rot), // inherited
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
			streamObj("", content.String()),
			helvetica,
		})
		doc, err := pdftext.Open(data, "")
		if err != nil {
			t.Fatal(err)
		}
		p, err := doc.Page(1)
		if err != nil {
			t.Fatal(err)
		}
		lines := p.Lines()
		if len(lines) != len(rows) {
			t.Fatalf("/Rotate %d: %d lines, want %d: %q", rot, len(lines), len(rows), pageText(p))
		}
		for i, r := range rows {
			if got, want := strings.Join(strings.Fields(lines[i].String()), " "), strings.Join(strings.Fields(r.text), " "); got != want {
				t.Errorf("/Rotate %d line %d: got %q, want %q", rot, i+1, got, want)
			}
		}
		if rot == 90 || rot == 270 {
			if p.Width != h || p.Height != w {
				t.Errorf("/Rotate %d: page %gx%g, want %gx%g as shown", rot, p.Width, p.Height, h, w)
			}
		}
		// pdftotext reads the same lines.
		tool := testenv.Tool(t, "pdftotext", "poppler-utils")
		f := filepath.Join(t.TempDir(), "rot.pdf")
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tool, "-layout", f, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(strings.Fields(string(out)), " "), "Coffee Roasters -3.50") {
			t.Errorf("/Rotate %d: pdftotext reads %q", rot, out)
		}
	}
}
