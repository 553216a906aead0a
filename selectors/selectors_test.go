package selectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDemobankFile(t *testing.T) {
	t.Parallel()
	f, err := Load("", "demobank")
	if err != nil {
		t.Fatal(err)
	}
	if f.Site != "demobank" || !strings.HasPrefix(f.Version, "2+") {
		t.Fatalf("got site %q version %q", f.Site, f.Version)
	}
	for name, el := range f.Elements {
		if len(el.Ways) < 2 {
			t.Errorf("element %q has %d ways, want at least 2", name, len(el.Ways))
		}
		for v, ways := range el.Variants {
			if len(ways) < 2 {
				t.Errorf("element %q variant %s has %d ways, want at least 2", name, v, len(ways))
			}
		}
	}
	if len(f.Variants) != 1 || f.Variants[0].Fingerprint.Meta != [2]string{"ui-version", "2"} || len(f.Dismiss) != 1 {
		t.Fatalf("variants %+v, dismiss %v", f.Variants, f.Dismiss)
	}
}

func TestOverrideDirWins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := "site: demobank\nversion: 9\nelements:\n  a:\n    ways:\n      - css: '#a'\n"
	if err := os.WriteFile(filepath.Join(dir, "demobank.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(dir, "demobank")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.Version, "9+") || f.Path != filepath.Join(dir, "demobank.yaml") {
		t.Fatalf("got %s from %s, want version 9 from the override", f.Version, f.Path)
	}
}

func TestBadFilesNameThePlace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ src, want string }{
		{"site: x\nversion: 1\nelements:\n  a:\n    ways:\n      - csss: '#a'\n", `element "a" way 1: unknown key "csss"`},
		{"site: x\nversion: 1\nelements:\n  a:\n    ways: []\n", `element "a" has no ways`},
		{"site: x\nversion: 1\nelements:\n  a:\n    ways:\n      - css: '#a'\n        xpath: '//a'\n", "two kinds"},
		{"site: x\nelements:\n  a:\n    ways:\n      - css: '#a'\n", "no version"},
		{"site: x\nversion: 1\nelements:\n  a:\n    ways:\n      - text: x\n        name: y\n", "name only goes with role"},
		{"site: [\n", "sel.yaml"},
	} {
		_, err := Parse("sel.yaml", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "sel.yaml") {
			t.Errorf("Parse(%q): got %v, want an error naming sel.yaml and containing %q", tc.src, err, tc.want)
		}
	}
}

func TestVariantsAndLineNumbers(t *testing.T) {
	t.Parallel()
	src := `site: x
version: 1
variants:
  v2:
    fingerprint:
      meta: {name: ui-version, content: "2"}
elements:
  a:
    ways:
      - css: "#a"
      - text: A
    variants:
      v2:
        - css: "#a2"
        - near: "Label A"
  b:
    ways:
      - css: "#b"
    variants:
      v3:
        - css: "#b3"
`
	_, err := Parse("sel.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), `sel.yaml:20: element "b": variant "v3" is not declared`) {
		t.Fatalf("undeclared variant: %v", err)
	}
	f, err := Parse("sel.yaml", []byte(strings.Replace(src, "v3", "v2", 1)))
	if err != nil {
		t.Fatal(err)
	}
	a := f.Elements["a"]
	if a.Line != 8 || a.Ways[1].Line != 11 || len(a.WaysFor("v2")) != 2 || a.WaysFor("v2")[1].Kind != ByNear || a.WaysFor("")[0].Value != "#a" {
		t.Fatalf("element a: %+v", a)
	}
	if _, err := Parse("sel.yaml", []byte("site: x\nversion: 1\nelements:\n  a:\n    ways:\n      - css: \"[data-oracle='a']\"\n      - css: '#a'\n")); err == nil || !strings.Contains(err.Error(), "sel.yaml:6") || !strings.Contains(err.Error(), "oracle") {
		t.Fatalf("data-oracle: %v", err)
	}
}

func TestLint(t *testing.T) {
	t.Parallel()
	src := `site: x
version: 1
elements:
  used:
    ways:
      - css: "#ok"
      - css: "div:nth-child(2) > span:nth-of-type(3)"
  unused:
    ways:
      - xpath: "/html/body/div[2]/form/input"
      - css: "#ember1234"
  single:
    ways:
      - role: button
        name: Go
`
	f, err := Parse("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	probs := Lint(f, []Use{{Name: "used", Path: "bot.yaml", Line: 7}, {Name: "single", Path: "bot.yaml", Line: 9}, {Name: "missing", Path: "bot.yaml", Line: 12}})
	var got []string
	for _, p := range probs {
		got = append(got, p.String())
	}
	want := []string{
		`bot.yaml:12: missing: the script uses it but x.yaml has no such element`,
		`x.yaml:7: used: brittle way css="div:nth-child(2) > span:nth-of-type(3)": a chain of positional :nth-* selectors`,
		`x.yaml:8: unused: no script uses it`,
		`x.yaml:10: unused: brittle way xpath="/html/body/div[2]/form/input": an absolute XPath`,
		`x.yaml:11: unused: brittle way css="#ember1234": an id that looks generated (digits or a hash)`,
		`x.yaml:12: single: only one way: a single change to the page breaks it`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	a := "site: x\nversion: 1\nelements:\n  a:\n    ways:\n      - css: '#a'\n      - text: A\n"
	b := "site: x\nversion: 2\nelements:\n  a:\n    ways:\n      - css: '#a-new'\n      - text: A\n"
	got := Diff("v1", "v2", a, b)
	want := "--- v1\n+++ v2\n@@ -1,7 +1,7 @@\n site: x\n-version: 1\n+version: 2\n elements:\n   a:\n     ways:\n-      - css: '#a'\n+      - css: '#a-new'\n       - text: A\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if Diff("a", "b", a, a) != "" {
		t.Fatal("equal texts have a diff")
	}
}

func TestRegistryHotReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "x.yaml")
	write := func(s string, mod time.Time) {
		os.WriteFile(p, []byte(s), 0o644)
		os.Chtimes(p, mod, mod)
	}
	now := time.Now()
	write("site: x\nversion: 1\nelements:\n  a:\n    ways:\n      - css: '#a'\n", now)
	var rejected []string
	var loaded []string
	r := NewRegistry(dir)
	r.OnReject = func(site, path string, err error) { rejected = append(rejected, err.Error()) }
	r.OnLoad = func(f *File) { loaded = append(loaded, f.Version) }
	f1, err := r.Get("x")
	if err != nil || !strings.HasPrefix(f1.Version, "1+") {
		t.Fatal(f1, err)
	}
	write("site: x\nversion: 2\nelements:\n  a:\n    ways:\n      - css: '#a2'\n", now.Add(time.Second))
	f2, _ := r.Get("x")
	if !strings.HasPrefix(f2.Version, "2+") || f2.Elements["a"].Ways[0].Value != "#a2" {
		t.Fatalf("edit not picked up: %s", f2.Version)
	}
	write("site: x\nversion: 3\nelements:\n  a:\n    ways:\n      - csss: '#a3'\n", now.Add(2*time.Second))
	f3, err := r.Get("x")
	if err != nil || f3 != f2 {
		t.Fatalf("an invalid edit must leave version 2 serving: %v %v", f3, err)
	}
	r.Get("x")
	if len(rejected) != 1 || !strings.Contains(rejected[0], "x.yaml:6") {
		t.Fatalf("rejections %v, want one naming the line", rejected)
	}
	if len(loaded) != 2 {
		t.Fatalf("loads %v", loaded)
	}
}

func TestEdits(t *testing.T) {
	t.Parallel()
	src := []byte(`# a comment that stays
site: x
version: 1
variants:
  v2:
    fingerprint:
      meta: {name: ui, content: "2"}
elements:
  a:
    ways:
      - css: "#a"
    variants:
      v2:
        - css: "#a2"
  b:
    ways:
      - text: B
`)
	out, err := PrependWay(src, "a", "", Way{Kind: ByRole, Value: "button", Name: "Sign \"in\""})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse("x", out)
	if err != nil || f.Elements["a"].Ways[0].Name != `Sign "in"` || f.Elements["a"].Ways[1].Value != "#a" || !strings.HasPrefix(string(out), "# a comment that stays") {
		t.Fatalf("%s\n%v", out, err)
	}
	out, err = PrependWay(out, "a", "v2", Way{Kind: ByLabel, Value: "登录名"})
	if err != nil {
		t.Fatal(err)
	}
	f, _ = Parse("x", out)
	if w := f.Elements["a"].WaysFor("v2"); len(w) != 2 || w[0].Value != "登录名" {
		t.Fatalf("variant ways %v\n%s", w, out)
	}
	if _, err := PrependWay(out, "a", "v2", Way{Kind: ByLabel, Value: "登录名"}); err == nil {
		t.Fatal("a duplicate way was added")
	}
	out, err = AddDismiss(out, "overlay.cc_yes", []Way{{Kind: ByRole, Value: "button", Name: "Accept"}, {Kind: ByCSS, Value: "#cc-yes"}})
	if err != nil {
		t.Fatal(err)
	}
	f, err = Parse("x", out)
	if err != nil || len(f.Dismiss) != 1 || f.Dismiss[0] != "overlay.cc_yes" || len(f.Elements["overlay.cc_yes"].Ways) != 2 {
		t.Fatalf("%s\n%v", out, err)
	}
	out, err = AddDismiss(out, "overlay.two", []Way{{Kind: ByCSS, Value: "#two"}})
	if err != nil {
		t.Fatal(err)
	}
	if f, err = Parse("x", out); err != nil || len(f.Dismiss) != 2 {
		t.Fatalf("%s\n%v", out, err)
	}
}
