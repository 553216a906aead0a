package pdftext

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/sandbox"
)

// An identity ToUnicode map, the most common CMap in subset TrueType
// fonts, is one range: it was 65,536 map entries built with big.Int
// arithmetic, for every font on every page.
func TestIdentityCMapStaysARange(t *testing.T) {
	// not parallel: AllocsPerRun
	src := []byte("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n" +
		"1 begincodespacerange <0000> <FFFF> endcodespacerange\n" +
		"1 beginbfrange <0000> <FFFF> <0000> endbfrange\nendcmap")
	m := parseCMapBytes(src)
	if len(m.ranges) != 1 || len(m.chars) != 0 {
		t.Fatalf("got %d ranges and %d single codes, want one range", len(m.ranges), len(m.chars))
	}
	for code, want := range map[string]string{"\x00\x41": "A", "\x5e\x74": "年", "\xff\xfd": "\ufffd", "\x00\x00": "\x00"} {
		if got, ok := m.lookup([]byte(code)); !ok || got != want {
			t.Errorf("code % x: got %q, %v; want %q", code, got, ok, want)
		}
	}
	if _, ok := m.lookup([]byte{0x41}); ok {
		t.Error("a one-byte code matched a two-byte range")
	}
	allocs := testing.AllocsPerRun(20, func() { parseCMapBytes(src) })
	if allocs > 100 {
		t.Errorf("parsing an identity CMap takes %.0f allocations, want a handful", allocs)
	}
	// A code seen before costs no allocation.
	m.lookup([]byte{0x4e, 0x2d})
	if a := testing.AllocsPerRun(100, func() { m.lookup([]byte{0x4e, 0x2d}) }); a != 0 {
		t.Errorf("a repeated lookup allocates %.0f times", a)
	}
}

// Ranges of every form, looked up at their edges: string destinations
// that carry across bytes, array destinations, ranges side by side,
// codes of one to four bytes, single codes, and a range whose array is
// shorter than the range.
func TestCMapRangesAtTheirEdges(t *testing.T) {
	t.Parallel()
	src := `1 begincodespacerange <00000000> <FFFFFFFF> endcodespacerange
4 beginbfrange
<0010> <001F> <0041>
<0020> <0022> [<0061> <0062>]
<2d41> <2de0> <5de5>
<00000100> <00000102> <D83DDE00>
endbfrange
2 beginbfchar <0030> <4E2D> <05> <0058> endbfchar
1 begincidrange <8140> <817E> 633 endcidrange
1 begincidchar <20> 1 endcidchar`
	m := parseCMapBytes([]byte(src))
	cases := []struct {
		code string
		want string
		ok   bool
	}{
		{"\x00\x10", "A", true}, {"\x00\x1f", "P", true}, {"\x00\x0f", "", false},
		{"\x00\x20", "a", true}, {"\x00\x21", "b", true}, {"\x00\x22", "", false}, // array too short
		{"\x2d\x41", "工", true}, {"\x2d\xe0", "\u5e84", true}, {"\x2d\xe1", "", false},
		{"\x00\x00\x01\x00", "😀", true}, {"\x00\x00\x01\x02", "😂", true},
		{"\x00\x30", "中", true}, {"\x05", "X", true}, {"\x00\x05", "", false},
	}
	for _, c := range cases {
		got, ok := m.lookup([]byte(c.code))
		if ok != c.ok || got != c.want {
			t.Errorf("code % x: got %q, %v; want %q, %v", c.code, got, ok, c.want, c.ok)
		}
	}
	for code, want := range map[string]int{"\x81\x40": 633, "\x81\x7e": 633 + 0x3e, "\x20": 1} {
		if got, ok := m.cid([]byte(code)); !ok || got != want {
			t.Errorf("CID of % x: got %d, %v; want %d", code, got, ok, want)
		}
	}
	if _, ok := m.cid([]byte{0x81, 0x7f}); ok {
		t.Error("a code past the CID range has a CID")
	}
}

// Fonts are loaded once per document, not once per page: every page of a
// statement shares the same two fonts.
func TestFontsAreLoadedOncePerDocument(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 7})
	st, err := bank.Statement("6222021000010001", ferry.NewDate(2026, 7, 1), ferry.NewDate(2026, 9, 30))
	if err != nil {
		t.Fatal(err)
	}
	data, err := sandbox.RenderPDF(st)
	if err != nil {
		testenv.Missing(t, "sandbox PDF: %v", err)
	}
	doc, err := Open(data, "")
	if err != nil {
		t.Fatal(err)
	}
	if doc.NumPages() < 3 {
		t.Fatalf("%d pages, want several", doc.NumPages())
	}
	loaded := map[*font]bool{}
	for i := 1; i <= doc.NumPages(); i++ {
		if _, err := doc.Page(i); err != nil {
			t.Fatal(err)
		}
		for _, f := range doc.fonts {
			loaded[f] = true
		}
	}
	if len(doc.fonts) != 2 || len(loaded) != 2 {
		t.Fatalf("%d fonts cached, %d loaded over %d pages; want the document's 2 fonts loaded once", len(doc.fonts), len(loaded), doc.NumPages())
	}
	var names []string
	for _, f := range doc.fonts {
		names = append(names, fmt.Sprintf("%s:%d ranges", f.name, len(f.toUnicode.ranges)+len(f.toUnicode.chars)))
	}
	t.Log(strings.Join(names, ", "))
}
