package pdftext_test

import (
	"bytes"
	"errors"
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

// fpdf protects with 40-bit RC4. The password is checked; the text does
// not come out yet: ledongthuc/pdf derives per-object keys for keys shorter
// than 128 bits without truncating them to n+5 bytes, so streams decrypt to
// garbage. Ferry must then fail, never return that garbage as text.
func TestRC4FortyBit(t *testing.T) {
	t.Parallel()
	data := helloPDF(t, true)
	if _, err := text(t, data, ""); !errors.Is(err, pdftext.ErrPassword) || !strings.Contains(err.Error(), "supply its password") {
		t.Fatalf("no password: got %v", err)
	}
	if _, err := text(t, data, "wrong"); !errors.Is(err, pdftext.ErrPassword) {
		t.Fatalf("wrong password: got %v", err)
	}
	if got, err := text(t, data, "s3cret"); err == nil && !strings.Contains(got, "balance 1234.56") {
		t.Fatalf("right password: garbage came out as text: %q", got)
	}
}

// AES with qpdf (a test-only tool, like poppler): AES-128 opens with the
// password; AES-256 fails with a clear error until Ferry reads it.
func TestAESPasswords(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("qpdf"); err != nil {
		t.Skip("qpdf not installed")
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.pdf")
	os.WriteFile(plain, helloPDF(t, false), 0o644)
	for _, bits := range []string{"rc4-128", "128", "256"} {
		out := filepath.Join(dir, "aes"+bits+".pdf")
		args := []string{"--encrypt", "s3cret", "owner", strings.TrimPrefix(bits, "rc4-")}
		switch bits {
		case "128":
			args = append(args, "--use-aes=y")
		case "rc4-128":
			args = append([]string{"--allow-weak-crypto"}, append(args, "--use-aes=n")...)
		}
		args = append(args, "--", plain, out)
		if b, err := exec.Command("qpdf", args...).CombinedOutput(); err != nil {
			t.Fatalf("qpdf: %v %s", err, b)
		}
		data, _ := os.ReadFile(out)
		got, err := text(t, data, "s3cret")
		if bits != "256" {
			if err != nil || !strings.Contains(got, "balance 1234.56") {
				t.Fatalf("%s: %q, %v", bits, got, err)
			}
			if _, err := text(t, data, "wrong"); !errors.Is(err, pdftext.ErrPassword) {
				t.Fatalf("%s wrong password: %v", bits, err)
			}
			continue
		}
		if !errors.Is(err, pdftext.ErrUnsupportedEncryption) || !strings.Contains(err.Error(), "AES-256") {
			t.Fatalf("AES-256: got %v, want a clear unsupported-encryption error", err)
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
