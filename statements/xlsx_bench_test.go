package statements

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// writeBigStatement writes a statement workbook of n lines the way Excel
// lays one out (shared strings, dates in numFmt 14, amounts in #,##0.00):
// booking and value date, amount, balance, counterparty (one of 1,000) and
// a reference unique to each line, so the shared strings grow with the
// sheet. It streams, so a million lines cost no memory to write.
func writeBigStatement(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	p := bookParts{
		styles: func(w io.Writer) {
			io.WriteString(w, `<styleSheet `+ns+`><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="4" applyNumberFormat="1"/></cellXfs></styleSheet>`)
		},
		shared: func(w io.Writer) {
			bw := bufio.NewWriter(w)
			fmt.Fprintf(bw, `<sst %s count="%d" uniqueCount="%d">`, ns, 2*n, 1000+n)
			for i := 0; i < 1000; i++ {
				fmt.Fprintf(bw, "<si><t>Gegenpartei Nr. %d GmbH &amp; Co. KG</t></si>", i)
			}
			for i := 0; i < n; i++ {
				fmt.Fprintf(bw, "<si><t>REF-%09d</t></si>", i)
			}
			io.WriteString(bw, "</sst>")
			bw.Flush()
		},
		sheet: func(w io.Writer) {
			bw := bufio.NewWriter(w)
			io.WriteString(bw, `<worksheet `+ns+`><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Buchungstag</t></is></c><c r="B1" t="inlineStr"><is><t>Valuta</t></is></c><c r="C1" t="inlineStr"><is><t>Betrag</t></is></c><c r="D1" t="inlineStr"><is><t>Saldo</t></is></c><c r="E1" t="inlineStr"><is><t>Empfänger</t></is></c><c r="F1" t="inlineStr"><is><t>Referenz</t></is></c></row>`)
			bal := 100000.0
			for i := 0; i < n; i++ {
				r := i + 2
				amt := float64((i*7919)%200000-100000) / 100
				bal += amt
				fmt.Fprintf(bw, `<row r="%d"><c r="A%d" s="1"><v>%d</v></c><c r="B%d" s="1"><v>%d</v></c><c r="C%d" s="2"><v>%s</v></c><c r="D%d" s="2"><v>%s</v></c><c r="E%d" t="s"><v>%d</v></c><c r="F%d" t="s"><v>%d</v></c></row>`,
					r, r, 45658+i/3000, r, 45658+i/3000, r, strconv.FormatFloat(amt, 'f', -1, 64), r, strconv.FormatFloat(bal, 'f', 2, 64), r, i%1000, r, 1000+i)
			}
			io.WriteString(bw, `</sheetData></worksheet>`)
			bw.Flush()
		},
	}
	if _, err := bw.Write(p.build(tb)); err != nil {
		tb.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
}

// readRows reads every row of a workbook file with Ferry's reader and
// returns the number of rows, calling sample every 65,536 rows.
func readRows(path string, sample func()) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	book, err := openXLSX(f)
	if err != nil {
		return 0, err
	}
	defer book.Close()
	rows, err := book.rows()
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for {
		_, cells, kinds, err := rows.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if n > 0 && (len(cells) != 6 || kinds[0] != cellDate || kinds[2] != cellNumber || kinds[5] != cellText) {
			return n, fmt.Errorf("row %d: %q %v", n+1, cells, kinds)
		}
		n++
		if n%65536 == 0 && sample != nil {
			sample()
		}
	}
}

// BenchmarkXLSXRows100k reads a 100,000-line statement sheet cell by cell.
func BenchmarkXLSXRows100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "100k.xlsx")
	writeBigStatement(b, path, 100000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, err := readRows(path, nil)
		if err != nil || n != 100001 {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(100001*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkXLSXRows1M reads a 1,000,000-line statement sheet and reports
// how much the heap grows past the shared strings while the rows stream
// (MiB-rows), and the peak resident memory of a process that does only
// this, with Ferry's reader and with excelize's streaming Rows for
// reference (peak-RSS-MiB, excelize-peak-RSS-MiB, and the CPU seconds of
// each process, ferry-CPU-s and excelize-CPU-s).
//
//	go test ./statements -run '^$' -bench XLSXRows1M -benchtime 1x
func BenchmarkXLSXRows1M(b *testing.B) {
	path := filepath.Join(b.TempDir(), "1m.xlsx")
	writeBigStatement(b, path, 1000000)
	st, _ := os.Stat(path)
	b.Logf("%s: %d MB", path, st.Size()>>20)
	b.ReportAllocs()
	b.ResetTimer()
	var peak, base uint64
	for i := 0; i < b.N; i++ {
		var ms runtime.MemStats
		first := true
		n, err := readRows(path, func() {
			runtime.ReadMemStats(&ms)
			if first {
				base, first = ms.HeapInuse, false
			}
			peak = max(peak, ms.HeapInuse)
		})
		if err != nil || n != 1000001 {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(1000001*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak-min(base, peak))/(1<<20), "MiB-rows")
	b.StopTimer()
	for _, mode := range []string{"ferry", "excelize"} {
		rss, secs, err := childRSS(path, mode)
		if err != nil {
			b.Fatal(err)
		}
		name := "peak-RSS-MiB"
		if mode == "excelize" {
			name = "excelize-peak-RSS-MiB"
		}
		b.ReportMetric(secs, mode+"-CPU-s")
		b.ReportMetric(rss, name)
	}
}

// childRSS runs this test binary to read path alone and returns its peak
// resident memory (VmHWM) in MiB and the CPU seconds it used (the
// machines these run on are shared, so wall time says little).
func childRSS(path, mode string) (float64, float64, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestXLSXRSSChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FERRY_XLSX_RSS_FILE="+path, "FERRY_XLSX_RSS_MODE="+mode)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("%s child: %v\n%s", mode, err, out)
	}
	var kb, ms, cpu float64
	for _, line := range strings.Split(string(out), "\n") {
		if _, err := fmt.Sscanf(strings.TrimSpace(line), "VmHWM %f kB in %f ms, CPU %f ms", &kb, &ms, &cpu); err == nil {
			return kb / 1024, cpu / 1000, nil
		}
	}
	return 0, 0, fmt.Errorf("%s child said: %s", mode, out)
}

// TestXLSXRSSChild is the process BenchmarkXLSXRows1M measures; it does
// nothing unless that benchmark starts it.
func TestXLSXRSSChild(t *testing.T) {
	path := os.Getenv("FERRY_XLSX_RSS_FILE")
	if path == "" {
		t.Skip("a helper process for BenchmarkXLSXRows1M")
	}
	start := time.Now()
	n := 0
	var err error
	if os.Getenv("FERRY_XLSX_RSS_MODE") == "excelize" {
		n, err = excelizeRows(path)
	} else {
		n, err = readRows(path, nil)
	}
	if err != nil || n != 1000001 {
		t.Fatal(n, err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	for _, line := range bytes.Split(status, []byte("\n")) {
		if f := strings.Fields(string(line)); len(f) == 3 && f[0] == "VmHWM:" {
			fmt.Printf("VmHWM %s kB in %d ms, CPU %d ms\n", f[1], time.Since(start).Milliseconds(), cpu.Milliseconds())
		}
	}
}

func excelizeRows(path string) (int, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetName(0))
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
}

// The fast path for plain numbers gives what the decimal path gives, on
// the numbers writers store: shortest float64 text (Excel, LibreOffice),
// fixed decimals, integers, and forms it must leave to the slow path.
func TestPlainNumberIsExcelNumber(t *testing.T) {
	t.Parallel()
	vals := []string{"0", "-0", "0.0", "1", "-1", "10", "100", "1.5", "1.50", "01", "-0.5", "0.001", ".5", "5.", "+5", "1e5", "1E-3",
		"123456789012345", "1234567890123456", "0.123456789012345", "0.1234567890123456", "4294242.3530000001", "-84.2", "1 2", "", "-", "1.2.3"}
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 20000; i++ {
		f := (r.Float64() - 0.5) * math.Pow(10, float64(r.Intn(24)-8))
		vals = append(vals, strconv.FormatFloat(f, 'f', -1, 64), strconv.FormatFloat(f, 'g', -1, 64), strconv.FormatFloat(f, 'f', 2, 64), strconv.Itoa(r.Intn(1<<30)-1<<29))
	}
	plain := 0
	for _, v := range vals {
		sign, ok := plainNumber(v)
		if !ok {
			continue
		}
		plain++
		d, err := decimal.NewFromString(v)
		if err != nil {
			t.Fatalf("%q: plain, but not a number: %v", v, err)
		}
		if got := excelNumber(d); got != v || d.Sign() != sign {
			t.Fatalf("%q: plain with sign %d, but Excel holds %q with sign %d", v, sign, got, d.Sign())
		}
	}
	if plain < len(vals)/4 {
		t.Fatalf("only %d of %d numbers took the fast path", plain, len(vals))
	}
}
