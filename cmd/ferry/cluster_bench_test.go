package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/riverqueue/river"
)

// BenchmarkClusterRuns measures the runs per minute the three nodes
// (`workers: 2` each, one Chromium each, all on this machine) sustain
// against the two sandbox banks: b.N ad-hoc runs over 12 logins (6 per
// bank, one account each, so no run waits for its login), queued at once
// in the shared database, timed from the queueing to the end of the last.
//
//	go test ./cmd/ferry -run '^$' -bench ClusterRuns -benchtime 24x -count 3
func BenchmarkClusterRuns(b *testing.B) {
	c := startCluster(b, clusterOptions{users: benchUsers, workers: 2})
	c.waitFor("every node serving", 3*time.Minute, func() (bool, string) {
		for _, n := range c.nodes {
			if len(n.grep("ferry serving")) == 0 {
				return false, n.name + " not serving yet"
			}
		}
		return true, ""
	})
	// Insert-only: the nodes work the jobs.
	q, err := c.db.NewQueue(&river.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	ids := make([]int64, b.N)
	for i := range ids {
		l := c.logins[i%len(c.logins)]
		err := c.db.InTx(c.ctx, func(ctx context.Context) error {
			id, err := c.db.NewRun(ctx, ferry.Run{Bot: l.bot, Login: l.name, Site: l.site, Params: ferry.RunParams{From: clusterFrom, To: clusterTo}})
			if err != nil {
				return err
			}
			ids[i] = id
			_, err = q.Insert(ctx, runner.RunArgs{RunID: id}, &river.InsertOpts{MaxAttempts: 4})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	// A run that failed (on an overloaded machine a page can take longer
	// than a step's 15 s) is counted, not fatal: the figure is succeeded
	// runs per minute, with the failures beside it.
	var ok, failed int
	c.waitFor("every run ended", 30*time.Minute, func() (bool, string) {
		ok, failed = 0, 0
		for _, id := range ids {
			r, err := c.db.Run(c.ctx, id)
			if err != nil {
				return false, err.Error()
			}
			switch r.Status {
			case ferry.RunSucceeded:
				ok++
			case ferry.RunFailed, ferry.RunHeld:
				failed++
			}
		}
		return ok+failed == len(ids), fmt.Sprintf("%d of %d runs ended", ok+failed, len(ids))
	})
	el := time.Since(start)
	b.StopTimer()
	if failed > 0 {
		b.Logf("%d of %d runs failed", failed, len(ids))
	}
	b.ReportMetric(float64(ok)/el.Minutes(), "runs/min")
	b.ReportMetric(float64(failed), "failed")
}

// benchUsers are six logins at the i-th bank, each with one account of
// its own.
func benchUsers(i int) ([]sandbox.Account, []sandbox.User) {
	base := sandbox.DefaultAccounts()[0]
	var accts []sandbox.Account
	var users []sandbox.User
	for j := range 6 {
		a := base
		// The last four digits, which the sandbox's references carry,
		// differ between all twelve accounts.
		a.ID = fmt.Sprintf("%s%d%d01", base.ID[:len(base.ID)-4], 5+i, j)
		accts = append(accts, a)
		users = append(users, sandbox.User{ID: fmt.Sprintf("bench%d", j+1), Password: "Ferry#Bench2026", Accounts: []string{a.ID}})
	}
	return accts, users
}
