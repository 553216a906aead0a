package statements_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-rpa/ferry/statements"
)

func corpusFiles(tb testing.TB, patterns ...string) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	for _, p := range patterns {
		m, _ := filepath.Glob(filepath.Join(corpus, p))
		for _, f := range m {
			if b, err := os.ReadFile(f); err == nil {
				out[f] = b
			}
		}
	}
	if len(out) == 0 {
		tb.Skip("corpus not found")
	}
	return out
}

func benchFormat(b *testing.B, parse func(string, []byte) error, patterns ...string) {
	files := corpusFiles(b, patterns...)
	total := 0
	for _, d := range files {
		total += len(d)
	}
	b.SetBytes(int64(total))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for name, d := range files {
			_ = parse(name, d) // broken samples fail by design; their cost counts too
		}
	}
}

// BenchmarkMT940 reports MB/s over every MT940 file in the corpus.
func BenchmarkMT940(b *testing.B) {
	benchFormat(b, func(n string, d []byte) error { _, err := statements.ParseMT940(n, d); return err },
		"mt940/wolph/*/*.sta", "mt940/wolph/*/*.txt")
}

// BenchmarkCAMT reports MB/s over every camt file in the corpus.
func BenchmarkCAMT(b *testing.B) {
	benchFormat(b, func(n string, d []byte) error { _, err := statements.ParseCAMT(n, d); return err }, "camt/genkgo/*.xml")
}

func fuzzSeeds(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		m, _ := filepath.Glob(filepath.Join(corpus, p))
		for _, file := range m {
			if b, err := os.ReadFile(file); err == nil && len(b) < 1<<20 {
				f.Add(b)
			}
		}
	}
}

// The fuzz targets: whatever the bytes, a parser returns a statement or an
// error; it never panics.
func FuzzMT940(f *testing.F) {
	fuzzSeeds(f, "mt940/wolph/*/*.sta")
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = statements.ParseMT940("fuzz.sta", b) })
}

func FuzzCAMT(f *testing.F) {
	fuzzSeeds(f, "camt/genkgo/*.xml")
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = statements.ParseCAMT("fuzz.xml", b) })
}

func FuzzOFX(f *testing.F) {
	fuzzSeeds(f, "ofx/ofxparse/*.ofx", "ofx/ofxparse/fail_nice/*.ofx")
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = statements.ParseOFX("fuzz.ofx", b) })
}

func FuzzBAI2(f *testing.F) {
	fuzzSeeds(f, "bai2/moov-io/*.txt")
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = statements.ParseBAI2("fuzz.txt", b) })
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("账号 Account No.,1\n交易日期 Booking Date,借方 Debit,贷方 Credit,余额 Balance,摘要 Description\n2026-01-01,1.00,,9.00,x\n期末余额 Closing Balance,9.00\n"))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = statements.ParseCSV("fuzz.csv", b) })
}

func FuzzPDF(f *testing.F) {
	fuzzSeeds(f, "invoice2data/compare/*.pdf", "cn-einvoice/*.pdf")
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = statements.ParsePDF(context.Background(), "fuzz.pdf", b) })
}
