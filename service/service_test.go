package service

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/ferry-rpa/ferry/storage"
)

// newTestService opens a throwaway SQLite database and a selectors
// directory holding the embedded demobank file.
func newTestService(t *testing.T) (*Service, *storage.DB) {
	t.Helper()
	dir := t.TempDir()
	d := DataDir(filepath.Join(dir, "data"))
	db, err := storage.Open(context.Background(), d.Database(), d.Artifacts(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f, err := selectors.Load("", "demobank")
	if err != nil {
		t.Fatal(err)
	}
	selDir := filepath.Join(dir, "selectors")
	if err := os.MkdirAll(selDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(selDir, "demobank.yaml"), f.Source, 0o600); err != nil {
		t.Fatal(err)
	}
	return &Service{Store: db, SelectorsDir: selDir}, db
}

func addHeal(t *testing.T, db *storage.DB, element, way string) int64 {
	t.Helper()
	runID, err := db.CreateRun(context.Background(), db.SQL, ferry.Run{Bot: "demobank-statements", Login: "zw"})
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := db.AddHeal(context.Background(), storage.HealRecord{Site: "demobank", Element: element, RunID: runID, Page: "/login",
		Way: way, Score: 0.9, RunnerUp: 0.1, Breakdown: "{}", BaseSeq: 1})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Accepting a heal writes the selector file with the proposed way first,
// records the new version with the author and marks the heal accepted; a
// second decision on it is refused.
func TestAcceptHeal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db := newTestService(t)
	id := addHeal(t, db, "login.submit", `{"ways":[{"kind":"css","value":"#sign-in-v2"}],"dismiss":false}`)
	d, err := s.AcceptHeal(ctx, id, "ops-test")
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != "accepted" || d.By != "ops-test" || d.Version != 1 || !strings.Contains(d.Way, "#sign-in-v2") {
		t.Fatalf("got %+v", d)
	}
	f, err := selectors.Load(s.SelectorsDir, "demobank")
	if err != nil {
		t.Fatal(err)
	}
	if ways := f.Elements["login.submit"].Ways; len(ways) == 0 || ways[0].Value != "#sign-in-v2" {
		t.Fatalf("login.submit's first way is %v, want #sign-in-v2", ways)
	}
	h, err := db.Heal(ctx, id)
	if err != nil || h.Status != "accepted" || h.DecidedBy != "ops-test" {
		t.Fatalf("heal after accept: %+v %v", h, err)
	}
	v, err := db.SelectorVersionAt(ctx, "demobank", 1)
	if err != nil || v.Author != "ops-test" || !strings.Contains(v.Message, "heal") {
		t.Fatalf("recorded version: %+v %v", v, err)
	}
	if _, err := s.AcceptHeal(ctx, id, "ops-test"); !errors.Is(err, ErrHealDecided) {
		t.Fatalf("second accept: got %v, want ErrHealDecided", err)
	}
	if _, err := s.RejectHeal(ctx, id, "ops-test"); !errors.Is(err, ErrHealDecided) {
		t.Fatalf("reject after accept: got %v, want ErrHealDecided", err)
	}
}

// Rejecting leaves the file alone; accepting needs a selectors directory.
func TestRejectHealAndNoSelectorsDir(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db := newTestService(t)
	before, _ := os.ReadFile(filepath.Join(s.SelectorsDir, "demobank.yaml"))
	id := addHeal(t, db, "login.submit", `{"ways":[{"kind":"css","value":"#x"}]}`)
	if d, err := s.RejectHeal(ctx, id, "ops"); err != nil || d.Status != "rejected" {
		t.Fatalf("reject: %+v %v", d, err)
	}
	after, _ := os.ReadFile(filepath.Join(s.SelectorsDir, "demobank.yaml"))
	if string(before) != string(after) {
		t.Fatal("rejecting a heal changed the selector file")
	}
	id2 := addHeal(t, db, "login.user", `{"ways":[{"kind":"css","value":"#y"}]}`)
	noDir := &Service{Store: db}
	if _, err := noDir.AcceptHeal(ctx, id2, "ops"); !errors.Is(err, ErrNoSelectorsDir) {
		t.Fatalf("accept without selectors_dir: got %v, want ErrNoSelectorsDir", err)
	}
	if h, _ := db.Heal(ctx, id2); h.Status != "proposed" {
		t.Fatalf("a failed accept decided the heal: %s", h.Status)
	}
}

// Record, edit, record, roll back: the file is the old version again and
// the rollback is a new version; rolling back to what is there adds none.
func TestRecordAndRollbackSelectors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newTestService(t)
	c1, err := s.RecordSelectors(ctx, "demobank", "ops", "")
	if err != nil || !c1.Added || c1.Version != 1 {
		t.Fatalf("record: %+v %v", c1, err)
	}
	path := filepath.Join(s.SelectorsDir, "demobank.yaml")
	v1, _ := os.ReadFile(path)
	edited, err := selectors.PrependWay(v1, "login.submit", "", selectors.Way{Kind: selectors.ByCSS, Value: "#edited"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteSelectorFile("demobank", edited); err != nil {
		t.Fatal(err)
	}
	if c2, err := s.RecordSelectors(ctx, "demobank", "ops", "edited"); err != nil || c2.Version != 2 {
		t.Fatalf("record edit: %+v %v", c2, err)
	}
	c3, err := s.RollbackSelectors(ctx, "demobank", 1, "ops", "")
	if err != nil || !c3.Added || c3.Version != 3 || c3.From != 1 {
		t.Fatalf("rollback: %+v %v", c3, err)
	}
	if now, _ := os.ReadFile(path); string(now) != string(v1) {
		t.Fatal("the file is not version 1 after the rollback")
	}
	if c4, err := s.RollbackSelectors(ctx, "demobank", 1, "ops", ""); err != nil || c4.Added {
		t.Fatalf("rollback to the current content: %+v %v", c4, err)
	}
	if _, err := s.RollbackSelectors(ctx, "demobank", 9, "ops", ""); err == nil {
		t.Fatal("rollback to a version that does not exist succeeded")
	}
	if _, err := s.WriteSelectorFile("demobank", []byte("elements: [")); err == nil {
		t.Fatal("a selector file that does not parse was written")
	}
	if now, _ := os.ReadFile(path); string(now) != string(v1) {
		t.Fatal("a refused write changed the file")
	}
}

func TestRetryDeliveriesArguments(t *testing.T) {
	t.Parallel()
	s, _ := newTestService(t)
	for _, tc := range []struct {
		ids []int64
		all bool
	}{{nil, false}, {[]int64{1}, true}} {
		if _, err := s.RetryDeliveries(context.Background(), tc.ids, tc.all); !errors.Is(err, ErrRetryWhich) {
			t.Errorf("ids %v all %v: got %v, want ErrRetryWhich", tc.ids, tc.all, err)
		}
	}
	if n, err := s.RetryDeliveries(context.Background(), nil, true); err != nil || n != 0 {
		t.Fatalf("retry all on an empty outbox: %d %v", n, err)
	}
}

// A run is planned without a browser or database: an unknown bot or login
// is an invalid request, an empty secret is refused naming the field but
// not a value, and the first login by name is the default.
func TestPlanRun(t *testing.T) {
	t.Parallel()
	s := &Service{}
	creds := runner.StaticCredentials{
		"b-login": {Name: "b-login", Fields: map[string]string{"user": "u", "password": "pw-value"}},
		"a-empty": {Name: "a-empty", Fields: map[string]string{"user": "u", "password": ""}},
		"c-nopw":  {Name: "c-nopw", Fields: map[string]string{"user": "u"}},
	}
	var inv *InvalidError
	if _, err := s.PlanRun(creds, RunRequest{Bot: "no-such-bot"}); !errors.As(err, &inv) {
		t.Fatalf("unknown bot: got %v", err)
	}
	if _, err := s.PlanRun(creds, RunRequest{Bot: "demobank-statements", Login: "nobody"}); !errors.As(err, &inv) {
		t.Fatalf("unknown login: got %v", err)
	}
	_, err := s.PlanRun(creds, RunRequest{Bot: "demobank-statements"})
	if !errors.Is(err, runner.ErrIncompleteCredential) || !strings.Contains(err.Error(), "a-empty") || !strings.Contains(err.Error(), "password") {
		t.Fatalf("default login a-empty with an empty password: got %v", err)
	}
	if _, err := s.PlanRun(creds, RunRequest{Bot: "demobank-statements", Login: "c-nopw"}); !errors.Is(err, runner.ErrIncompleteCredential) {
		t.Fatalf("a login without the password the script types: got %v", err)
	}
	req, err := s.PlanRun(creds, RunRequest{Bot: "demobank-statements", Login: "b-login"})
	if err != nil || req.Login != "b-login" || req.Bot != "demobank-statements" {
		t.Fatalf("good login: %+v %v", req, err)
	}
	if _, err := s.PlanRun(nil, RunRequest{Bot: "demobank-statements"}); !errors.As(err, &inv) {
		t.Fatalf("no credentials at all: got %v", err)
	}
}

// CheckExists and CheckFree create nothing; CheckFree names the process
// holding the runner lock.
func TestDataDirChecks(t *testing.T) {
	t.Parallel()
	flock := testenv.Tool(t, "flock", "util-linux")
	root := t.TempDir()
	d := DataDir(filepath.Join(root, "data"))
	var nd *NoDatabaseError
	if err := d.CheckExists(); !errors.As(err, &nd) {
		t.Fatalf("CheckExists on nothing: %v", err)
	}
	if err := d.CheckFree(); err != nil {
		t.Fatalf("CheckFree on nothing: %v", err)
	}
	if _, err := os.Stat(string(d)); err == nil {
		t.Fatal("the checks created the data directory")
	}
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		t.Fatal(err)
	}
	holder := exec.Command(flock, "--exclusive", d.Lock(), "sleep", "60")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	var be *BusyError
	deadline := time.Now().Add(10 * time.Second)
	for !errors.As(d.CheckFree(), &be) {
		if time.Now().After(deadline) {
			t.Fatal("CheckFree never saw the lock flock holds")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if be.Holder.PID != holder.Process.Pid {
		t.Fatalf("holder %+v, want pid %d", be.Holder, holder.Process.Pid)
	}
	if !strings.Contains(be.Hint(), "runner.lock") || !strings.Contains(be.Hint(), "process") {
		t.Fatalf("hint %q", be.Hint())
	}
}
