package statements_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/pdftext"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/statements"
	"github.com/ledongthuc/pdf"
	"github.com/xuri/excelize/v2"
)

var (
	from = ferry.NewDate(2026, 9, 1)
	to   = ferry.NewDate(2026, 10, 31)
)

func render(t testing.TB, st ferry.Statement) map[statements.Format][]byte {
	t.Helper()
	x, err := sandbox.RenderXLSX(st)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sandbox.RenderCSV(st)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sandbox.RenderPDF(st)
	if err != nil {
		t.Fatal(err)
	}
	return map[statements.Format][]byte{statements.XLSX: x, statements.CSV: c, statements.PDF: p}
}

// The same statement downloaded as XLSX, CSV and PDF yields identical
// records, equal to what the bank holds, for every sandbox account.
func TestSameStatementEveryFormat(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 7})
	for _, acc := range bank.Accounts() {
		t.Run(acc.ID, func(t *testing.T) {
			t.Parallel()
			want, err := bank.Statement(acc.ID, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if len(want.Lines) < 30 {
				t.Fatalf("sandbox statement too short to span PDF pages: %d lines", len(want.Lines))
			}
			for format, data := range render(t, want) {
				got, err := statements.Parse(context.Background(), "statement."+string(format), data)
				if err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				if err := got.Reconcile(); err != nil {
					t.Errorf("%s: %v", format, err)
				}
				if !statementsEqual(got, want) {
					t.Errorf("%s: got %+v\nwant %+v", format, summary(got), summary(want))
					for i := range min(len(got.Lines), len(want.Lines)) {
						if !linesEqual(got.Lines[i], want.Lines[i]) {
							t.Errorf("%s: line %d: got %+v, want %+v", format, i+1, got.Lines[i], want.Lines[i])
							break
						}
					}
				}
			}
		})
	}
}

func summary(s ferry.Statement) string {
	return strings.Join([]string{s.Account, s.Name, s.Currency, s.From.String(), s.To.String(), s.Opening.String(), s.Closing.String()}, " ") + " lines=" + strconv.Itoa(len(s.Lines))
}

func linesEqual(a, b ferry.StatementLine) bool {
	return a.Account == b.Account && a.BookingDate == b.BookingDate && a.ValueDate == b.ValueDate &&
		a.Amount.Equal(b.Amount) && a.Currency == b.Currency && a.Counterparty == b.Counterparty &&
		a.Description == b.Description && a.Reference == b.Reference && a.BalanceAfter.Equal(b.BalanceAfter) &&
		a.DedupKey(0) == b.DedupKey(0)
}

func statementsEqual(a, b ferry.Statement) bool {
	if a.Account != b.Account || a.Name != b.Name || a.Currency != b.Currency || a.From != b.From || a.To != b.To ||
		!a.Opening.Equal(b.Opening) || !a.Closing.Equal(b.Closing) || len(a.Lines) != len(b.Lines) {
		return false
	}
	for i := range a.Lines {
		if !linesEqual(a.Lines[i], b.Lines[i]) {
			return false
		}
	}
	return true
}

func TestCSVUTF8WithBOM(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 3})
	want, _ := bank.Statement("6222021000010001", from, to)
	gb, _ := sandbox.RenderCSV(want)
	if bytes.Contains(gb, []byte("交易日期")) {
		t.Fatal("sandbox CSV should be GB18030, found UTF-8 text")
	}
	utf, err := gbToUTF8(gb)
	if err != nil {
		t.Fatal(err)
	}
	got, err := statements.ParseCSV("bom.csv", append([]byte("\xEF\xBB\xBF"), utf...))
	if err != nil {
		t.Fatal(err)
	}
	if !statementsEqual(got, want) {
		t.Fatalf("UTF-8 BOM CSV: got %s, want %s", summary(got), summary(want))
	}
}

func TestBadInputNamesThePlace(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 3})
	st, _ := bank.Statement("6222021000010001", from, to)
	csvGood, _ := gbToUTF8(mustCSV(t, st))
	lines := strings.Split(string(csvGood), "\r\n")
	tests := []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"truncated csv", "cut.csv", []byte(strings.Join(lines[:15], "\r\n")), "no closing balance"},
		{"bad amount", "amt.csv", []byte(strings.Replace(string(csvGood), lines[10], strings.Replace(lines[10], ".", "x", 1), 1)), "amt.csv: line 11"},
		{"not a statement", "notes.csv", []byte("hello,world\n1,2\n"), "no transaction table header"},
		{"garbage pdf", "x.pdf", []byte("%PDF-1.4\nthis is not a pdf"), "x.pdf"},
		{"zip that is not xlsx", "y.xlsx", []byte("PK\x03\x04garbage"), "y.xlsx: not a readable XLSX"},
		{"binary", "z.bin", []byte{0, 1, 2, 3}, "unrecognised"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := statements.Parse(context.Background(), tc.file, tc.data)
			if err == nil {
				t.Fatal("got nil error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %q, want it to contain %q", err, tc.want)
			}
			if ferry.ClassOf(err) != ferry.ClassDocumentChanged {
				t.Fatalf("class %s, want document_changed", ferry.ClassOf(err))
			}
		})
	}
}

func mustCSV(t *testing.T, st ferry.Statement) []byte {
	b, err := sandbox.RenderCSV(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseMoney(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"1,234.56": "1234.56", "-1,234.56": "-1234.56", "(12.00)": "-12", "¥1,000": "1000", "0.10": "0.1",
		"CNY 5.00": "5", "1234567.891": "1234567.891",
	} {
		got, err := statements.ParseMoney(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseMoney(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1,23.00", "12a", "1.2.3", "--"} {
		if _, err := statements.ParseMoney(bad); err == nil {
			t.Errorf("ParseMoney(%q) accepted", bad)
		}
	}
}

// The library's own text extraction garbles this PDF's Chinese; Ferry's
// text layer must not, and must agree with poppler where it is installed.
func TestPDFChineseTextAgainstLibraryAndPoppler(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 7})
	st, _ := bank.Statement("6222021000010001", from, to)
	data := render(t, st)[statements.PDF]
	doc, err := pdftext.Open(data, "")
	if err != nil {
		t.Fatal(err)
	}
	ours, err := doc.PlainText()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"银行账户交易明细", "上海渡船科技有限公司", st.Lines[0].Counterparty, "期末余额"} {
		if !strings.Contains(ours, want) {
			t.Errorf("Ferry's text lacks %q", want)
		}
	}
	if strings.ContainsRune(ours, pdftext.Unmapped) {
		t.Errorf("Ferry's text has unmapped characters")
	}
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	lib, _ := r.Page(1).GetPlainText(nil)
	if strings.Contains(lib, "银行账户交易明细") {
		t.Logf("note: ledongthuc/pdf now reads this file's Chinese correctly")
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		testenv.Missing(t, "pdftotext (poppler-utils) not installed: skipping the comparison with poppler")
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	strip := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\f' || r == '\t' {
				return -1
			}
			return r
		}, s)
	}
	if a, b := strip(ours), strip(string(out)); a != b {
		t.Errorf("text differs from pdftotext -layout (ignoring whitespace):\nours:    %.200s\npoppler: %.200s", a, b)
	}
}

func TestPanicInLibraryIsAnError(t *testing.T) {
	t.Parallel()
	// A truncated cross-reference makes the library panic; it must come back as an error.
	bank := sandbox.New(sandbox.Options{Seed: 7})
	st, _ := bank.Statement("6222021000010001", from, to)
	data := render(t, st)[statements.PDF]
	for _, cut := range []int{len(data) / 2, len(data) - 40, 200} {
		_, err := statements.ParsePDF(context.Background(), "cut.pdf", data[:cut])
		if err == nil {
			t.Fatalf("cut at %d: got nil error", cut)
		}
		var fe *ferry.Error
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "cut.pdf") {
			t.Fatalf("cut at %d: got %v, want a document_changed error naming the file", cut, err)
		}
	}
}

func bigStatement(n int) ferry.Statement {
	bank := sandbox.New(sandbox.Options{Seed: 1})
	st, _ := bank.Statement("6222021000010001", ferry.NewDate(2025, 1, 1), ferry.NewDate(2026, 12, 31))
	base := st.Lines
	out := st
	out.Lines = make([]ferry.StatementLine, 0, n)
	bal := st.Opening
	for i := 0; len(out.Lines) < n; i++ {
		l := base[i%len(base)]
		l.Reference = l.Reference + "-" + string(rune('A'+i/len(base)%26))
		bal = bal.Add(l.Amount)
		l.BalanceAfter = bal
		out.Lines = append(out.Lines, l)
	}
	out.Closing = bal
	return out
}

// BenchmarkParseXLSX100k parses a 100,000-line statement; it reports
// rows/s and the peak heap in use.
func BenchmarkParseXLSX100k(b *testing.B) {
	st := bigStatement(100_000)
	data, err := sandbox.RenderXLSX(st)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	var peak uint64
	for i := 0; i < b.N; i++ {
		var got ferry.Statement
		var err error
		peak = max(peak, peakHeap(func() { got, err = statements.ParseXLSX("big.xlsx", bytes.NewReader(data)) }))
		if err != nil || len(got.Lines) != 100_000 {
			b.Fatalf("got %d lines, %v", len(got.Lines), err)
		}
	}
	b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkScanXLSX1M streams a 1,000,000-line statement from a file on
// disk and reports rows/s and the peak heap in use while scanning (target:
// at most 100 MB). The excelize sub-benchmark only walks the same sheet's
// rows with excelize's streaming reader (no parsing), as the reference.
func BenchmarkScanXLSX1M(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.xlsx")
	func() {
		data, err := sandbox.RenderXLSX(bigStatement(1_000_000))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}()
	run := func(b *testing.B, scan func() (int, error)) {
		runtime.GC()
		b.ResetTimer()
		var peak uint64
		for i := 0; i < b.N; i++ {
			runtime.GC()
			var n int
			var err error
			peak = max(peak, peakHeap(func() { n, err = scan() }))
			if err != nil || n < 1_000_000 {
				b.Fatalf("got %d lines, %v", n, err)
			}
		}
		b.ReportMetric(float64(1_000_000*b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	}
	b.Run("ferry", func(b *testing.B) {
		run(b, func() (int, error) {
			f, err := os.Open(path)
			if err != nil {
				return 0, err
			}
			defer f.Close()
			_, n, err := statements.ScanXLSX("big.xlsx", f, func(ferry.StatementLine) error { return nil })
			return n, err
		})
	})
	b.Run("excelize", func(b *testing.B) {
		run(b, func() (int, error) {
			f, err := excelize.OpenFile(path)
			if err != nil {
				return 0, err
			}
			defer f.Close()
			rows, err := f.Rows(f.GetSheetList()[0])
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				if _, err := rows.Columns(); err != nil {
					return n, err
				}
				n++
			}
			return n, rows.Error()
		})
	})
}

func TestScanXLSXMatchesParse(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 7})
	want, _ := bank.Statement("6222021000010001", from, to)
	data, _ := sandbox.RenderXLSX(want)
	var got []ferry.StatementLine
	st, n, err := statements.ScanXLSX("s.xlsx", bytes.NewReader(data), func(l ferry.StatementLine) error { got = append(got, l); return nil })
	if err != nil || n != len(want.Lines) {
		t.Fatalf("%d lines, %v", n, err)
	}
	st.Lines = got
	if !statementsEqual(st, want) {
		t.Fatalf("scan differs from the statement")
	}
	broken := want
	broken.Lines = append([]ferry.StatementLine(nil), want.Lines...)
	broken.Lines[3].BalanceAfter = broken.Lines[3].BalanceAfter.Add(decimalOne())
	data, _ = sandbox.RenderXLSX(broken)
	if _, _, err := statements.ScanXLSX("s.xlsx", bytes.NewReader(data), func(ferry.StatementLine) error { return nil }); ferry.ClassOf(err) != ferry.ClassValidationFailed {
		t.Fatalf("broken chain: got %v", err)
	}
}

// peakHeap runs fn and returns the most heap it had in use, sampled every
// 10 ms (ReadMemStats stops the world: sample, do not spin).
func peakHeap(fn func()) uint64 {
	stop := make(chan struct{})
	done := make(chan uint64)
	go func() {
		var m runtime.MemStats
		var peak uint64
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				done <- peak
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	return <-done
}
