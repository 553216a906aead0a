package tax

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/ferry-rpa/ferry/sandbox"
	"hash/fnv"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Switches change how the portal behaves, for tests and demonstrations.
// Set them with Portal.Set; they apply from the next request on.
type Switches struct {
	// SlowPages delays every page and API response.
	SlowPages time.Duration
	// Unavailable503 answers the next N requests with 503 and the portal's
	// maintenance page, then recovers.
	Unavailable503 int
	// Redesign serves version 2 of the pages (other ids, classes and
	// structure), as after the portal's redesign.
	Redesign bool
	// TrustDays is how long a device stays trusted after an SMS login:
	// within it a password login asks no code (0: always ask).
	TrustDays int
	// QueryLimit is the most invoices one query may match; more answer
	// 请限制开票日期 (default 100).
	QueryLimit int
	// IssueBetweenPages issues a new invoice inside the queried range the
	// next N times a page after the first is requested, so the total
	// changes under a paging client.
	IssueBetweenPages int
	// KickAfterDownloads logs the downloading account in elsewhere right
	// after the portal's Nth per-invoice download (counted from the
	// start), so the client is kicked offline between two downloads
	// (0: never).
	KickAfterDownloads int
	// IdleExpiry logs a session out after this long without a request (0:
	// never).
	IdleExpiry time.Duration
	// ClientStore keeps part of each session in the browser's
	// sessionStorage and IndexedDB (clientstate.go): a cookie alone no
	// longer opens the invoice pages.
	ClientStore bool
}

// Options configure a Portal.
type Options struct {
	Seed  int64
	Users []User // default DefaultUsers()
	// Now is the portal's clock (default time.Now): SMS and QR expiry, the
	// trust window, lockouts and idle expiry follow it.
	Now func() time.Time
}

// MaxAttempts is how many wrong passwords or SMS codes in a row lock an
// account.
const MaxAttempts = 5

// The portal's timings, on its clock.
const (
	LockDuration = 30 * time.Minute
	SMSValidity  = 5 * time.Minute
	SMSCooldown  = 60 * time.Second
	QRValidity   = 2 * time.Minute
)

// Stats counts what the portal saw, so tests can assert on the site's side.
type Stats struct {
	LoginAttempts  int
	FailedLogins   int // wrong passwords
	WrongCodes     int
	SMSSent        int
	LockedAccounts int
	Kicked         int // sessions ended by a login elsewhere
	Queries        int
	Downloads      int
	Exports        int
	Unavailable    int
}

// Event is one thing that happened on the portal's side (a login, an SMS
// sent, a session kicked), for tests and the demo.
type Event struct {
	At     time.Time
	Kind   string // login, sms, wrong-password, wrong-code, locked, trusted-device, qr-scan, qr-confirm, session, kicked, issued, download, query (Detail: "issued 2026-03-01..2026-03-31 page 2")
	User   string // the personal account's user name
	Detail string
}

// Portal is the sandbox tax portal. It is an http.Handler.
type Portal struct {
	seed  int64
	now   func() time.Time
	home  Taxpayer
	users []User

	mu       sync.Mutex
	sw       Switches
	records  []*Record // newest first
	byID     map[string]*Record
	failures map[string]int       // wrong passwords and codes in a row, by user name
	locked   map[string]time.Time // locked until, by user name
	pending  map[string]*pendingLogin
	sms      map[string]SMS // the last code per user name
	smsSeq   uint64
	qrs      map[string]*qrLogin
	qrOrder  []string
	trusted  map[string]time.Time // device|user → trusted until
	sessions map[string]*session
	active   map[string]string // user name → its live session id
	issued   int               // invoices issued between pages so far
	stats    Stats
	events   []Event
	// files keeps rendered downloads (id.format → bytes), oldest evicted
	// first: an invoice's file never changes (its status is not printed),
	// and a PDF costs far more to render than to serve.
	files     map[string][]byte
	fileOrder []string
	clients   map[string]string // session id → its client token (clientstate.go)
	mux       *http.ServeMux
}

// maxCachedFiles bounds the rendered downloads a portal keeps (about 30 kB
// each).
const maxCachedFiles = 1024

type pendingLogin struct {
	user    string
	created time.Time
}

type session struct {
	user, role string
	kicked     bool
	lastSeen   time.Time
}

// SMS is a code the portal sent, as the sandbox phone received it.
type SMS struct {
	User    string    // the personal account's user name
	Phone   string    // the full number
	Masked  string    // as the page shows it: 138****5678
	Code    string    // six digits
	Text    string    // the message as sent
	Sent    time.Time // on the portal's clock
	Expires time.Time
}

// New returns a sandbox tax portal.
func New(o Options) *Portal {
	if o.Users == nil {
		o.Users = DefaultUsers()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &Portal{seed: o.Seed, now: o.Now, home: Home(), users: o.Users,
		sw:       Switches{TrustDays: 7, QueryLimit: 100},
		byID:     map[string]*Record{},
		failures: map[string]int{}, locked: map[string]time.Time{}, pending: map[string]*pendingLogin{},
		sms: map[string]SMS{}, qrs: map[string]*qrLogin{}, trusted: map[string]time.Time{},
		sessions: map[string]*session{}, active: map[string]string{}, files: map[string][]byte{}}
	p.records = generate(o.Seed, p.home, Counterparties())
	for _, r := range p.records {
		p.byID[r.ID()] = r
	}
	sortRecords(p.records)
	p.routes()
	return p
}

// Set changes the portal's switches.
func (p *Portal) Set(fn func(*Switches)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(&p.sw)
}

// Stats returns what the portal has seen so far.
func (p *Portal) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Events returns the portal-side events so far, oldest first.
func (p *Portal) Events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.events...)
}

// LoginElsewhere logs the account (its user name) in from another place,
// as a colleague would: the session it had is kicked offline.
func (p *Portal) LoginElsewhere(user string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.startSession(user)
}

// Users returns the portal's personal accounts.
func (p *Portal) Users() []User { return append([]User(nil), p.users...) }

// Taxpayer is the enterprise the accounts act for.
func (p *Portal) Taxpayer() Taxpayer { return p.home }

// event records e; the caller holds p.mu.
func (p *Portal) event(kind, user, detail string) {
	if len(p.events) < 100_000 {
		p.events = append(p.events, Event{At: p.now(), Kind: kind, User: user, Detail: detail})
	}
}

// ServeHTTP implements http.Handler: the fault switches first, then the
// portal's routes.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	slow := p.sw.SlowPages
	unavailable := false
	// The sandbox phone is not the portal: faults never reach it.
	if p.sw.Unavailable503 > 0 && !isPhonePath(r.URL.Path) {
		p.sw.Unavailable503--
		p.stats.Unavailable++
		unavailable = true
	}
	p.mu.Unlock()
	if slow > 0 && !isPhonePath(r.URL.Path) {
		t := time.NewTimer(slow)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if unavailable {
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>系统维护</title></head><body><h1 id="maintenance">系统繁忙，请稍后再试</h1><p>当前访问人数较多，请稍后刷新页面。</p></body></html>`)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	p.mux.ServeHTTP(w, r)
}

// Serve starts the portal on addr (for example "127.0.0.1:0") and returns
// its base URL and a function that stops it.
func (p *Portal) Serve(addr string) (baseURL string, stop func(), err error) {
	return sandbox.Serve(addr, p)
}

func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// code draws the next SMS code from the seed, so that a run of the
// sandbox sends the same codes in the same order; the caller holds p.mu.
func (p *Portal) code() string {
	p.smsSeq++
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|sms", p.seed)
	r := mrand.New(mrand.NewPCG(h.Sum64(), p.smsSeq))
	return fmt.Sprintf("%06d", r.IntN(1_000_000))
}

// user finds a personal account by user name, phone or ID number.
func (p *Portal) user(account string) (User, bool) {
	for _, u := range p.users {
		if account != "" && (u.UserName == account || u.Phone == account || u.IDNumber == account) {
			return u, true
		}
	}
	return User{}, false
}

// file returns an invoice's download in format, rendering it on first use.
func (p *Portal) file(rec *Record, format string, render func(*Record) ([]byte, error)) ([]byte, error) {
	key := rec.ID() + "." + format
	p.mu.Lock()
	b, ok := p.files[key]
	p.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := render(rec)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.files[key]; !ok {
		p.files[key] = b
		p.fileOrder = append(p.fileOrder, key)
		if len(p.fileOrder) > maxCachedFiles {
			delete(p.files, p.fileOrder[0])
			p.fileOrder = p.fileOrder[1:]
		}
	}
	return b, nil
}
