package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildFerry builds the ferry binary with the given build tags into a
// temporary directory and returns its path.
func buildFerry(t *testing.T, tags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ferry")
	args := []string{"build", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}

// A release build has no crash points: the code that reads FERRY_CRASH_AT
// is not in the binary at all, so no environment can make it kill itself.
// The crashpoints build has it, which shows the check can fail.
func TestReleaseBuildHasNoCrashPoints(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tags []string
		want bool
	}{{nil, false}, {[]string{"crashpoints"}, true}} {
		bin := buildFerry(t, tc.tags...)
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(data, []byte("FERRY_CRASH_AT")); got != tc.want {
			t.Errorf("build with tags %v: contains FERRY_CRASH_AT = %v, want %v", tc.tags, got, tc.want)
		}
	}
}

// The binary creates its data files 0600 and directories 0700: statements
// and records are nobody else's business on a shared machine.
func TestDataFilesArePrivate(t *testing.T) {
	t.Parallel()
	bin := buildFerry(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "ferry.yaml")
	if err := os.WriteFile(cfg, []byte("data_dir: data\nselectors_dir: selectors\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// record writes the database; rollback writes a selector file.
	for _, args := range [][]string{{"selectors", "record", "demobank"}, {"selectors", "rollback", "demobank", "v1"}} {
		cmd := exec.Command(bin, append([]string{"--config", cfg}, args...)...)
		cmd.Env = append(os.Environ(), "FERRY_AUTHOR=test")
		if out, err := cmd.CombinedOutput(); err != nil && !bytes.Contains(out, []byte("unchanged")) && !bytes.Contains(out, []byte("already holds")) {
			t.Fatalf("ferry %v: %v\n%s", args, err, out)
		}
	}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir || p == cfg {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if got := info.Mode().Perm(); got&^want != 0 {
			t.Errorf("%s: mode %v, want at most %v", p, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(data, "ferry.db")); err != nil {
		t.Fatalf("no database was written: %v", err)
	}
}
