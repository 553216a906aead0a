// Package testenv finds what tests need outside the module: the shared
// real-world corpus beside the project and tools such as pdftotext. On a
// developer's machine a missing one skips the test with the command that
// installs it; under CI (CI=true) it fails the test, so a run can never
// pass by silently testing less.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
