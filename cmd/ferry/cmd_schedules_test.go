package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
)

// schedules runs `ferry schedules ARGS…` on the data directory dir.
func schedules(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb}
	root := newRoot(g)
	usageErrors(root)
	root.SetArgs(append([]string{"schedules", "--data", dir}, args...))
	code := exitOK
	if err := root.ExecuteContext(context.Background()); err != nil {
		errb.WriteString("ferry: " + err.Error() + "\n")
		code = codeFor(err)
	}
	return code, out.String(), errb.String()
}

// TestSchedulesCommands: list shows the stored schedules with their state
// (and creates no database where there is none); pause, resume and delete
// change them, audited as cli:<author>; unknown ids are usage errors.
func TestSchedulesCommands(t *testing.T) {
	t.Setenv("FERRY_AUTHOR", "tester")
	dir := t.TempDir()
	if code, _, errs := schedules(t, dir, "list"); code != exitOK {
		t.Fatalf("list without a database: %d %s", code, errs)
	}
	ctx := context.Background()
	cfg, err := (&globals{}).loadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.AddScheduleDef(ctx, ferry.ScheduleDef{ID: "nightly-lina", Bot: "demobank-statements", Login: "demobank-lina", Cron: "30 2 * * *", Zone: "Asia/Shanghai", UpdatedBy: "admin"}); err != nil {
		t.Fatal(err)
	}
	code, out, errs := schedules(t, dir, "list")
	if code != exitOK || !strings.Contains(out, "nightly-lina") || !strings.Contains(out, "CRON_TZ=Asia/Shanghai 30 2 * * *") || !strings.Contains(out, "active") {
		t.Fatalf("list: %d %q %q", code, out, errs)
	}
	if code, out, errs := schedules(t, dir, "pause", "nightly-lina"); code != exitOK || !strings.Contains(out, "paused (version 2)") {
		t.Fatalf("pause: %d %q %q", code, out, errs)
	}
	code, out, _ = schedules(t, dir, "--json", "list")
	var list []scheduleJSON
	if err := json.Unmarshal([]byte(out), &list); code != exitOK || err != nil {
		t.Fatalf("list --json: %d %v %q", code, err, out)
	}
	found := false
	for _, s := range list {
		if s.ID == "nightly-lina" {
			found = s.State == "paused" && s.Source == "database" && s.Version == 2
		}
	}
	if !found {
		t.Fatalf("list --json after pause: %+v", list)
	}
	if code, out, errs := schedules(t, dir, "resume", "nightly-lina"); code != exitOK || !strings.Contains(out, "active from") {
		t.Fatalf("resume: %d %q %q", code, out, errs)
	}
	if code, _, errs := schedules(t, dir, "pause", "nope"); code != exitUsage || !strings.Contains(errs, `no stored schedule "nope"`) {
		t.Fatalf("pause unknown: %d %q", code, errs)
	}
	if code, _, _ := schedules(t, dir, "pause"); code != exitUsage {
		t.Fatalf("pause without an id: %d", code)
	}
	if code, out, errs := schedules(t, dir, "delete", "nightly-lina"); code != exitOK || !strings.Contains(out, "deleted") {
		t.Fatalf("delete: %d %q %q", code, out, errs)
	}
	entries, err := db.Audit(ctx, ferry.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range entries {
		if en.Target == "schedule:nightly-lina" {
			got = append(got, en.Actor+" "+en.Action)
		}
	}
	want := "cli:tester schedule.pause,cli:tester schedule.resume,cli:tester schedule.delete"
	if strings.Join(got, ",") != want {
		// Newest first or oldest first: the set matters.
		for _, w := range strings.Split(want, ",") {
			if !strings.Contains(strings.Join(got, ","), w) {
				t.Errorf("audit: %v, want %s", got, want)
			}
		}
	}
}
