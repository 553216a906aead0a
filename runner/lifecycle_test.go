package runner_test

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
)

// panicky panics, once, the first time its credential is read.
type panicky struct {
	runner.StaticCredentials
	armed atomic.Bool
}

func (p *panicky) Credential(name string) (ferry.Credential, error) {
	if p.armed.CompareAndSwap(true, false) {
		panic("credential store exploded")
	}
	return p.StaticCredentials.Credential(name)
}

// A panic in a run, in the worker or in a bot's step, fails the run as
// internal with the stack as evidence; the login is free again, the next
// run of the same bot and login succeeds, and Wait does not hang.
func TestPanicFailsRunAndFreesLogin(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 5})
	creds := &panicky{StaticCredentials: sandbox.Credentials()}
	var stepPanic atomic.Bool
	e := setup(t, t.TempDir(), bank, func(c *runner.Config) {
		c.Credentials = creds
		c.OnStep = func(id int64, s ferry.Step) {
			if stepPanic.CompareAndSwap(true, false) {
				panic("step hook exploded")
			}
		}
	})
	for _, tc := range []struct {
		name, want string
		arm        func()
	}{
		{"worker", "credential store exploded", func() { creds.armed.Store(true) }},
		{"bot step", "step hook exploded", func() { stepPanic.Store(true) }},
	} {
		// Enqueue reads the credential too; arm after it.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		id, err := e.r.Enqueue(ctx, runner.Request{Bot: "demobank-statements", Login: "demobank-lina",
			Params: ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 31)}})
		if err != nil {
			t.Fatal(err)
		}
		tc.arm()
		run, err := e.r.Wait(ctx, id)
		cancel()
		if err != nil {
			t.Fatalf("%s panic: waiting for the run: %v", tc.name, err)
		}
		if run.Status != ferry.RunFailed || run.Class != ferry.ClassInternal || !strings.Contains(run.Error, tc.want) {
			t.Fatalf("%s panic: run %s/%s %q, want failed/internal naming the panic", tc.name, run.Status, run.Class, run.Error)
		}
		arts, _ := e.db.Artifacts(context.Background(), run.ID)
		found := false
		for _, a := range arts {
			if a.Kind == "evidence" && a.Name == "panic.txt" {
				body, err := os.ReadFile(e.db.ArtifactPath(a.SHA256))
				if err != nil {
					t.Fatal(err)
				}
				found = strings.Contains(string(body), tc.want) && strings.Contains(string(body), "lifecycle_test.go")
			}
		}
		if !found {
			t.Fatalf("%s panic: no stack stored as evidence: %+v", tc.name, arts)
		}
		// The login is free: the same bot and login run again at once.
		if next := e.run(t, "demobank-lina"); next.Status != ferry.RunSucceeded {
			t.Fatalf("after the %s panic the next run: %s %s %s", tc.name, next.Status, next.Class, next.Error)
		}
	}
}
