package console_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/internal/pgtest"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"
)

// withSchedules gives e's console a real runner (not started: it only
// checks schedules and lists the file's) over e's database, with one
// schedule in the configuration file.
func withSchedules(t *testing.T, e *env) *runner.Runner {
	t.Helper()
	r, err := runner.New(context.Background(), runner.Config{DB: e.db, Credentials: runner.StaticCredentials(sandbox.Credentials()), Now: e.clock.now,
		Schedules: []runner.Schedule{{ID: "file-nightly", Bot: "demobank-statements", Login: "demobank-lina", Cron: "CRON_TZ=Asia/Shanghai 30 2 * * *"}},
		Logger:    zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := console.New(console.Config{Store: e.db, Schedules: r, Now: e.clock.now, Logger: zerolog.New(e.log).Level(zerolog.DebugLevel)})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.ts = httptest.NewServer(srv)
	t.Cleanup(e.ts.Close)
	return r
}

// TestSchedulesAdmin: an admin creates, edits, pauses, resumes and deletes
// a stored schedule in the console; bad input is refused with the field
// named and nothing stored; a stale edit is refused; the file's schedule
// is listed read-only and its id cannot be taken; every change is in the
// audit log with its before and after.
func TestSchedulesAdmin(t *testing.T) {
	e := newEnv(t)
	withSchedules(t, e)
	ctx := context.Background()
	c := e.login(ferry.RoleAdmin)
	good := url.Values{"id": {"nightly-lina"}, "bot": {"demobank-statements"}, "login": {"demobank-lina"}, "cron": {"0 6 * * *"}, "zone": {"Europe/Berlin"}, "params": {""}}
	with := func(k, v string) url.Values {
		out := url.Values{}
		for kk, vv := range good {
			out[kk] = append([]string(nil), vv...)
		}
		out.Set(k, v)
		return out
	}
	for _, bad := range []struct {
		v    url.Values
		want string
	}{
		{with("cron", "61 * * * *"), "cron: "},
		{with("cron", ""), "cron: required"},
		{with("zone", "Mars/Olympus"), "zone: unknown time zone"},
		{with("bot", "no-such-bot"), "bot: "},
		{with("login", "nobody"), "login: "},
		{with("params", "nonsense"), "params: line 1"},
		{with("params", "no_such_param=1"), "params: "},
		{with("site", "atlantis"), "site: "},
		{with("id", "Bad Id"), "id: "},
		{with("id", "file-nightly"), "id: &#34;file-nightly&#34; is a schedule of the configuration file"},
	} {
		resp := c.form("/schedules", bad.v, true)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), bad.want) {
			t.Errorf("%v: %d, want 400 naming %q; page:\n%s", bad.v, resp.StatusCode, bad.want, errorLine(string(body)))
		}
	}
	if defs, _ := e.db.ScheduleDefs(ctx); len(defs) != 0 {
		t.Fatalf("refused schedules were stored: %+v", defs)
	}
	if resp := c.form("/schedules", good, true); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	if resp := c.form("/schedules", good, true); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("create twice: %d", resp.StatusCode)
	}
	code, page := c.get("/schedules")
	if code != http.StatusOK || !strings.Contains(page, "nightly-lina") || !strings.Contains(page, "file-nightly") || !strings.Contains(page, "CRON_TZ=Asia/Shanghai 30 2 * * *") {
		t.Fatalf("list: %d\n%s", code, page)
	}
	if code, page := c.get("/schedules/nightly-lina"); code != http.StatusOK || !strings.Contains(page, `name="version" value="1"`) {
		t.Fatalf("edit page: %d\n%s", code, page)
	}
	if code, _ := c.get("/schedules/nope"); code != http.StatusNotFound {
		t.Fatalf("unknown schedule: %d", code)
	}

	edit := with("cron", "30 7 * * 1-5")
	edit.Set("op", "save")
	edit.Set("version", "1")
	if resp := c.form("/schedules/nightly-lina", edit, true); resp.StatusCode != http.StatusSeeOther {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("edit: %d %s", resp.StatusCode, errorLine(string(body)))
	}
	if resp := c.form("/schedules/nightly-lina", edit, true); resp.StatusCode != http.StatusConflict {
		t.Fatalf("stale edit: %d, want 409", resp.StatusCode)
	}
	bad := edit
	bad.Set("version", "2")
	bad.Set("zone", "Nowhere/Land")
	if resp := c.form("/schedules/nightly-lina", bad, true); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad edit: %d", resp.StatusCode)
	}
	d, _ := e.db.ScheduleDef(ctx, "nightly-lina")
	if d.Version != 2 || d.Cron != "30 7 * * 1-5" || d.Zone != "Europe/Berlin" || len(d.Params) != 0 || d.UpdatedBy != "admin" {
		t.Fatalf("after the edit: %+v", d)
	}
	for _, op := range []string{"pause", "resume"} {
		if resp := c.form("/schedules/nightly-lina", url.Values{"op": {op}}, true); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d", op, resp.StatusCode)
		}
		d, _ := e.db.ScheduleDef(ctx, "nightly-lina")
		if d.Paused != (op == "pause") {
			t.Fatalf("after %s: %+v", op, d)
		}
	}
	if resp := c.form("/schedules/nightly-lina", url.Values{"op": {"explode"}}, true); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown op: %d", resp.StatusCode)
	}
	if resp := c.form("/schedules/nightly-lina", url.Values{"op": {"delete"}}, true); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if resp := c.form("/schedules/nightly-lina", url.Values{"op": {"pause"}}, true); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("pause a deleted schedule: %d", resp.StatusCode)
	}

	entries, err := e.db.Audit(ctx, ferry.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]ferry.AuditEntry{}
	for _, en := range entries {
		if en.Target == "schedule:nightly-lina" {
			seen[en.Action] = en
		}
	}
	for action, want := range map[string][2]string{
		"schedule.create": {"", `"cron":"0 6 * * *"`},
		"schedule.edit":   {`"cron":"0 6 * * *"`, `"cron":"30 7 * * 1-5"`},
		"schedule.pause":  {`"paused":false`, `"paused":true`},
		"schedule.resume": {`"paused":true`, `"paused":false`},
		"schedule.delete": {`"cron":"30 7 * * 1-5"`, `"deleted":true`},
	} {
		en, ok := seen[action]
		if !ok || en.Actor != "admin" || !strings.Contains(en.Before, want[0]) || !strings.Contains(en.After, want[1]) {
			t.Errorf("audit %s: %+v, want before with %s and after with %s", action, en, want[0], want[1])
		}
	}
}

// errorLine is a page's error paragraph, for failure messages.
func errorLine(page string) string {
	if i := strings.Index(page, `class="error"`); i >= 0 {
		end := min(len(page), i+300)
		return page[i:end]
	}
	if len(page) > 300 {
		return page[:300]
	}
	return page
}

// TestRedact: what may be a secret in a sink's error is hidden, the rest
// kept.
func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		`Post "https://erp:s3cret@erp.example/api?token=abc123&x=1": EOF`: `Post "https://[redacted]@erp.example/api?token=[redacted]&x=1": EOF`,
		`HTTP 401: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload`:    `HTTP 401: Authorization: Bearer [redacted]`,
		`hledger-web at http://127.0.0.1:5000: connection refused`:        `hledger-web at http://127.0.0.1:5000: connection refused`,
		`api_key=AKIA1234 password: hunter22`:                             `api_key=[redacted] password: [redacted]`,
		`session 0123456789abcdef0123456789abcdef0123 expired`:            `session [redacted] expired`,
	} {
		if got := console.Redact(in); got != want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

// TestSinksPage: per sink, pending, parked, delivered in the last 24 h,
// the last success and the last failure, its message redacted; no secret
// from the sink's error reaches the page.
func TestSinksPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var run int64
	err := e.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		run, err = e.db.CreateRun(ctx, tx, ferry.Run{Bot: "b", Login: "l"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "s.csv"}, []byte("s"))
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) ferry.Date { return ferry.NewDate(2026, 2, d) }
	var lines []ferry.StatementLine
	for i := 1; i <= 3; i++ {
		lines = append(lines, ferry.StatementLine{Account: "A1", BookingDate: day(i), Amount: decimal.NewFromInt(int64(i)), Currency: "EUR", Description: "line", TransactionID: fmt.Sprint("T", i)})
	}
	if _, err := e.db.SaveStatement(ctx, run, a.ID, ferry.Statement{Account: "A1", Currency: "EUR", From: day(1), To: day(3), NoBalances: true, Lines: lines}, []string{"erp<script>"}, ""); err != nil {
		t.Fatal(err)
	}
	items, err := e.db.Claim(ctx, "erp<script>", "me", 3, time.Hour)
	if err != nil || len(items) != 3 {
		t.Fatalf("claim: %v %v", items, err)
	}
	if err := e.db.Ack(ctx, "me", []int64{items[0].ID}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Release(ctx, "me", items[1].ID, `Post "https://erp:s3cretpw@erp.example/api?token=tok3n": 503`, e.clock.now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Park(ctx, "me", items[2].ID, `rejected with Bearer abcdefghijk123 by https://u:hunter22@erp.example`); err != nil {
		t.Fatal(err)
	}
	code, page := e.login(ferry.RoleOps).get("/sinks")
	if code != http.StatusOK {
		t.Fatalf("sinks: %d", code)
	}
	for _, want := range []string{`data-sink="erp&lt;script&gt;" class="failing"`, `<td class="pending">1</td>`, `<td class="parked">1</td>`, `<td class="day">1</td>`, "rejected with Bearer [redacted] by https://[redacted]@erp.example", "2026-03-14 09:00:00 UTC"} {
		if !strings.Contains(page, want) {
			t.Errorf("sinks page lacks %s:\n%s", want, page)
		}
	}
	for _, secret := range []string{"s3cretpw", "tok3n", "abcdefghijk123", "hunter22", "<script>"} {
		if strings.Contains(page, secret) {
			t.Errorf("sinks page shows %q", secret)
		}
	}
	// A day later the delivery no longer counts as recent.
	e.clock.advance(25 * time.Hour)
	if _, page := e.login(ferry.RoleAdmin).get("/sinks"); !strings.Contains(page, `<td class="day">0</td>`) {
		t.Errorf("a day later:\n%s", page)
	}
}

// TestRiverUIBothDatabases: River's UI answers admins under /admin/river/
// on SQLite and on PostgreSQL, with its own CSP, lists the queue's jobs,
// and refuses changes (they would bypass the audit log).
func TestRiverUIBothDatabases(t *testing.T) {
	pg := pgtest.New()
	t.Cleanup(func() { pg.Stop() })
	for _, name := range []string{"SQLite", "Postgres"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			if name == "Postgres" {
				db, err := storage.Open(context.Background(), pg.Database(t), filepath.Join(t.TempDir(), "artifacts"), e.clock.now)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				for _, r := range ferry.Roles() {
					if _, err := console.AddUser(context.Background(), db, "cli:test", "", string(r), r, password+" "+string(r)); err != nil {
						t.Fatal(err)
					}
				}
				e.db = db
				srv, err := console.New(console.Config{Store: db, Now: e.clock.now, Logger: zerolog.New(e.log)})
				if err != nil {
					t.Fatal(err)
				}
				e.srv, e.ts = srv, httptest.NewServer(srv)
				t.Cleanup(e.ts.Close)
				t.Cleanup(srv.CloseStreams)
			}
			checkRiverUI(t, e)
		})
	}
}

type probeArgs struct {
	Note string `json:"note"`
}

func (probeArgs) Kind() string { return "ferry_probe" }

func checkRiverUI(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	if err := e.db.MigrateRiver(ctx); err != nil {
		t.Fatal(err)
	}
	q, err := e.db.NewQueue(&river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Insert(ctx, probeArgs{Note: "<script>alert(1)</script>"}, nil); err != nil {
		t.Fatal(err)
	}
	admin := e.login(ferry.RoleAdmin)
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/admin/river/", nil)
	req.Header.Set("Accept", "text/html")
	resp, err := admin.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="root"`) || !strings.Contains(string(body), `/admin/river/assets/`) {
		t.Fatalf("river UI: %d\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "style-src 'self' 'unsafe-inline'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("river UI's CSP: %s", csp)
	}
	code, jobs := admin.get("/admin/river/api/jobs?state=available&limit=20")
	if code != http.StatusOK {
		t.Fatalf("river API jobs: %d %s", code, jobs)
	}
	var list struct {
		Data []struct {
			Kind string `json:"kind"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(jobs), &list); err != nil || len(list.Data) == 0 || list.Data[0].Kind != "ferry_probe" {
		t.Fatalf("river API jobs: %v %s", err, jobs)
	}
	if code, states := admin.get("/admin/river/api/states"); code != http.StatusOK || !strings.Contains(states, `"available"`) {
		t.Errorf("river API states: %d %s", code, states)
	}
	if code, queues := admin.get("/admin/river/api/queues"); code != http.StatusOK {
		t.Errorf("river API queues: %d %s", code, queues)
	}
	// Changes through River's UI are refused: read-only.
	if resp := admin.form("/admin/river/api/jobs/cancel", url.Values{}, true); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("cancel through River's UI: %d, want 405", resp.StatusCode)
	}
	for _, r := range []ferry.Role{ferry.RoleViewer, ferry.RoleFinance, ferry.RoleOps} {
		if code, _ := e.login(r).get("/admin/river/api/jobs?state=available"); code != http.StatusForbidden {
			t.Errorf("river API as %s: %d, want 403", r, code)
		}
	}
}
