package bots

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSweepRemovesOnlyStaleEmptyStepDirectories: what the browser made
// again after a step ended is swept later; a directory in use, or holding
// a file, never is.
func TestSweepRemovesOnlyStaleEmptyStepDirectories(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	old := now.Add(-2 * staleSpool)
	for _, d := range []struct {
		name string
		file bool
		at   time.Time
	}{{"run-1-stale", false, old}, {"run-2-full", true, old}, {"run-3-fresh", false, now}, {"other", false, old}} {
		p := filepath.Join(dir, d.name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if d.file {
			if err := os.WriteFile(filepath.Join(p, "x"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(p, d.at, d.at); err != nil {
			t.Fatal(err)
		}
	}
	sweep(dir, now)
	for name, want := range map[string]bool{"run-1-stale": false, "run-2-full": true, "run-3-fresh": true, "other": true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", name, err == nil, want)
		}
	}
}
