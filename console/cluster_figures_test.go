package console_test

// The page-load figure: the console's main pages under a running cluster,
// two `ferry serve` nodes on one PostgreSQL database doing runs against
// the sandbox bank, and the nodes' memory.
//
//	FERRY_FIGURES=1 go test -p 1 ./console -run TestClusterPageFigures -v -timeout 30m

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/storage"
)

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serveNode is one `ferry serve` process with its console.
type serveNode struct {
	name, addr string
	cmd        *exec.Cmd
	served     chan struct{}
}

func startServeNode(t *testing.T, bin, dir, name, dsn, bankURL string) *serveNode {
	t.Helper()
	zw := sandbox.DefaultUsers()[0]
	n := &serveNode{name: name, addr: freeAddr(t), served: make(chan struct{})}
	cfg := fmt.Sprintf(`data_dir: %s
database: %q
artifacts: database
workers: 2
console:
  addr: %s
sites:
  demobank: %s
credentials:
  zw:
    user: %s
    password: %q
sinks:
  jsonl:
    path: %s/records.jsonl
`, name, dsn, n.addr, bankURL, zw.ID, zw.Password, name)
	p := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(bin, "--config", p, "--log-format", "json", "serve")
	n.cmd.Dir = dir
	n.cmd.Stdout = io.Discard
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := n.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "console serving") {
				once.Do(func() { close(n.served) })
			}
		}
	}()
	t.Cleanup(func() {
		n.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { n.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			n.cmd.Process.Kill()
			<-done
		}
	})
	select {
	case <-n.served:
	case <-time.After(3 * time.Minute):
		t.Fatalf("%s: the console did not start", name)
	}
	return n
}

var vmRSS = regexp.MustCompile(`(?m)^(VmRSS|VmHWM):\s+(\d+) kB`)

// memory reads the process's resident memory and its peak, in MiB.
func (n *serveNode) memory(t *testing.T) (rss, peak float64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", n.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range vmRSS.FindAllStringSubmatch(string(b), -1) {
		kb, _ := strconv.ParseFloat(m[2], 64)
		if m[1] == "VmRSS" {
			rss = kb / 1024
		} else {
			peak = kb / 1024
		}
	}
	return rss, peak
}

// figurePages are the console's main pages, as an admin opens them.
func figurePages(run int64) []string {
	return []string{"/runs", fmt.Sprintf("/runs/%d", run), "/records", "/statements", "/invoices", "/failures", "/deliveries", "/heals",
		"/selectors", "/audit", "/users"}
}

// TestClusterPageFigures reports page answer medians (and p90) on one
// node's console, first with the cluster idle, then while both nodes run
// the bank bot back to back (two runs always queued), and the nodes'
// resident memory. It only reports; FERRY_FIGURES=1 runs it.
func TestClusterPageFigures(t *testing.T) {
	if os.Getenv("FERRY_FIGURES") == "" {
		t.Skip("set FERRY_FIGURES=1 to measure")
	}
	testenv.Tool(t, "chromium", "chromium")
	ctx := context.Background()
	db, dsn := pgStore(t)
	bank := sandbox.New(sandbox.Options{Seed: 4})
	bankURL, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dir := t.TempDir()
	bin := filepath.Join(dir, "ferry")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/ferry").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	nodes := []*serveNode{startServeNode(t, bin, dir, "node1", dsn, bankURL), startServeNode(t, bin, dir, "node2", dsn, bankURL)}
	for _, r := range []ferry.Role{ferry.RoleAdmin, ferry.RoleFinance} {
		if _, err := console.AddUser(ctx, db, "cli:test", "", string(r), r, password+" "+string(r)); err != nil {
			t.Fatal(err)
		}
	}
	fin, _ := db.UserByName(ctx, "finance")
	tok, hash, _ := console.NewToken()
	if _, err := db.AddAPIToken(ctx, ferry.APIToken{UserID: fin.ID, Role: ferry.RoleFinance, TokenHash: hash, Name: "load"}); err != nil {
		t.Fatal(err)
	}
	start := func(node *serveNode) (int64, error) {
		req, _ := http.NewRequest("POST", "http://"+node.addr+"/api/runs", strings.NewReader(`{"bot":"demobank-statements","login":"zw","from":"2026-10-01","to":"2026-10-03"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var v struct{ Run int64 }
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusCreated {
			return 0, fmt.Errorf("start a run: %d %v", resp.StatusCode, err)
		}
		return v.Run, nil
	}
	// One run first, so that the pages have a run, records and a
	// statement to show.
	first, err := start(nodes[0])
	if err != nil {
		t.Fatal(err)
	}
	waitRun(t, db, first, 5*time.Minute)

	jar, _ := cookiejar.New(nil)
	admin := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "http://" + nodes[0].addr
	resp, err := admin.PostForm(base+"/login", url.Values{"name": {"admin"}, "password": {password + " admin"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", resp, err)
	}
	resp.Body.Close()
	// measure asks for every page in turn until each has at least 41
	// answers and span has passed, and logs each page's median and p90.
	measure := func(phase string, span time.Duration) map[string]time.Duration {
		took := map[string][]time.Duration{}
		pages := figurePages(first)
		for end := time.Now().Add(span); time.Now().Before(end) || len(took[pages[len(pages)-1]]) < 41; {
			for _, p := range pages {
				t0 := time.Now()
				resp, err := admin.Get(base + p)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: %d", p, resp.StatusCode)
				}
				took[p] = append(took[p], time.Since(t0))
			}
		}
		out := map[string]time.Duration{}
		for _, p := range pages {
			d := took[p]
			slices.Sort(d)
			out[p] = d[len(d)/2]
			t.Logf("%-6s %-14s median %7.2f ms  p90 %7.2f ms  (%d answers)", phase, p, ms(d[len(d)/2]), ms(d[len(d)*9/10]), len(d))
		}
		return out
	}
	idle := measure("idle", 20*time.Second)
	for _, n := range nodes {
		rss, peak := n.memory(t)
		t.Logf("idle: %s resident %.1f MiB (peak %.1f MiB)", n.name, rss, peak)
	}

	// Load: both nodes take runs, two always queued, until measured.
	stopLoad := make(chan struct{})
	var started, done atomic.Int64
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				select {
				case <-stopLoad:
					return
				default:
				}
				id, err := start(nodes[(i+k)%2])
				if err != nil {
					t.Errorf("%s: %v", n.name, err)
					return
				}
				started.Add(1)
				waitRun(t, db, id, 5*time.Minute)
				done.Add(1)
			}
		}()
	}
	// Runs in flight before measuring.
	deadline := time.Now().Add(2 * time.Minute)
	for done.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	t0, before := time.Now(), done.Load()
	busy := measure("busy", 90*time.Second)
	var rss, peak [2]float64
	for i, n := range nodes {
		rss[i], peak[i] = n.memory(t)
	}
	span := time.Since(t0)
	close(stopLoad)
	wg.Wait()
	for i, n := range nodes {
		t.Logf("busy: %s resident %.1f MiB (peak %.1f MiB)", n.name, rss[i], peak[i])
	}
	var ratios []float64
	for _, p := range figurePages(first) {
		ratios = append(ratios, float64(busy[p])/float64(idle[p]))
	}
	slices.Sort(ratios)
	t.Logf("%d runs succeeded on the two nodes while measuring for %v (%d started in all); busy/idle median ratio over pages %.2f (min %.2f, max %.2f)",
		done.Load()-before, span.Round(time.Second), started.Load(), ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// waitRun waits until run id has ended.
func waitRun(t *testing.T, db *storage.DB, id int64, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		r, err := db.Run(context.Background(), id)
		if err == nil && (r.Status == ferry.RunSucceeded || r.Status == ferry.RunFailed || r.Status == ferry.RunHeld) {
			if r.Status != ferry.RunSucceeded {
				t.Errorf("run %d: %s %s: %s", id, r.Status, r.Class, r.Error)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("run %d did not end in %v", id, limit)
}
