// Package testenv finds what tests need outside the module: the shared
// real-world corpus beside the project and tools such as pdftotext. On a
// developer's machine a missing one skips the test with the command that
// installs it; under CI (CI=true) it fails the test, so a run can never
// pass by silently testing less.
package testenv

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// CI reports whether the tests run under CI (CI=true).
func CI() bool { return os.Getenv("CI") == "true" }

// Missing skips tb because something it needs is not there, or fails it
// under CI.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if CI() {
		tb.Fatalf("CI=true: "+format, args...)
	}
	tb.Skipf(format, args...)
}

// root is the module's root directory, found from this file's place.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// CorpusDir returns the shared real-world corpus (../shared/corpus beside
// the project root), or "" when it is not there.
func CorpusDir() string {
	dir := filepath.Join(root(), "..", "shared", "corpus")
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir
	}
	return ""
}

// Corpus returns the path of rel inside the shared corpus. It skips the
// test (fails it under CI) when the corpus or rel is missing.
func Corpus(tb testing.TB, rel string) string {
	tb.Helper()
	dir := CorpusDir()
	if dir == "" {
		Missing(tb, "the shared corpus is not at %s", filepath.Join(root(), "..", "shared", "corpus"))
		return ""
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		Missing(tb, "corpus file missing: %v", err)
	}
	return p
}

// Tool returns the path of an external command. It skips the test (fails
// it under CI) when the command is not installed; pkg names the Debian
// package that has it, which hack/deps.sh --test installs.
func Tool(tb testing.TB, name, pkg string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(tb, "%s not installed (Debian package %s; hack/deps.sh --test installs it)", name, pkg)
	}
	return p
}

// File returns path when it exists. It skips the test (fails it under CI)
// otherwise; pkg names the Debian package that has it.
func File(tb testing.TB, path, pkg string) string {
	tb.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(tb, "%s missing (Debian package %s; hack/deps.sh --test installs it)", path, pkg)
	}
	return path
}

// Module returns the directory of a Go module in the module cache, given as
// path@version: real documents that other projects publish in their test
// data (bank files, workbooks written by Excel or LibreOffice) are read there
// in place, never copied into this repository. hack/deps.sh --test downloads
// every module listed in hack/testdata-modules.txt. It skips the test (fails
// it under CI) when the module is not in the cache.
func Module(tb testing.TB, pathAtVersion string) string {
	tb.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		missing := "go env GOMODCACHE: " + err.Error()
		Missing(tb, "%s", missing)
		return ""
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), escapeModulePath(pathAtVersion))
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		Missing(tb, "module %s is not in the module cache (hack/deps.sh --test downloads it)", pathAtVersion)
	}
	return dir
}

// escapeModulePath writes upper-case letters as the module cache does:
// "!" followed by the lower-case letter.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

var update = flag.Bool("update", false, "rewrite golden files (testdata/*.golden) with the current output")

// Golden compares got with the golden file at path (relative to the test's
// package directory). With -update it writes got there instead. The
// failure message shows the first line that differs.
func Golden(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("golden file %s: %v (run the test with -update to write it)", path, err)
	}
	if string(want) == string(got) {
		return
	}
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			tb.Fatalf("%s line %d:\n got: %s\nwant: %s\n(run with -update if the change is right)", path, i+1, g, w)
		}
	}
}
