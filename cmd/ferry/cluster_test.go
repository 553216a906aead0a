package main

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/storage"
)

// Three `ferry serve` processes (`workers: 1` each) on one PostgreSQL
// database (artifacts in it), two sandbox banks run by one script (each
// schedule names its site), four logins scheduled every minute, one ERP
// (HTTP, Idempotency-Key) as the shared sink. Over three slots or more:
// each (schedule, slot) has one run and it succeeds; no login is ever in
// use twice at once (by Ferry's record of each attempt's steps, and by the
// banks' own view of their sessions); kill -9 of a node holding a run
// makes another node take the run over and finish it, and the killed
// node's Chromium dies with it; every record reaches the ERP, sent twice
// only if the killed node was sending it; the killed node, restarted, runs
// again; SIGTERM stops every node cleanly.
func TestCluster(t *testing.T) {
	if testing.Short() && !testenv.CI() {
		t.Skip("a 3-node cluster over several minute slots")
	}
	c := startCluster(t, clusterOptions{users: clusterAccounts, schedules: true, workers: 1})
	began, ctx, db, nodes, sites, logins, erp := c.began, c.ctx, c.db, c.nodes, c.sites, c.logins, c.erp
	want := c.expected()
	waitFor, runs := c.waitFor, c.runs
	t.Cleanup(func() {
		// The banks' view helps most when something else failed first.
		if t.Failed() {
			for _, s := range sites {
				for _, o := range s.watch.overlaps() {
					t.Logf("%s: %s", s.name, o)
				}
			}
		}
	})

	// 1. A node holding a run that has stored a download is killed -9.
	var victim *clusterNode
	var held []int64 // the runs the victim held when it died
	var killedAt time.Time
	var chromium []int
	waitFor("a node working a run that has stored a download", 3*time.Minute, func() (bool, string) {
		for _, r := range runs() {
			if r.Status != ferry.RunRunning {
				continue
			}
			owner, until, err := db.Lease(ctx, r.ID)
			if err != nil || owner == "" || until.Before(time.Now()) {
				continue
			}
			arts, err := db.Artifacts(ctx, r.ID)
			if err != nil || len(arts) == 0 {
				continue
			}
			for _, n := range nodes {
				if n.owns(owner) {
					victim = n
				}
			}
			if victim == nil {
				continue
			}
			chromium = victim.kill(t)
			killedAt = time.Now()
			for _, r := range runs() {
				if o, _, err := db.Lease(ctx, r.ID); err == nil && r.Status == ferry.RunRunning && strings.Contains(o, fmt.Sprintf("/%d/", victim.pid)) {
					held = append(held, r.ID)
				}
			}
			t.Logf("killed %s (pid %d) -9 at %s while it held runs %v (run %d had %d artifacts)", victim.name, victim.pid, killedAt.Format("15:04:05"), held, r.ID, len(arts))
			return true, ""
		}
		return false, "no run in flight with a download stored"
	})
	if len(held) == 0 {
		t.Fatal("the killed node held no run")
	}

	// Its Chromium died with it.
	waitFor("the killed node's Chromium gone", 20*time.Second, func() (bool, string) {
		left := alive(chromium)
		return len(left) == 0, fmt.Sprintf("%d of its %d processes alive: %v", len(left), len(chromium), left)
	})

	// 2. Another node takes over every run the killed one held, once
	// their leases expire, and works it: running under its lease (a run
	// requeued by one node is queued until some node's worker takes it),
	// or finished. Only then does the killed node come back.
	waitFor("the killed node's runs taken over by another node", 4*time.Minute, func() (bool, string) {
		for _, id := range held {
			r, err := db.Run(ctx, id)
			if err != nil {
				return false, err.Error()
			}
			owner, _, err := db.Lease(ctx, id)
			if err != nil {
				return false, err.Error()
			}
			taken := false
			for _, n := range nodes {
				taken = taken || (n != victim && n.owns(owner))
			}
			if r.Status != ferry.RunSucceeded && !(r.Status == ferry.RunRunning && taken) {
				return false, fmt.Sprintf("run %d is %s, leased by %q", id, r.Status, owner)
			}
		}
		return true, ""
	})

	// 3. The killed node restarts on its data directory and rejoins: it
	// runs a job it took after its restart.
	restartAt := time.Now()
	victim.start(t)
	waitFor("the restarted node running a run", 4*time.Minute, func() (bool, string) {
		mine := victim.succeeded(victim.gen)
		for id := range mine {
			r, err := db.Run(ctx, id)
			if err != nil {
				return false, err.Error()
			}
			t.Logf("%s, restarted at %s, ran run %d (%s, slot %s)", victim.name, restartAt.Format("15:04:05"), r.ID, r.Schedule, r.Slot.Format("15:04"))
			return true, ""
		}
		return false, victim.name + " has finished no run since its restart"
	})

	// The runs the killed node held were finished by one other node.
	waitFor("the killed node's runs finished", 3*time.Minute, func() (bool, string) {
		for _, id := range held {
			if r, err := db.Run(ctx, id); err != nil || r.Status != ferry.RunSucceeded {
				return false, fmt.Sprintf("run %d is %s %v", id, r.Status, err)
			}
		}
		return true, ""
	})
	for _, id := range held {
		var by []string
		for _, n := range nodes {
			if _, ok := n.succeeded(0)[id]; ok {
				by = append(by, n.name)
			}
		}
		if len(by) != 1 || by[0] == victim.name {
			t.Fatalf("run %d held by the killed node %s was finished by %v, want one other node", id, victim.name, by)
		}
		t.Logf("run %d resumed and finished by %s", id, by[0])
	}

	// 4. Several slots, each complete: every slot from the first to the
	// one that fired last (at least three) has ended for all four
	// schedules. Later slots may still run: on a loaded machine the
	// cluster need not be idle between slots.
	var first, checked time.Time
	waitFor("three slots or more ended", 4*time.Minute, func() (bool, string) {
		rs := runs()
		first = time.Time{}
		for _, r := range rs {
			if first.IsZero() || r.Slot.Before(first) {
				first = r.Slot
			}
		}
		if checked.IsZero() {
			for _, r := range rs {
				checked = maxTime(checked, r.Slot)
			}
		}
		checked = maxTime(checked, first.Add(2*time.Minute))
		open, have := 0, 0
		for _, r := range rs {
			if r.Slot.After(checked) {
				continue
			}
			have++
			if !(r.Status == ferry.RunSucceeded || r.Status == ferry.RunFailed || r.Status == ferry.RunHeld) {
				open++
			}
		}
		nslots := int(checked.Sub(first)/time.Minute) + 1
		return open == 0 && have >= nslots*len(logins), fmt.Sprintf("slots %s to %s: %d runs of %d, %d not ended", first.Format("15:04"), checked.Format("15:04"), have, nslots*len(logins), open)
	})
	waitFor("every record at the ERP", 3*time.Minute, func() (bool, string) {
		stored, _ := erp.snapshot()
		n := 0
		for k := range want {
			if stored[k] > 0 {
				n++
			}
		}
		return n == len(want), fmt.Sprintf("%d of %d records", n, len(want))
	})
	elapsed := time.Since(began)

	// 5. SIGTERM stops every node cleanly.
	var wg sync.WaitGroup
	codes := make([]int, len(nodes))
	for i, n := range nodes {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i] = n.stop(90 * time.Second) }()
	}
	wg.Wait()
	for i, n := range nodes {
		if codes[i] != 0 {
			t.Errorf("%s exited %d on SIGTERM:\n%s", n.name, codes[i], n.tail(20))
		}
	}

	// The store: one run per (schedule, slot), every slot of every
	// schedule from the first to the last checked, all succeeded.
	all := runs()
	bySlot := map[string][]storage.RunRecord{}
	slots := map[time.Time]bool{}
	for _, r := range all {
		if r.Schedule == "" {
			t.Errorf("run %d has no schedule: the test made no ad-hoc run", r.ID)
			continue
		}
		bySlot[r.Schedule+" "+r.Slot.UTC().Format(time.RFC3339)] = append(bySlot[r.Schedule+" "+r.Slot.UTC().Format(time.RFC3339)], r)
		slots[r.Slot.UTC()] = true
	}
	for k, rs := range bySlot {
		if len(rs) != 1 {
			t.Errorf("%s has %d runs, want 1", k, len(rs))
		}
	}
	nSlots := 0
	for s := first; !s.After(checked); s = s.Add(time.Minute) {
		nSlots++
		for _, l := range logins {
			rs := bySlot[l.name+" "+s.UTC().Format(time.RFC3339)]
			switch {
			case len(rs) == 0:
				t.Errorf("schedule %s: slot %s never ran", l.name, s.Format("15:04"))
			case rs[0].Status != ferry.RunSucceeded:
				t.Errorf("schedule %s: slot %s: run %d %s (%s %s)", l.name, s.Format("15:04"), rs[0].ID, rs[0].Status, rs[0].Class, rs[0].Error)
			}
		}
	}
	// No login ever in use twice at once, by Ferry's record: the attempts
	// of the runs of one login, each from its first step to the end of its
	// last, never overlap. (Attempts, not runs: a run whose attempt failed
	// and waits for its retry, or whose node died, rightly lets the next
	// slot's run use the login meanwhile, so a run's StartedAt to
	// FinishedAt may enclose another run. An attempt killed before it
	// stored its steps is seen by the banks below.)
	type attemptSpan struct {
		run      int64
		attempt  int
		from, to time.Time
	}
	byLogin := map[string][]attemptSpan{}
	for _, r := range all {
		steps, attempts, err := db.Steps(ctx, r.ID)
		if err != nil {
			t.Fatalf("steps of run %d: %v", r.ID, err)
		}
		spans := map[int]*attemptSpan{}
		for i, st := range steps {
			sp := spans[attempts[i]]
			if sp == nil {
				sp = &attemptSpan{run: r.ID, attempt: attempts[i], from: st.Started, to: st.Started}
				spans[attempts[i]] = sp
			}
			if st.Started.Before(sp.from) {
				sp.from = st.Started
			}
			sp.to = maxTime(sp.to, st.Started.Add(st.Duration))
		}
		for _, sp := range spans {
			byLogin[r.Login] = append(byLogin[r.Login], *sp)
		}
	}
	attempts := 0
	for login, spans := range byLogin {
		attempts += len(spans)
		sort.Slice(spans, func(i, j int) bool { return spans[i].from.Before(spans[j].from) })
		for i := 1; i < len(spans); i++ {
			prev, cur := spans[i-1], spans[i]
			if cur.from.Before(prev.to) {
				t.Errorf("login %s: run %d attempt %d began %s before run %d attempt %d ended (%s)", login, cur.run, cur.attempt,
					cur.from.Format("15:04:05.000"), prev.run, prev.attempt, prev.to.Format("15:04:05.000"))
			}
		}
	}
	// ... and by the banks' own view of their sessions.
	logins2 := 0
	for _, s := range sites {
		for _, o := range s.watch.overlaps() {
			t.Errorf("%s: %s", s.name, o)
		}
		logins2 += s.watch.loginCount()
	}

	// The ERP: every record, nothing else; a record sent twice only if
	// the killed node was sending it when it died.
	stored, posts := erp.snapshot()
	for k := range want {
		if stored[k] != 1 {
			t.Errorf("the ERP holds record %s %d times", k, stored[k])
		}
	}
	for k := range stored {
		if !want[k] {
			t.Errorf("the ERP holds a record the banks never had: %s", k)
		}
	}
	postsOf := map[string][]erpPost{}
	for _, p := range posts {
		postsOf[p.key] = append(postsOf[p.key], p)
	}
	resent := 0
	for k, ps := range postsOf {
		if len(ps) == 1 {
			continue
		}
		resent += len(ps) - 1
		if ps[0].node != victim.name || ps[0].at.After(killedAt) {
			t.Errorf("record %s was sent %d times, first by %s at %s: only a record the killed node (%s) was sending may be sent again",
				k, len(ps), ps[0].node, ps[0].at.Format("15:04:05.000"), victim.name)
		}
	}

	n := 0
	for _, r := range all {
		if r.Status == ferry.RunSucceeded {
			n++
		}
	}
	t.Logf("%d slots (%s to %s) × %d schedules on 3 nodes; %d runs succeeded in %d attempts, %d bank logins; %d records at the ERP, %d sent again after the kill; %.1f runs/min over %s",
		nSlots, first.Format("15:04"), checked.Format("15:04"), len(logins), n, attempts, logins2, len(stored), resent,
		float64(n)/elapsed.Minutes(), elapsed.Round(time.Second))
}

// maxTime is the later of a and b.
func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
