package pdftext_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/pdftext"
)

// Hand-made hostile PDFs: cycles and nesting in every walk over a file's
// objects. Each must come back quickly, with an error where the file
// cannot be read in full, and never hang or panic. (Before, a /Kids cycle
// made `ferry parse` spin for ever.)

func streamObj(dict, data string) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

const helvetica = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"

// onePage is a catalog, a page tree and one page drawing content with
// the resources given, followed by extra objects (numbered from 6).
func onePage(resources, content string, extra ...string) []byte {
	return buildPDF(append([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources " + resources + " >>",
		streamObj("", content),
		helvetica,
	}, extra...))
}

// readAll opens data and reads every page, returning the first error.
func readAll(ctx context.Context, data []byte) error {
	doc, err := pdftext.OpenContext(ctx, data, "")
	if err != nil {
		return err
	}
	for i := 1; i <= doc.NumPages(); i++ {
		p, err := doc.Page(i)
		if err != nil {
			return err
		}
		_ = p.Layout()
	}
	_, err = doc.FormFields()
	return err
}

// within fails the test if f takes longer than d; it returns f's error.
// within runs f and fails the test if it hangs. d is how long f takes on
// an idle machine, logged when exceeded; the test fails only after
// hangAfter, since a loaded machine (or -race) can be many times slower
// and the work itself is bounded by the reader's limits, which the test
// asserts through the error it expects.
func within(t *testing.T, d time.Duration, f func() error) error {
	t.Helper()
	const hangAfter = 3 * time.Minute
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- f() }()
	select {
	case err := <-done:
		if took := time.Since(start); took > d {
			t.Logf("took %v (about %v expected on an idle machine)", took.Round(time.Millisecond), d)
		}
		return err
	case <-time.After(hangAfter):
		t.Fatalf("still running after %v: a hang", hangAfter)
		return nil
	}
}

func TestHostileFilesFailFast(t *testing.T) {
	t.Parallel()
	draw := "BT /F1 12 Tf 72 720 Td (text) Tj ET /A Do"
	res := "<< /Font << /F1 5 0 R >> /XObject << /A 6 0 R /B 7 0 R >> >>"
	form := func(content string) string {
		return streamObj("/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources "+res, content)
	}
	deepArray := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	cases := []struct {
		name string
		data []byte
		want error  // nil: the file reads (the cycle is never walked)
		msg  string // in the error
	}{
		{"Kids cycle between two nodes", buildPDF([]string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>",
		}), pdftext.ErrMalformed, "reached twice"},
		{"Kids naming their own node", buildPDF([]string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
			"<< /Type /Page /Parent 2 0 R >>",
		}), pdftext.ErrMalformed, "reached twice"},
		{"a subtree listed many times (exponential without a visited set)", buildPDF([]string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R 3 0 R] /Count 4 >>",
			"<< /Type /Pages /Kids [4 0 R 4 0 R] /Count 2 >>",
			"<< /Type /Page /Parent 3 0 R >>",
		}), pdftext.ErrMalformed, "reached twice"},
		{"Parent cycle with inherited resources missing", buildPDF([]string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 3 0 R >>",
			"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
			streamObj("", "BT /F1 12 Tf (no font anywhere) Tj ET"),
		}), nil, ""},
		{"form drawing itself", onePage(res, draw, form("/A Do")), pdftext.ErrMalformed, "draws itself"},
		{"two forms drawing each other", onePage(res, draw, form("/B Do"), form("/A Do")), pdftext.ErrMalformed, "draws itself"},
		{"resources that refer to themselves", onePage("6 0 R", draw,
			"<< /Font 6 0 R /XObject 6 0 R /A 6 0 R >>"), nil, ""},
		{"an object that is a reference to itself", onePage("<< /Font << /F1 6 0 R >> /XObject << /A 7 0 R >> >>", draw,
			"6 0 R", "8 0 R", "7 0 R"), nil, ""},
		{"a stream whose /Length is itself", onePage(res, draw,
			"<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Length 6 0 R >>\nstream\nBT /F1 9 Tf (in form) Tj ET\nendstream"), nil, ""},
		{"arrays nested 100,000 deep", onePage(res, draw, deepArray), nil, ""},
		{"arrays nested 100,000 deep in a content stream", onePage(res, deepArray+" Tj"), nil, ""},
		{"form field Kids cycle", buildPDF([]string{
			"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R >>",
			"<< /T (a) /Kids [5 0 R] >>",
			"<< /T (b) /Kids [4 0 R] >>",
		}), pdftext.ErrMalformed, "reached twice"},
	}
	// forms nested beyond any real file: A0 draws A1 … draws A40
	var chain []string
	for i := 0; i < 40; i++ {
		chain = append(chain, streamObj(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /N %d 0 R >> >>", 7+i), "/N Do"))
	}
	cases = append(cases, struct {
		name string
		data []byte
		want error
		msg  string
	}{"forms nested 40 deep", onePage(res, "/A Do", chain...), pdftext.ErrMalformed, "deep"})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := within(t, 5*time.Second, func() error { return readAll(context.Background(), c.data) })
			switch {
			case c.want == nil && err != nil:
				t.Fatalf("got %v, want the file read", err)
			case c.want != nil && !errors.Is(err, c.want):
				t.Fatalf("got %v, want %v", err, c.want)
			case c.want != nil && !strings.Contains(err.Error(), c.msg):
				t.Fatalf("got %v, want it to say %q", err, c.msg)
			}
		})
	}
}

// Cross-reference chains that loop, and object streams that contain
// themselves, open in bounded time.
func TestHostileCrossReferences(t *testing.T) {
	t.Parallel()
	base := onePage("<< /Font << /F1 5 0 R >> >>", "BT /F1 12 Tf 72 720 Td (hello) Tj ET")
	// The trailer's /Prev points at its own table.
	xref := bytes.LastIndex(base, []byte("xref"))
	prevLoop := bytes.Replace(base, []byte("/Root 1 0 R"), []byte(fmt.Sprintf("/Root 1 0 R /Prev %d", xref)), 1)

	// A cross-reference stream that puts object 7 inside object stream 7,
	// and object 8 inside object stream 9 which is inside 8.
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R /Extra [7 0 R 8 0 R] >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		streamObj("", "BT /F1 12 Tf 10 10 Td (hello) Tj ET"),
		helvetica,
	}
	offs := []int{0}
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xrefAt := b.Len()
	var rows []byte
	row := func(typ byte, f2 int, f3 byte) { rows = append(rows, typ, byte(f2>>8), byte(f2), f3) }
	row(0, 0, 255)
	for _, o := range offs[1:] {
		row(1, o, 0)
	}
	row(1, xrefAt, 0) // 6: the cross-reference stream itself
	row(2, 7, 0)      // 7 in object stream 7
	row(2, 9, 0)      // 8 in object stream 9
	row(2, 8, 0)      // 9 in object stream 8
	fmt.Fprintf(&b, "6 0 obj\n<< /Type /XRef /Size 10 /W [1 2 1] /Root 1 0 R /Length %d >>\nstream\n", len(rows))
	b.Write(rows)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xrefAt)

	for _, c := range []struct {
		name string
		data []byte
	}{{"Prev loop", prevLoop}, {"object streams inside themselves", b.Bytes()}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var text string
			err := within(t, 5*time.Second, func() error {
				doc, err := pdftext.Open(c.data, "")
				if err != nil {
					return err
				}
				text, err = doc.PlainText()
				return err
			})
			if err != nil || !strings.Contains(text, "hello") {
				t.Fatalf("got %q, %v; want the page read", text, err)
			}
		})
	}
}

// formBomb is a page that draws form B 60 times, which draws form A 60
// times, which runs n operators without drawing text: 3,600 × n operators.
func formBomb(n int) []byte {
	res := "<< /XObject << /A 6 0 R /B 7 0 R >> >>"
	form := func(content string) string {
		return streamObj("/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources "+res, content)
	}
	return onePage(res, strings.Repeat("/B Do ", 60),
		form(strings.Repeat("0 0 m ", n)), form(strings.Repeat("/A Do ", 60)))
}

// Content that would run for ever (forms drawing forms, no text) stops at
// the page's operator budget.
func TestOperatorBudget(t *testing.T) {
	t.Parallel()
	data := formBomb(10_000) // 36 M operators
	err := within(t, 20*time.Second, func() error { return readAll(context.Background(), data) })
	if !errors.Is(err, pdftext.ErrTooLarge) || !strings.Contains(err.Error(), "operators") || !strings.Contains(err.Error(), "page 1") {
		t.Fatalf("got %v, want ErrTooLarge naming page 1 and operators", err)
	}
	// The same construction within the budget reads.
	if err := readAll(context.Background(), formBomb(10)); err != nil {
		t.Fatalf("36,000 operators: %v", err)
	}
}

// A parse whose context is cancelled stops within milliseconds, in the
// middle of a page.
func TestCancelStopsAParse(t *testing.T) {
	t.Parallel()
	data := formBomb(2_500) // 9 M operators: under the budget, about a second of work
	ctx, cancel := context.WithCancel(context.Background())
	doc, err := pdftext.OpenContext(ctx, data, "")
	if err != nil {
		t.Fatal(err)
	}
	var stopped time.Time
	go func() {
		time.Sleep(30 * time.Millisecond)
		stopped = time.Now()
		cancel()
	}()
	start := time.Now()
	err = within(t, 10*time.Second, func() error { _, err := doc.Page(1); return err })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v after %v, want context.Canceled", err, time.Since(start))
	}
	if late := time.Since(stopped); late > 200*time.Millisecond {
		t.Fatalf("stopped %v after the cancel, want within milliseconds", late)
	}
	// Uncancelled, the same page reads: the test measured a real parse.
	doc, err = pdftext.Open(data, "")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := doc.Page(1); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d < 60*time.Millisecond {
		t.Logf("the page takes only %v: the cancel may have come after it", d)
	}
	// A context done before Open stops Open.
	if _, err := pdftext.OpenContext(ctx, data, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("open with a cancelled context: got %v", err)
	}
}

// A file cut short (a truncated download) is an error, not the pages that
// happen to be there.
func TestTruncatedFileIsAnError(t *testing.T) {
	t.Parallel()
	data := onePage("<< /Font << /F1 5 0 R >> >>", "BT /F1 12 Tf 72 720 Td (hello) Tj ET")
	for _, cut := range []int{len(data) - 10, len(data) / 2, 20} {
		_, err := pdftext.Open(data[:cut], "")
		if !errors.Is(err, pdftext.ErrMalformed) {
			t.Errorf("cut at %d of %d: got %v, want ErrMalformed", cut, len(data), err)
		}
	}
}

// Cross-reference offsets that point to the wrong places (a file edited by
// hand, or re-saved with a wrong table) are repaired from the objects in
// the file, as every reader does.
func TestWrongOffsetsAreRepaired(t *testing.T) {
	t.Parallel()
	data := onePage("<< /Font << /F1 5 0 R >> >>", "BT /F1 12 Tf 72 720 Td (repaired) Tj ET")
	// Shift every object by inserting bytes after the header.
	shifted := append([]byte("%PDF-1.7\n%junk inserted by an editor\n"), data[len("%PDF-1.7\n"):]...)
	doc, err := pdftext.Open(shifted, "")
	if err != nil {
		t.Fatal(err)
	}
	text, err := doc.PlainText()
	if err != nil || !strings.Contains(text, "repaired") {
		t.Fatalf("got %q, %v", text, err)
	}
}

// Encrypted files go through pdfcpu's decryption before Ferry reads them;
// a cycle inside one must fail as fast as in a plain file. qpdf (a test
// tool, Debian package qpdf) encrypts the hostile files.
func TestEncryptedHostileFiles(t *testing.T) {
	t.Parallel()
	qpdf := testenv.Tool(t, "qpdf", "qpdf")
	dir := t.TempDir()
	files := map[string][]byte{
		"kids-cycle": buildPDF([]string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
			"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
		}),
		"form-drawing-itself": onePage("<< /XObject << /A 6 0 R >> >>", "/A Do",
			streamObj("/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /A 6 0 R >> >>", "/A Do")),
	}
	for name, data := range files {
		plain, enc := filepath.Join(dir, name+".pdf"), filepath.Join(dir, name+"-aes.pdf")
		if err := os.WriteFile(plain, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(qpdf, "--encrypt", "", "owner", "256", "--", plain, enc).CombinedOutput(); err != nil {
			t.Fatalf("%s: qpdf: %v %s", name, err, out)
		}
		encrypted, err := os.ReadFile(enc)
		if err != nil {
			t.Fatal(err)
		}
		err = within(t, 10*time.Second, func() error { return readAll(context.Background(), encrypted) })
		if err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
}

// Layout costs quadratic time in the words of a page and, for text laid
// out as a staircase, quadratic space; a page beyond any real one is
// printed line by line instead, in bounded time and space, keeping every
// character.
func TestLayoutIsBounded(t *testing.T) {
	t.Parallel()
	for _, n := range []int{15_000, 100_000} {
		// each line starts where the one above it ends
		content := "BT /F1 10 Tf 0 800 Td " + strings.Repeat("(ab) Tj 12 -16 Td ", n) + "ET"
		doc, err := pdftext.Open(onePage("<< /Font << /F1 5 0 R >> >>", content), "")
		if err != nil {
			t.Fatal(err)
		}
		p, err := doc.Page(1)
		if err != nil {
			t.Fatal(err)
		}
		var out string
		within(t, 30*time.Second, func() error { out = p.Layout(); return nil })
		if len(out) > 16<<20 {
			t.Errorf("%d lines: a layout of %d MiB", n, len(out)>>20)
		}
		if got := strings.Count(out, "ab"); got != n {
			t.Errorf("%d lines: %d of them in the layout", n, got)
		}
	}
}

// Objects that overlap, each an unterminated string running to the end of
// the file, would cost quadratic time to read one by one; the parse stops
// at a budget of bytes read instead.
func TestOverlappingObjectsStop(t *testing.T) {
	t.Parallel()
	const n = 30_000
	var fonts, content strings.Builder
	extra := make([]string, n)
	for i := range extra {
		fmt.Fprintf(&fonts, "/F%d %d 0 R ", i, 6+i)
		fmt.Fprintf(&content, "/F%d 9 Tf ", i)
		extra[i] = "(" // runs on over every object after it
	}
	data := onePage("<< /Font << "+fonts.String()+">> >>", content.String(), extra...)
	err := within(t, 20*time.Second, func() error { return readAll(context.Background(), data) })
	if !errors.Is(err, pdftext.ErrTooLarge) || !strings.Contains(err.Error(), "overlap") {
		t.Fatalf("got %v, want ErrTooLarge for overlapping objects", err)
	}
}
