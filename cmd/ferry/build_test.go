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
