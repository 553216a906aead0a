package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/storage"
)

// The period every cluster run fetches: fixed in the bots' defaults, so
// that what the sink must receive does not depend on today's date.
var clusterFrom, clusterTo = ferry.NewDate(2026, 10, 1), ferry.NewDate(2026, 10, 4)

// clusterCron is every minute, the words: robfig's standard
// parser has no seconds, and `@every 15s` gives slots that depend on when
// each process computes them (ConstantDelaySchedule counts from "now"), so
// the nodes would not agree on a slot.
const clusterCron = "* * * * *"

// clusterLogin is one login of the cluster: a sandbox user at one site.
type clusterLogin struct {
	name, site, bot string
	user            sandbox.User
}

// clusterSite is one sandbox bank of the cluster, watched from the bank's
// side.
type clusterSite struct {
	name  string
	bank  *sandbox.Bank
	watch *bankWatch
	url   string
	users []sandbox.User
}

// clusterOptions shape a cluster.
type clusterOptions struct {
	// users gives the i-th bank's accounts and logins.
	users func(i int) ([]sandbox.Account, []sandbox.User)
	// schedules schedules every login every minute; the current minute's
	// slot is caught up at start.
	schedules bool
	workers   int
}

// cluster is three `ferry serve` processes on one PostgreSQL database,
// two sandbox banks and an ERP as the one sink.
type cluster struct {
	tb     testing.TB
	ctx    context.Context
	began  time.Time
	db     *storage.DB // the test's own connection to the shared database
	sites  []*clusterSite
	logins []clusterLogin
	nodes  []*clusterNode
	erp    *erpSink
}

// startCluster sets up and starts the cluster; everything stops at the
// end of tb.
func startCluster(tb testing.TB, o clusterOptions) *cluster {
	tb.Helper()
	testenv.Tool(tb, "chromium", "chromium")
	c := &cluster{tb: tb, began: time.Now()}
	dbURL := pg.Database(tb)
	bin := clusterBinary(tb)
	root := tb.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	tb.Cleanup(cancel)
	c.ctx = ctx

	// Two sites: two sandbox banks with data of their own, each behind a
	// watcher that sees every session.
	for i, name := range []string{"banka", "bankb"} {
		accts, users := o.users(i)
		bank := sandbox.New(sandbox.Options{Seed: int64(31 + i), Accounts: accts, Users: users})
		w := newBankWatch(bank)
		srv := httptest.NewServer(w)
		tb.Cleanup(srv.Close)
		c.sites = append(c.sites, &clusterSite{name: name, bank: bank, watch: w, url: srv.URL, users: users})
	}
	scriptsDir := clusterScripts(tb, root)
	for _, s := range c.sites {
		for _, u := range s.users {
			c.logins = append(c.logins, clusterLogin{name: s.name + "-" + u.ID, site: s.name, bot: "demobank-statements", user: u})
		}
	}
	c.erp = newERPSink()
	erpSrv := httptest.NewServer(c.erp)
	tb.Cleanup(erpSrv.Close)

	db, err := storage.Open(ctx, dbURL, filepath.Join(root, "test-artifacts"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	c.db = db
	// River's tables too, before the nodes start: three `ferry serve`
	// migrating a fresh database at once fail (River's migration 006 races:
	// duplicate key in pg_proc_proname_args_nsp_index), because
	// storage.MigrateRiver takes no lock, unlike Ferry's own migrations.
	if err := db.MigrateRiver(ctx); err != nil {
		tb.Fatal(err)
	}
	if o.schedules {
		// The schedules are known to the database with a slot long past:
		// the cluster's first act is to catch up the current minute's
		// slot, once, however many nodes start at once (and the test need
		// not wait for the next minute).
		for _, l := range c.logins {
			if err := db.SetScheduleSlot(ctx, db.SQL, l.name, clusterCron, c.began.Add(-time.Hour)); err != nil {
				tb.Fatal(err)
			}
		}
	}

	for i := range 3 {
		name := fmt.Sprintf("n%d", i+1)
		dir := filepath.Join(root, name)
		// The data directory exists beforehand: with the database on
		// PostgreSQL and the artifacts in it, nothing else creates it, and
		// `ferry serve` fails to create runner.lock in it.
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
			tb.Fatal(err)
		}
		cfg := filepath.Join(dir, "ferry.yaml")
		body := clusterConfig(name, dbURL, scriptsDir, c.sites, c.logins, o.schedules, o.workers, erpSrv.URL)
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			tb.Fatal(err)
		}
		c.nodes = append(c.nodes, &clusterNode{name: name, bin: bin, cfg: cfg})
	}
	// Whatever happens, no process outlives the test.
	tb.Cleanup(func() {
		for _, n := range c.nodes {
			n.stop(5 * time.Second)
		}
	})
	for _, n := range c.nodes {
		n.start(tb)
	}
	return c
}

// clusterBinary builds the ferry binary (a release build) for tb.
func clusterBinary(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "ferry")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// logs is the last lines of every node's log, for failure messages.
func (c *cluster) logs() string {
	var b strings.Builder
	for _, n := range c.nodes {
		b.WriteString(n.tail(15))
	}
	return b.String()
}

// waitFor polls cond until it holds, failing the test at the deadline or
// when a node exits that the test did not kill.
func (c *cluster) waitFor(what string, d time.Duration, cond func() (bool, string)) {
	c.tb.Helper()
	end := time.Now().Add(d)
	for {
		ok, state := cond()
		if ok {
			return
		}
		for _, n := range c.nodes {
			if !n.running() && !n.isKilled() {
				c.tb.Fatalf("%s: node %s exited:\n%s", what, n.name, n.tail(30))
			}
		}
		if time.Now().After(end) {
			c.tb.Fatalf("%s: not after %s (%s)\nlogs:\n%s", what, d, state, c.logs())
		}
		time.Sleep(100 * time.Millisecond) // the polling interval, not a wait for correctness
	}
}

// runs is every run in the shared database.
func (c *cluster) runs() []storage.RunRecord {
	c.tb.Helper()
	rs, err := c.db.Runs(c.ctx, 100000)
	if err != nil {
		c.tb.Fatalf("runs: %v", err)
	}
	return rs
}

// clusterAccounts are the sandbox's accounts and users for the i-th bank:
// the same logins (one with a TOTP step), with account numbers of their
// own at each bank (the sandbox's transaction references carry the
// account's last four digits, so two banks with the same numbers would
// share records). Each login sees one account: four runs a minute on a
// 2-core machine shared with other work must not queue up behind each
// other.
func clusterAccounts(i int) ([]sandbox.Account, []sandbox.User) {
	accts := sandbox.DefaultAccounts()
	for j := range accts {
		accts[j].ID = renumber(accts[j].ID, i)
	}
	users := sandbox.DefaultUsers()
	for j := range users {
		users[j].Accounts = []string{renumber(users[j].Accounts[0], i)}
	}
	return accts, users
}

// renumber gives an account number of the i-th bank: its last four digits
// moved by 1000·i.
func renumber(id string, i int) string {
	var last int
	fmt.Sscanf(id[len(id)-4:], "%d", &last)
	return fmt.Sprintf("%s%04d", id[:len(id)-4], last+1000*i)
}

// clusterScripts writes the one bot script every site runs: the sandbox
// bank's, fetching a fixed period (its defaults say "yesterday", which has
// no transactions on a Monday). Its site, demobank, names the portal
// software and so the selector file (the built-in one); each schedule
// names the site it logs in to.
func clusterScripts(tb testing.TB, root string) string {
	tb.Helper()
	script, err := os.ReadFile("../../scripts/demobank-statements.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	sc := string(script)
	for _, r := range [][2]string{
		{"\n  from: yesterday\n", "\n  from: " + clusterFrom.String() + "\n"},
		{"\n  to: yesterday\n", "\n  to: " + clusterTo.String() + "\n"},
	} {
		if !strings.Contains(sc, r[0]) {
			tb.Fatalf("scripts/demobank-statements.yaml has no %q to replace", strings.TrimSpace(r[0]))
		}
		sc = strings.Replace(sc, r[0], r[1], 1)
	}
	dir := filepath.Join(root, "scripts")
	if err := os.Mkdir(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demobank-statements.yaml"), []byte(sc), 0o600); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// expected is every record the banks hold for the logins over the bots'
// period: what the ERP must end up with, once each.
func (c *cluster) expected() map[string]bool {
	c.tb.Helper()
	want := map[string]bool{}
	for _, s := range c.sites {
		keys := map[string]bool{}
		for _, l := range c.logins {
			if l.site != s.name {
				continue
			}
			for _, acct := range l.user.Accounts {
				st, err := s.bank.Statement(acct, clusterFrom, clusterTo)
				if err != nil {
					c.tb.Fatal(err)
				}
				for _, k := range st.DedupKeys() {
					keys[k] = true
				}
			}
		}
		for k := range keys {
			if want[k] {
				c.tb.Fatalf("record %s is at both banks: the count at the ERP would prove less", k)
			}
			want[k] = true
		}
	}
	if len(want) == 0 {
		c.tb.Fatal("the banks have no records for the period")
	}
	return want
}

// clusterConfig is one node's ferry.yaml: the shared database, with the
// artifacts in it; both sites; the logins (each scheduled every minute at
// its site, when schedules is set); the ERP as the only sink, with a
// header naming the node for the ERP's count.
func clusterConfig(node, dbURL, scriptsDir string, sites []*clusterSite, logins []clusterLogin, schedules bool, workers int, erpURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir: data\ndatabase: %q\nartifacts: database\nscripts_dir: %q\nworkers: %d\nsites:\n", dbURL, scriptsDir, workers)
	for _, s := range sites {
		fmt.Fprintf(&b, "  %s: %s\n", s.name, s.url)
	}
	b.WriteString("credentials:\n")
	for _, l := range logins {
		fmt.Fprintf(&b, "  %s:\n    user: %s\n    password: %q\n", l.name, l.user.ID, l.user.Password)
		if l.user.TOTPSecret != "" {
			fmt.Fprintf(&b, "    totp: %s\n", l.user.TOTPSecret)
		}
	}
	if schedules {
		b.WriteString("schedules:\n")
		for _, l := range logins {
			fmt.Fprintf(&b, "  - id: %s\n    bot: %s\n    login: %s\n    site: %s\n    cron: %q\n", l.name, l.bot, l.name, l.site, clusterCron)
		}
	}
	fmt.Fprintf(&b, "sinks:\n  http:\n    url: %s/records\n    headers:\n      X-Ferry-Node: %s\n", erpURL, node)
	return b.String()
}
