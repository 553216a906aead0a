package pdftext

import (
	"strings"
	"testing"
)

func TestBfrangeCarriesAcrossBytes(t *testing.T) {
	t.Parallel()
	// The defect in the library: <2d41> <2de0> <5de5> maps 0x2de0 to 0x5de5 +
	// 0x9f, carried (U+5E84), not to the last byte wrapped (0x5d84).
	m := &cmap{}
	m.addRange([]byte{0x2d, 0x41}, []byte{0x2d, 0xe0}, cmapToken{kind: 's', s: "\x5d\xe5"})
	got, ok := m.lookup([]byte{0x2d, 0xe0})
	if !ok || got != "\u5e84" {
		t.Fatalf("got %q (%U), want U+5E84", got, []rune(got))
	}
	got, _ = m.lookup([]byte{0x2d, 0x41})
	if got != "\u5de5" {
		t.Fatalf("range start: got %q, want 工", got)
	}
}

func TestParseCMapStream(t *testing.T) {
	t.Parallel()
	src := `/CIDInit /ProcSet findresource begin 12 dict begin begincmap
1 begincodespacerange <0000> <FFFF> endcodespacerange
2 beginbfchar <0003> <0020> <0010> <5E74> endbfchar
1 beginbfrange <0020> <0022> [<0041> <0042> <D83DDE00>] endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end`
	m := parseCMapBytes([]byte(src))
	for code, want := range map[string]string{"\x00\x03": " ", "\x00\x10": "年", "\x00\x20": "A", "\x00\x21": "B", "\x00\x22": "😀"} {
		if got, _ := m.lookup([]byte(code)); got != want {
			t.Errorf("code % x: got %q, want %q", code, got, want)
		}
	}
}

func TestUnmappedIsMarkedNotGuessed(t *testing.T) {
	t.Parallel()
	f := &font{composite: true, toUnicode: &cmap{}, dw: 1000}
	f.toUnicode.add([]byte{0, 1}, "对")
	gs := f.decode(nil, []byte{0, 1, 0, 2})
	if len(gs) != 2 || gs[0].text != "对" || gs[1].text != string(Unmapped) {
		t.Fatalf("got %+v", gs)
	}
}

func TestGarbageIsAnErrorNotAPanic(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "%PDF-1.7\n", "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"} {
		doc, err := Open([]byte(in), "")
		if err == nil {
			_, err = doc.PlainText()
		}
		if err == nil {
			t.Errorf("%q: got no error", in)
		} else if !strings.Contains(err.Error(), "pdftext") {
			t.Errorf("%q: error %v does not say where", in, err)
		}
	}
}
