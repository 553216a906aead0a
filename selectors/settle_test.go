package selectors

import (
	"strings"
	"testing"
)

// TestSettleAndLastKeys: settle (per page or element, at the top; per
// element as settle: true) and a next control's last: marker are read,
// and names that point nowhere are errors with their line.
func TestSettleAndLastKeys(t *testing.T) {
	f, err := Parse("s.yaml", []byte(`site: s
version: 1
settle: [login, export.go]
elements:
  login.user: {ways: [{css: "#u"}]}
  export.go: {ways: [{css: "#go"}]}
  export.other: {ways: [{css: "#o"}]}
  rows.next: {settle: true, last: rows.single, ways: [{css: "#next"}]}
  rows.single: {ways: [{css: "#single"}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"login.user": true, "export.go": true, "export.other": false, "rows.next": true, "rows.single": false, "loginx.user": false} {
		if got := f.SettleBefore(name); got != want {
			t.Errorf("SettleBefore(%s) = %v, want %v", name, got, want)
		}
	}
	if f.Elements["rows.next"].Last != "rows.single" {
		t.Errorf("rows.next last = %q", f.Elements["rows.next"].Last)
	}
	for _, tc := range []struct{ src, want string }{
		{"settle: [nowhere]\nelements:\n  a.b: {ways: [{css: x}]}\n", `s.yaml:3: settle names "nowhere", which is neither an element nor a page`},
		{"settle: login\nelements:\n  a.b: {ways: [{css: x}]}\n", "s.yaml:3: settle: want a list"},
		{"elements:\n  a.b: {settle: maybe, ways: [{css: x}]}\n", `s.yaml:4: element "a.b": settle: want true or false`},
		{"elements:\n  a.b: {last: a.c, ways: [{css: x}]}\n", `s.yaml:4: element "a.b": last names "a.c", which is not an element`},
		{"elements:\n  a.b: {last: a.b, ways: [{css: x}]}\n", `s.yaml:4: element "a.b": last names the element itself`},
	} {
		_, err := Parse("s.yaml", []byte("site: s\nversion: 1\n"+tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.src, err, tc.want)
		}
	}
}
