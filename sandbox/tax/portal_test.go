package tax

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/einvoice"
	"github.com/xuri/excelize/v2"
)

// clock is the portal's injected clock: tests move it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func start(t *testing.T) (*Portal, string, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 30, 10, 0, 0, 0, cst)}
	p := New(Options{Seed: 7, Now: clk.Now})
	base, stop, err := p.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return p, base, clk
}

// browser is an HTTP client with its own cookies, as one browser.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar}}
}

func (b *browser) do(method, path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data) + "\n<!--url " + resp.Request.URL.Path + "-->", resp.Header
}

func (b *browser) get(path string) (int, string) {
	s, body, _ := b.do("GET", path, nil)
	return s, body
}
func (b *browser) post(path string, f url.Values) (int, string) {
	s, body, _ := b.do("POST", path, f)
	return s, body
}

func (b *browser) json(path string, v any) {
	if pg, ok := v.(*apiPage); ok {
		*pg = apiPage{} // no rows left from the last page
	}
	b.t.Helper()
	_, body := b.get(path)
	body, _, _ = strings.Cut(body, "\n<!--url")
	if err := json.Unmarshal([]byte(body), v); err != nil {
		b.t.Fatalf("%s: %v: %s", path, err, body)
	}
}

func at(body string) string {
	_, u, _ := strings.Cut(body, "<!--url ")
	return strings.TrimSuffix(u, "-->")
}

func mustContain(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, s := range parts {
		if !strings.Contains(body, s) {
			t.Fatalf("page at %s lacks %q:\n%s", at(body), s, body)
		}
	}
}

var zhang = DefaultUsers()[0]

func password(b *browser, account, pw string) string {
	b.get("/login")
	_, body := b.post("/login", url.Values{"nsrsbh": {Home().TaxID}, "account": {account}, "password": {pw}})
	return body
}

// smsLogin logs in with password and the code from the sandbox phone and
// picks a role; it returns the page it lands on.
func smsLogin(t *testing.T, p *Portal, b *browser, account string) string {
	t.Helper()
	body := password(b, account, zhang.Password)
	if at(body) != "/login/sms" {
		t.Fatalf("after the password: at %s", at(body))
	}
	mustContain(t, body, "138****5678")
	s, err := p.LastSMS(account)
	if err != nil {
		t.Fatal(err)
	}
	_, body = b.post("/login/sms", url.Values{"code": {s.Code}})
	mustContain(t, body, RoleClerk, RoleFinance)
	_, body = b.post("/login/role", url.Values{"role": {RoleFinance}})
	if at(body) != "/invoices" {
		t.Fatalf("after the role: at %s", at(body))
	}
	return body
}

func TestSMSLogin(t *testing.T) {
	t.Parallel()
	p, base, clk := start(t)
	b := newBrowser(t, base)
	// A bad check character is refused before anything is counted.
	b.get("/login")
	_, body := b.post("/login", url.Values{"nsrsbh": {Home().TaxID[:17] + "0"}, "account": {"zhangwei"}, "password": {"x"}})
	mustContain(t, body, MsgBadTaxID)
	// Any of user name, phone and ID number names the account.
	for _, acc := range []string{zhang.IDNumber, zhang.Phone} {
		body := password(newBrowser(t, base), acc, zhang.Password)
		if at(body) != "/login/sms" {
			t.Fatalf("%s: at %s", acc, at(body))
		}
	}
	body = password(b, "zhangwei", zhang.Password)
	mustContain(t, body, "短信验证码已发送至138****5678")
	// The phone over loopback HTTP agrees with the Go API.
	var ph struct{ Code, Phone, Expires string }
	b.json("/_sandbox/phone?user=zhangwei", &ph)
	s, _ := p.LastSMS("zhangwei")
	if ph.Code != s.Code || ph.Phone != "138****5678" || ph.Expires != s.Expires.Format(time.RFC3339) || len(s.Code) != 6 {
		t.Fatalf("phone %+v, API %+v", ph, s)
	}
	// Two wrong codes, each with the attempts left, then the right one.
	for left := 4; left >= 3; left-- {
		_, body = b.post("/login/sms", url.Values{"code": {"000000"}})
		mustContain(t, body, fmt.Sprintf(MsgWrongCode, left))
	}
	_, body = b.post("/login/sms", url.Values{"code": {s.Code}})
	mustContain(t, body, "请选择登录身份")
	// Invoices are closed until a role is chosen.
	_, body = b.get("/invoices")
	if at(body) != "/login/role" {
		t.Fatalf("before the role: at %s", at(body))
	}
	_, body = b.post("/login/role", url.Values{"role": {RoleClerk}})
	mustContain(t, body, `<span id="role">办税员</span>`)
	// A code is single use, and an expired one is refused.
	if _, err := p.LastSMS("zhangwei"); err == nil {
		t.Error("the code outlived its use")
	}
	b2 := newBrowser(t, base)
	password(b2, "zhangwei", zhang.Password)
	s2, _ := p.LastSMS("zhangwei")
	clk.Add(SMSValidity)
	_, body = b2.post("/login/sms", url.Values{"code": {s2.Code}})
	mustContain(t, body, MsgCodeExpired)
	_, body = b2.post("/login/sms/resend", nil)
	mustContain(t, body, "短信验证码已发送至")
	s3, _ := p.LastSMS("zhangwei")
	if s3.Code == s2.Code && s3.Sent == s2.Sent {
		t.Fatal("no new code")
	}
	_, body = b2.post("/login/sms", url.Values{"code": {s3.Code}})
	mustContain(t, body, "请选择登录身份")
}

func TestLockout(t *testing.T) {
	t.Parallel()
	p, base, clk := start(t)
	b := newBrowser(t, base)
	for left := MaxAttempts - 1; left > 0; left-- {
		mustContain(t, password(b, "zhangwei", "wrong"), fmt.Sprintf(MsgWrongPass, left))
	}
	mustContain(t, password(b, "zhangwei", "wrong"), MsgLocked)
	// Locked: even the right password is refused, until the lock ends.
	mustContain(t, password(b, "zhangwei", zhang.Password), MsgLocked)
	clk.Add(LockDuration)
	if body := password(b, "zhangwei", zhang.Password); at(body) != "/login/sms" {
		t.Fatalf("after the lock: at %s", at(body))
	}
	// Wrong codes count too, toward the same limit.
	for left := MaxAttempts - 1; left > 0; left-- {
		_, body := b.post("/login/sms", url.Values{"code": {"999999"}})
		mustContain(t, body, fmt.Sprintf(MsgWrongCode, left))
	}
	_, body := b.post("/login/sms", url.Values{"code": {"999999"}})
	mustContain(t, body, MsgLocked, `id="locked"`)
	if st := p.Stats(); st.LockedAccounts != 2 || st.WrongCodes != 5 || st.FailedLogins != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestKickedOffline(t *testing.T) {
	t.Parallel()
	p, base, _ := start(t)
	first := newBrowser(t, base)
	smsLogin(t, p, first, "zhangwei")
	var rows struct{ Total int }
	first.json("/api/invoices?from=2026-01-01&to=2026-01-31", &rows)
	second := newBrowser(t, base)
	smsLogin(t, p, second, "zhangwei")
	status, body := first.get("/invoices")
	if status != http.StatusUnauthorized {
		t.Errorf("kicked page: status %d", status)
	}
	mustContain(t, body, MsgKicked, `id="kicked"`)
	var api struct {
		Success bool
		Code    string
	}
	first.json("/api/invoices?from=2026-01-01&to=2026-01-31", &api)
	if api.Success || api.Code != "KICKED" {
		t.Errorf("kicked API: %+v", api)
	}
	second.json("/api/session", &api)
	if !api.Success {
		t.Error("the new session is not live")
	}
	if p.Stats().Kicked != 1 {
		t.Errorf("stats %+v", p.Stats())
	}
}

func TestTrustWindow(t *testing.T) {
	t.Parallel()
	p, base, clk := start(t)
	p.Set(func(s *Switches) { s.TrustDays = 3 })
	b := newBrowser(t, base)
	smsLogin(t, p, b, "zhangwei")
	b.post("/logout", nil)
	sent := p.Stats().SMSSent
	clk.Add(3*24*time.Hour - time.Minute)
	// Trusted: the password alone logs in, on this device only.
	if body := password(b, "zhangwei", zhang.Password); at(body) != "/login/role" {
		t.Fatalf("trusted device: at %s", at(body))
	}
	if body := password(newBrowser(t, base), "zhangwei", zhang.Password); at(body) != "/login/sms" {
		t.Fatalf("other device: at %s", at(body))
	}
	if p.Stats().SMSSent != sent+1 {
		t.Errorf("SMS sent %d, want %d", p.Stats().SMSSent, sent+1)
	}
	clk.Add(time.Minute)
	if body := password(b, "zhangwei", zhang.Password); at(body) != "/login/sms" {
		t.Fatalf("after the window: at %s", at(body))
	}
}

func TestQRLogin(t *testing.T) {
	t.Parallel()
	p, base, clk := start(t)
	b := newBrowser(t, base)
	_, body := b.get("/login/qr")
	id := p.LatestQR()
	mustContain(t, body, "/login/qr/"+id+"/image")
	status, png := b.get("/login/qr/" + id + "/image")
	if status != 200 || !strings.HasPrefix(png, "\x89PNG") {
		t.Fatalf("QR image: %d %q", status, png[:min(8, len(png))])
	}
	var st struct{ Status, Phone string }
	b.json("/api/qr/"+id, &st)
	if st.Status != QRPending {
		t.Fatalf("status %s", st.Status)
	}
	// Not confirmed yet: completing goes back to the QR page.
	if _, body := b.get("/login/qr/" + id + "/complete"); at(body) != "/login/qr" {
		t.Fatalf("unconfirmed: at %s", at(body))
	}
	id = p.LatestQR()
	if s, _ := b.post("/_sandbox/phone/scan?user=zhangwei&qr="+id, nil); s != 200 {
		t.Fatalf("scan: %d", s)
	}
	b.json("/api/qr/"+id, &st)
	if st.Status != QRScanned || st.Phone != "138****5678" {
		t.Fatalf("after scan %+v", st)
	}
	if s, _ := b.post("/_sandbox/phone/confirm?qr="+id, nil); s != 200 {
		t.Fatalf("confirm: %d", s)
	}
	b.json("/api/qr/"+id, &st)
	if st.Status != QRConfirmed {
		t.Fatalf("after confirm %+v", st)
	}
	_, body = b.get("/login/qr/" + id + "/complete")
	mustContain(t, body, "请选择登录身份")
	// Expiry after two minutes on the portal's clock, scanned or not.
	b.get("/login/qr")
	id2 := p.LatestQR()
	if _, err := p.ScanQR("zhangwei", id2); err != nil {
		t.Fatal(err)
	}
	clk.Add(QRValidity - time.Second)
	if s, _ := p.QRStatus(id2); s != QRScanned {
		t.Fatalf("before expiry: %s", s)
	}
	clk.Add(time.Second)
	b.json("/api/qr/"+id2, &st)
	if st.Status != QRExpired {
		t.Fatalf("after two minutes: %s", st.Status)
	}
	if s, _ := b.post("/_sandbox/phone/confirm?qr="+id2, nil); s != http.StatusGone {
		t.Fatalf("confirm expired: %d", s)
	}
}

type apiPage struct {
	Success bool
	Code    string
	Message string
	Total   int
	Pages   int
	Rows    []Row
}

func TestQuerySplitAndTotalChange(t *testing.T) {
	t.Parallel()
	p, base, _ := start(t)
	b := newBrowser(t, base)
	smsLogin(t, p, b, "zhangwei")
	q := Query{Direction: Issued, From: ferry.NewDate(2026, 1, 1), To: ferry.NewDate(2026, 6, 30)}
	want := p.Invoices(q)
	if len(want) <= 100 {
		t.Fatalf("only %d invoices in half a year", len(want))
	}
	var pg apiPage
	b.json("/api/invoices?"+q.values().Encode(), &pg)
	if pg.Success || pg.Code != "QUERY_LIMIT" || !strings.Contains(pg.Message, "请限制开票日期") {
		t.Fatalf("over the limit: %+v", pg)
	}
	_, body := b.get("/invoices?" + q.values().Encode())
	mustContain(t, body, "请限制开票日期")
	// Split by month and page through: every invoice once.
	got := map[string]int{}
	for m := 1; m <= 6; m++ {
		mq := q
		mq.From, mq.To = ferry.NewDate(2026, time.Month(m), 1), ferry.NewDate(2026, time.Month(m)+1, 1).AddDays(-1)
		for page := 1; ; page++ {
			b.json(fmt.Sprintf("/api/invoices?%s&page=%d", mq.values().Encode(), page), &pg)
			if !pg.Success {
				t.Fatalf("month %d: %+v", m, pg)
			}
			for _, r := range pg.Rows {
				got[r.ID]++
			}
			if page >= pg.Pages {
				break
			}
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d invoices by month, %d in all", len(got), len(want))
	}
	for _, r := range want {
		if got[r.ID()] != 1 {
			t.Errorf("%s listed %d times", r.ID(), got[r.ID()])
		}
	}
	// The total changes between pages: a paging client sees it, and a
	// restart lists every invoice once.
	p.Set(func(s *Switches) { s.IssueBetweenPages = 1 })
	mq := q
	mq.To = ferry.NewDate(2026, 1, 31)
	b.json("/api/invoices?"+mq.values().Encode(), &pg)
	first, firstRows := pg.Total, append([]Row(nil), pg.Rows...)
	b.json("/api/invoices?"+mq.values().Encode()+"&page=2", &pg)
	if pg.Total != first+1 {
		t.Fatalf("total %d then %d", first, pg.Total)
	}
	if pg.Rows[0].ID != firstRows[len(firstRows)-1].ID {
		t.Errorf("page 2 does not start with page 1's last row (the shift a bot must detect): %v / %v", pg.Rows[0], firstRows[len(firstRows)-1])
	}
	seen := map[string]bool{}
	for page := 1; ; page++ {
		b.json(fmt.Sprintf("/api/invoices?%s&page=%d", mq.values().Encode(), page), &pg)
		for _, r := range pg.Rows {
			if seen[r.ID] {
				t.Errorf("%s twice after the restart", r.ID)
			}
			seen[r.ID] = true
		}
		if page >= pg.Pages {
			break
		}
	}
	if len(seen) != first+1 {
		t.Errorf("%d after the restart, want %d", len(seen), first+1)
	}
	// Filters: type and status.
	for _, f := range []Query{{Type: TypeDigitalSpecial}, {Status: StatusVoid}, {Status: StatusRed}, {Type: TypeOldGeneral, Status: StatusNormal}} {
		fq := mq
		fq.Type, fq.Status, fq.Direction = f.Type, f.Status, Received
		fq.To = ferry.NewDate(2026, 3, 31)
		b.json("/api/invoices?"+fq.values().Encode()+"&size=100", &pg)
		if pg.Total != len(p.Invoices(fq)) {
			t.Errorf("%+v: %d, want %d", f, pg.Total, len(p.Invoices(fq)))
		}
		for _, r := range pg.Rows {
			if f.Type != "" && r.Type != f.Type || f.Status != "" && r.Status != f.Status || r.BuyerTaxID != Home().TaxID {
				t.Errorf("%+v: row %+v", f, r)
			}
		}
	}
}

func TestDownloads(t *testing.T) {
	t.Parallel()
	p, base, _ := start(t)
	b := newBrowser(t, base)
	smsLogin(t, p, b, "zhangwei")
	q := Query{Direction: Received, From: ferry.NewDate(2026, 1, 1), To: ferry.NewDate(2026, 2, 28)}
	want := p.Invoices(q)
	// One of each type and status, in each of its formats.
	seen := map[string]bool{}
	for _, rec := range want {
		k := rec.Type + rec.Status + fmt.Sprint(rec.Red)
		if seen[k] {
			continue
		}
		seen[k] = true
		formats := []string{"pdf", "ofd", "xml"}
		if !rec.Digital() {
			formats = formats[:2]
			if s, _ := b.get("/download/" + rec.ID() + "/xml"); s != http.StatusNotFound {
				t.Errorf("%s: XML of a %s: %d", rec.ID(), rec.Type, s)
			}
		}
		for _, f := range formats {
			s, data, h := b.do("GET", "/download/"+rec.ID()+"/"+f, nil)
			data, _, _ = strings.Cut(data, "\n<!--url")
			if s != 200 || !strings.Contains(h.Get("Content-Disposition"), "dzfp_") {
				t.Fatalf("%s.%s: %d %s", rec.ID(), f, s, h.Get("Content-Disposition"))
			}
			checkFile(t, rec.ID()+"."+f, []byte(data), &rec)
		}
	}
	if len(seen) < 5 {
		t.Errorf("only %d kinds: %v", len(seen), seen)
	}
	// The list export agrees with the query.
	s, data, _ := b.do("GET", "/export.xlsx?"+q.values().Encode(), nil)
	data, _, _ = strings.Cut(data, "\n<!--url")
	if s != 200 {
		t.Fatalf("export: %d", s)
	}
	f, err := excelize.OpenReader(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("发票基础信息")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want)+1 || strings.Join(rows[0], ",") != strings.Join(ExportColumns, ",") {
		t.Fatalf("export: %d rows for %d invoices; header %v", len(rows), len(want), rows[0])
	}
	for i, rec := range want {
		r := rows[i+1]
		no := r[2] + r[3]
		if no != rec.Number || r[1] != rec.Code || r[11] != rec.Total.StringFixed(2) || r[14] != rec.Status {
			t.Errorf("export row %d: %v, want %s %s %s", i+1, r, rec.ID(), rec.Total.StringFixed(2), rec.Status)
		}
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	p, base, _ := start(t)
	b := newBrowser(t, base)
	p.Set(func(s *Switches) { s.Unavailable503 = 2 })
	for i := 0; i < 2; i++ {
		if s, body := b.get("/login"); s != 503 || !strings.Contains(body, `id="maintenance"`) {
			t.Fatalf("503 burst %d: %d", i, s)
		}
	}
	// The phone is outside the portal: no fault reaches it.
	if s, _ := b.get("/login"); s != 200 {
		t.Fatalf("after the burst: %d", s)
	}
	p.Set(func(s *Switches) { s.Redesign = true })
	_, body := b.get("/login")
	mustContain(t, body, `id="uscc-input"`, `class="v2"`)
	if strings.Contains(body, `id="nsrsbh"`) {
		t.Error("the redesign kept the old id")
	}
	p.Set(func(s *Switches) { s.Redesign = false; s.SlowPages = 300 * time.Millisecond })
	t0 := time.Now()
	b.get("/login")
	if d := time.Since(t0); d < 300*time.Millisecond {
		t.Errorf("slow page took %v", d)
	}
}

// TestPhoneLoopbackOnly: the phone refuses a request from another host.
func TestPhoneLoopbackOnly(t *testing.T) {
	t.Parallel()
	p := New(Options{Seed: 1})
	req, _ := http.NewRequest("GET", "/_sandbox/phone?user=zhangwei", nil)
	req.RemoteAddr = "192.0.2.7:5555"
	w := &recorder{h: http.Header{}}
	p.ServeHTTP(w, req)
	if w.status != http.StatusForbidden {
		t.Errorf("status %d", w.status)
	}
}

type recorder struct {
	h      http.Header
	status int
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(s int)           { r.status = s }

func TestIdleExpiryAndLogout(t *testing.T) {
	t.Parallel()
	p, base, clk := start(t)
	p.Set(func(s *Switches) { s.IdleExpiry = 15 * time.Minute })
	b := newBrowser(t, base)
	smsLogin(t, p, b, "zhangwei")
	clk.Add(15*time.Minute + time.Second)
	if _, body := b.get("/invoices"); at(body) != "/login" || !strings.Contains(body, MsgSessionEnded) {
		t.Fatalf("idle session: at %s", at(body))
	}
	var api struct{ Success bool }
	// lina has one role: no selection page.
	b2 := newBrowser(t, base)
	lina := DefaultUsers()[1]
	b2.get("/login")
	_, body := b2.post("/login", url.Values{"nsrsbh": {Home().TaxID}, "account": {lina.Phone}, "password": {lina.Password}})
	mustContain(t, body, "139****5432")
	s, _ := p.LastSMS("lina")
	_, body = b2.post("/login/sms", url.Values{"code": {s.Code}})
	mustContain(t, body, `<span id="role">办税员</span>`)
	b2.post("/logout", nil)
	b2.json("/api/session", &api)
	if api.Success {
		t.Error("a session outlived its logout")
	}
	if c, ok := Credentials()["etax-lina"]; !ok || c.Fields["nsrsbh"] != Home().TaxID {
		t.Errorf("credentials %+v", c)
	}
}

// BenchmarkDownloadAndParse downloads an invoice's PDF, OFD and XML over
// HTTP and parses each with einvoice: the figure behind "invoices per
// minute downloaded and parsed" on the portal's side.
func BenchmarkDownloadAndParse(b *testing.B) {
	clk := &clock{t: time.Date(2026, 11, 30, 10, 0, 0, 0, cst)}
	p := New(Options{Seed: 7, Now: clk.Now})
	base, stop, err := p.Serve("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	login := func() {
		post := func(path string, f url.Values) {
			resp, err := c.PostForm(base+path, f)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
		post("/login", url.Values{"nsrsbh": {Home().TaxID}, "account": {"zhangwei"}, "password": {zhang.Password}})
		s, err := p.LastSMS("zhangwei")
		if err != nil {
			b.Fatal(err)
		}
		post("/login/sms", url.Values{"code": {s.Code}})
		post("/login/role", url.Values{"role": {RoleClerk}})
	}
	login()
	var recs []Record
	for _, r := range p.Invoices(Query{Direction: Received, From: dataFrom, To: dataTo}) {
		if r.Digital() {
			recs = append(recs, r)
		}
	}
	i := 0
	for b.Loop() {
		rec := recs[i%len(recs)]
		i++
		for _, f := range []string{"pdf", "ofd", "xml"} {
			resp, err := c.Get(base + "/download/" + rec.ID() + "/" + f)
			if err != nil {
				b.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			inv, err := einvoice.Parse(context.Background(), rec.ID()+"."+f, data)
			if err != nil {
				b.Fatal(err)
			}
			if inv.Number != rec.Number {
				b.Fatalf("%s.%s: number %s", rec.ID(), f, inv.Number)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Minutes(), "invoices/min")
}
