package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// RealFiles lists the data files under dir, a directory of real public
// documents kept in testdata (not README.md, LICENSE-* or golden files),
// relative to dir with forward slashes, sorted. A golden file whose
// document is gone fails the test.
func RealFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base := d.Name()
		if strings.HasSuffix(base, ".golden") {
			// A golden file outlives its document only by mistake.
			if _, err := os.Stat(strings.TrimSuffix(p, ".golden")); err != nil {
				tb.Errorf("%s: golden file without its document", p)
			}
			return nil
		}
		if base == "README.md" || strings.HasPrefix(base, "LICENSE") {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// CheckProvenance fails the test for a file (as RealFiles lists it) that
// its directory's README.md does not name, or a directory without a
// README.md: every real file must say where it came from and under which
// licence.
func CheckProvenance(tb testing.TB, dir string, files []string) {
	tb.Helper()
	readmes := map[string]string{}
	for _, rel := range files {
		sub := filepath.Dir(filepath.FromSlash(rel))
		text, ok := readmes[sub]
		if !ok {
			b, err := os.ReadFile(filepath.Join(dir, sub, "README.md"))
			if err != nil {
				tb.Errorf("%s: no README.md with the source and licence of its files: %v", filepath.Join(dir, sub), err)
			}
			text = string(b)
			readmes[sub] = text
		}
		if !strings.Contains(text, "`"+filepath.Base(rel)+"`") {
			tb.Errorf("%s: %s/README.md does not name it", rel, sub)
		}
	}
}
