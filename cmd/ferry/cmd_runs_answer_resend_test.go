package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
)

// `ferry runs answer RUN --resend` records a request for a new code, sealed
// to the waiting run's key like any answer; twice is one request; with a
// code it is a usage error. (The run's side, against the sandbox portal,
// is runner's TestChallengeResend.)
func TestRunsAnswerResend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	d := service.DataDir(dir)
	db, err := storage.Open(ctx, d.Database(), d.Artifacts(), nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := db.NewRun(ctx, ferry.Run{Bot: "etax-resend", Login: "etax"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := ferry.NewChallengeKey()
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.OpenChallenge(ctx, ferry.Challenge{RunID: id, Bot: "etax-resend", Kind: ferry.ChallengeSMS, Prompt: "code",
		Destination: "138****5678", Deadline: time.Now().Add(5 * time.Minute), AttemptsLeft: 5, Key: key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	run := itoa(int(id))
	if code, _, stderr := ferryCmd(t, "runs", "answer", run, "123456", "--resend", "--data", dir); code != exitUsage || !strings.Contains(stderr, "takes no code") {
		t.Fatalf("--resend with a code: exit %d: %s", code, stderr)
	}
	code, out, stderr := ferryCmd(t, "runs", "answer", run, "--resend", "--data", dir)
	if code != 0 || !strings.Contains(out, "a new code asked for") {
		t.Fatalf("--resend: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, out, _ := ferryCmd(t, "runs", "answer", run, "--resend", "--data", dir); code != 0 || !strings.Contains(out, "already asked for") {
		t.Fatalf("--resend again: exit %d\n%s", code, out)
	}
	db, err = storage.Open(ctx, d.Database(), d.Artifacts(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Challenge(ctx, c.ID)
	if err != nil || got.State != ferry.ChallengeAnswered || got.AnsweredBy != "cli" {
		t.Fatalf("challenge %+v %v", got, err)
	}
	if v, err := key.Open(got.Sealed); err != nil || v != ferry.ResendRequest {
		t.Fatalf("the sealed answer is not a resend request (%v)", err)
	}
	// A code typed after the request conflicts with it: the run reads the
	// request first.
	if code, _, stderr := ferryCmd(t, "runs", "answer", run, "654321", "--data", dir); code == 0 || strings.Contains(stderr, "654321") {
		t.Fatalf("a code after --resend: exit %d: %s", code, stderr)
	}
}
