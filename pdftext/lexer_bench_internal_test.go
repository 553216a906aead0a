package pdftext

import (
	"os"
	"testing"

	"github.com/ferry-rpa/ferry/internal/testenv"
)

// BenchmarkInterpret lexes the content streams of the 104-page BAI2
// specification, operators handed to a callback that does nothing.
func BenchmarkInterpret(b *testing.B) {
	data, err := os.ReadFile(testenv.Corpus(b, "bai2/moov-io/Cash_Management_Balance_Reporting_Specifications_Version_2.pdf"))
	if err != nil {
		b.Fatal(err)
	}
	doc, err := Open(data, "")
	if err != nil {
		b.Fatal(err)
	}
	var contents [][]byte
	total := 0
	for _, p := range doc.pages {
		c, err := doc.pageContent(p.dict["Contents"])
		if err != nil {
			b.Fatal(err)
		}
		contents = append(contents, c)
		total += len(c)
	}
	b.SetBytes(int64(total))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range contents {
			_ = interpret(c, func(string, []operand) error { return nil })
		}
	}
}
