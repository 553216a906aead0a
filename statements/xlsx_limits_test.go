package statements

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// bookParts writes a minimal workbook around a streamed sheet (and, when
// given, streamed shared strings and styles), deflated as Excel does. The
// writers stream, so a test builds a bomb of any size without holding it.
type bookParts struct {
	sheet, shared, styles func(w io.Writer)
	level                 int
}

const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`

func (p bookParts) build(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	level := p.level
	if level == 0 {
		level = flate.BestSpeed
	}
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, level) })
	part := func(name string, body func(w io.Writer)) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		body(w)
	}
	str := func(s string) func(io.Writer) { return func(w io.Writer) { io.WriteString(w, s) } }
	rels := `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`
	if p.shared != nil {
		rels += `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`
	}
	if p.styles != nil {
		rels += `<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`
	}
	part("_rels/.rels", str(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`))
	part("xl/workbook.xml", str(`<workbook `+ns+` xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Umsätze" sheetId="1" r:id="rId1"/></sheets></workbook>`))
	part("xl/_rels/workbook.xml.rels", str(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+rels+`</Relationships>`))
	part("xl/worksheets/sheet1.xml", p.sheet)
	if p.shared != nil {
		part("xl/sharedStrings.xml", p.shared)
	}
	if p.styles != nil {
		part("xl/styles.xml", p.styles)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sheetOf wraps row XML in a worksheet.
func sheetOf(rows ...string) func(w io.Writer) {
	return func(w io.Writer) {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n<worksheet "+ns+"><sheetData>")
		for _, r := range rows {
			io.WriteString(w, r)
		}
		io.WriteString(w, "</sheetData></worksheet>")
	}
}

// readAll reads every row of a workbook's active sheet with the given
// limits and returns the first error.
func readAll(data []byte, lim xlsxLimits) ([][]string, error) {
	book, err := openXLSXLimits(bytes.NewReader(data), lim)
	if err != nil {
		return nil, err
	}
	defer book.Close()
	rows, err := book.rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for {
		_, cells, _, err := rows.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, append([]string(nil), cells...))
	}
}

// repeatText writes n bytes of printable text that deflate squeezes well,
// but under 200:1, like the 19.9 MB file with a 1.5 GB cell (75:1):
// a 4 KiB random block over and over, with a changed byte now and then.
func repeatText(w io.Writer, n int) {
	r := rand.New(rand.NewSource(1))
	block := make([]byte, 4096)
	for i := range block {
		block[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "[r.Intn(63)]
	}
	for n > 0 {
		if r.Intn(4) == 0 {
			block[r.Intn(len(block))] = byte('a' + r.Intn(26))
		}
		k := min(n, len(block))
		w.Write(block[:k])
		n -= k
	}
}

// The bomb, scaled down to build quickly: one inline cell of 64 MiB
// that compresses well, but less than the 200:1 ratio guard allows. It is refused
// after the first MiB of its text, naming the sheet, row, cell and limit,
// and reading it allocates a few MiB, not the cell.
func TestXLSXInlineCellBomb(t *testing.T) {
	// not parallel: it measures the bytes this goroutine allocates
	data := bookParts{sheet: func(w io.Writer) {
		io.WriteString(w, `<worksheet `+ns+`><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Buchungstag</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>`)
		repeatText(w, 64<<20)
		io.WriteString(w, `</t></is></c></row></sheetData></worksheet>`)
	}, level: flate.DefaultCompression}.build(t)
	ratio := float64(64<<20) / float64(len(data))
	if ratio < 40 || ratio > 200 {
		t.Fatalf("the bomb compresses %.0f:1; the test wants a high ratio that passes the 200:1 ratio guard", ratio)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := readAll(data, defaultXLSXLimits())
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrXLSXLimit) {
		t.Fatalf("got %v, want ErrXLSXLimit", err)
	}
	for _, want := range []string{`sheet "Umsätze" row 2`, "cell A2", "32767 characters"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > 16<<20 {
		t.Errorf("reading the bomb allocated %d MiB", alloc>>20)
	}
	t.Logf("%d-byte file, 64 MiB cell (%.0f:1): refused after allocating %.1f MiB: %v", len(data), ratio, float64(alloc)/(1<<20), err)
}

// Excel's own limits, each at the limit (read) and one past it (refused
// with an error that names where and which limit).
func TestXLSXExcelLimits(t *testing.T) {
	t.Parallel()
	euros := strings.Repeat("€", maxCellChars)
	runs := func(n int) string { // rich text of n runs of 10 characters
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString("<r><t>0123456789</t></r>")
		}
		return b.String()
	}
	sharedOne := func(s string) func(io.Writer) {
		return func(w io.Writer) { io.WriteString(w, `<sst `+ns+`><si><t>Saldo</t></si><si>`+s+`</si></sst>`) }
	}
	cases := []struct {
		name    string
		parts   bookParts
		lim     func(*xlsxLimits)
		errHas  []string // empty: reads without error
		errIs   error
		lastRow int
	}{
		{name: "32767 characters inline", parts: bookParts{sheet: sheetOf(`<row r="3"><c r="B3" t="inlineStr"><is><t>` + euros + `</t></is></c></row>`)}},
		{name: "32768 characters inline", parts: bookParts{sheet: sheetOf(`<row r="3"><c r="B3" t="inlineStr"><is><t>` + euros + `x</t></is></c></row>`)},
			errHas: []string{`sheet "Umsätze" row 3`, "cell B3", "32768 characters", "32767"}, errIs: ErrXLSXLimit},
		{name: "rich text of many runs", parts: bookParts{sheet: sheetOf(`<row r="5"><c r="C5" t="inlineStr"><is>` + runs(100000) + `</is></c></row>`)},
			errHas: []string{`row 5`, "cell C5", "32767 characters"}, errIs: ErrXLSXLimit},
		{name: "formula string of 40000 characters", parts: bookParts{sheet: sheetOf(`<row r="2"><c r="A2" t="str"><f>REPT("x",40000)</f><v>` + strings.Repeat("x", 40000) + `</v></c></row>`)},
			errHas: []string{"row 2", "cell A2", "40000 characters"}, errIs: ErrXLSXLimit},
		{name: "shared string of 32767 characters", parts: bookParts{shared: sharedOne("<t>" + euros + "</t>"), sheet: sheetOf(`<row r="1"><c r="A1" t="s"><v>1</v></c></row>`)}},
		{name: "shared string of 32768 characters", parts: bookParts{shared: sharedOne("<t>" + euros + "x</t>"), sheet: sheetOf(`<row r="1"><c r="A1" t="s"><v>1</v></c></row>`)},
			errHas: []string{"xl/sharedStrings.xml", "string 1", "32767"}, errIs: ErrXLSXLimit},
		{name: "row 1048576", parts: bookParts{sheet: sheetOf(`<row r="1048576"><c r="A1048576"><v>1</v></c></row>`)}, lastRow: 1048576},
		{name: "row 1048577", parts: bookParts{sheet: sheetOf(`<row r="1"><c><v>1</v></c></row><row r="1048577"><c><v>1</v></c></row>`)},
			errHas: []string{`sheet "Umsätze"`, "row 1048577", "1048576"}, errIs: ErrXLSXLimit},
		{name: "rows without numbers past the limit", parts: bookParts{sheet: sheetOf(strings.Repeat("<row><c><v>1</v></c></row>", 11))}, lim: func(l *xlsxLimits) { l.rows = 10 },
			errHas: []string{"row 11", "past row 10"}, errIs: ErrXLSXLimit},
		{name: "column XFD", parts: bookParts{sheet: sheetOf(`<row r="1"><c r="XFD1"><v>7</v></c></row>`)}},
		{name: "column XFE", parts: bookParts{sheet: sheetOf(`<row r="4"><c r="XFE4"><v>7</v></c></row>`)},
			errHas: []string{"row 4", "XFE4", "16384"}, errIs: ErrXLSXLimit},
		{name: "cells without references past the last column", parts: bookParts{sheet: sheetOf("<row>" + strings.Repeat("<c><v>1</v></c>", 6) + "</row>")}, lim: func(l *xlsxLimits) { l.columns = 5 },
			errHas: []string{"row 1", "more than 5 columns"}, errIs: ErrXLSXLimit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			lim := defaultXLSXLimits()
			if c.lim != nil {
				c.lim(&lim)
			}
			rows, err := readAll(c.parts.build(t), lim)
			if len(c.errHas) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if c.lastRow > 0 && len(rows) != 1 {
					t.Fatalf("got %d rows", len(rows))
				}
				return
			}
			if !errors.Is(err, c.errIs) {
				t.Fatalf("got %v, want %v", err, c.errIs)
			}
			for _, want := range c.errHas {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// Limits Ferry sets beyond Excel's: inflated part sizes, the bytes of
// shared strings kept, XML tokens, counts of styles; and values no double
// holds. Each is reached cheaply with a smaller limit, and the defaults are
// the ones documented.
func TestXLSXReaderLimits(t *testing.T) {
	t.Parallel()
	def := defaultXLSXLimits()
	if def.cellChars != 32767 || def.rows != 1048576 || def.columns != 16384 || def.sharedTotal != 256<<20 || def.token != 1<<20 || def.sheetPart != 4<<30 || def.ratio != 200 {
		t.Fatalf("default limits changed: %+v", def)
	}
	manyStrings := func(w io.Writer) {
		io.WriteString(w, `<sst `+ns+`>`)
		for i := 0; i < 100000; i++ {
			fmt.Fprintf(w, "<si><t>Verwendungszweck %d</t></si>", i)
		}
		io.WriteString(w, `</sst>`)
	}
	bigSheet := func(w io.Writer) {
		io.WriteString(w, `<worksheet `+ns+`><sheetData>`)
		for i := 1; i <= 50000; i++ {
			fmt.Fprintf(w, `<row r="%d"><c r="A%d"><v>%d.25</v></c></row>`, i, i, i)
		}
		io.WriteString(w, `</sheetData></worksheet>`)
	}
	cases := []struct {
		name   string
		parts  bookParts
		lim    func(*xlsxLimits)
		errHas []string
		errIs  error
	}{
		{"shared strings past the total", bookParts{shared: manyStrings, sheet: sheetOf()}, func(l *xlsxLimits) { l.sharedTotal = 1 << 20 },
			[]string{"xl/sharedStrings.xml", "shared strings past 1 MiB"}, ErrXLSXLimit},
		{"sheet part past its cap", bookParts{sheet: bigSheet}, func(l *xlsxLimits) { l.sheetPart = 1 << 20 },
			[]string{"xl/worksheets/sheet1.xml", "inflates past 1048576 bytes"}, ErrXLSXBomb},
		{"shared strings part past its cap", bookParts{shared: manyStrings, sheet: sheetOf()}, func(l *xlsxLimits) { l.sharedPart = 1 << 20 },
			[]string{"xl/sharedStrings.xml", "inflates past"}, ErrXLSXBomb},
		{"a tag of 2 MiB", bookParts{sheet: sheetOf(`<row r="1"><c r="A1" x="` + strings.Repeat("x", 2<<20) + `"><v>1</v></c></row>`)}, nil,
			[]string{"row 1", "an attribute longer than 1048576 bytes"}, ErrXLSXLimit},
		{"a tag of many attributes", bookParts{sheet: sheetOf(`<row r="1" ` + strings.Repeat(`a="1" `, 400000) + `/>`)}, nil,
			[]string{"a tag longer than"}, ErrXLSXLimit},
		{"a comment of 2 MiB", bookParts{sheet: sheetOf(`<!--` + strings.Repeat("-> <x>", 400000) + `-->`)}, nil,
			[]string{"a comment, CDATA section or processing instruction longer than"}, ErrXLSXLimit},
		{"CDATA of 2 MiB", bookParts{sheet: sheetOf(`<row r="1"><c r="A1" t="str"><v><![CDATA[` + strings.Repeat("<a>]]", 400000) + `]]></v></c></row>`)}, nil,
			[]string{"CDATA section"}, ErrXLSXLimit},
		{"a document type declaration", bookParts{sheet: func(w io.Writer) {
			io.WriteString(w, `<!DOCTYPE worksheet [<!ENTITY a "aaaa">]><worksheet `+ns+`><sheetData/></worksheet>`)
		}}, nil, []string{"document type declaration"}, ErrXLSXLimit},
		{"too many cell formats", bookParts{sheet: sheetOf(), styles: func(w io.Writer) {
			io.WriteString(w, `<styleSheet `+ns+`><cellXfs>`+strings.Repeat(`<xf numFmtId="14"/>`, 11)+`</cellXfs></styleSheet>`)
		}}, func(l *xlsxLimits) { l.styles = 10 }, []string{"xl/styles.xml", "more than 10 cell formats"}, ErrXLSXLimit},
		{"too many number formats", bookParts{sheet: sheetOf(), styles: func(w io.Writer) {
			io.WriteString(w, `<styleSheet `+ns+`><numFmts>`)
			for i := 0; i < 11; i++ {
				fmt.Fprintf(w, `<numFmt numFmtId="%d" formatCode="0.0"/>`, 164+i)
			}
			io.WriteString(w, `</numFmts></styleSheet>`)
		}}, func(l *xlsxLimits) { l.numFmts = 10 }, []string{"more than 10 number formats"}, ErrXLSXLimit},
		{"column ranges past the column count", bookParts{sheet: func(w io.Writer) {
			io.WriteString(w, `<worksheet `+ns+`><cols>`+strings.Repeat(`<col min="1" max="16384" hidden="1"/>`, 11)+`</cols><sheetData><row><c><v>1</v></c></row></sheetData></worksheet>`)
		}}, func(l *xlsxLimits) { l.columns = 10 }, []string{"more than 10 column ranges"}, ErrXLSXLimit},
		{"a number no double holds", bookParts{sheet: sheetOf(`<row r="9"><c r="C9"><v>1E+400</v></c></row>`)}, nil,
			[]string{"row 9", "cell C9", "beyond the range"}, nil},
		{"an exponent of a billion", bookParts{sheet: sheetOf(`<row r="9"><c r="C9"><v>1E+999999999</v></c></row>`)}, nil,
			[]string{"row 9", "cell C9", "1E+999999999"}, nil},
		{"a comment that opens with a dash", bookParts{sheet: sheetOf(`<!--->` + strings.Repeat("x", 2<<20) + `-->`)}, nil,
			[]string{"a comment, CDATA section or processing instruction longer than"}, ErrXLSXLimit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			lim := defaultXLSXLimits()
			if c.lim != nil {
				c.lim(&lim)
			}
			_, err := readAll(c.parts.build(t), lim)
			if err == nil || c.errIs != nil && !errors.Is(err, c.errIs) {
				t.Fatalf("got %v, want %v", err, c.errIs)
			}
			for _, want := range c.errHas {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// The guard sees tokens the way encoding/xml splits them, whatever the
// reads: '>' inside quoted attributes, comments, CDATA and processing
// instructions does not end them, and a document passes through unchanged.
func TestXMLGuardTokens(t *testing.T) {
	t.Parallel()
	doc := `<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?><!-- a > comment --><worksheet a='x>y' b="p>q">` +
		`<sheetData><row r="1"><c r="A1" t="str"><v><![CDATA[a>b]>c]]></v></c></row></sheetData></worksheet>`
	for _, max := range []int{64, 1 << 20} {
		var out bytes.Buffer
		_, err := io.Copy(&out, iotest.OneByteReader(&xmlGuard{r: strings.NewReader(doc), max: max, part: "p"}))
		if err != nil || out.String() != doc {
			t.Fatalf("max %d: %v, %q", max, err, out.String())
		}
	}
	// each kind of token one byte over the limit, in one-byte reads
	for _, c := range []struct{ doc, what string }{
		{"<a>" + strings.Repeat("x", 17) + "</a>", "a run of text"},
		{`<a b="` + strings.Repeat("x", 17) + `"/>`, "an attribute"},
		{`<a ` + strings.Repeat("b ", 9) + `/>`, "a tag"},
		{"<!--" + strings.Repeat("x", 14) + "-->", "a comment"},
		{"<a><![CDATA[" + strings.Repeat("x", 8) + "]]></a>", "CDATA"},
		{"<?pi " + strings.Repeat("x", 14) + "?>", "processing instruction"},
	} {
		_, err := io.Copy(io.Discard, iotest.OneByteReader(&xmlGuard{r: strings.NewReader(c.doc), max: 16, part: "p"}))
		if !errors.Is(err, ErrXLSXLimit) || !strings.Contains(err.Error(), c.what) {
			t.Errorf("%q: got %v, want %s over the limit", c.doc, err, c.what)
		}
	}
}

// A part that inflates past its limit is stopped there even when its
// directory entry understates its size (archive/zip refuses that too, at
// the end; the bound holds on its own).
func TestBoundedReader(t *testing.T) {
	t.Parallel()
	r := &boundedReader{rc: io.NopCloser(strings.NewReader(strings.Repeat("x", 1000))), left: 100, limit: 100, name: "xl/worksheets/sheet1.xml", why: "its limit", declared: 10}
	n, err := io.Copy(io.Discard, r)
	if n != 100 || !errors.Is(err, ErrXLSXBomb) || !strings.Contains(err.Error(), "inflates past 100 bytes") {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	r = &boundedReader{rc: io.NopCloser(strings.NewReader("x")), left: 100, limit: 100, name: "p", why: "its limit", declared: 101}
	if n, err := io.Copy(io.Discard, r); n != 0 || !errors.Is(err, ErrXLSXBomb) || !strings.Contains(err.Error(), "declares 101") {
		t.Fatalf("read %d bytes: %v", n, err)
	}
}

// A reader whose context is done stops within 1,024 rows, naming the row.
func TestXLSXRowsContext(t *testing.T) {
	t.Parallel()
	data := bookParts{sheet: sheetOf(strings.Repeat("<row><c><v>1.5</v></c></row>", 3000))}.build(t)
	book, err := openXLSX(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rows, err := book.rowsContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for ; n < 3000; n++ {
		if n == 10 {
			cancel()
		}
		if _, _, _, err = rows.Next(); err != nil {
			break
		}
	}
	if !errors.Is(err, context.Canceled) || n != 1023 || !strings.Contains(err.Error(), "row 1024") {
		t.Fatalf("after %d rows: %v", n, err)
	}
}
