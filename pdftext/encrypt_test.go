package pdftext_test

import (
	"bytes"
	"errors"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/pdftext"
	"github.com/go-pdf/fpdf"
)

func helloPDF(t *testing.T, protect bool) []byte {
	t.Helper()
	p := fpdf.New("P", "mm", "A4", "")
	if protect {
		p.SetProtection(fpdf.CnProtectPrint, "s3cret", "owner")
	}
	p.AddPage()
	p.SetFont("Helvetica", "", 12)
	p.Text(20, 20, "Statement 2026-10 balance 1234.56")
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func text(t *testing.T, data []byte, pw string) (string, error) {
	t.Helper()
	doc, err := pdftext.Open(data, pw)
	if err != nil {
		return "", err
	}
	return doc.PlainText()
}

// fpdf protects with 40-bit RC4 (which ledongthuc/pdf, Ferry's former
// object reader, decrypted to garbage); Ferry decrypts through pdfcpu.
func TestRC4FortyBit(t *testing.T) {
	t.Parallel()
	data := helloPDF(t, true)
	if _, err := text(t, data, ""); !errors.Is(err, pdftext.ErrPassword) || !strings.Contains(err.Error(), "supply its password") {
		t.Fatalf("no password: got %v", err)
	}
	if _, err := text(t, data, "wrong"); !errors.Is(err, pdftext.ErrPassword) {
		t.Fatalf("wrong password: got %v", err)
	}
	got, err := text(t, data, "s3cret")
	if err != nil || !strings.Contains(got, "Statement 2026-10 balance 1234.56") {
		t.Fatalf("right password: %q, %v", got, err)
	}
	// The owner password opens it too, as in every PDF reader.
	if got, err := text(t, data, "owner"); err != nil || !strings.Contains(got, "balance 1234.56") {
		t.Fatalf("owner password: %q, %v", got, err)
	}
}

// Every standard security handler, made by qpdf (a test-only tool, like
// poppler): RC4 40 and 128, AES-128 and AES-256 (revision 6). The right
// password opens each; a wrong or missing one fails with ErrPassword and
// never names the password; a file with an empty user password (owner
// restrictions only, common for bank statements) opens without one.
func TestEncryptionSchemes(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("qpdf"); err != nil {
		testenv.Missing(t, "qpdf not installed")
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.pdf")
	os.WriteFile(plain, helloPDF(t, false), 0o644)
	cases := []struct {
		name, user string
		args       []string
	}{
		{"rc4-40", "s3cret", []string{"--allow-weak-crypto", "--encrypt", "s3cret", "owner", "40", "--"}},
		{"rc4-128", "s3cret", []string{"--allow-weak-crypto", "--encrypt", "s3cret", "owner", "128", "--use-aes=n", "--"}},
		{"aes-128", "s3cret", []string{"--encrypt", "s3cret", "owner", "128", "--use-aes=y", "--"}},
		{"aes-256", "s3cret", []string{"--encrypt", "s3cret", "owner", "256", "--"}},
		// the catalog and pages inside encrypted object streams
		{"aes-256 object streams", "s3cret", []string{"--object-streams=generate", "--encrypt", "s3cret", "owner", "256", "--"}},
		{"aes-128 object streams", "s3cret", []string{"--object-streams=generate", "--encrypt", "s3cret", "owner", "128", "--use-aes=y", "--"}},
		{"aes-256 owner only", "", []string{"--encrypt", "", "owner", "256", "--print=none", "--"}},
	}
	for _, c := range cases {
		out := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".pdf")
		if b, err := exec.Command("qpdf", append(c.args, plain, out)...).CombinedOutput(); err != nil {
			t.Fatalf("%s: qpdf: %v %s", c.name, err, b)
		}
		data, _ := os.ReadFile(out)
		got, err := text(t, data, c.user)
		if err != nil || !strings.Contains(got, "Statement 2026-10 balance 1234.56") {
			t.Fatalf("%s: %q, %v", c.name, got, err)
		}
		if c.user == "" {
			continue
		}
		_, err = text(t, data, "wrong-pw")
		if !errors.Is(err, pdftext.ErrPassword) || strings.Contains(err.Error(), "wrong-pw") {
			t.Fatalf("%s wrong password: %v", c.name, err)
		}
		if _, err := text(t, data, ""); !errors.Is(err, pdftext.ErrPassword) || !strings.Contains(err.Error(), "supply its password") {
			t.Fatalf("%s no password: %v", c.name, err)
		}
	}
}

func TestImageOnlyPDFSaysSo(t *testing.T) {
	t.Parallel()
	img := image.NewGray(image.Rect(0, 0, 40, 20))
	for x := 0; x < 40; x++ {
		img.Set(x, 10, color.Gray{Y: 200})
	}
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, img)
	p := fpdf.New("P", "mm", "A4", "")
	p.AddPage()
	p.RegisterImageOptionsReader("scan", fpdf.ImageOptions{ImageType: "PNG"}, &pngBuf)
	p.ImageOptions("scan", 10, 10, 180, 90, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := text(t, buf.Bytes(), ""); !errors.Is(err, pdftext.ErrNoText) || !strings.Contains(err.Error(), "scanned") {
		t.Fatalf("got %v, want ErrNoText saying it may be scanned", err)
	}
}
