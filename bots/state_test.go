package bots_test

// Logins kept between runs, in real Chromium: against the sandbox tax
// portal (its SMS counter says whether a second factor was asked for),
// and against a page of the test's own that uses every kind of storage.

import (
	"context"

	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/go-rod/rod/lib/proto"
	"github.com/rs/zerolog"
)

// clock is the portal's injected clock, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const etaxSelectors = `site: etax
version: 1
elements:
  taxid: {ways: [{css: "#nsrsbh"}]}
  account: {ways: [{css: "#account"}]}
  password: {ways: [{css: "#password"}]}
  submit: {ways: [{css: "#login-btn"}]}
  sms-code: {ways: [{css: "#sms-code"}]}
  user-role: {ways: [{css: "#role"}]}
`

// etaxScript logs in (five steps), then waits for the logged-in page or
// the SMS page; typing an SMS code from a script waits for the challenge
// step (Q12), so the SMS page ends the run as input_needed here.
const etaxScript = `bot: etax-test
site: etax
credential: etax
session:
  check: ${site.url}/invoices
  logged_in: user-role
  login_url: /login
  login_steps: 5
  trust: 168h
steps:
  - open: ${site.url}/login
  - fill: taxid
    value: ${cred.nsrsbh}
  - fill: account
    value: ${cred.account}
  - fill: password
    value: ${cred.password}
  - click: submit
  - branch:
      - when: user-role
      - when: sms-code
        fail: input_needed
        message: the portal asks for an SMS code
  - assert: user-role
    text: 办税员
`

type etax struct {
	p     *tax.Portal
	base  string
	clk   *clock
	user  tax.User
	cred  ferry.Credential
	sel   *selectors.File
	scrip *scripts.Script
}

func newEtax(t *testing.T) *etax {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	p := tax.New(tax.Options{Seed: 3, Now: clk.now})
	base, stop, err := p.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	sel, err := selectors.Parse("etax.yaml", []byte(etaxSelectors))
	if err != nil {
		t.Fatal(err)
	}
	s, err := scripts.Parse("etax-test.yaml", []byte(etaxScript), sel)
	if err != nil {
		t.Fatal(err)
	}
	u := tax.DefaultUsers()[1] // one role: no role page
	return &etax{p: p, base: base, clk: clk, user: u, sel: sel, scrip: s,
		cred: ferry.Credential{Name: "etax-" + u.UserName, Fields: map[string]string{"nsrsbh": u.TaxID, "account": u.UserName, "password": u.Password}}}
}

func (e *etax) job(t *testing.T, st *bots.State) bots.Job {
	return bots.Job{Script: e.scrip, Selectors: e.sel, BaseURL: e.base, Credential: e.cred, State: st, SaveState: true,
		Params: ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 31)}, Now: e.clk.now,
		StepTimeout: 20 * time.Second, Logger: zerolog.New(zerolog.NewTestWriter(t))}
}

// firstLogin logs in with the SMS code read from the sandbox phone, in a
// context of the test's own (the script cannot type it before Q12's
// challenge step), and captures the state as a run would.
func (e *etax) firstLogin(t *testing.T) *bots.State {
	t.Helper()
	inc, err := browser.Rod().Incognito()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = inc.Close() }()
	page, err := inc.Page(proto.TargetCreateTarget{URL: e.base + "/login"})
	if err != nil {
		t.Fatal(err)
	}
	pg := page.Timeout(30 * time.Second)
	fill := func(sel, text string) {
		t.Helper()
		el, err := pg.Element(sel)
		if err == nil {
			err = el.Input(text)
		}
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
	}
	click := func(sel string) {
		t.Helper()
		el, err := pg.Element(sel)
		if err == nil {
			err = el.Click(proto.InputMouseButtonLeft, 1)
		}
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
	}
	fill("#nsrsbh", e.user.TaxID)
	fill("#account", e.user.UserName)
	fill("#password", e.user.Password)
	click("#login-btn")
	if _, err := pg.Element("#sms-code"); err != nil {
		t.Fatal(err)
	}
	sms, err := e.p.LastSMS(e.user.UserName)
	if err != nil {
		t.Fatal(err)
	}
	fill("#sms-code", sms.Code)
	click("#sms-btn")
	if _, err := pg.Element("#role"); err != nil {
		t.Fatal(err)
	}
	st, err := bots.Capture(inc, page, nil, e.clk.now())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func cookieNamed(st *bots.State, name string) *bots.Cookie {
	for i := range st.Cookies {
		if st.Cookies[i].Name == name {
			return &st.Cookies[i]
		}
	}
	return nil
}

func TestSavedLoginRestoredWithoutSMS(t *testing.T) {
	e := newEtax(t)
	st := e.firstLogin(t)
	if c := cookieNamed(st, "ETAX_SESSION"); c == nil || !c.Session {
		t.Fatalf("the session cookie was not captured as one: %+v", st.Cookies)
	}
	before := e.p.Stats()
	started := time.Now()
	res, err := browser.Run(context.Background(), e.job(t, st))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("figure: restored run %v", time.Since(started))
	after := e.p.Stats()
	if res.Session != bots.SessionRestored {
		t.Fatalf("session %q, want restored", res.Session)
	}
	if after.SMSSent != before.SMSSent || after.LoginAttempts != before.LoginAttempts {
		t.Fatalf("the restored run logged in again: before %+v after %+v", before, after)
	}
	for _, s := range res.Trace {
		if s.Action == "fill" || s.Action == "click" {
			t.Fatalf("a login step ran: %+v", s)
		}
	}
	if res.State == nil || cookieNamed(res.State, "ETAX_SESSION") == nil || cookieNamed(res.State, "ETAX_DEVICE") == nil {
		t.Fatalf("the run did not save its state: %+v", res.State)
	}
}

func TestExpiredSessionDetectedThenFreshLoginOnTrustedDevice(t *testing.T) {
	e := newEtax(t)
	st := e.firstLogin(t)
	// The portal ends idle sessions; an hour passes: the saved session
	// cookie now lands on the login page.
	e.p.Set(func(s *tax.Switches) { s.IdleExpiry = 30 * time.Minute })
	e.clk.add(time.Hour)
	before := e.p.Stats()
	started := time.Now()
	res, err := browser.Run(context.Background(), e.job(t, st))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("figure: expired login detected, fresh login run %v", time.Since(started))
	after := e.p.Stats()
	if res.Session != bots.SessionExpired {
		t.Fatalf("session %q, want expired (no silent reliance on a dead session)", res.Session)
	}
	if after.LoginAttempts != before.LoginAttempts+1 || after.SMSSent != before.SMSSent {
		t.Fatalf("want one password login and no SMS (the device is trusted): before %+v after %+v", before, after)
	}
}

func TestTrustWindowExpiryAsksSMSAgain(t *testing.T) {
	e := newEtax(t)
	st := e.firstLogin(t)
	// Eight days later: the session is gone and the seven-day trust too.
	e.p.Set(func(s *tax.Switches) { s.IdleExpiry = 30 * time.Minute })
	e.clk.add(8 * 24 * time.Hour)
	before := e.p.Stats()
	res, err := browser.Run(context.Background(), e.job(t, st))
	after := e.p.Stats()
	if ferry.ClassOf(err) != ferry.ClassInputNeeded {
		t.Fatalf("want input_needed (the SMS page), got %v", err)
	}
	if res.Session != bots.SessionExpired || res.State != nil {
		t.Fatalf("session %q, state saved %v", res.Session, res.State != nil)
	}
	if after.SMSSent != before.SMSSent+1 {
		t.Fatalf("want one SMS sent after the trust window: before %+v after %+v", before, after)
	}
}

func TestUnrestorableStateLogsInFresh(t *testing.T) {
	e := newEtax(t)
	bad := &bots.State{Origins: []bots.OriginState{{Origin: "javascript:alert(1)"}}, Cookies: []bots.Cookie{{Name: "ETAX_SESSION", Value: "x", Domain: "127.0.0.1", Path: "/"}}}
	res, err := browser.Run(context.Background(), e.job(t, bad))
	if ferry.ClassOf(err) != ferry.ClassInputNeeded {
		t.Fatalf("want the fresh login to reach the SMS page, got %v", err)
	}
	if res.Session != bots.SessionRestoreFailed {
		t.Fatalf("session %q", res.Session)
	}
}

// storagePage writes (?write=1) or reads back every kind of storage.
const storagePage = `<!doctype html><title>storage</title><pre id="out"></pre><script>
(async () => {
  const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  if (location.search === '?write=1') {
    localStorage.setItem('token', 'L-123');
    sessionStorage.setItem('tab', 'S-456');
    const open = indexedDB.open('app', 3);
    open.onupgradeneeded = () => { const os = open.result.createObjectStore('auth', {keyPath: 'id'}); os.createIndex('by_kind', 'kind'); open.result.createObjectStore('loose'); };
    const db = await req(open);
    const tx = db.transaction(['auth', 'loose'], 'readwrite');
    tx.objectStore('auth').put({id: 'k1', kind: 'refresh', token: 'I-789', at: new Date(1700000000000)});
    tx.objectStore('loose').put('plain value', 'outside-key');
    await new Promise((res) => tx.oncomplete = res);
    db.close();
    document.getElementById('out').textContent = 'written';
    return;
  }
  let idb = 'none';
  try {
    const db = await req(indexedDB.open('app'));
    const rec = await req(db.transaction('auth').objectStore('auth').index('by_kind').get('refresh'));
    const loose = await req(db.transaction('loose').objectStore('loose').get('outside-key'));
    idb = db.version + '/' + rec.token + '/' + (rec.at instanceof Date ? rec.at.getTime() : 'not a date') + '/' + loose;
  } catch (e) { idb = 'error ' + e; }
  document.getElementById('out').textContent = [localStorage.getItem('token'), sessionStorage.getItem('tab'), idb, document.cookie].join('|');
})();
</script>`

func TestStateCarriesEveryStorage(t *testing.T) {
	var requests sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Store(r.URL.Path, true)
		if r.URL.Query().Get("write") == "1" {
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "C-1", Path: "/"})                                           // a session cookie
			http.SetCookie(w, &http.Cookie{Name: "keep", Value: "C-2", Path: "/", Expires: time.Now().Add(48 * time.Hour)}) // a persistent one
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(storagePage))
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b := browser.Rod()

	inc, err := b.Incognito()
	if err != nil {
		t.Fatal(err)
	}
	page, err := inc.Page(proto.TargetCreateTarget{URL: srv.URL + "/app?write=1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := page.Context(ctx).ElementR("#out", "written"); err != nil {
		t.Fatal(err)
	}
	st, err := bots.Capture(inc, page, nil, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	_ = inc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Origins) != 1 || st.Origins[0].Origin != srv.URL || st.Origins[0].IndexedDB == nil {
		t.Fatalf("origins %+v", st.Origins)
	}

	inc2, err := b.Incognito()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = inc2.Close() }()
	page2, err := inc2.Page(proto.TargetCreateTarget{})
	if err != nil {
		t.Fatal(err)
	}
	if err := bots.Restore(ctx, inc2, page2, st); err != nil {
		t.Fatal(err)
	}
	if err := page2.Context(ctx).Navigate(srv.URL + "/app"); err != nil {
		t.Fatal(err)
	}
	el, err := page2.Context(ctx).ElementR("#out", `\|`)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := el.Text()
	want := "L-123|S-456|3/I-789/1700000000000/plain value|"
	if !strings.HasPrefix(got, want) || !strings.Contains(got, "sid=C-1") || !strings.Contains(got, "keep=C-2") {
		t.Fatalf("restored page reads %q, want %q and both cookies", got, want)
	}
	if _, asked := requests.Load("/__ferry_restore_state__"); asked {
		t.Fatal("the restore page reached the site")
	}
}
