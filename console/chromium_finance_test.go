package console_test

// A finance user answers a waiting run's SMS code and sees its QR code in
// real Chromium, against the sandbox tax portal through the real runner;
// an ops user runs the canary from the selectors page against the sandbox
// bank. Pages are checked at two window sizes.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
)

// waitLong polls until the page at path holds want, for up to limit: a
// bot logging in to a portal takes seconds, more on a loaded machine.
func (d *devtools) waitLong(path, want string, limit time.Duration) string {
	d.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		res, _ := d.evalTry(`document.readyState === "complete" ? location.pathname + "\n" + document.body.innerText : ""`)
		v, _ := res.(string)
		got, text, _ := strings.Cut(v, "\n")
		if got == path && strings.Contains(text, want) {
			return text
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("waiting for %s with %q; at %s:\n%s", path, want, got, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestChromiumWaitingRunAnswered: the runner runs the etax bot; the run
// waits for an SMS code; the finance user, on the run's page (opened
// while the run was queued, following it live), sees waiting_for_input
// with the prompt, the masked phone, the deadline and attempts left,
// types the code the sandbox phone got, and sees the run succeed. Then a
// QR login: the page shows the relayed QR code; the sandbox phone scans
// and confirms; the run succeeds. The audit log has both answers' records
// without the code.
func TestChromiumWaitingRunAnswered(t *testing.T) {
	testenv.Tool(t, "chromium", "chromium")
	ctx := context.Background()
	portal := tax.New(tax.Options{Seed: 21})
	base, stop, err := portal.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	_, db, br := dbAndBrowser(t)
	u := tax.DefaultUsers()[0]
	r := startRunner(t, runner.Config{DB: db, Browser: br, Sites: map[string]string{"etax": base}, ScriptsDir: "../runner/testdata/scripts",
		Credentials: runner.StaticCredentials{"etax": {Name: "etax", Fields: map[string]string{"user": u.UserName, "password": u.Password}}},
		RetryBase:   300 * time.Millisecond, StepTimeout: 30 * time.Second, ReservePath: "-",
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	logs := &syncBuffer{}
	srv, err := console.New(console.Config{Store: db, Logger: zerolog.New(logs).Level(zerolog.DebugLevel), PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	if _, err := console.AddUser(ctx, db, "cli:test", "", "fiona", ferry.RoleFinance, "fionas long password"); err != nil {
		t.Fatal(err)
	}

	d := chromium(t)
	d.call("Page.enable", map[string]any{})
	shoot := func(name string) {
		for _, s := range [][2]int{{1280, 800}, {390, 844}} {
			d.screenshot(name, s[0], s[1])
		}
		d.call("Emulation.clearDeviceMetricsOverride", map[string]any{})
	}
	d.open(ts.URL + "/runs")
	d.waitFor("/login", "Password")
	d.submit("form[action='/login']", map[string]string{"name": "fiona", "password": "fionas long password"})
	d.waitFor("/runs", "fiona (finance)")

	enqueue := func(login string) (int64, string) {
		t.Helper()
		id, err := r.Enqueue(ctx, runner.Request{Bot: "etax-login", Login: "etax", Params: ferry.RunParams{Values: map[string]string{"login": login, "taxid": tax.Home().TaxID}}})
		if err != nil {
			t.Fatal(err)
		}
		return id, fmt.Sprintf("/runs/%d", id)
	}

	// SMS: the page follows the run and shows the question when it comes.
	id, path := enqueue("login")
	d.open(ts.URL + path)
	text := d.waitLong(path, "Waiting for you", 2*time.Minute)
	for _, want := range []string{"waiting_for_input", "138****5678", "Attempts left", "Answer by"} {
		if !strings.Contains(text, want) {
			t.Errorf("the waiting run's page lacks %q:\n%s", want, text)
		}
	}
	shoot("run-waiting-sms")
	d.open(ts.URL + "/runs")
	d.waitFor("/runs", "138****5678")
	shoot("runs-waiting")
	d.open(ts.URL + path)
	d.waitLong(path, "Waiting for you", 20*time.Second)
	sms, err := portal.LastSMS("zhangwei")
	if err != nil {
		t.Fatal(err)
	}
	d.submit("#answer-form", map[string]string{"code": sms.Code})
	d.waitLong(path, "succeeded", 2*time.Minute)
	shoot("run-answered")
	run, err := db.Run(ctx, id)
	if err != nil || run.Status != ferry.RunSucceeded {
		t.Fatalf("the answered run: %+v %v", run, err)
	}
	c, err := db.LatestChallenge(ctx, id)
	if err != nil || c.State != ferry.ChallengeUsed || c.AnsweredBy != "console:fiona" {
		t.Fatalf("the challenge: %s by %s, %v", c.State, c.AnsweredBy, err)
	}
	entries, _ := db.Audit(ctx, ferry.AuditQuery{Action: "run.answer"})
	if len(entries) != 1 || entries[0].Actor != "fiona" || strings.Contains(entries[0].After, sms.Code) {
		t.Errorf("audit: %+v", entries)
	}
	if strings.Contains(logs.String(), sms.Code) {
		t.Error("the console's log holds the code")
	}

	// QR: the relayed code is shown; the phone confirms.
	id, path = enqueue("login/qr")
	d.open(ts.URL + path)
	d.waitLong(path, "Scan this code", 2*time.Minute)
	d.waitEval("the QR image to load", `(function(){ const i = document.getElementById("challenge-qr"); return !!i && i.complete && i.naturalWidth > 50; })()`)
	if n := d.eval(`document.querySelectorAll("#answer-form").length`); n != float64(0) {
		t.Error("a QR challenge offers a code form")
	}
	shoot("run-waiting-qr")
	for _, p := range []string{"/_sandbox/phone/scan?user=zhangwei", "/_sandbox/phone/confirm"} {
		resp, err := http.Post(base+p, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s", p, resp.Status)
		}
	}
	d.waitLong(path, "succeeded", 2*time.Minute)
	if run, _ := db.Run(ctx, id); run.Status != ferry.RunSucceeded {
		t.Fatalf("the QR run: %s %s", run.Status, run.Error)
	}
}

// TestChromiumCanaryFromSelectorsPage: an ops user starts the demobank
// canary from the selectors page; the page shows each selector's result,
// the run passed, and the audit log records it.
func TestChromiumCanaryFromSelectorsPage(t *testing.T) {
	testenv.Tool(t, "chromium", "chromium")
	ctx := context.Background()
	bank := sandbox.New(sandbox.Options{Seed: 4})
	bankURL, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dir, db, br := dbAndBrowser(t)
	svc := newOpsService(t, db, dir)
	canary := &service.Canary{SelectorsDir: svc.SelectorsDir, Sites: map[string]string{"demobank": bankURL}, Credentials: runner.StaticCredentials(sandbox.Credentials()),
		Engine: br, StepTimeout: 20 * time.Second}
	srv, err := console.New(console.Config{Store: db, Ops: svc, Canary: canary, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	if _, err := console.AddUser(ctx, db, "cli:test", "", "otto", ferry.RoleOps, "ottos long password"); err != nil {
		t.Fatal(err)
	}
	d := chromium(t)
	d.call("Page.enable", map[string]any{})
	d.open(ts.URL + "/login")
	d.waitFor("/login", "Password")
	d.submit("form[action='/login']", map[string]string{"name": "otto", "password": "ottos long password"})
	d.waitFor("/runs", "otto (ops)")
	d.open(ts.URL + "/selectors")
	d.waitFor("/selectors", "Run the canary")
	for _, s := range [][2]int{{1280, 800}, {390, 844}} {
		d.screenshot("selectors-canary", s[0], s[1])
	}
	d.call("Emulation.clearDeviceMetricsOverride", map[string]any{})
	d.submit("form[action='/selectors/demobank/canary']", map[string]string{"from": "2026-10-01", "to": "2026-10-03"})
	text := d.waitLong("/selectors/demobank/canary", "Selectors", 3*time.Minute)
	for _, want := range []string{"passed", "login.submit", "unique", "2026-10-01 – 2026-10-03", "demobank"} {
		if !strings.Contains(text, want) {
			t.Errorf("the canary page lacks %q:\n%s", want, text)
		}
	}
	if n := d.eval(`document.querySelectorAll("#canary-elements tbody tr").length`); n.(float64) < 5 {
		t.Errorf("the canary shows %v selectors", n)
	}
	for _, s := range [][2]int{{1280, 800}, {390, 844}} {
		d.screenshot("canary", s[0], s[1])
	}
	entries, _ := db.Audit(ctx, ferry.AuditQuery{Action: "selectors.canary"})
	if len(entries) != 1 || entries[0].Actor != "otto" || entries[0].Target != "site:demobank" || !strings.Contains(entries[0].After, `"completed":true`) {
		t.Errorf("audit: %+v", entries)
	}
}

// TestChromiumStatementsInvoices: finance filters the statements and
// invoices in the browser, opens one of each with its checks, at a
// desktop and a phone width; names holding <script> or <img> stay text.
func TestChromiumStatementsInvoices(t *testing.T) {
	e := newEnv(t)
	good, held := invoiceFixture(t, e.db, e.ops.doneID)
	sts, _ := e.db.Statements(context.Background(), e.ops.doneID)
	d := chromium(t)
	d.call("Page.enable", map[string]any{})
	shoot := func(name string) {
		for _, s := range [][2]int{{1280, 800}, {390, 844}} {
			d.screenshot(name, s[0], s[1])
		}
		d.call("Emulation.clearDeviceMetricsOverride", map[string]any{})
	}
	inert := func(where string) {
		t.Helper()
		if n := d.eval(`document.querySelectorAll("script").length`); n != float64(1) {
			t.Errorf("%s has %v script elements, want only console.js", where, n)
		}
		if n := d.eval(`document.querySelectorAll("main img").length`); n != float64(0) {
			t.Errorf("%s: a name's <img> became an element (%v)", where, n)
		}
	}
	d.open(e.ts.URL + "/login")
	d.waitFor("/login", "Password")
	d.submit("form[action='/login']", map[string]string{"name": "finance", "password": password + " finance"})
	d.waitFor("/runs", "finance (finance)")

	d.open(e.ts.URL + "/statements")
	d.waitFor("/statements", "1 statements")
	shoot("statements")
	d.submit("form.filters", map[string]string{"account": "DE00", "from": "", "to": ""})
	d.waitFor("/statements", "No statements match")
	d.open(fmt.Sprintf("%s/statements/%d/%d", e.ts.URL, e.ops.doneID, sts[0].ID))
	d.waitFor(fmt.Sprintf("/statements/%d/%d", e.ops.doneID, sts[0].ID), "<script>alert('cp')</script>")
	inert("the statement")
	shoot("statement")

	d.open(e.ts.URL + "/invoices")
	d.waitFor("/invoices", "2 invoices")
	inert("the invoices")
	shoot("invoices")
	d.submit("form.filters", map[string]string{"direction": "received"})
	d.waitFor("/invoices", "1 invoices")
	d.open(e.ts.URL + "/invoices/" + good)
	d.waitFor("/invoices/"+good, "<img src=x onerror=alert(5)>*信息技术服务*")
	inert("the invoice")
	shoot("invoice")
	d.open(e.ts.URL + "/invoices/" + held)
	d.waitFor("/invoices/"+held, "≠ 价税合计 114.00")
	shoot("invoice-held")
}

// dbAndBrowser opens a SQLite store in a fresh directory and launches a
// browser, both closed when t ends.
func dbAndBrowser(t *testing.T) (string, *storage.DB, *bots.Browser) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	br, err := bots.Launch(ctx, bots.BrowserOptions{Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.Close() })
	return dir, db, br
}
