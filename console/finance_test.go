package console_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"html"
	"image/color"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// invoiceFixture stores two invoices on run: one that passed its checks
// (issued, a buyer named with <script>) and one held with a problem
// (received).
func invoiceFixture(t *testing.T, db *storage.DB, run int64) (good, held string) {
	t.Helper()
	ctx := context.Background()
	d := func(s string) ferry.Date {
		v, err := ferry.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	m := decimal.RequireFromString
	inv := ferry.Invoice{Kind: "电子发票（普通发票）", Number: "26312000000012345678", IssueDate: d("2026-03-05"),
		BuyerName: "<script>alert('buyer')</script>", BuyerTaxID: "91310000MA1FL8XQ30", SellerName: "上海示例科技有限公司", SellerTaxID: "91310115MA1H7GXW2B",
		Amount: m("100.00"), Tax: m("13.00"), Total: m("113.00"), Currency: "CNY", TotalInWords: "壹佰壹拾叁圆整",
		Items: []ferry.InvoiceItem{{Name: "<img src=x onerror=alert(5)>*信息技术服务*", Amount: m("100.00"), TaxRate: "13%", Tax: m("13.00")}}}
	a, err := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "inv.xml", MIME: "application/xml", Format: "xml"}, []byte("<x/>"))
	if err != nil {
		t.Fatal(err)
	}
	src := []ferry.InvoiceSource{{ArtifactID: a.ID, RunID: run, Name: "inv.xml", Format: "xml"}}
	r1, err := db.SaveInvoice(ctx, run, ferry.InvoiceDoc{Invoice: inv, Direction: ferry.InvoiceIssued, Status: ferry.InvoiceNormal, Sources: src}, []string{"jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	bad := inv
	bad.Number, bad.IssueDate, bad.BuyerName, bad.Total = "26312000000087654321", d("2026-03-09"), "示例买方", m("114.00")
	r2, err := db.SaveInvoice(ctx, run, ferry.InvoiceDoc{Invoice: bad, Direction: ferry.InvoiceReceived, Status: ferry.InvoiceNormal, Sources: src,
		Problems: []string{"金额 100.00 + 税额 13.00 ≠ 价税合计 114.00"}}, []string{"jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	return r1.Key, r2.Key
}

// TestStatementsAndInvoicesViews: finance lists statements and invoices
// with filters, opens one with its checks (which passed, which failed and
// why) and items, and exports them as CSV and XLSX; names holding
// <script> stay text everywhere, and a bad filter is a 400 naming it.
func TestStatementsAndInvoicesViews(t *testing.T) {
	e := newEnv(t)
	good, held := invoiceFixture(t, e.db, e.ops.doneID)
	fin := e.login(ferry.RoleFinance)
	inert := func(p, body string) {
		t.Helper()
		for _, bad := range []string{"<script>alert", "<img src=x"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s renders %q live", p, bad)
			}
		}
		if strings.Count(body, "<script") != 1 {
			t.Errorf("%s has %d script tags", p, strings.Count(body, "<script"))
		}
	}
	get := func(p string, want ...string) string {
		t.Helper()
		code, body := fin.get(p)
		if code != http.StatusOK {
			t.Fatalf("%s: %d\n%s", p, code, body)
		}
		inert(p, body)
		for _, w := range want {
			if !strings.Contains(body, w) && !strings.Contains(html.UnescapeString(body), w) {
				t.Errorf("%s lacks %q", p, w)
			}
		}
		return body
	}

	// Statements: the list, filtered, and one statement.
	body := get("/statements", "DE02100100109307118603", "balances reconcile", "1 statements")
	if b := get("/statements?account=DE00999", "0 statements"); strings.Contains(b, "DE02100100109307118603</a>") {
		t.Error("the account filter kept another account")
	}
	get("/statements?status=held", "0 statements")
	get("/statements?from=2026-03-10&to=2026-03-31", "1 statements")
	get("/statements?from=2026-04-01", "0 statements")
	sts, _ := e.db.Statements(context.Background(), e.ops.doneID)
	link := fmt.Sprintf("/statements/%d/%d", e.ops.doneID, sts[0].ID)
	if !strings.Contains(body, link) {
		t.Errorf("the list does not link %s", link)
	}
	body = get(link, "balances reconcile (opening + lines = closing)", "passed", "every line stored once", "1 lines: 1 new, 0 stored before", "-42.34",
		"&lt;script&gt;alert(&#39;cp&#39;)&lt;/script&gt;")
	if code, _ := fin.get(fmt.Sprintf("/statements/%d/999", e.ops.doneID)); code != http.StatusNotFound {
		t.Errorf("an unknown statement: %d", code)
	}
	if code, body := fin.get("/statements?from=2026-13-01"); code != http.StatusBadRequest || !strings.Contains(body, "from date") {
		t.Errorf("a bad from: %d %s", code, body)
	}

	// Invoices: filters by direction, status, state, party, dates.
	get("/invoices", "2 invoices", "26312000000012345678", "26312000000087654321", "&lt;script&gt;alert(&#39;buyer&#39;)&lt;/script&gt;", "held: 1 problems")
	get("/invoices?direction=received", "1 invoices", "26312000000087654321")
	get("/invoices?direction=销项", "1 invoices", "26312000000012345678")
	get("/invoices?state=held", "1 invoices")
	get("/invoices?status=void", "0 invoices")
	get("/invoices?account=示例买方", "1 invoices", "26312000000087654321")
	get("/invoices?account=91310000MA1FL8XQ30", "2 invoices")
	get("/invoices?from=2026-03-06&to=2026-03-31", "1 invoices", "26312000000087654321")
	if code, body := fin.get("/invoices?direction=sideways"); code != http.StatusBadRequest || !strings.Contains(body, "sideways") {
		t.Errorf("a bad direction: %d %s", code, body)
	}
	get("/invoices/"+good, "金额 + 税额 = 价税合计", "passed", "*信息技术服务*", "113.00", "inv.xml")
	get("/invoices/"+held, "failed", "金额 100.00 + 税额 13.00 ≠ 价税合计 114.00", "held")
	if code, _ := fin.get("/invoices/inv_00000000000000000000"); code != http.StatusNotFound {
		t.Errorf("an unknown invoice: %d", code)
	}

	// Exports: CSV with formulas defused, XLSX with the same rows.
	resp, err := fin.Get(e.ts.URL + "/invoices/export?format=csv&direction=issued")
	if err != nil {
		t.Fatal(err)
	}
	csvBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(string(csvBody), "26312000000012345678") || strings.Contains(string(csvBody), "87654321") ||
		!strings.Contains(string(csvBody), ",113.00,") {
		t.Errorf("invoices CSV:\n%s", csvBody)
	}
	for _, p := range []string{"/invoices/export?format=xlsx", "/statements/export?format=xlsx"} {
		resp, err := fin.Get(e.ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if _, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err != nil {
			t.Fatalf("%s is not an XLSX: %v", p, err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows(f.GetSheetName(0))
		f.Close()
		want := 3
		if strings.HasPrefix(p, "/statements") {
			want = 2
		}
		if len(rows) != want {
			t.Errorf("%s: %d rows, want %d: %v", p, len(rows), want, rows)
		}
	}
	resp, _ = fin.Get(e.ts.URL + "/statements/export")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "DE02100100109307118603,EUR,2026-03-01,2026-03-13,100,57.66,1,1,0,accepted,") {
		t.Errorf("statements CSV:\n%s", b)
	}
	if code, _ := fin.get("/invoices/export?format=pdf"); code != http.StatusBadRequest {
		t.Errorf("a PDF export: %d", code)
	}
	// A viewer sees neither.
	viewer := e.login(ferry.RoleViewer)
	for _, p := range []string{"/statements", "/invoices", "/invoices/" + good, link} {
		if code, _ := viewer.get(p); code != http.StatusForbidden {
			t.Errorf("viewer %s: %d", p, code)
		}
	}
}

// openChallenge makes run wait for a code (as the runner does): the run
// running, a pending challenge with a key only the "run" holds.
func openChallenge(t *testing.T, db *storage.DB, run int64, kind ferry.ChallengeKind, shot []byte) ferry.Challenge {
	t.Helper()
	ctx := context.Background()
	key, err := ferry.NewChallengeKey()
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.OpenChallenge(ctx, ferry.Challenge{RunID: run, Bot: "etax-login", Kind: kind, Prompt: "请输入短信验证码 <script>alert(6)</script>", Destination: "138****5678",
		Deadline: time.Now().Add(time.Hour), AttemptsLeft: 4, Screenshot: shot, Key: key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAnswerChallengeForm: a waiting run shows waiting_for_input with the
// prompt, the masked destination, the deadline and attempts left, on its
// page and in the runs list; finance answers in the form (CSRF needed);
// the same code again changes nothing; another code, or any code after
// the run took it, is refused with the reason (409); the audit log names
// the run and the challenge, never the code; a viewer may not answer.
func TestAnswerChallengeForm(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	run, err := e.db.NewRun(ctx, ferry.Run{Bot: "etax-login", Login: "etax"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.StartRun(ctx, run, 1, "v1"); err != nil {
		t.Fatal(err)
	}
	c := openChallenge(t, e.db, run, ferry.ChallengeSMS, nil)
	fin := e.login(ferry.RoleFinance)
	page := fmt.Sprintf("/runs/%d", run)
	code, body := fin.get(page)
	for _, want := range []string{"waiting_for_input", "请输入短信验证码 &lt;script&gt;", "138****5678", "Attempts left", ">4<", `action="/runs/` + fmt.Sprint(run) + `/answer"`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("run page lacks %q (%d)", want, code)
		}
	}
	if strings.Contains(body, "<script>alert(6)") {
		t.Error("the prompt renders live")
	}
	_, body = fin.get("/runs")
	if !strings.Contains(body, "waiting_for_input") || !strings.Contains(body, "138****5678") || !strings.Contains(body, "4 attempts left") {
		t.Errorf("the runs list does not show the waiting run:\n%s", body)
	}
	// A viewer sees the question but has no form and may not answer.
	viewer := e.login(ferry.RoleViewer)
	if _, body := viewer.get(page); strings.Contains(body, "answer-form") {
		t.Error("a viewer gets the answer form")
	}
	if resp := viewer.form(page+"/answer", url.Values{"code": {"123456"}}, true); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer answer: %d", resp.StatusCode)
	}
	// Without the CSRF token: refused, nothing answered.
	if resp := fin.form(page+"/answer", url.Values{"code": {"123456"}}, false); resp.StatusCode != http.StatusForbidden {
		t.Errorf("answer without CSRF: %d", resp.StatusCode)
	}
	if got, _ := e.db.Challenge(ctx, c.ID); got.State != ferry.ChallengePending {
		t.Fatalf("after a refused answer: %s", got.State)
	}
	resp := fin.form(page+"/answer", url.Values{"code": {" 123456 "}}, true)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "the+run+resumes") {
		t.Fatalf("answer: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	got, _ := e.db.Challenge(ctx, c.ID)
	if got.State != ferry.ChallengeAnswered || got.AnsweredBy != "console:finance" || got.AnswerHash != ferry.AnswerDigest(c.Key, "123456") {
		t.Fatalf("after the answer: %s by %s", got.State, got.AnsweredBy)
	}
	resp = fin.form(page+"/answer", url.Values{"code": {"123456"}}, true)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "already+sent") {
		t.Errorf("the same answer again: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = fin.form(page+"/answer", url.Values{"code": {"654321"}}, true)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "already answered") || strings.Contains(string(b), "654321") {
		t.Errorf("another answer: %d %s", resp.StatusCode, b)
	}
	// The run takes the answer: a late one is refused, saying so.
	if _, err := e.db.CloseChallenge(ctx, c.ID, ferry.ChallengeUsed); err != nil {
		t.Fatal(err)
	}
	resp = fin.form(page+"/answer", url.Values{"code": {"777777"}}, true)
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "was answered and used") || strings.Contains(string(b), "777777") {
		t.Errorf("a late answer: %d %s", resp.StatusCode, b)
	}
	if resp := fin.form(page+"/answer", url.Values{"code": {""}}, true); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an empty answer: %d", resp.StatusCode)
	}
	if resp := fin.form(fmt.Sprintf("/runs/%d/answer", e.runID), url.Values{"code": {"1"}}, true); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an answer to a run that asked nothing: %d", resp.StatusCode)
	}
	entries, _ := e.db.Audit(ctx, ferry.AuditQuery{Action: "run.answer"})
	if len(entries) != 2 {
		t.Fatalf("%d run.answer entries, want 2 (the first and the repeat)", len(entries))
	}
	for _, en := range entries {
		if en.Actor != "finance" || en.Target != fmt.Sprintf("run:%d", run) || !strings.Contains(en.After, fmt.Sprintf(`"challenge":%d`, c.ID)) {
			t.Errorf("audit entry %+v", en)
		}
		for _, v := range []string{"123456", "654321", "777777"} {
			if strings.Contains(en.Before+en.After, v) {
				t.Errorf("the audit log holds a code: %+v", en)
			}
		}
	}
	if strings.Contains(e.log.String(), "123456") {
		t.Error("the log holds the code")
	}
	// No longer waiting: the page says so, with no form.
	if _, body := fin.get(page); strings.Contains(body, "answer-form") || !strings.Contains(body, "used") {
		t.Error("the used challenge still offers the form")
	}
}

// TestQRChallengeImage: a QR challenge shows the relayed screenshot (for
// finance, not viewers) and no code form; typing a code is refused.
func TestQRChallengeImage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	run, _ := e.db.NewRun(ctx, ferry.Run{Bot: "etax-login", Login: "etax"})
	if err := e.db.StartRun(ctx, run, 1, "v1"); err != nil {
		t.Fatal(err)
	}
	shot := pngBytes(t, color.RGBA{10, 10, 10, 255})
	openChallenge(t, e.db, run, ferry.ChallengeQR, shot)
	fin := e.login(ferry.RoleFinance)
	_, body := fin.get(fmt.Sprintf("/runs/%d", run))
	if !strings.Contains(body, fmt.Sprintf(`src="/runs/%d/challenge/image"`, run)) || strings.Contains(body, "answer-form") {
		t.Errorf("QR run page:\n%s", body)
	}
	resp, err := fin.Get(fmt.Sprintf("%s/runs/%d/challenge/image", e.ts.URL, run))
	if err != nil {
		t.Fatal(err)
	}
	img, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(img, shot) {
		t.Errorf("QR image: %s, %d bytes", resp.Header.Get("Content-Type"), len(img))
	}
	if code, _ := e.login(ferry.RoleViewer).get(fmt.Sprintf("/runs/%d/challenge/image", run)); code != http.StatusForbidden {
		t.Errorf("viewer QR: %d", code)
	}
	resp = fin.form(fmt.Sprintf("/runs/%d/answer", run), url.Values{"code": {"1234"}}, true)
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("a code for a QR challenge: %d", resp.StatusCode)
	}
	_ = service.ErrNotTyped
}

// TestNoSecretsEveryPage: every GET route the console registers (pages as
// an admin, the API with a token), the pages of this file's features with
// real ids included, and the log, hold no password, hash, cookie, token or
// typed code. Walking Routes covers pages added later without listing
// them.
func TestNoSecretsEveryPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	good, _ := invoiceFixture(t, e.db, e.ops.doneID)
	run, _ := e.db.NewRun(ctx, ferry.Run{Bot: "etax-login", Login: "etax"})
	if err := e.db.StartRun(ctx, run, 1, "v1"); err != nil {
		t.Fatal(err)
	}
	openChallenge(t, e.db, run, ferry.ChallengeSMS, nil)
	fin := e.login(ferry.RoleFinance)
	const code = "480213"
	if resp := fin.form(fmt.Sprintf("/runs/%d/answer", run), url.Values{"code": {code}}, true); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("answer: %d", resp.StatusCode)
	}
	e.secrets = append(e.secrets, code)
	admin := e.login(ferry.RoleAdmin)
	tok := e.token(ferry.RoleAdmin)
	sts, _ := e.db.Statements(ctx, e.ops.doneID)
	paths := []string{fmt.Sprintf("/runs/%d", run), fmt.Sprintf("/statements/%d/%d", e.ops.doneID, sts[0].ID), "/invoices/" + good,
		"/statements/export?format=csv", "/invoices/export?format=csv", fmt.Sprintf("/api/runs/%d", run)}
	for _, pattern := range e.srv.Routes() {
		method, p := e.concrete(pattern)
		if method == http.MethodGet && !strings.Contains(p, "{") && !strings.HasSuffix(p, "/events") {
			paths = append(paths, p)
		}
	}
	var bodies []string
	for _, p := range paths {
		var b string
		if console.IsAPI(p) {
			_, b = e.api("GET", p, tok, "")
		} else {
			_, b = admin.get(p)
		}
		bodies = append(bodies, p+"\n"+b)
	}
	bodies = append(bodies, "log\n"+e.log.String())
	entries, _ := e.db.Audit(ctx, ferry.AuditQuery{})
	for _, en := range entries {
		bodies = append(bodies, "audit\n"+en.Before+en.After)
	}
	if len(paths) < 25 {
		t.Fatalf("only %d pages walked", len(paths))
	}
	for _, b := range bodies {
		for _, s := range e.secrets {
			if s != "" && strings.Contains(b, s) {
				where, _, _ := strings.Cut(b, "\n")
				t.Errorf("%s shows a secret (%d characters)", where, len(s))
			}
		}
	}
}

// TestCanaryRefused: without a canary runner the selectors page's canary
// is refused (503) and audits nothing; a finance user may not start one;
// the selectors page offers it to ops only.
func TestCanaryRefused(t *testing.T) {
	e := newEnv(t)
	ops := e.login(ferry.RoleOps)
	if _, body := ops.get("/selectors"); !strings.Contains(body, `action="/selectors/demobank/canary"`) {
		t.Error("the selectors page offers no canary")
	}
	resp := ops.form("/selectors/demobank/canary", url.Values{}, true)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("canary without a runner: %d", resp.StatusCode)
	}
	if resp := e.login(ferry.RoleFinance).form("/selectors/demobank/canary", url.Values{}, true); resp.StatusCode != http.StatusForbidden {
		t.Errorf("finance canary: %d", resp.StatusCode)
	}
	if resp := ops.form("/selectors/demobank/canary", url.Values{}, false); resp.StatusCode != http.StatusForbidden {
		t.Errorf("canary without CSRF: %d", resp.StatusCode)
	}
	if entries, _ := e.db.Audit(context.Background(), ferry.AuditQuery{Action: "selectors.canary"}); len(entries) != 0 {
		t.Errorf("a refused canary was audited: %+v", entries)
	}
}
