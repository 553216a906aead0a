package statements_test

// Table readers' speed: rows/s for CSV and XLSX exports. The same file
// builders run against the reader before automatic recognition (main at
// dd1f99d) to compare: see the report in the commit that added them.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/statements"
)

// europeanCSV writes n lines the way a German savings bank exports them:
// semicolons, quoted cells, DD.MM.YYYY dates, decimal commas, a running
// balance.
func europeanCSV(n int) []byte {
	var b bytes.Buffer
	writeEuropeanCSV(&b, n)
	return b.Bytes()
}

func writeEuropeanCSV(b io.Writer, n int) {
	io.WriteString(b, "Buchungstag;Valuta;Auftraggeber/Empfänger;Verwendungszweck;Referenz;Betrag;Saldo\n")
	bal := int64(100000000) // cents
	for i := 0; i < n; i++ {
		amt := int64((i*7919)%250000 - 125000)
		bal += amt
		d := i%28 + 1
		fmt.Fprintf(b, "%02d.%02d.2026;%02d.%02d.2026;\"Firma %d GmbH\";\"Rechnung %d vom Oktober\";R-%d;%s;%s\n", d, i%12+1, d, i%12+1, i%97, i, i, euro(amt), euro(bal))
	}
}

func euro(cents int64) string {
	s := fmt.Sprintf("%d,%02d", abs64(cents)/100, abs64(cents)%100)
	intPart, frac, _ := strings.Cut(s, ",")
	var out []byte
	for i := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			out = append(out, '.')
		}
		out = append(out, intPart[i])
	}
	if cents < 0 {
		return "-" + string(out) + "," + frac
	}
	return string(out) + "," + frac
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

const europeanMappingYAML = `bank: bench
columns:
  booking_date: Buchungstag
  value_date: Valuta
  amount: Betrag
  balance: Saldo
  counterparty: Auftraggeber/Empfänger
  description: Verwendungszweck
  reference: Referenz
date_format: "02.01.2006"
decimal_separator: ","
account: DE89370400440532013000
currency: EUR
`

func benchRows(b *testing.B, rows int, parse func() (int, error)) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, err := parse()
		if err != nil || n != rows {
			b.Fatalf("got %d lines, %v", n, err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkTableCSV parses 100,000-line CSV exports: the sandbox's
// Chinese bank export (GB18030, header block) with no mapping, and a
// German export with a mapping (the reader before recognition needed
// one) and without.
func BenchmarkTableCSV(b *testing.B) {
	const n = 100_000
	cn, err := sandbox.RenderCSV(bigStatement(n))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sandbox-gb18030", func(b *testing.B) {
		b.SetBytes(int64(len(cn)))
		benchRows(b, n, func() (int, error) {
			st, err := statements.ParseCSV("big.csv", cn)
			return len(st.Lines), err
		})
	})
	de := europeanCSV(n)
	p := filepath.Join(b.TempDir(), "bank.yaml")
	if err := os.WriteFile(p, []byte(europeanMappingYAML), 0o644); err != nil {
		b.Fatal(err)
	}
	m, err := statements.LoadMapping(p)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("german-mapped", func(b *testing.B) {
		b.SetBytes(int64(len(de)))
		benchRows(b, n, func() (int, error) {
			st, err := statements.ParseMapped("big.csv", de, m)
			return len(st.Lines), err
		})
	})
	b.Run("german-auto", func(b *testing.B) {
		b.SetBytes(int64(len(de)))
		benchRows(b, n, func() (int, error) {
			st, err := statements.ParseCSV("big.csv", de)
			return len(st.Lines), err
		})
	})
}

// BenchmarkTableXLSX parses the sandbox's 100,000-line XLSX export and
// streams it line by line.
func BenchmarkTableXLSX(b *testing.B) {
	const n = 100_000
	data, err := sandbox.RenderXLSX(bigStatement(n))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		benchRows(b, n, func() (int, error) {
			st, err := statements.ParseXLSX("big.xlsx", bytes.NewReader(data))
			return len(st.Lines), err
		})
	})
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		benchRows(b, n, func() (int, error) {
			_, k, err := statements.ScanXLSX("big.xlsx", bytes.NewReader(data), func(ferry.StatementLine) error { return nil })
			return k, err
		})
	})
}

// BenchmarkScanCSV1M streams a 1,000,000-line German CSV export from a
// file on disk with automatic recognition and reports rows/s and the peak
// heap in use (target: at most 100 MB).
func BenchmarkScanCSV1M(b *testing.B) {
	const n = 1_000_000
	path := filepath.Join(b.TempDir(), "big.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	writeEuropeanCSV(w, n)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	var peak uint64
	benchRows(b, n, func() (int, error) {
		f, err := os.Open(path)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		st, _ := f.Stat()
		var k int
		peak = max(peak, peakHeap(func() {
			_, k, err = statements.Scan(context.Background(), "big.csv", f, st.Size(), statements.Options{}, func(ferry.StatementLine) error { return nil })
		}))
		return k, err
	})
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
