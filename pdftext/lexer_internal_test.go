package pdftext

import (
	"fmt"
	"strings"
	"testing"
)

func trace(data string) string {
	var sb strings.Builder
	interpret([]byte(data), func(op string, args []operand) error {
		if op == "" {
			return nil
		}
		sb.WriteString(op)
		for _, a := range args {
			sb.WriteString(" " + show(a))
		}
		sb.WriteString(";")
		return nil
	})
	return sb.String()
}

func show(a operand) string {
	switch a.kind {
	case opNum:
		return fmt.Sprint(a.number())
	case opName:
		return "/" + string(a.b)
	case opString:
		return fmt.Sprintf("%q", a.b)
	case opArray:
		parts := make([]string, len(a.arr))
		for i, e := range a.arr {
			parts[i] = show(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return "?"
}

func TestLexer(t *testing.T) {
	cases := []struct{ in, want string }{
		{"BT /F1 12 Tf 72.5 -.5 Td (Hello) Tj ET", `BT;Tf /F1 12;Td 72.5 -0.5;Tj "Hello";ET;`},
		{`(a\(b\)c\\d\n\101\0618) Tj`, `Tj "a(b)c\\d\nA18";`},
		{"(nested (parens) ok) Tj", `Tj "nested (parens) ok";`},
		{"(line\\\ncontinued) Tj (cr\r\nlf) Tj", `Tj "linecontinued";Tj "cr\nlf";`},
		{"<48 65 6c6C 6> Tj <> Tj", `Tj "Hel`}, // checked below: odd digit padded
		{"[(A) -120 (B) 3.5] TJ", `TJ ["A",-120,"B",3.5];`},
		{"/Na#20me#41 Do % a comment (not a string) Tj\n/X Do", `Do /Na meA;Do /X;`},
		{"/P << /MCID 3 /Alt (x >> y) /D << /N 1 >> >> BDC (in) Tj EMC", `Tj "in";`},
		{"BI /W 4 /H 1 /BPC 8 /CS /G ID \x00EI(Tj)\xffTj EI\nQ (after) Tj", `BI;Q;Tj "after";`},
		{"true false null 1 2 3 4 5 6 cm", `cm ? ? ? 1 2 3 4 5 6;`},
		{"] ) > } stray 1 0 0 1 5 5 Tm", `Tm 1 0 0 1 5 5;`},
	}
	for _, c := range cases {
		got := trace(c.in)
		if c.in == "<48 65 6c6C 6> Tj <> Tj" {
			if got != "Tj \"Hell`\";Tj \"\";" {
				t.Errorf("hex: got %s", got)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

// The lexer ends on any input: truncated strings, arrays and inline images
// included.
func FuzzLexer(f *testing.F) {
	for _, s := range []string{"BT (abc", "[ (a) [ [", "BI /W 1 ID xx", "<<(", "/#4", "(\\", "<4"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		interpret(b, func(string, []operand) error { return nil })
	})
}
