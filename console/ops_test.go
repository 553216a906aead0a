package console_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// opsFixture is what the ops and finance tests find in every env: a
// failed run's evidence (a screenshot, captured DOM with a script, a
// report naming a selector with markup), a finished run with a statement
// (its records queued for a sink), a parked delivery and a heal proposal
// for the demobank selector file.
type opsFixture struct {
	doneID, pngID, domID, reportID int64
	healID, parkedID               int64
	selDir                         string
}

// domScript is in the captured DOM: it would mark the console's page and
// its own if it ever ran.
const domScript = `<script>document.title = "pwned"; try { parent.document.title = "pwned"; parent.document.body.setAttribute("data-pwned", "1"); } catch (e) {}</script>`

// newOpsService is the service the console's ops pages use, with a
// selectors directory holding the demobank file.
func newOpsService(t *testing.T, db *storage.DB, dir string) *service.Service {
	t.Helper()
	f, err := selectors.Load("", "demobank")
	if err != nil {
		t.Fatal(err)
	}
	sel := filepath.Join(dir, "selectors")
	if err := os.MkdirAll(sel, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sel, "demobank.yaml"), f.Source, 0o600); err != nil {
		t.Fatal(err)
	}
	return &service.Service{Store: db, SelectorsDir: sel}
}

func pngBytes(t *testing.T, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for y := 0; y < 30; y++ {
		for x := 0; x < 40; x++ {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func addOpsFixture(t *testing.T, db *storage.DB, failed int64, selDir string) opsFixture {
	t.Helper()
	ctx := context.Background()
	fx := opsFixture{selDir: selDir}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.StartRun(ctx, failed, 1, "v1"))
	must(db.FinishRun(ctx, failed, ferry.RunFailed, ferry.ClassSiteChanged, "login.submit: no way found it", ""))
	put := func(run int64, kind, name, mime, format string, data []byte) int64 {
		a, err := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: kind, Name: name, MIME: mime, Format: format}, data)
		must(err)
		return a.ID
	}
	fx.pngID = put(failed, "evidence", "screenshot.png", "image/png", "png", pngBytes(t, color.RGBA{200, 30, 30, 255}))
	fx.domID = put(failed, "evidence", "page.html", "text/html", "html", []byte(`<html><head><title>Bank</title></head><body><h1>captured bank page</h1>`+domScript+`<img src="https://bank.example/track.gif"></body></html>`))
	report, _ := json.Marshal(map[string]any{
		"url": "https://bank.example/login", "title": "Sign in", "step": "steps[2]", "selector": "<script>alert('sel')</script>",
		"ways":  []map[string]any{{"way": "css #sign-in", "count": 0}, {"way": "text Sign in", "count": 2}},
		"error": "no way found it", "class": "site_changed", "selector_file": "demobank.yaml", "selector_version": "v1",
		"trace": []ferry.Step{{Seq: 1, Action: "open", Status: ferry.StepOK}, {Seq: 2, Action: "click", Element: "login.submit", Status: ferry.StepFailed}},
	})
	fx.reportID = put(failed, "evidence", "evidence.json", "application/json", "json", report)

	var err error
	fx.doneID, err = db.NewRun(ctx, ferry.Run{Bot: "statements", Login: "acme"})
	must(err)
	must(db.StartRun(ctx, fx.doneID, 1, "v1"))
	must(db.AddSteps(ctx, fx.doneID, 1, []ferry.Step{{Seq: 1, Action: "open", Status: ferry.StepOK}, {Seq: 2, Action: "download", Status: ferry.StepOK}}))
	art := put(fx.doneID, "download", "statement.csv", "text/csv", "csv", []byte("date;amount\n"))
	d := func(s string) ferry.Date { v, err := ferry.ParseDate(s); must(err); return v }
	st := ferry.Statement{Account: "DE02100100109307118603", Currency: "EUR", From: d("2026-03-01"), To: d("2026-03-13"),
		Opening: decimal.RequireFromString("100.00"), Closing: decimal.RequireFromString("57.66"),
		Lines: []ferry.StatementLine{
			{Account: "DE02100100109307118603", BookingDate: d("2026-03-02"), ValueDate: d("2026-03-02"), Amount: decimal.RequireFromString("-42.34"), Currency: "EUR",
				Counterparty: "<script>alert('cp')</script>", Description: "=HYPERLINK(\"http://evil\")", Reference: "R1", BalanceAfter: decimal.RequireFromString("57.66")},
		}}
	_, err = db.SaveStatement(ctx, fx.doneID, art, st, []string{"jsonl"}, "")
	must(err)
	must(db.FinishRun(ctx, fx.doneID, ferry.RunSucceeded, "", "", "1 statement, 1 line"))

	_, err = db.ExecSQL(ctx, `INSERT INTO outbox (sink, dedup_key, payload, status, attempts, last_error, next_attempt_at) VALUES ('erp', 'k-parked', '{}', 'parked', 5, 'HTTP 500 from the ERP', '2026-03-14T09:00:00.000000000Z')`)
	must(err)
	ds, err := db.Deliveries(ctx, "parked", "erp", 1)
	must(err)
	fx.parkedID = ds[0].ID

	before := put(failed, "heal", "login.submit-before.png", "image/png", "png", pngBytes(t, color.RGBA{30, 30, 200, 255}))
	after := put(failed, "heal", "login.submit-after.png", "image/png", "png", pngBytes(t, color.RGBA{30, 200, 30, 255}))
	fx.healID, _, err = db.AddHeal(ctx, storage.HealRecord{Site: "demobank", Element: "login.submit", RunID: failed, Page: "/login",
		Way: `{"ways":[{"kind":"css","value":"#sign-in-v2"}],"dismiss":false}`, Score: 0.9, RunnerUp: 0.1, Breakdown: "{}", BaseSeq: 1,
		BeforeArtifact: before, AfterArtifact: after, Diff: "- css #sign-in\n+ css #sign-in-v2"})
	must(err)
	return fx
}

// TestRunEvents: a live run's stream sends the steps it has, then each
// new step and status change as the runner writes them, and ends with
// the run; a reconnect with Last-Event-ID gets only the steps after it.
func TestRunEvents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, err := e.db.NewRun(ctx, ferry.Run{Bot: "statements", Login: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	c := e.login(ferry.RoleViewer)
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/runs/%d/events", e.ts.URL, id), nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, ct)
	}
	events := make(chan [2]string, 100)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var ev string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				ev = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				events <- [2]string{ev, v}
			}
		}
	}()
	next := func(want string) string {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok || ev[0] != want {
				t.Fatalf("event %v (open %v), want %s", ev, ok, want)
			}
			return ev[1]
		case <-time.After(20 * time.Second):
			t.Fatalf("no %s event in 20 s", want)
		}
		return ""
	}
	if d := next("run"); !strings.Contains(d, `"status":"queued"`) {
		t.Fatalf("first run event: %s", d)
	}
	if err := e.db.StartRun(ctx, id, 1, "v1"); err != nil {
		t.Fatal(err)
	}
	if d := next("run"); !strings.Contains(d, `"status":"running"`) {
		t.Fatalf("running: %s", d)
	}
	if err := e.db.AddSteps(ctx, id, 1, []ferry.Step{{Seq: 1, Action: "open", Status: ferry.StepOK}}); err != nil {
		t.Fatal(err)
	}
	if d := next("step"); !strings.Contains(d, `"action":"open"`) {
		t.Fatalf("step: %s", d)
	}
	if err := e.db.AddSteps(ctx, id, 1, []ferry.Step{{Seq: 2, Action: "click", Element: "<script>x</script>", Status: ferry.StepOK}}); err != nil {
		t.Fatal(err)
	}
	if d := next("step"); !strings.Contains(d, `"seq":2`) {
		t.Fatalf("second step: %s", d)
	}
	if err := e.db.FinishRun(ctx, id, ferry.RunSucceeded, "", "", "done"); err != nil {
		t.Fatal(err)
	}
	if d := next("run"); !strings.Contains(d, `"status":"succeeded"`) {
		t.Fatalf("finished: %s", d)
	}
	next("end")
	if _, ok := <-events; ok {
		t.Fatal("the stream goes on after the end")
	}
	// A reconnect after step 1 gets step 2 only.
	req, _ = http.NewRequest(http.MethodGet, fmt.Sprintf("%s/runs/%d/events", e.ts.URL, id), nil)
	req.Header.Set("Last-Event-ID", "1")
	r2, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(r2.Body)
	r2.Body.Close()
	if n := strings.Count(b.String(), "event: step"); n != 1 || !strings.Contains(b.String(), "id: 2\n") {
		t.Fatalf("after Last-Event-ID 1: %d steps\n%s", n, b.String())
	}
	// A shutdown ends the streams of live runs at once.
	live, err := e.db.NewRun(ctx, ferry.Run{Bot: "statements", Login: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	r3, err := c.Get(fmt.Sprintf("%s/runs/%d/events", e.ts.URL, live))
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan struct{})
	go func() { io.Copy(io.Discard, r3.Body); r3.Body.Close(); close(ended) }()
	e.srv.CloseStreams()
	select {
	case <-ended:
	case <-time.After(20 * time.Second):
		t.Fatal("a live run's stream outlived CloseStreams")
	}
}

// TestDownloads: artifacts download (HTML never inline), records export
// as CSV and XLSX with exact amounts and no formula from a bank's text,
// and the run page shows its statement's check.
func TestDownloads(t *testing.T) {
	e := newEnv(t)
	fin := e.login(ferry.RoleFinance)
	resp, err := fin.Get(fmt.Sprintf("%s/runs/%d/artifacts/%d", e.ts.URL, e.runID, e.ops.domID))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct, cd := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"); resp.StatusCode != 200 || ct != "application/octet-stream" || !strings.HasPrefix(cd, "attachment") {
		t.Errorf("captured DOM download: %d %s %s", resp.StatusCode, ct, cd)
	}
	if code, _ := fin.get(fmt.Sprintf("/runs/%d/artifacts/%d", e.ops.doneID, e.ops.domID)); code != http.StatusNotFound {
		t.Errorf("another run's artifact: %d, want 404", code)
	}
	code, body := fin.get("/records/export?format=csv&from=2026-03-01&to=2026-03-31")
	if code != 200 {
		t.Fatalf("CSV: %d %s", code, body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("CSV rows: %v %v", rows, err)
	}
	if rows[1][5] != "-42.34" || rows[1][8] != `'=HYPERLINK("http://evil")` || rows[1][7] != "<script>alert('cp')</script>" {
		t.Errorf("CSV row: %q", rows[1])
	}
	if code, _ := fin.get("/records/export?format=csv&from=2026-04-01"); code != 200 {
		t.Errorf("empty period: %d", code)
	}
	if code, body := fin.get("/records/export?format=pdf"); code != http.StatusBadRequest || !strings.Contains(body, "format") {
		t.Errorf("bad format: %d", code)
	}
	if code, body := fin.get("/records?from=March"); code != http.StatusBadRequest || !strings.Contains(body, "from") {
		t.Errorf("bad from: %d", code)
	}
	code, body = fin.get("/records/export?format=xlsx")
	if code != 200 {
		t.Fatalf("XLSX: %d", code)
	}
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	amount, _ := f.GetCellValue("Records", "F2")
	desc, _ := f.GetCellValue("Records", "I2")
	formula, _ := f.GetCellFormula("Records", "I2")
	typ, _ := f.GetCellType("Records", "F2")
	if amount != "-42.34" || desc != `=HYPERLINK("http://evil")` || formula != "" || typ == excelize.CellTypeSharedString {
		t.Errorf("XLSX: amount %q (type %v), description %q, formula %q", amount, typ, desc, formula)
	}
	code, body = fin.get(fmt.Sprintf("/runs/%d", e.ops.doneID))
	if code != 200 || !strings.Contains(body, "balances reconcile") || !strings.Contains(body, "DE02100100109307118603") || !strings.Contains(body, fmt.Sprintf(`href="/runs/%d/artifacts/`, e.ops.doneID)) {
		t.Errorf("run page with its statement: %d", code)
	}
	// A viewer sees the run but no download links.
	if _, body := e.login(ferry.RoleViewer).get(fmt.Sprintf("/runs/%d", e.ops.doneID)); strings.Contains(body, "/artifacts/") {
		t.Error("the viewer's run page links downloads it may not use")
	}
}

// TestEvidenceInert: the evidence page shows the report (with each way's
// match count), the screenshot, and the captured DOM in a sandboxed
// frame served under a sandboxing CSP; markup in a selector name is text.
func TestEvidenceInert(t *testing.T) {
	e := newEnv(t)
	ops := e.login(ferry.RoleOps)
	resp, err := ops.Get(fmt.Sprintf("%s/runs/%d/evidence", e.ts.URL, e.runID))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	resp.Body.Close()
	body := b.String()
	if resp.StatusCode != 200 {
		t.Fatalf("evidence: %d", resp.StatusCode)
	}
	for _, want := range []string{`<iframe class="dom" sandbox=""`, fmt.Sprintf(`src="/runs/%d/dom/%d"`, e.runID, e.ops.domID),
		fmt.Sprintf(`src="/runs/%d/artifacts/%d"`, e.runID, e.ops.pngID), "<td>2</td>", "text Sign in", "&lt;script&gt;alert(&#39;sel&#39;)"} {
		if !strings.Contains(body, want) {
			t.Errorf("evidence page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert") || strings.Count(body, "<script") != 1 {
		t.Error("evidence page has live script")
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("evidence CSP %q", csp)
	}
	resp, err = ops.Get(fmt.Sprintf("%s/runs/%d/dom/%d", e.ts.URL, e.runID, e.ops.domID))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "sandbox;") || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") && !strings.Contains(csp, "script-src 'none'") {
		t.Errorf("captured DOM CSP %q", csp)
	}
	if code, _ := ops.get(fmt.Sprintf("/runs/%d/dom/%d", e.runID, e.ops.pngID)); code != http.StatusNotFound {
		t.Errorf("a PNG as DOM: %d", code)
	}
	if code, body := ops.get("/failures"); code != 200 || !strings.Contains(body, fmt.Sprintf("/runs/%d/evidence", e.runID)) {
		t.Errorf("failures page: %d", code)
	}
}

// TestOpsChanges: retrying a parked delivery and deciding heals change
// the store, are audited, and a decided heal cannot be decided again.
func TestOpsChanges(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ops := e.login(ferry.RoleOps)
	if code, body := ops.get("/deliveries"); code != 200 || !strings.Contains(body, "HTTP 500 from the ERP") || !strings.Contains(body, "k-parked") {
		t.Fatalf("deliveries page: %d", code)
	}
	if resp := ops.form("/deliveries/retry", url.Values{"id": {fmt.Sprint(e.ops.parkedID)}}, true); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("retry: %d", resp.StatusCode)
	}
	if d, err := e.db.Delivery(ctx, e.ops.parkedID); err != nil || d.Status != "pending" {
		t.Fatalf("retried delivery: %+v %v", d, err)
	}
	if resp := ops.form("/deliveries/retry", url.Values{"id": {"x"}}, true); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("retry of a bad id: %d", resp.StatusCode)
	}
	if code, body := ops.get("/heals"); code != 200 || !strings.Contains(body, "#sign-in-v2") || !strings.Contains(body, "Before") {
		t.Fatalf("heals page: %d", code)
	}
	resp := ops.form(fmt.Sprintf("/heals/%d", e.ops.healID), url.Values{"op": {"accept"}}, true)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "accepted") {
		t.Fatalf("accept: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if h, err := e.db.Heal(ctx, e.ops.healID); err != nil || h.Status != "accepted" || h.DecidedBy != "ops" {
		t.Fatalf("heal: %+v %v", h, err)
	}
	if resp := ops.form(fmt.Sprintf("/heals/%d", e.ops.healID), url.Values{"op": {"reject"}}, true); resp.StatusCode != http.StatusConflict {
		t.Errorf("second decision: %d, want 409", resp.StatusCode)
	}
	entries, err := e.db.Audit(ctx, ferry.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, en := range entries {
		if en.Actor == "ops" {
			got[en.Action] = true
		}
	}
	for _, want := range []string{"delivery.retry", "heal.accept"} {
		if !got[want] {
			t.Errorf("no audit entry for %s: %v", want, got)
		}
	}
}

// TestOperationsEndpoints: /healthz and /readyz answer without login;
// /metrics needs a token and reports runs by status and class, durations,
// deliveries, fallbacks and heals.
func TestOperationsEndpoints(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.db.AddSteps(ctx, e.ops.doneID, 2, []ferry.Step{{Seq: 1, Action: "click", Element: "login.submit", Way: "text Sign in (fallback: way 2 of 2)", Status: ferry.StepOK}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := e.anonymous().get(p); code != 200 || !strings.Contains(body, `"status"`) {
			t.Errorf("%s: %d %s", p, code, body)
		}
	}
	if code, _ := e.api("GET", "/metrics", "", ""); code != http.StatusUnauthorized {
		t.Errorf("metrics without a token: %d", code)
	}
	tok := e.token(ferry.RoleViewer)
	code, body := e.api("GET", "/metrics", tok, "")
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	for _, want := range []string{
		`ferry_runs{class="site_changed",status="failed"} 1`,
		`ferry_runs{class="",status="succeeded"} 1`,
		`ferry_runs_waiting 0`,
		`ferry_run_duration_seconds_count{status="succeeded"} 1`,
		`ferry_deliveries{sink="erp",status="parked"} 1`,
		`ferry_deliveries{sink="jsonl",status="pending"} 1`,
		`ferry_selector_fallbacks_total 1`,
		`ferry_selector_heals{status="proposed"} 1`,
		`ferry_metrics_scrape_ok 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	e.db.Close()
	if code, body := e.anonymous().get("/readyz"); code != http.StatusServiceUnavailable || strings.Contains(body, "closed") {
		t.Errorf("readyz on a closed database: %d %s", code, body)
	}
	if _, body := e.api("GET", "/metrics", tok, ""); !strings.Contains(body, "ferry_metrics_scrape_ok 0") {
		// The token check needs the database too: a 500 is as good.
		if !strings.Contains(body, "internal error") {
			t.Errorf("metrics on a closed database:\n%s", body)
		}
	}
}

// TestSelectorPages: view, lint, a refused edit (nothing written, the
// line named, the draft kept), edits recorded as versions, a diff, a
// rollback; a site not known is 404 and becomes no path; all audited.
func TestSelectorPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ops := e.login(ferry.RoleOps)
	if code, body := ops.get("/selectors"); code != 200 || !strings.Contains(body, `href="/selectors/demobank"`) {
		t.Fatalf("selectors: %d", code)
	}
	code, body := ops.get("/selectors/demobank")
	if code != 200 || !strings.Contains(body, "consent.accept") || !strings.Contains(body, "<textarea") {
		t.Fatalf("demobank: %d", code)
	}
	file := filepath.Join(e.ops.selDir, "demobank.yaml")
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(orig), "elements:", "elements: [<script>alert('x')</script>", 1)
	resp := ops.form("/selectors/demobank", url.Values{"content": {bad}}, true)
	b := new(bytes.Buffer)
	b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(b.String(), "demobank.yaml") || !strings.Contains(b.String(), "&lt;script&gt;alert") || strings.Contains(b.String(), "<script>alert") {
		t.Fatalf("invalid edit: %d\n%.2000s", resp.StatusCode, b.String())
	}
	if now, _ := os.ReadFile(file); !bytes.Equal(now, orig) {
		t.Fatal("an invalid edit was written")
	}
	edit := func(from, to, msg string) {
		t.Helper()
		cur, _ := os.ReadFile(file)
		next := strings.Replace(string(cur), from, to, 1)
		resp := ops.form("/selectors/demobank", url.Values{"content": {next}, "message": {msg}}, true)
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "saved") {
			b := new(bytes.Buffer)
			b.ReadFrom(resp.Body)
			t.Fatalf("edit %s: %d %s\n%.2000s", msg, resp.StatusCode, resp.Header.Get("Location"), b.String())
		}
	}
	edit(`css: "#cc-yes"`, `css: "#cc-yes-1"`, "first")
	edit(`css: "#cc-yes-1"`, `css: "#cc-yes-2"`, "second")
	vs, err := e.db.SelectorVersions(ctx, "demobank")
	if err != nil || len(vs) != 2 || vs[1].Author != "ops" || vs[1].Message != "second" {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	if code, body := ops.get("/selectors/demobank/diff?a=1&b=2"); code != 200 || !strings.Contains(body, "&#43;      - css: &#34;#cc-yes-2&#34;") {
		t.Errorf("diff: %d\n%s", code, body)
	}
	if resp := ops.form("/selectors/demobank/rollback", url.Values{"seq": {"1"}}, true); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("rollback: %d", resp.StatusCode)
	}
	if now, _ := os.ReadFile(file); !strings.Contains(string(now), "#cc-yes-1") {
		t.Error("the rollback did not put version 1 back")
	}
	if resp := ops.form("/selectors/demobank/rollback", url.Values{"seq": {"9"}}, true); resp.StatusCode != http.StatusNotFound {
		t.Errorf("rollback to a missing version: %d", resp.StatusCode)
	}
	for _, p := range []string{"/selectors/..%2Fetc", "/selectors/nosuchsite"} {
		if code, _ := ops.get(p); code != http.StatusNotFound {
			t.Errorf("%s: %d", p, code)
		}
	}
	if resp := ops.form("/selectors/nosuchsite", url.Values{"content": {string(orig)}}, true); resp.StatusCode != http.StatusNotFound {
		t.Errorf("save to an unknown site: %d", resp.StatusCode)
	}
	entries, _ := e.db.Audit(ctx, ferry.AuditQuery{})
	n := map[string]int{}
	for _, en := range entries {
		n[en.Action]++
	}
	if n["selectors.edit"] != 2 || n["selectors.rollback"] != 1 {
		t.Errorf("audit: %v", n)
	}
}
