package selectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
