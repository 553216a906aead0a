package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/pquerna/otp/totp"
)

// Switches change how the bank behaves, for tests and demonstrations. Set
// them with Bank.Set; they apply from the next request on.
type Switches struct {
	// SlowPages delays every page and API response.
	SlowPages time.Duration
	// Unavailable503 answers the next N requests with 503 and a
	// maintenance page, then recovers.
	Unavailable503 int
	// IdleExpiry logs a session out after this long without a request (0:
	// never).
	IdleExpiry time.Duration
	// Removed lists element ids the pages no longer render, as after a
	// redesign (for example "search-button").
	Removed []string
	// MisstateClosing makes downloaded statements print a closing balance
	// 0.01 off, so that they do not reconcile.
	MisstateClosing bool
	// ResultDelayMin and ResultDelayMax bound the asynchronous delay of the
	// statement search (default 200–800 ms).
	ResultDelayMin, ResultDelayMax time.Duration
	// Redesign serves version 2 of the pages to every browser.
	Redesign bool
	// Rollout serves version 2 to this share (0..1) of new browser
	// sessions, as a site does during a staged redesign.
	Rollout float64
	// Mutation, when set, is applied to every page as it loads (one small
	// change, as in a mutation test).
	Mutation *Mutation
	// LateScript holds back the statements page's own script (its click
	// and change handlers): the page asks for it only after its load
	// event, and the bank answers that request this much later, as a
	// site's lazily loaded bundle does. A click before it has run does
	// nothing (the page-state race of issue 11).
	LateScript time.Duration
	// Rerender makes the pages replace each form field (input, select,
	// textarea) with a fresh copy the first time it gets focus, as a
	// hydrating framework re-renders server markup: a node looked up
	// before the focus is detached from the document after it.
	Rerender bool
}

// Options configure a Bank.
type Options struct {
	Seed     int64
	Accounts []Account
	Users    []User
	// Now is the bank's clock (default time.Now); TOTP codes use it.
	Now func() time.Time
}

// Bank is the sandbox bank portal. It is an http.Handler.
type Bank struct {
	seed     int64
	now      func() time.Time
	accounts map[string]Account
	order    []string
	users    map[string]User
	mux      *http.ServeMux

	mu       sync.Mutex
	sw       Switches
	sessions map[string]*session
	failures map[string]int // wrong-password count per user
	stats    Stats
	events   []Event
	uiSeq    uint64
}

// Stats counts what the bank saw, so tests can assert on the site's side.
type Stats struct {
	LoginAttempts  int
	FailedLogins   int
	Downloads      int
	Unavailable    int
	LockedAccounts int
}

type session struct {
	user     string
	verified bool // password and, if required, TOTP passed
	lastSeen time.Time
}

// MaxAttempts is how many wrong passwords lock a user.
const MaxAttempts = 3

// New returns a sandbox bank.
func New(o Options) *Bank {
	if o.Accounts == nil {
		o.Accounts = DefaultAccounts()
	}
	if o.Users == nil {
		o.Users = DefaultUsers()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	b := &Bank{seed: o.Seed, now: o.Now, accounts: map[string]Account{}, users: map[string]User{},
		sessions: map[string]*session{}, failures: map[string]int{},
		sw: Switches{ResultDelayMin: 200 * time.Millisecond, ResultDelayMax: 800 * time.Millisecond}}
	for _, a := range o.Accounts {
		b.accounts[a.ID] = a
		b.order = append(b.order, a.ID)
	}
	for _, u := range o.Users {
		b.users[u.ID] = u
	}
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/login", http.StatusSeeOther) })
	m.HandleFunc("GET /login", b.loginPage)
	m.HandleFunc("POST /login", b.loginSubmit)
	m.HandleFunc("GET /login/otp", b.otpPage)
	m.HandleFunc("POST /login/otp", b.otpSubmit)
	m.HandleFunc("GET /accounts", b.authed(b.accountsPage))
	m.HandleFunc("GET /statements", b.authed(b.statementsPage))
	m.HandleFunc("GET /api/statements", b.authed(b.statementsAPI))
	m.HandleFunc("GET /download", b.authed(b.download))
	m.HandleFunc("POST /logout", b.logout)
	m.HandleFunc("POST /__events", b.recordEvent)
	m.HandleFunc("GET /__late.js", b.lateScript)
	b.mux = m
	return b
}

// Set replaces the bank's switches.
func (b *Bank) Set(fn func(*Switches)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fn(&b.sw)
}

// Stats returns what the bank has seen so far.
func (b *Bank) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// Accounts returns the bank's accounts in display order.
func (b *Bank) Accounts() []Account {
	out := make([]Account, 0, len(b.order))
	for _, id := range b.order {
		out = append(out, b.accounts[id])
	}
	return out
}

// Users returns the bank's logins.
func (b *Bank) Users() []User {
	out := make([]User, 0, len(b.users))
	for _, u := range DefaultUsers() {
		if v, ok := b.users[u.ID]; ok {
			out = append(out, v)
		}
	}
	return out
}

// ServeHTTP implements http.Handler.
func (b *Bank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	sw := b.sw
	unavailable := false
	if b.sw.Unavailable503 > 0 {
		b.sw.Unavailable503--
		b.stats.Unavailable++
		unavailable = true
	}
	b.mu.Unlock()
	if sw.SlowPages > 0 {
		select {
		case <-time.After(sw.SlowPages):
		case <-r.Context().Done():
			return
		}
	}
	if unavailable {
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>系统维护 Maintenance</title></head><body><h1 id="maintenance">系统维护中，请稍后再试 Service temporarily unavailable</h1></body></html>`)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	b.mux.ServeHTTP(w, r)
}

// Serve starts the bank on addr (for example "127.0.0.1:0") and returns its
// base URL and a function that stops it.
func (b *Bank) Serve(addr string) (baseURL string, stop func(), err error) {
	return Serve(addr, b)
}

// Serve serves h on addr, as every sandbox portal is served: it returns
// the base URL and a function that stops the server and waits for it.
func Serve(addr string, h http.Handler) (baseURL string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("sandbox: listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	return "http://" + ln.Addr().String(), func() {
		_ = srv.Close()
		<-done
	}, nil
}

func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (b *Bank) removed(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range b.sw.Removed {
		if r == id {
			return true
		}
	}
	return false
}

// uiFor picks the version of the pages a browser sees: version 2 under
// Redesign; under a Rollout, the version the browser was given on its first
// request (a "ui" cookie), drawn for that share of browsers.
func (b *Bank) uiFor(w http.ResponseWriter, r *http.Request) UI {
	b.mu.Lock()
	sw := b.sw
	b.mu.Unlock()
	switch {
	case sw.Redesign:
		return uiV2
	case sw.Rollout <= 0:
		return uiV1
	}
	if c, err := r.Cookie("ui"); err == nil && (c.Value == "1" || c.Value == "2") {
		if c.Value == "2" {
			return uiV2
		}
		return uiV1
	}
	b.mu.Lock()
	b.uiSeq++
	n := b.uiSeq
	b.mu.Unlock()
	// A well-spread, seed-determined draw per new browser.
	h := uint64(b.seed)*0x9e3779b97f4a7c15 + n*0xbf58476d1ce4e5b9
	h ^= h >> 31
	h *= 0x94d049bb133111eb
	h ^= h >> 29
	v := "1"
	if float64(h%10000)/10000 < sw.Rollout {
		v = "2"
	}
	http.SetCookie(w, &http.Cookie{Name: "ui", Value: v, Path: "/", SameSite: http.SameSiteLaxMode})
	if v == "2" {
		return uiV2
	}
	return uiV1
}

// page renders one of the bank's pages.
func (b *Bank) page(w http.ResponseWriter, r *http.Request, status int, name string, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	ui := b.uiFor(w, r)
	data["UI"] = ui
	data["Shown"] = func(el string) bool { return !b.removed(el) && !b.removed(uiV1.ID[el]) }
	consent := false
	if ui.Version == 2 {
		c, err := r.Cookie("consent")
		consent = err != nil || c.Value != "1"
	}
	data["Consent"] = consent
	b.mu.Lock()
	mut := b.sw.Mutation
	b.mu.Unlock()
	if mut != nil {
		data["Mutation"] = mut.script()
	}
	b.mu.Lock()
	data["Late"], data["Rerender"] = b.sw.LateScript > 0, b.sw.Rerender
	b.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		fmt.Fprintf(w, "<!-- template error: %v -->", err)
	}
}

func (b *Bank) loginPage(w http.ResponseWriter, r *http.Request) {
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: "csrf", Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	msg := ""
	if r.URL.Query().Get("expired") == "1" {
		msg = "会话已超时，请重新登录 Your session has expired, please log in again"
	}
	b.page(w, r, http.StatusOK, "login", map[string]any{"CSRF": tok, "Info": msg})
}

func (b *Bank) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	c, err := r.Cookie("csrf")
	if err != nil || c.Value == "" || c.Value != r.PostForm.Get("csrf_token") {
		b.page(w, r, http.StatusForbidden, "error", map[string]any{"Message": "安全校验失败，请刷新页面 Security check failed (CSRF), reload the page"})
		return
	}
	uid := strings.TrimSpace(r.PostForm.Get("user_id"))
	pw := r.PostForm.Get("password")
	b.mu.Lock()
	b.stats.LoginAttempts++
	u, known := b.users[uid]
	if b.failures[uid] >= MaxAttempts {
		b.mu.Unlock()
		b.page(w, r, http.StatusForbidden, "locked", nil)
		return
	}
	if !known || u.Password != pw {
		b.stats.FailedLogins++
		b.failures[uid]++
		left := MaxAttempts - b.failures[uid]
		if left == 0 {
			b.stats.LockedAccounts++
		}
		b.mu.Unlock()
		if left == 0 {
			b.page(w, r, http.StatusForbidden, "locked", nil)
			return
		}
		tok := randomToken()
		http.SetCookie(w, &http.Cookie{Name: "csrf", Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		b.page(w, r, http.StatusOK, "login", map[string]any{"CSRF": tok, "UserID": uid,
			"Error": fmt.Sprintf("用户名或密码错误，还可尝试 %d 次 Wrong user ID or password, %d attempts left", left, left)})
		return
	}
	b.failures[uid] = 0
	sid := randomToken()
	b.sessions[sid] = &session{user: uid, verified: u.TOTPSecret == "", lastSeen: b.now()}
	b.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "DBSESSION", Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if u.TOTPSecret != "" {
		http.Redirect(w, r, "/login/otp", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/accounts", http.StatusSeeOther)
}

func (b *Bank) session(r *http.Request) (*session, string) {
	c, err := r.Cookie("DBSESSION")
	if err != nil {
		return nil, ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.sessions[c.Value]
	if s == nil {
		return nil, ""
	}
	now := b.now()
	if b.sw.IdleExpiry > 0 && now.Sub(s.lastSeen) > b.sw.IdleExpiry {
		delete(b.sessions, c.Value)
		return nil, "expired"
	}
	s.lastSeen = now
	return s, c.Value
}

func (b *Bank) otpPage(w http.ResponseWriter, r *http.Request) {
	s, _ := b.session(r)
	if s == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	b.page(w, r, http.StatusOK, "otp", nil)
}

func (b *Bank) otpSubmit(w http.ResponseWriter, r *http.Request) {
	s, _ := b.session(r)
	if s == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	_ = r.ParseForm()
	u := b.users[s.user]
	code := strings.TrimSpace(r.PostForm.Get("otp"))
	ok, _ := totp.ValidateCustom(code, u.TOTPSecret, b.now(), totpOpts)
	if !ok {
		b.page(w, r, http.StatusOK, "otp", map[string]any{"Error": "动态口令错误 Wrong one-time code"})
		return
	}
	b.mu.Lock()
	s.verified = true
	b.mu.Unlock()
	http.Redirect(w, r, "/accounts", http.StatusSeeOther)
}

func (b *Bank) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie("DBSESSION"); err == nil {
		b.mu.Lock()
		delete(b.sessions, c.Value)
		b.mu.Unlock()
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type ctxUser struct {
	User     User
	Accounts []Account
}

func (b *Bank) authed(h func(http.ResponseWriter, *http.Request, ctxUser)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, why := b.session(r)
		if s == nil || !s.verified {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"error":"session expired"}`)
				return
			}
			to := "/login"
			if why == "expired" {
				to = "/login?expired=1"
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		u := b.users[s.user]
		cu := ctxUser{User: u}
		for _, id := range u.Accounts {
			cu.Accounts = append(cu.Accounts, b.accounts[id])
		}
		h(w, r, cu)
	}
}

func (b *Bank) accountsPage(w http.ResponseWriter, r *http.Request, cu ctxUser) {
	b.page(w, r, http.StatusOK, "accounts", map[string]any{"User": cu.User.ID, "Accounts": cu.Accounts})
}

func (b *Bank) statementsPage(w http.ResponseWriter, r *http.Request, cu ctxUser) {
	b.page(w, r, http.StatusOK, "statements", map[string]any{"User": cu.User.ID, "Accounts": cu.Accounts, "PageSize": apiPageSize})
}

const apiPageSize = 10

// lateScript serves the statements page's script late (Switches.LateScript).
func (b *Bank) lateScript(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	d := b.sw.LateScript
	b.mu.Unlock()
	select {
	case <-time.After(d):
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	fmt.Fprint(w, "if (window.bankInit) bankInit();\n")
}

func (b *Bank) owns(cu ctxUser, id string) (Account, bool) {
	for _, a := range cu.Accounts {
		if a.ID == id {
			return a, true
		}
	}
	return Account{}, false
}

func (b *Bank) query(w http.ResponseWriter, r *http.Request, cu ctxUser) (Account, ferry.Statement, bool) {
	q := r.URL.Query()
	acc, ok := b.owns(cu, q.Get("account"))
	if !ok {
		http.Error(w, "无此账户 No such account", http.StatusNotFound)
		return Account{}, ferry.Statement{}, false
	}
	from, err1 := ferry.ParseDate(q.Get("from"))
	to, err2 := ferry.ParseDate(q.Get("to"))
	if err1 != nil || err2 != nil || to.Before(from) {
		http.Error(w, "日期无效 Invalid dates", http.StatusBadRequest)
		return Account{}, ferry.Statement{}, false
	}
	st, err := b.Statement(acc.ID, from, to)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return Account{}, ferry.Statement{}, false
	}
	return acc, st, true
}

// resultDelay is the asynchronous delay of a statement search, between the
// switches' bounds, varying per query but deterministic.
func (b *Bank) resultDelay(q string) time.Duration {
	b.mu.Lock()
	lo, hi := b.sw.ResultDelayMin, b.sw.ResultDelayMax
	b.mu.Unlock()
	if hi <= lo {
		return lo
	}
	h := fnv.New32a()
	h.Write([]byte(q))
	return lo + time.Duration(h.Sum32())%(hi-lo)
}

type apiLine struct {
	BookingDate  string `json:"booking_date"`
	ValueDate    string `json:"value_date"`
	Debit        string `json:"debit"`
	Credit       string `json:"credit"`
	Balance      string `json:"balance"`
	Counterparty string `json:"counterparty"`
	Description  string `json:"description"`
	Reference    string `json:"reference"`
}

func (b *Bank) statementsAPI(w http.ResponseWriter, r *http.Request, cu ctxUser) {
	select {
	case <-time.After(b.resultDelay(r.URL.RawQuery)):
	case <-r.Context().Done():
		return
	}
	acc, st, ok := b.query(w, r, cu)
	if !ok {
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pages := max(1, (len(st.Lines)+apiPageSize-1)/apiPageSize)
	page = min(max(page, 1), pages)
	lines := []apiLine{}
	for _, l := range st.Lines[min((page-1)*apiPageSize, len(st.Lines)):min(page*apiPageSize, len(st.Lines))] {
		row := lineRow(l)
		lines = append(lines, apiLine{row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7]})
	}
	base := url.Values{"account": {acc.ID}, "from": {st.From.String()}, "to": {st.To.String()}}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"account": acc.ID, "currency": acc.Currency, "page": page, "pages": pages, "total": len(st.Lines),
		"opening": FormatMoney(st.Opening), "closing": FormatMoney(st.Closing), "lines": lines,
		"download": "/download?" + base.Encode(),
	})
}

func (b *Bank) download(w http.ResponseWriter, r *http.Request, cu ctxUser) {
	acc, st, ok := b.query(w, r, cu)
	if !ok {
		return
	}
	var (
		body []byte
		err  error
		ct   string
	)
	b.mu.Lock()
	misstate := b.sw.MisstateClosing
	b.mu.Unlock()
	if misstate {
		st.Closing = st.Closing.Add(cents(1))
	}
	format := r.URL.Query().Get("format")
	name := fmt.Sprintf("对账单_%s_%s_%s.%s", acc.ID, strings.ReplaceAll(st.From.String(), "-", ""), strings.ReplaceAll(st.To.String(), "-", ""), format)
	disposition := "attachment"
	switch format {
	case "xlsx":
		body, err = RenderXLSX(st)
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case "csv":
		body, err = RenderCSV(st)
		ct = "text/csv; charset=GB18030"
	case "pdf":
		body, err = RenderPDF(st)
		ct = "application/pdf"
		if acc.InlinePDF {
			disposition = "inline"
		}
	default:
		http.Error(w, "unknown format", http.StatusBadRequest)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	b.mu.Lock()
	b.stats.Downloads++
	b.mu.Unlock()
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`%s; filename="statement_%s.%s"; filename*=UTF-8''%s`, disposition, acc.ID, format, url.PathEscape(name)))
	_, _ = w.Write(body)
}
