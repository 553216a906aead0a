package pdftext_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/pdftext"
	"github.com/ferry-rpa/ferry/sandbox"
)

// statementPDFs writes the sandbox bank's PDF statements (every account,
// one quarter) into dir: the statement PDFs that Ferry's bots download,
// with subset TrueType fonts and Identity-H CMaps.
func statementPDFs(tb testing.TB, dir string) []string {
	tb.Helper()
	bank := sandbox.New(sandbox.Options{Seed: 7})
	var files []string
	for _, acc := range bank.Accounts() {
		st, err := bank.Statement(acc.ID, ferry.NewDate(2026, 7, 1), ferry.NewDate(2026, 9, 30))
		if err != nil {
			tb.Fatal(err)
		}
		data, err := sandbox.RenderPDF(st)
		if err != nil {
			testenv.Missing(tb, "sandbox statement PDF: %v", err)
		}
		f := filepath.Join(dir, acc.ID+".pdf")
		if err := os.WriteFile(f, data, 0o644); err != nil {
			tb.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// benchKinds returns the files of each kind of PDF that Ferry reads:
// vendor and Chinese VAT invoices, the sandbox bank's statements, and a
// 104-page specification.
func benchKinds(tb testing.TB) map[string][]string {
	tb.Helper()
	dir := testenv.CorpusDir()
	if dir == "" {
		testenv.Missing(tb, "the shared corpus is missing")
	}
	glob := func(patterns ...string) []string {
		var out []string
		for _, p := range patterns {
			m, _ := filepath.Glob(filepath.Join(dir, p))
			out = append(out, m...)
		}
		if len(out) == 0 {
			testenv.Missing(tb, "no corpus files for %v", patterns)
		}
		return out
	}
	return map[string][]string{
		"invoices":   glob("invoice2data/compare/*.pdf", "cn-einvoice/*.pdf"),
		"statements": statementPDFs(tb, tb.TempDir()),
		"bai2spec":   glob("bai2/moov-io/*.pdf"),
	}
}

// BenchmarkVsPdftotext lays out every page of each kind of file in-process
// (Open, Page, Layout: what a caller does) and with `pdftotext -layout` (a
// process per file, as a caller would run it), alternating in one run, and
// reports pages per second for both and their ratio ("speedup", above 1
// when Ferry is faster).
//
//	go test ./pdftext -run '^$' -bench VsPdftotext -benchtime 20x
func BenchmarkVsPdftotext(b *testing.B) {
	testenv.Tool(b, "pdftotext", "poppler-utils")
	kinds := benchKinds(b)
	for _, kind := range []string{"invoices", "statements", "bai2spec"} {
		files := kinds[kind]
		b.Run(kind, func(b *testing.B) {
			datas := make([][]byte, len(files))
			for i, f := range files {
				var err error
				if datas[i], err = os.ReadFile(f); err != nil {
					b.Fatal(err)
				}
			}
			var oursT, refT time.Duration
			pages := 0
			ours := func() {
				t0 := time.Now()
				for _, d := range datas {
					doc, err := pdftext.Open(d, "")
					if err != nil {
						b.Fatal(err)
					}
					for i := 1; i <= doc.NumPages(); i++ {
						p, err := doc.Page(i)
						if err != nil {
							b.Fatal(err)
						}
						_ = p.Layout()
						pages++
					}
				}
				oursT += time.Since(t0)
			}
			ref := func() {
				t0 := time.Now()
				for _, f := range files {
					if err := exec.Command("pdftotext", "-layout", f, os.DevNull).Run(); err != nil {
						b.Fatal(err)
					}
				}
				refT += time.Since(t0)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%2 == 0 {
					ours()
					ref()
				} else {
					ref()
					ours()
				}
			}
			b.ReportMetric(float64(pages)/oursT.Seconds(), "ferry-pages/s")
			b.ReportMetric(float64(pages)/refT.Seconds(), "pdftotext-pages/s")
			b.ReportMetric(refT.Seconds()/oursT.Seconds(), "speedup")
		})
	}
}

// BenchmarkLayout is Ferry's side of BenchmarkVsPdftotext alone, for
// profiling:
//
//	go test ./pdftext -run '^$' -bench Layout/bai2spec -cpuprofile cpu.out
func BenchmarkLayout(b *testing.B) {
	kinds := benchKinds(b)
	for _, kind := range []string{"invoices", "statements", "bai2spec"} {
		b.Run(kind, func(b *testing.B) {
			var datas [][]byte
			for _, f := range kinds[kind] {
				d, err := os.ReadFile(f)
				if err != nil {
					b.Fatal(err)
				}
				datas = append(datas, d)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, d := range datas {
					doc, err := pdftext.Open(d, "")
					if err != nil {
						b.Fatal(err)
					}
					for n := 1; n <= doc.NumPages(); n++ {
						p, err := doc.Page(n)
						if err != nil {
							b.Fatal(err)
						}
						_ = p.Layout()
					}
				}
			}
		})
	}
}
