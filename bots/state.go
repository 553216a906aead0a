package bots

// A login kept between runs: the browser context's cookies (session
// cookies included) and, per origin, localStorage, sessionStorage and
// IndexedDB. Capture reads them at the end of a successful run; Restore
// puts them into the next run's fresh incognito context before its first
// step, and the script's session block checks them with a cheap page
// before the run relies on them.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// State is a saved login: what a browser context holds for the sites it
// visited. It is secret (it logs in): callers seal it before storing it
// and never log it.
type State struct {
	Cookies []Cookie      `json:"cookies"`
	Origins []OriginState `json:"origins,omitempty"`
	// SavedAt is when it was captured, on the run's clock.
	SavedAt time.Time `json:"saved_at"`
}

// Cookie is one cookie of the context.
type Cookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Domain   string `json:"domain"`
	Path     string `json:"path"`
	Expires  int64  `json:"expires,omitempty"` // Unix seconds; 0 for a session cookie
	Session  bool   `json:"session,omitempty"`
	HTTPOnly bool   `json:"http_only,omitempty"`
	Secure   bool   `json:"secure,omitempty"`
	SameSite string `json:"same_site,omitempty"`
}

// OriginState is the storage of one origin (scheme://host:port).
type OriginState struct {
	Origin  string            `json:"origin"`
	Local   map[string]string `json:"local,omitempty"`
	Session map[string]string `json:"session,omitempty"`
	// IndexedDB is the origin's databases as the dump script wrote them
	// (names, versions, stores, indexes, records; JSON values, dates
	// tagged).
	IndexedDB json.RawMessage `json:"indexeddb,omitempty"`
}

// SessionOutcome says what became of a restored login in a run.
type SessionOutcome string

// The outcomes of a restored login.
const (
	// SessionNone: the run had no saved login; it logged in fresh.
	SessionNone SessionOutcome = ""
	// SessionRestored: the check page showed a logged-in page; the
	// script's login steps were skipped.
	SessionRestored SessionOutcome = "restored"
	// SessionUnchecked: restored, but the script declares no check; the
	// script ran in full (the site's own cookies may spare a second
	// factor).
	SessionUnchecked SessionOutcome = "unchecked"
	// SessionExpired: the check page landed on the login page (or showed
	// no logged-in element in time); the run logged in fresh, keeping the
	// restored cookies (a trusted-device cookie still spares the SMS).
	SessionExpired SessionOutcome = "expired"
	// SessionRestoreFailed: the state could not be put into the browser;
	// the run logged in fresh in a cleared context.
	SessionRestoreFailed SessionOutcome = "restore_failed"
)

// dumpJS reads the page's origin, its two storages and its IndexedDB
// databases, as JSON.
const dumpJS = `async () => {
  const out = {origin: location.origin, local: {}, session: {}, idb: []};
  for (let i = 0; i < localStorage.length; i++) { const k = localStorage.key(i); out.local[k] = localStorage.getItem(k); }
  for (let i = 0; i < sessionStorage.length; i++) { const k = sessionStorage.key(i); out.session[k] = sessionStorage.getItem(k); }
  const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  const infos = indexedDB.databases ? await indexedDB.databases() : [];
  for (const info of infos) {
    const db = await req(indexedDB.open(info.name));
    const d = {name: db.name, version: db.version, stores: []};
    for (const sn of Array.from(db.objectStoreNames)) {
      const st = db.transaction(sn, 'readonly').objectStore(sn);
      const s = {name: sn, keyPath: st.keyPath, autoIncrement: st.autoIncrement, indexes: [], records: []};
      for (const ixn of Array.from(st.indexNames)) { const ix = st.index(ixn); s.indexes.push({name: ix.name, keyPath: ix.keyPath, unique: ix.unique, multiEntry: ix.multiEntry}); }
      const keys = await req(st.getAllKeys()), values = await req(st.getAll());
      s.records = keys.map((k, i) => ({key: k, value: values[i]}));
      d.stores.push(s);
    }
    db.close();
    out.idb.push(d);
  }
  return JSON.stringify(out, function (k, v) { const o = this[k]; return o instanceof Date ? {$date: o.getTime()} : v; });
}`

// restoreJS writes one origin's storages and databases into the page.
const restoreJS = `async (text) => {
  const st = JSON.parse(text, (k, v) => (v && typeof v === 'object' && Object.keys(v).length === 1 && typeof v.$date === 'number') ? new Date(v.$date) : v);
  for (const [k, v] of Object.entries(st.local || {})) localStorage.setItem(k, v);
  for (const [k, v] of Object.entries(st.session || {})) sessionStorage.setItem(k, v);
  const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  for (const d of st.idb || []) {
    await req(indexedDB.deleteDatabase(d.name));
    const open = indexedDB.open(d.name, d.version);
    open.onupgradeneeded = () => {
      const db = open.result;
      for (const s of d.stores) {
        const os = db.createObjectStore(s.name, {keyPath: s.keyPath, autoIncrement: s.autoIncrement});
        for (const ix of s.indexes) os.createIndex(ix.name, ix.keyPath, {unique: ix.unique, multiEntry: ix.multiEntry});
      }
    };
    const db = await req(open);
    for (const s of d.stores) {
      if (!s.records.length) continue;
      const tx = db.transaction(s.name, 'readwrite'), os = tx.objectStore(s.name);
      for (const r of s.records) { if (s.keyPath === null) os.put(r.value, r.key); else os.put(r.value); }
      await new Promise((res, rej) => { tx.oncomplete = res; tx.onerror = () => rej(tx.error); tx.onabort = () => rej(tx.error); });
    }
    db.close();
  }
  return true;
}`

// dump is the shape dumpJS returns.
type dump struct {
	Origin  string            `json:"origin"`
	Local   map[string]string `json:"local"`
	Session map[string]string `json:"session"`
	IDB     json.RawMessage   `json:"idb"`
}

// Capture reads the state of the browser context inc, and the storage of
// the origin page is on. Origins of prev that the page is not on are kept
// as they were (this run did not see them change). It returns an error
// saying which part could not be read.
func Capture(inc *rod.Browser, page *rod.Page, prev *State, now time.Time) (*State, error) {
	cookies, err := inc.GetCookies()
	if err != nil {
		return nil, fmt.Errorf("bots: capture state: read cookies: %w", err)
	}
	st := &State{SavedAt: now}
	for _, c := range cookies {
		k := Cookie{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path, Session: c.Session,
			HTTPOnly: c.HTTPOnly, Secure: c.Secure, SameSite: string(c.SameSite)}
		if !c.Session {
			k.Expires = int64(c.Expires)
		}
		st.Cookies = append(st.Cookies, k)
	}
	here := ""
	if info, err := page.Info(); err == nil {
		if u, err := url.Parse(info.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			here = u.Scheme + "://" + u.Host
		}
	}
	if here != "" {
		v, err := page.Eval(dumpJS)
		if err != nil {
			return nil, fmt.Errorf("bots: capture state: read the storage of %s: %w", here, err)
		}
		var d dump
		if err := json.Unmarshal([]byte(v.Value.Str()), &d); err != nil {
			return nil, fmt.Errorf("bots: capture state: storage of %s: %w", here, err)
		}
		o := OriginState{Origin: d.Origin, Local: d.Local, Session: d.Session}
		if len(o.Local) == 0 {
			o.Local = nil
		}
		if len(o.Session) == 0 {
			o.Session = nil
		}
		if s := strings.TrimSpace(string(d.IDB)); s != "" && s != "[]" && s != "null" {
			o.IndexedDB = d.IDB
		}
		if o.Local != nil || o.Session != nil || o.IndexedDB != nil {
			st.Origins = append(st.Origins, o)
		}
	}
	if prev != nil {
		for _, o := range prev.Origins {
			if o.Origin != here {
				st.Origins = append(st.Origins, o)
			}
		}
	}
	return st, nil
}

// restorePath is the page each origin's storage is written from: the
// browser never asks the site for it, the run answers it itself.
const restorePath = "/__ferry_restore_state__"

// Restore puts st into the fresh context inc through page: the cookies,
// then each origin's storage, written from a blank page of that origin
// that the run serves itself (the site sees no request). The page is left
// on the last such page; sessionStorage lives in the page (tab), so the
// run must go on in it. It returns an error saying which part failed.
func Restore(ctx context.Context, inc *rod.Browser, page *rod.Page, st *State) error {
	var params []*proto.NetworkCookieParam
	for _, c := range st.Cookies {
		p := &proto.NetworkCookieParam{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path,
			HTTPOnly: c.HTTPOnly, Secure: c.Secure, SameSite: proto.NetworkCookieSameSite(c.SameSite)}
		if !c.Session && c.Expires > 0 {
			p.Expires = proto.TimeSinceEpoch(c.Expires)
		}
		params = append(params, p)
	}
	if len(params) > 0 {
		if err := inc.SetCookies(params); err != nil {
			return fmt.Errorf("bots: restore state: set %d cookies: %w", len(params), err)
		}
	}
	for _, o := range st.Origins {
		if err := restoreOrigin(ctx, page, o); err != nil {
			return err
		}
	}
	return nil
}

func restoreOrigin(ctx context.Context, page *rod.Page, o OriginState) error {
	u, err := url.Parse(o.Origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("bots: restore state: bad origin %q", o.Origin)
	}
	target := o.Origin + restorePath
	router := page.HijackRequests()
	if err := router.Add(target, "", func(h *rod.Hijack) {
		h.Response.SetHeader("Content-Type", "text/html; charset=utf-8", "Cache-Control", "no-store")
		h.Response.SetBody("<!doctype html><title>restore</title>")
	}); err != nil {
		return fmt.Errorf("bots: restore state: intercept %s: %w", target, err)
	}
	go router.Run()
	defer func() { _ = router.Stop() }()
	p := page.Context(ctx)
	if err := p.Navigate(target); err != nil {
		return fmt.Errorf("bots: restore state: open %s: %w", o.Origin, err)
	}
	if err := p.WaitLoad(); err != nil {
		return fmt.Errorf("bots: restore state: load %s: %w", o.Origin, err)
	}
	var idb json.RawMessage = o.IndexedDB
	if len(idb) == 0 {
		idb = json.RawMessage("[]")
	}
	text, err := json.Marshal(dump{Origin: o.Origin, Local: o.Local, Session: o.Session, IDB: idb})
	if err != nil {
		return fmt.Errorf("bots: restore state: %s: %w", o.Origin, err)
	}
	if _, err := p.Eval(restoreJS, string(text)); err != nil {
		return fmt.Errorf("bots: restore state: write the storage of %s: %w", o.Origin, err)
	}
	return nil
}

// SessionCheck is how a run checks a restored login before relying on it
// (the script's session block, in the engine's terms).
type SessionCheck struct {
	// URL is a cheap page only a logged-in user sees (expanded like open).
	URL string
	// LoggedIn is an element (selector name) that shows only when logged in.
	LoggedIn string
	// LoginURL matches the full URL of the site's login page: landing
	// there means the login is gone.
	LoginURL *regexp.Regexp
	// LoginSteps are the script's first steps that log in: skipped when
	// the check passes.
	LoginSteps int
}

// checkSession opens the check page and waits until it shows the
// logged-in element (true) or the login page (false); a page that shows
// neither within the step timeout counts as logged out.
func (r *run) checkSession(ctx context.Context, c SessionCheck) (bool, error) {
	target, _ := r.expand(c.URL)
	started := time.Now()
	if err := r.page.Context(ctx).Navigate(target); err != nil {
		return false, fmt.Errorf("open the session check page: %w", err)
	}
	_ = r.page.Context(ctx).WaitLoad()
	el, err := r.job.Selectors.Element(c.LoggedIn)
	if err != nil {
		return false, err
	}
	wctx, cancel := context.WithTimeout(ctx, r.job.StepTimeout)
	defer cancel()
	ok := false
	err = poll(wctx, func() (bool, error) {
		if info, err := r.page.Info(); err == nil && c.LoginURL != nil && c.LoginURL.MatchString(info.URL) {
			return true, nil
		}
		_, pick, _, err := r.lookup(wctx, el)
		if err == nil && pick >= 0 {
			ok = true
			return true, nil
		}
		return false, nil
	})
	if err != nil && ctx.Err() != nil {
		return false, ctx.Err()
	}
	detail := "logged in"
	if !ok {
		detail = "landed on " + r.pageURL() + ": logged out"
	}
	r.trace("session", "session_check", c.LoggedIn, "", detail, started, nil)
	return ok, nil
}

// restoreState puts Job.State into the context and checks it, returning
// how many of the script's first steps to skip. A state that cannot be
// restored, or fails the check, is logged (never its contents) and the
// run logs in fresh; only the run's own end is an error.
func (r *run) restoreState(ctx context.Context, inc *rod.Browser) (int, error) {
	st := r.job.State
	if st == nil {
		return 0, nil
	}
	ss := r.job.Script.Session
	started := time.Now()
	if err := Restore(ctx, inc, r.page, st); err != nil {
		if ctx.Err() != nil {
			return 0, ferry.Errorf(ferry.ClassInternal, "session", "cancelled: %v", ctx.Err())
		}
		r.res.Session = SessionRestoreFailed
		r.log.Warn().Err(err).Msg("the saved login could not be restored; logging in fresh")
		r.trace("session", "restore_state", "", "", "not restored; logging in fresh", started, nil)
		// Half a state may confuse the site more than none.
		_ = inc.SetCookies(nil)
		return 0, nil
	}
	r.trace("session", "restore_state", "", "", fmt.Sprintf("%d cookies, %d origins saved %s", len(st.Cookies), len(st.Origins), st.SavedAt.Format(time.RFC3339)), started, nil)
	if ss == nil {
		r.res.Session = SessionUnchecked
		return 0, nil
	}
	ok, err := r.checkSession(ctx, SessionCheck{URL: ss.Check, LoggedIn: ss.LoggedIn, LoginURL: ss.LoginRegexp(), LoginSteps: ss.LoginSteps})
	if err != nil {
		if ctx.Err() != nil {
			return 0, ferry.Errorf(ferry.ClassInternal, "session", "cancelled: %v", ctx.Err())
		}
		r.log.Warn().Err(err).Msg("the saved login could not be checked; logging in fresh")
		ok = false
	}
	if !ok {
		r.res.Session = SessionExpired
		r.log.Warn().Str("page", r.pageURL()).Msg("the saved login is no longer valid (the check page is not a logged-in page); logging in fresh")
		return 0, nil
	}
	r.res.Session = SessionRestored
	r.log.Info().Int("skipped_steps", ss.LoginSteps).Msg("the saved login is valid; login steps skipped")
	return ss.LoginSteps, nil
}

// saveState captures the context's state into the result; failing to read
// it is logged and leaves the result without one (the run's work is done).
func (r *run) saveState(inc *rod.Browser) {
	st, err := Capture(inc, r.page, r.job.State, r.job.Now())
	if err != nil {
		r.log.Warn().Err(err).Msg("the login could not be saved for the next run")
		return
	}
	r.res.State = st
}

// loginState sets the job's state from its JSON (nil: none). A state that
// does not decode is no state: the run logs in fresh (the caller has
// checked its seal, so this is a bug, never a tampered file).
func (j *Job) loginState(data []byte, save bool) {
	j.SaveState = save
	if len(data) == 0 {
		return
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		// Not the decoder's message: it quotes the text it choked on.
		j.Logger.Warn().Msg("the saved login does not decode as a browser state; logging in fresh")
		return
	}
	j.State = &st
}

// stateJSON is the result's state as JSON, nil without one.
func (res *Result) stateJSON() []byte {
	if res.State == nil {
		return nil
	}
	b, err := json.Marshal(res.State)
	if err != nil {
		return nil
	}
	return b
}
