package bots

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/rs/zerolog"
)

//go:embed lookup.js
var lookupJS string

// Job is what one run of a bot needs.
type Job struct {
	RunID      int64
	Script     *scripts.Script
	Selectors  *selectors.File
	BaseURL    string
	Params     ferry.RunParams
	Credential ferry.Credential
	// SkipAccounts lists accounts an earlier attempt of this run already
	// downloaded: a retry resumes after them.
	SkipAccounts map[string]bool
	// StepTimeout bounds each wait for an element (default 15 s).
	StepTimeout time.Duration
	// Now is the clock for TOTP codes.
	Now    func() time.Time
	Logger zerolog.Logger
	// OnStep is told each step as it ends, for live progress.
	OnStep func(ferry.Step)
	// OnDownload is told each download as it is captured, so the caller can
	// store it at once.
	OnDownload func(Download) error
	// Fingerprints are the elements as earlier runs last saw them, by
	// FingerprintKey: the healer's reference.
	Fingerprints map[string]Fingerprint
	// HealPolicy is HealOff, HealPropose or HealReadOnly (the default).
	HealPolicy string
	// State is the login an earlier run saved: restored into the fresh
	// context before the first step and checked as the script's session
	// block says (nil: the run logs in fresh).
	State *State
	// SaveState asks for the context's state in Result.State when the run
	// succeeds, to be restored by the next run.
	SaveState bool
	// Ask puts a challenge step's question to a person (nil: the step
	// fails as input_needed).
	Ask ferry.Asker
	// Canary runs the script as an early warning: it downloads nothing,
	// reads one account and one page, and after every step resolves every
	// selector of the file on the page it is on.
	Canary bool
	// Site holds the site's page settings: window, device, dialogs.
	Site SiteOptions
}

// Download is a file the bot captured.
type Download struct {
	Account string // the step's account:, else the for_each_account one
	Format  string
	As      string // what the step declares it is: statement, invoice or file
	Name    string // the site's name for it, sanitised (SanitizeFilename)
	MIME    string
	Inline  bool // the site showed it in the browser instead of downloading
	Size    int64
	// Path is the file the download was streamed to, under the run's
	// download directory; it is there while OnDownload runs (Open reads
	// it), and removed when the step ends.
	Path string
	Data []byte
}

// WayResult is what one way of a selector found when it failed.
type WayResult struct {
	Way   string `json:"way"`
	Count int    `json:"count"`
	Error string `json:"error,omitempty"`
}

// Evidence is what a failed run leaves for ops.
type Evidence struct {
	URL             string       `json:"url"`
	Title           string       `json:"title"`
	Step            string       `json:"step"`
	Selector        string       `json:"selector,omitempty"`
	Variant         string       `json:"variant,omitempty"`
	CoveredBy       string       `json:"covered_by,omitempty"` // an overlay over the element the run tried to click
	Ways            []WayResult  `json:"ways,omitempty"`
	SelectorFile    string       `json:"selector_file"`
	SelectorVersion string       `json:"selector_version"`
	Error           string       `json:"error"`
	Class           string       `json:"class"`
	Trace           []ferry.Step `json:"trace"`
	Screenshot      []byte       `json:"-"`
	HTML            string       `json:"-"`
}

// Result is what a run of a bot produced.
type Result struct {
	Downloads []Download
	// RowsSeen counts result-table rows per account across pages.
	RowsSeen map[string]int
	Accounts []string
	Trace    []ferry.Step
	Evidence *Evidence // set when the run failed
	// Fingerprints of the elements this run found, by FingerprintKey.
	Fingerprints map[string]Fingerprint
	// Heals proposed by this run, for review.
	Heals []Heal
	// State is the context's state at the end of a successful run, with
	// Job.SaveState (nil if it could not be read; the run still succeeds).
	State *State
	// Session is what became of Job.State.
	Session SessionOutcome
	// Canary is, for a canary run, how each selector fared on the pages it
	// visited (the best outcome seen, and where).
	Canary []Resolution
}

// SelectorError is a lookup that did not find exactly one visible element.
type SelectorError struct {
	Element string
	Page    string
	Ways    []WayResult
	Gone    bool   // waiting for the element to go away
	Variant string // the page's UI variant, when the selector file has variants
	Heal    *Heal  // what the healer proposes, if anything
	// Never: waiting for the element to go away, no way has ever found
	// it, so its going away proves nothing.
	Never bool
}

func (e *SelectorError) Error() string {
	var parts []string
	for _, w := range e.Ways {
		s := fmt.Sprintf("%s matched %d", w.Way, w.Count)
		if w.Error != "" {
			s = fmt.Sprintf("%s failed: %s", w.Way, w.Error)
		}
		parts = append(parts, s)
	}
	page := e.Page
	if e.Variant != "" {
		page += " (variant " + e.Variant + ")"
	}
	if e.Never {
		return fmt.Sprintf("selector %q on %s: no way has ever found it, so it cannot be waited away (%s)", e.Element, page, strings.Join(parts, "; "))
	}
	if e.Gone {
		return fmt.Sprintf("selector %q on %s never went away (%s)", e.Element, page, strings.Join(parts, "; "))
	}
	heal := ""
	switch {
	case e.Heal != nil && e.Heal.Accepted:
		heal = fmt.Sprintf("; the healer proposes %s (score %.2f, runner-up %.2f)", e.Heal.Ways[0], e.Heal.Score, e.Heal.RunnerUp)
	case e.Heal != nil:
		heal = "; no heal: " + e.Heal.Reason
	}
	return fmt.Sprintf("selector %q on %s matched no single visible element (%s)%s", e.Element, page, strings.Join(parts, "; "), heal)
}

type run struct {
	job     Job
	page    *rod.Page
	log     zerolog.Logger
	res     *Result
	vars    map[string]string
	secret  map[string]bool // variables whose values are masked
	seq     int
	lastSel *SelectorError
	account string
	// lastVariant is the UI variant of the page at the last lookup.
	lastVariant string
	// readOnly: the current step only reads (it may use a healed element).
	readOnly bool
	healed   map[string]bool // elements a heal was proposed for
	serverMu sync.Mutex
	server   []serverError // 5xx responses seen
	// scope is where the current step looks elements up: an iframe
	// (frame, in_frame) and a container (within).
	scope scope
	// optional: the current step may find nothing; it is neither healed
	// nor an error then.
	optional bool
	// requests counts the page's requests in flight, for wait_idle.
	requests requests
	// dialogs answers the page's JavaScript dialogs by the site's policy.
	dialogs *dialogWatch
	// goneSeen: elements waited away that a way found in this run.
	goneSeen map[string]bool
}

type serverError struct {
	at     time.Time
	url    string
	status int
}

// Run executes job in a fresh incognito context of the browser.
func (br *Browser) Run(ctx context.Context, job Job) (*Result, error) {
	if job.StepTimeout == 0 {
		job.StepTimeout = 15 * time.Second
	}
	if job.Now == nil {
		job.Now = time.Now
	}
	if o, ok := SiteOptionsFrom(ctx); ok && job.Site == (SiteOptions{}) {
		job.Site = o
	}
	if err := job.Site.Validate(); err != nil {
		return nil, ferry.Errorf(ferry.ClassInternal, "config", "site %s: %v", job.Script.Site, err)
	}
	inc, done, err := br.incognito(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	page, err := inc.Page(proto.TargetCreateTarget{})
	if err != nil {
		return nil, ferry.Errorf(ferry.ClassInternal, "browser", "new page: %v", err)
	}
	// The page's context ends with the run, and with it every event watcher.
	pctx, cancelPage := context.WithCancel(ctx)
	defer cancelPage()
	page = page.Context(pctx)
	if err := applyViewport(page, job.Site); err != nil {
		return nil, ferry.Errorf(ferry.ClassInternal, "browser", "%v", err)
	}
	// A dialog the site's policy fails on ends the steps through ctx.
	ctx, cancelRun := context.WithCancelCause(pctx)
	defer cancelRun(nil)
	if job.HealPolicy == "" {
		job.HealPolicy = HealReadOnly
	}
	r := &run{job: job, page: page, log: job.Logger, res: &Result{RowsSeen: map[string]int{}, Fingerprints: map[string]Fingerprint{}},
		secret: map[string]bool{}}
	r.vars = map[string]string{"site.url": strings.TrimRight(job.BaseURL, "/"), "from": job.Params.From.String(), "to": job.Params.To.String()}
	for k, v := range job.Credential.Fields {
		r.vars["cred."+k] = v
		r.secret["cred."+k] = true
	}
	if err := r.setParams(); err != nil {
		return r.res, err
	}
	watchDialogs, err := r.watchDialogs(page, job.Site.Dialogs, cancelRun)
	if err != nil {
		return nil, ferry.Errorf(ferry.ClassInternal, "browser", "%v", err)
	}
	go watchDialogs()
	if err := (proto.NetworkEnable{}).Call(page); err != nil {
		return nil, ferry.Errorf(ferry.ClassInternal, "browser", "enable network events: %v", err)
	}
	watch := page.EachEvent(func(e *proto.NetworkResponseReceived) {
		if e.Response.Status >= 500 && (e.Type == proto.NetworkResourceTypeDocument || e.Type == proto.NetworkResourceTypeXHR || e.Type == proto.NetworkResourceTypeFetch) {
			r.serverMu.Lock()
			r.server = append(r.server, serverError{time.Now(), e.Response.URL, e.Response.Status})
			r.serverMu.Unlock()
		}
	})
	go watch()
	r.trackRequests()
	// A saved login goes in before the first step; a checked one skips the
	// script's login steps.
	skip, err := r.restoreState(ctx, inc)
	if err != nil {
		return r.res, err
	}
	err = r.stepsFrom(ctx, "steps", job.Script.Steps, skip)
	if d := r.dialogs.failure(); d != nil {
		// The steps ended because of the dialog, whatever they returned;
		// a run whose last click opened it fails all the same.
		if err == nil {
			err = &ferry.Error{Class: ferry.ClassSiteChanged, Where: "dialog", Err: d}
		}
		err = r.classify("dialog", time.Now(), err)
	}
	r.appendDialogs()
	if err != nil {
		r.res.Evidence = r.evidence(err)
		return r.res, err
	}
	if job.SaveState {
		r.saveState(inc)
	}
	return r.res, nil
}

// classify turns a step error into a ferry.Error with the right class,
// naming the page it happened on by its full URL (secrets masked) and
// title: every screen of some applications is /index.php.
func (r *run) classify(where string, since time.Time, err error) error {
	return r.onPage(r.classifyClass(where, since, err))
}

func (r *run) classifyClass(where string, since time.Time, err error) error {
	if d := r.dialogs.failure(); d != nil {
		// A dialog the policy fails on cancelled whatever ran: it is the cause.
		var fe *ferry.Error
		if errors.As(err, &fe) && errors.Is(err, d) {
			return err
		}
		return &ferry.Error{Class: ferry.ClassSiteChanged, Where: where, Err: d}
	}
	var fe *ferry.Error
	if errors.As(err, &fe) {
		return err
	}
	if s := r.serverErrorSince(since); s != nil {
		return ferry.Errorf(ferry.ClassSiteUnavailable, where, "%s answered %d: %v", s.url, s.status, err)
	}
	var se *SelectorError
	var ce *CoveredError
	if errors.As(err, &se) || errors.As(err, &ce) {
		return &ferry.Error{Class: ferry.ClassSiteChanged, Where: where, Err: err}
	}
	if errors.Is(err, context.Canceled) {
		return ferry.Errorf(ferry.ClassInternal, where, "cancelled: %v", err)
	}
	if strings.Contains(err.Error(), "net::ERR_") || errors.Is(err, context.DeadlineExceeded) {
		return ferry.Errorf(ferry.ClassSiteUnavailable, where, "%v", err)
	}
	if isStale(err) {
		// A page-state race (a node replaced, a document swapped) in a
		// step that does not look again itself: transient, so retried.
		return ferry.Errorf(ferry.ClassSiteUnavailable, where, "the page changed under the step: %v", err)
	}
	return ferry.Errorf(ferry.ClassInternal, where, "%v", err)
}

func (r *run) serverErrorSince(t time.Time) *serverError {
	r.serverMu.Lock()
	defer r.serverMu.Unlock()
	for i := len(r.server) - 1; i >= 0; i-- {
		if !r.server[i].at.Before(t) {
			s := r.server[i]
			return &s
		}
	}
	return nil
}

func (r *run) trace(where, action, element, way, detail string, started time.Time, err error) {
	// Dialogs the page opened during the step come first, as what they are.
	r.appendDialogs()
	r.seq++
	st := ferry.Step{RunID: r.job.RunID, Seq: r.seq, Path: where, Action: action, Element: element, Way: way,
		Detail: detail, Status: ferry.StepOK, Started: started, Duration: time.Since(started)}
	if err != nil {
		st.Status = ferry.StepFailed
		st.Detail = strings.TrimSpace(detail + " " + err.Error())
	}
	st.Detail = r.maskAll(st.Detail)
	r.res.Trace = append(r.res.Trace, st)
	ev := r.log.Info()
	if err != nil {
		ev = r.log.Warn()
	}
	ev.Str("step", where).Str("action", action).Str("element", element).Str("way", way).Str("account", r.account).
		Dur("took", st.Duration).Str("detail", st.Detail).Msg(string(st.Status))
	if r.job.OnStep != nil {
		r.job.OnStep(st)
	}
}

// expand fills in variables; masked is the text for logs and traces.
func (r *run) expand(text string) (value, masked string) {
	value = scripts.Expand(text, r.vars)
	m := map[string]string{}
	for k, v := range r.vars {
		if r.secret[k] {
			m[k] = "******"
		} else {
			m[k] = v
		}
	}
	return value, scripts.Expand(text, m)
}

func (r *run) steps_(ctx context.Context, prefix string, steps []scripts.Step) error {
	return r.stepsFrom(ctx, prefix, steps, 0)
}

// stepsFrom runs steps[from:], numbered as in the script.
func (r *run) stepsFrom(ctx context.Context, prefix string, steps []scripts.Step, from int) error {
	for i := from; i < len(steps); i++ {
		st := steps[i]
		if err := ctx.Err(); err != nil {
			return ferry.Errorf(ferry.ClassInternal, prefix, "cancelled: %v", err)
		}
		where := fmt.Sprintf("%s[%d]", prefix, i)
		if err := r.stepRetried(ctx, where, st); err != nil {
			return err
		}
		if r.job.Canary {
			r.canaryResolve(ctx)
		}
	}
	return nil
}

func (r *run) timeout(st scripts.Step) time.Duration {
	if st.Timeout > 0 {
		return st.Timeout
	}
	return r.job.StepTimeout
}

func (r *run) step(ctx context.Context, where string, st scripts.Step) (err error) {
	action, target := st.Action()
	started := time.Now()
	var way, detail string
	defer func() {
		if err != nil && st.Optional && notFound(err) {
			detail = strings.TrimSpace(detail + " optional, skipped: " + err.Error())
			err = nil
		}
		if err != nil {
			err = r.classify(where, started, err)
		}
		if !blockAction(action) || err != nil {
			r.trace(where, action, target, way, detail, started, err)
		}
	}()
	sctx, cancel := context.WithTimeout(ctx, r.timeout(st))
	defer cancel()
	if err := r.varsSet(where, st); err != nil {
		return err
	}
	prevOptional := r.optional
	r.optional = st.Optional
	defer func() { r.optional = prevOptional }()
	r.readOnly = action == "wait" || action == "count_rows" || action == "download" || action == "click" && st.ReadOnly
	switch action {
	case "fill", "totp", "click", "select", "download":
		if len(r.job.Selectors.Dismiss) > 0 {
			if err := r.dismiss(sctx); err != nil {
				return err
			}
		}
	}
	restore, err := r.enterScope(sctx, where, st)
	if err != nil {
		return err
	}
	defer restore()
	switch action {
	case "open":
		u, masked := r.expand(target)
		detail = masked
		if err := r.page.Context(sctx).Navigate(u); err != nil {
			return err
		}
		if err := waitLoaded(sctx, r.page); err != nil {
			return err
		}
		note, err := r.settle(sctx)
		if err != nil {
			return err
		}
		detail = strings.TrimSpace(detail + " " + note)
		if s := r.serverErrorSince(started); s != nil {
			return ferry.Errorf(ferry.ClassSiteUnavailable, where, "%s answered %d", s.url, s.status)
		}
	case "fill":
		if _, err := r.settleIfNavigated(sctx); err != nil {
			return err
		}
		v, masked := r.expand(st.Value)
		detail = masked
		w, err := r.withFresh(sctx, where, target, func(el *rod.Element) error { return r.fillElement(sctx, el, v) })
		way = w
		if err != nil {
			return err
		}
	case "totp":
		el, w, err := r.one(sctx, target)
		if err != nil {
			return err
		}
		way = w
		seed := r.vars[st.Secret]
		if seed == "" {
			return ferry.Errorf(ferry.ClassCredentialsRejected, where, "credential %q has no field %q for the TOTP seed", r.job.Credential.Name, strings.TrimPrefix(st.Secret, "cred."))
		}
		code, err := totp.GenerateCodeCustom(seed, r.job.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return ferry.Errorf(ferry.ClassCredentialsRejected, where, "TOTP seed in credential %q is not valid base32", r.job.Credential.Name)
		}
		detail = "******"
		if err := el.Context(sctx).Input(code); err != nil {
			return err
		}
	case "click":
		if _, err := r.settleIfNavigated(sctx); err != nil {
			return err
		}
		w, err := r.withFresh(sctx, where, target, func(el *rod.Element) error {
			if err := r.checkCovered(sctx, el, target); err != nil {
				return err
			}
			return r.clickElement(sctx, el)
		})
		way = w
		if err != nil {
			return err
		}
		// A click that navigated: the next step acting on an element
		// settles the new page first (settleIfNavigated).
	case "select":
		_, w, err := r.one(sctx, target)
		if err != nil {
			return err
		}
		way = w
		v, masked := r.expand(st.Value)
		detail = masked
		if err := r.selectOption(sctx, target, v); err != nil {
			return err
		}
	case "wait":
		_, w, err := r.one(sctx, target)
		way = w
		return err
	case "wait_gone":
		return r.waitGone(sctx, target)
	case "count_rows":
		n, w, err := r.count(sctx, target)
		if err != nil {
			return err
		}
		way = w
		r.res.RowsSeen[r.account] += n
		detail = fmt.Sprintf("%d rows", n)
	case "download":
		if r.job.Canary {
			_, w, err := r.one(sctx, target)
			way, detail = w, "canary: found, not downloaded"
			return err
		}
		dl := downloadDecl{format: st.Format, as: st.DownloadAs(), account: r.account}
		if st.Account != "" {
			dl.account, _ = r.expand(st.Account)
		}
		d, w, err := r.download(sctx, where, target, dl)
		way = w
		if err != nil {
			return err
		}
		detail = fmt.Sprintf("%s %s %s (%d bytes)", dl.as, st.Format, d.Name, d.Size)
		if dl.account != r.account {
			detail += " for account " + dl.account
		}
		if d.Inline {
			detail += " shown inline, captured"
		}
	case "branch":
		return r.branch(ctx, where, st)
	case "for_each_account":
		return r.forEachAccount(ctx, where, st)
	case "for_each_page":
		return r.forEachPage(ctx, where, st)
	default:
		h := stepHandler(action)
		if h == nil {
			return fmt.Errorf("unknown action %q", action)
		}
		out, err := h(r, ctx, sctx, where, st)
		way, detail = out.way, out.detail
		return err
	}
	return nil
}

// lookup runs the selector's ways once in the page, the ways of the
// page's UI variant when the selector file has variants. It returns what
// each way found, the first way that found what the element needs (or -1)
// and the ways it tried.
func (r *run) lookup(ctx context.Context, el selectors.Element) ([]WayResult, int, []selectors.Way, error) {
	return r.waitFor(ctx, el, false, 0)
}

// waitFor looks the element up in the page, and when wait is positive
// keeps looking in the page (lookup.js's "wait": after every DOM change)
// for up to wait, until a way finds what the element needs (none at all
// when gone). One CDP call, which carries ctx's deadline; the UI variant
// is told in the same call.
func (r *run) waitFor(ctx context.Context, el selectors.Element, gone bool, wait time.Duration) ([]WayResult, int, []selectors.Way, error) {
	wayArgs := func(wl []selectors.Way) []map[string]string {
		out := make([]map[string]string, len(wl))
		for i, w := range wl {
			out[i] = map[string]string{"kind": string(w.Kind), "value": w.Value, "name": w.Name}
		}
		return out
	}
	base := ""
	var variants []map[string]any
	byVariant := map[string][]map[string]string{}
	if r.scope.frame != nil {
		// A frame's lookups use the top page's variant.
		v, err := r.variant(ctx)
		if err != nil {
			return nil, -1, nil, err
		}
		base = v
	} else {
		for _, v := range r.job.Selectors.Variants {
			fp := v.Fingerprint
			m := map[string]any{"name": v.Name, "meta": fp.Meta[0], "content": fp.Meta[1], "url": fp.URL}
			if fp.Marker != nil {
				m["marker"] = map[string]string{"kind": string(fp.Marker.Kind), "value": fp.Marker.Value, "name": fp.Marker.Name}
			}
			variants = append(variants, m)
			byVariant[v.Name] = wayArgs(el.WaysFor(v.Name))
		}
	}
	extra := map[string]any{"variants": variants, "byVariant": byVariant, "gone": gone, "many": el.Many, "timeout": wait.Milliseconds()}
	obj, err := r.scopedCall(ctx, callOpts{await: wait > 0}, wayArgs(el.WaysFor(base)), -1, "wait", extra)
	if err != nil {
		return nil, -1, nil, err
	}
	var raw struct {
		Variant string `json:"variant"`
		Pick    int    `json:"pick"`
		Ways    []struct {
			Count int    `json:"count"`
			Error string `json:"error"`
		} `json:"ways"`
	}
	if err := json.Unmarshal([]byte(obj.Value.Str()), &raw); err != nil {
		return nil, -1, nil, fmt.Errorf("lookup result: %w", err)
	}
	if r.scope.frame == nil {
		base = raw.Variant
		r.lastVariant = raw.Variant
	}
	wl := el.WaysFor(base)
	if len(raw.Ways) != len(wl) {
		return nil, -1, nil, fmt.Errorf("lookup result: %d ways for %d", len(raw.Ways), len(wl))
	}
	out := make([]WayResult, len(raw.Ways))
	for i, x := range raw.Ways {
		out[i] = WayResult{Way: wl[i].String(), Count: x.Count, Error: x.Error}
	}
	return out, raw.Pick, wl, nil
}

// pageWait is how long one in-page wait may last: until shortly before
// ctx's deadline, so that the page answers with what it last saw before
// the call itself is cancelled, and at most 30 s a call.
func pageWait(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return 30 * time.Second
	}
	left := time.Until(d)
	return min(left-250*time.Millisecond-left/10, 30*time.Second)
}

// lastLook is one more lookup, with a short deadline of its own, for the
// message of a wait whose last in-page round the step's deadline cut off
// (a loaded machine answers late): the error then still says what each
// way found.
func (r *run) lastLook(ctx context.Context, el selectors.Element) []WayResult {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	res, _, _, err := r.lookup(c, el)
	if err != nil {
		return nil
	}
	return res
}

// variant tells which of the selector file's UI variants the page is,
// by the first fingerprint that holds ("" for the default).
func (r *run) variant(ctx context.Context) (string, error) {
	for _, v := range r.job.Selectors.Variants {
		fp := v.Fingerprint
		var marker map[string]string
		if fp.Marker != nil {
			marker = map[string]string{"kind": string(fp.Marker.Kind), "value": fp.Marker.Value, "name": fp.Marker.Name}
		}
		obj, err := r.page.Context(ctx).Evaluate(rod.Eval(fingerprintJS, fp.Meta[0], fp.Meta[1], fp.URL).ByUser())
		if err != nil {
			return "", err
		}
		if !obj.Value.Bool() {
			continue
		}
		if marker != nil {
			m, err := lookupCall(ctx, r.page, nil, callOpts{}, []map[string]string{marker}, -1, "", nil)
			if err != nil {
				return "", err
			}
			var res []struct{ Count int }
			if json.Unmarshal([]byte(m.Value.Str()), &res) != nil || len(res) == 0 || res[0].Count == 0 {
				continue
			}
		}
		r.lastVariant = v.Name
		return v.Name, nil
	}
	r.lastVariant = ""
	return "", nil
}

// wayLabel names the way that matched, marking a fallback: when the first
// ways stop matching, the run details show a site's selectors rotting
// before all of them fail.
func wayLabel(ways []selectors.Way, pick int) string {
	if pick == 0 {
		return ways[0].String()
	}
	return fmt.Sprintf("%s (fallback: way %d of %d)", ways[pick], pick+1, len(ways))
}

// fingerprintJS checks the meta and URL parts of a fingerprint.
const fingerprintJS = `function (name, content, url) {
  if (name) {
    const m = document.querySelector('meta[name="' + CSS.escape(name) + '"]');
    if (!m || m.getAttribute('content') !== content) return false;
  }
  if (url && !(new RegExp(url)).test(location.pathname)) return false;
  return true;
}`

// element returns the element way pick finds.
func (r *run) element(ctx context.Context, w selectors.Way) (*rod.Element, error) {
	ways := []map[string]string{{"kind": string(w.Kind), "value": w.Value, "name": w.Name}}
	obj, err := r.scopedCall(ctx, callOpts{byObject: true}, ways, 0, "", nil)
	if err != nil {
		return nil, err
	}
	if obj.Subtype != proto.RuntimeRemoteObjectSubtypeNode {
		return nil, errors.New("the element went away")
	}
	return r.doc().Context(ctx).ElementFromObject(obj)
}

// dismiss clicks away whatever the selector file lists under dismiss
// (a cookie banner, a pop-up) that is on the page now.
func (r *run) dismiss(ctx context.Context) error {
	for _, name := range r.job.Selectors.Dismiss {
		el, err := r.job.Selectors.Element(name)
		if err != nil {
			return err
		}
		_, pick, ways, err := r.lookup(ctx, el)
		if err != nil || pick < 0 {
			continue
		}
		e, err := r.element(ctx, ways[pick])
		if err != nil {
			continue
		}
		started := time.Now()
		err = r.clickElement(ctx, e)
		r.trace("dismiss", "click", name, ways[pick].String(), "present, clicked away", started, err)
		if err != nil {
			return err
		}
	}
	return nil
}

// poll calls check until it reports done or ctx ends. Waiting is on the
// page's own progress: each round is one evaluation in the page.
func poll(ctx context.Context, check func() (bool, error)) error {
	delay := 10 * time.Millisecond
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 50*time.Millisecond)
	}
}

func (r *run) pageURL() string {
	info, err := r.page.Info()
	if err != nil {
		return "(unknown page)"
	}
	u, err := url.Parse(info.URL)
	if err != nil {
		return r.maskAll(info.URL)
	}
	return u.Path
}

// one waits for the element to match exactly one visible element.
func (r *run) one(ctx context.Context, name string) (*rod.Element, string, error) {
	el, err := r.job.Selectors.Element(name)
	if err != nil {
		return nil, "", err
	}
	// A page a click (or a script) navigated to is settled once before
	// anything on it is looked up: its scripts have run when the step acts.
	// The selector file may ask for a settle before every lookup.
	if err := r.settleBefore(ctx, name); err != nil {
		return nil, "", err
	}
	var last []WayResult
	var ways []selectors.Way
	pick := -1
	var found *rod.Element
	// The lookup leaves part of the step's time for a same-run heal.
	lctx, lcancel := lookupContext(ctx)
	defer lcancel()
	err = poll(lctx, func() (bool, error) {
		res, p, wl, err := r.waitFor(lctx, el, false, pageWait(lctx))
		if err != nil {
			if lctx.Err() != nil {
				return false, lctx.Err()
			}
			return false, nil // the page is navigating; look again
		}
		last, pick, ways = res, p, wl
		if p < 0 {
			return false, nil
		}
		e, err := r.element(lctx, ways[pick])
		if err != nil {
			// Gone between the two calls (a re-render): look again.
			pick = -1
			return false, nil
		}
		found = e
		return true, nil
	})
	if err != nil || pick < 0 || found == nil {
		if last == nil {
			last = r.lastLook(ctx, el)
		}
		se := &SelectorError{Element: name, Page: r.pagePathWithin(ctx), Ways: last, Variant: r.lastVariant}
		r.lastSel = se
		if r.optional || r.scope.set() {
			// Missing is expected (optional), or the healer would judge
			// the top page's elements for a scoped lookup.
			return nil, "", se
		}
		// The run's own deadline may be spent; healing gets a short one.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if h := r.heal(hctx, name); h != nil {
			se.Heal = h
			if h.Accepted && r.readOnly && r.job.HealPolicy == HealReadOnly && ctx.Err() == nil {
				// A healed element is used only within the step's deadline.
				if e, err := r.healedElement(ctx, h); err == nil {
					h.Used = true
					r.addHeal(h)
					r.log.Warn().Str("element", name).Str("page", h.Page).Str("way", h.Ways[0].String()).Float64("score", h.Score).Msg("read-only step used a healed element; a change to the selector file is proposed")
					return e, "healed: " + h.Ways[0].String(), nil
				}
			}
			r.addHeal(h)
		}
		r.healPage(hctx, name)
		return nil, "", se
	}
	if !r.scope.set() {
		r.capture(ctx, name, ways[pick])
	}
	return found, r.scope.label(wayLabel(ways, pick)), nil
}

func (r *run) gone(ctx context.Context, name string) error {
	el, err := r.job.Selectors.Element(name)
	if err != nil {
		return err
	}
	var last []WayResult
	err = poll(ctx, func() (bool, error) {
		res, _, _, err := r.waitFor(ctx, el, true, pageWait(ctx))
		if err != nil {
			return false, nil
		}
		last = res
		for _, w := range res {
			if w.Count > 0 {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		if last == nil {
			last = r.lastLook(ctx, el)
		}
		se := &SelectorError{Element: name, Page: r.pagePathWithin(ctx), Ways: last, Gone: true, Variant: r.lastVariant}
		r.lastSel = se
		return se
	}
	return nil
}

func (r *run) count(ctx context.Context, name string) (int, string, error) {
	el, err := r.job.Selectors.Element(name)
	if err != nil {
		return 0, "", err
	}
	if r.job.Selectors.SettleBefore(name) {
		if _, err := r.settle(ctx); err != nil {
			return 0, "", err
		}
	}
	res, pick, ways, err := r.lookup(ctx, el)
	if err != nil {
		return 0, "", err
	}
	if pick < 0 && r.scope.set() {
		return 0, "", nil
	}
	if pick < 0 {
		// No way finds a row. The result may be empty, or the rows changed:
		// the healer looks for them (the ingest check catches a wrong count).
		if h, n := r.healMany(ctx, name); h != nil {
			r.addHeal(h)
			if h.Accepted && r.readOnly && r.job.HealPolicy == HealReadOnly {
				h.Used = true
				r.res.Heals[len(r.res.Heals)-1].Used = true
				return n, "healed: " + h.Ways[0].String(), nil
			}
		}
		return 0, "", nil
	}
	if !r.scope.set() {
		r.capture(ctx, name, ways[pick])
	}
	return res[pick].Count, r.scope.label(wayLabel(ways, pick)), nil
}

// query evaluates a property of the element found by its first working way.
func (r *run) query(ctx context.Context, name, want string, out any) error {
	el, err := r.job.Selectors.Element(name)
	if err != nil {
		return err
	}
	res, pick, wl, err := r.lookup(ctx, el)
	if err != nil {
		return err
	}
	if pick < 0 {
		se := &SelectorError{Element: name, Page: r.pagePathWithin(ctx), Ways: res, Variant: r.lastVariant}
		r.lastSel = se
		if r.optional || r.scope.set() {
			return se
		}
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if h := r.heal(hctx, name); h != nil {
			se.Heal = h
			r.addHeal(h)
		}
		r.healPage(hctx, name)
		return se
	}
	ways := []map[string]string{{"kind": string(wl[pick].Kind), "value": wl[pick].Value, "name": wl[pick].Name}}
	obj, err := r.scopedCall(ctx, callOpts{}, ways, 0, want, nil)
	if err != nil {
		return err
	}
	if obj.Value.Nil() {
		return &SelectorError{Element: name, Page: r.pagePathWithin(ctx), Ways: res, Variant: r.lastVariant}
	}
	return json.Unmarshal([]byte(obj.Value.Str()), out)
}

func (r *run) selectOption(ctx context.Context, name, value string) error {
	if _, err := r.settleIfNavigated(ctx); err != nil {
		return err
	}
	var opts []string
	if err := r.query(ctx, name, "options", &opts); err != nil {
		return err
	}
	found := false
	for _, o := range opts {
		if o == value {
			found = true
		}
	}
	if !found {
		return ferry.Errorf(ferry.ClassSiteChanged, name, "the site offers no option %q (it offers %s)", value, strings.Join(opts, ", "))
	}
	_, err := r.withFresh(ctx, name, name, func(el *rod.Element) error {
		obj, err := el.Context(ctx).Eval(`function (v) { if (!this.isConnected) return false; this.value = v; this.dispatchEvent(new Event('input', {bubbles: true})); this.dispatchEvent(new Event('change', {bubbles: true})); return true; }`, value)
		if err == nil && !obj.Value.Bool() {
			err = errors.New("element detached from document (re-rendered)")
		}
		return err
	})
	return err
}

func (r *run) branch(ctx context.Context, where string, st scripts.Step) error {
	started := time.Now()
	sctx, cancel := context.WithTimeout(ctx, r.timeout(st))
	defer cancel()
	chosen := -1
	var chosenWay selectors.Way
	var lasts [][]WayResult
	err := poll(sctx, func() (bool, error) {
		lasts = lasts[:0]
		for i, c := range st.Branch {
			el, err := r.job.Selectors.Element(c.When)
			if err != nil {
				return false, err
			}
			res, pick, wl, err := r.lookup(sctx, el)
			if err != nil {
				return false, nil
			}
			lasts = append(lasts, res)
			if pick >= 0 {
				chosen, chosenWay = i, wl[pick]
				return true, nil
			}
		}
		if r.serverErrorSince(started) != nil {
			return true, nil
		}
		return false, nil
	})
	if chosen < 0 {
		var names []string
		var ways []WayResult
		for i, c := range st.Branch {
			names = append(names, c.When)
			if i < len(lasts) {
				ways = append(ways, lasts[i]...)
			}
		}
		se := &SelectorError{Element: strings.Join(names, " | "), Page: r.pageURL(), Ways: ways, Variant: r.lastVariant}
		r.lastSel = se
		if err == nil {
			err = se
		}
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		r.healPage(hctx, "")
		cancel()
		r.trace(where, "branch", se.Element, "", "", started, se)
		return r.classify(where, started, se)
	}
	c := st.Branch[chosen]
	r.capture(ctx, c.When, chosenWay)
	r.trace(where, "branch", c.When, chosenWay.String(), "took this case", started, nil)
	if c.Fail != "" {
		msg := c.Message
		if msg == "" {
			msg = "the site showed " + c.When
		}
		return ferry.Errorf(ferry.FailureClass(c.Fail), where, "%s (%s on %s)", msg, c.When, r.pageURL())
	}
	return r.steps_(ctx, fmt.Sprintf("%s.branch[%d].steps", where, chosen), c.Steps)
}

func (r *run) forEachAccount(ctx context.Context, where string, st scripts.Step) error {
	started := time.Now()
	accounts := r.job.Params.Accounts
	sctx, cancel := context.WithTimeout(ctx, r.timeout(st))
	var offered []string
	_, _, err := r.one(sctx, st.ForEachAccount.OptionsOf)
	if err == nil {
		err = r.query(sctx, st.ForEachAccount.OptionsOf, "options", &offered)
	}
	cancel()
	if err != nil {
		return err
	}
	if len(accounts) == 0 {
		accounts = offered
	}
	if r.job.Canary && len(accounts) > 1 {
		accounts = accounts[:1] // the canary reads one account's pages
	}
	for _, a := range accounts {
		ok := false
		for _, o := range offered {
			ok = ok || o == a
		}
		if !ok {
			return ferry.Errorf(ferry.ClassInternal, where, "account %s is not offered by the site for login %q (it offers %s)", a, r.job.Credential.Name, strings.Join(offered, ", "))
		}
	}
	r.res.Accounts = accounts
	r.trace(where, "for_each_account", st.ForEachAccount.OptionsOf, "", strings.Join(accounts, ","), started, nil)
	for i, a := range accounts {
		if r.job.SkipAccounts[a] {
			r.log.Info().Str("account", a).Msg("already downloaded by an earlier attempt; skipping")
			continue
		}
		r.account = a
		r.vars["account"] = a
		if err := r.steps_(ctx, fmt.Sprintf("%s.for_each_account[%d].steps", where, i), st.ForEachAccount.Steps); err != nil {
			return err
		}
	}
	r.account = ""
	delete(r.vars, "account")
	return nil
}

func (r *run) forEachPage(ctx context.Context, where string, st scripts.Step) error {
	max := st.ForEachPage.Max
	if max == 0 {
		max = 1000
	}
	for p := 1; p <= max; p++ {
		if err := r.steps_(ctx, fmt.Sprintf("%s.for_each_page[%d].steps", where, p), st.ForEachPage.Steps); err != nil {
			return err
		}
		started := time.Now()
		if r.job.Canary {
			// The canary checks one page of results: the next button was
			// resolved with every other selector after the page's steps.
			r.trace(where, "for_each_page", st.ForEachPage.Next, "", "canary: first page only", started, nil)
			return nil
		}
		// Only a next control that is found and disabled ends paging, or
		// the element the selector file names as the next control's last:
		// (the last page's marker) being there. A next control that no way
		// finds is otherwise a changed site, never "the last page".
		sctx, cancel := context.WithTimeout(ctx, r.timeout(st))
		var enabled bool
		// The healer proposes a repair of the next control; the run never
		// clicks a healed one.
		r.readOnly = false
		marker, mway, err := r.lastPage(sctx, st.ForEachPage.Next)
		if err != nil {
			cancel()
			return r.classify(where, started, err)
		}
		if marker != "" {
			cancel()
			r.trace(where, "for_each_page", marker, mway, fmt.Sprintf("last page %d: %s is there (the next control is absent by design)", p, marker), started, nil)
			return nil
		}
		el, way, err := r.one(sctx, st.ForEachPage.Next)
		if err == nil {
			err = r.query(sctx, st.ForEachPage.Next, "enabled", &enabled)
		}
		if err == nil && enabled {
			err = r.clickElement(sctx, el)
		}
		cancel()
		if err != nil {
			var se *SelectorError
			if errors.As(err, &se) {
				err = fmt.Errorf("the pager's next control: %w", err)
				if last := r.nextLast(st.ForEachPage.Next); last != "" {
					err = fmt.Errorf("%w (nor is %q, which marks the last page, there)", err, last)
				}
			}
			// step traces the loop's failure.
			return r.classify(where, started, err)
		}
		if !enabled {
			r.trace(where, "for_each_page", st.ForEachPage.Next, way, fmt.Sprintf("last page %d: the next control is disabled", p), started, nil)
			return nil
		}
		r.trace(where, "for_each_page", st.ForEachPage.Next, way, fmt.Sprintf("next page %d", p+1), started, nil)
	}
	return ferry.Errorf(ferry.ClassSiteChanged, where, "more than %d pages: the next button never stops", max)
}

// nextLast is the element the selector file names as the last-page marker
// of the pager's next control ("" for none).
func (r *run) nextLast(next string) string {
	el, err := r.job.Selectors.Element(next)
	if err != nil {
		return ""
	}
	return el.Last
}

// lastPage waits, within the lookup's part of ctx, for either the pager's
// next control or its last-page marker, and returns the marker's name and
// way when the marker is what the page shows (the last page, the next
// control absent by design). It returns "" when the next control is there,
// when no marker is declared, and when neither came: the caller then
// looks the next control up, and its absence is a changed site.
func (r *run) lastPage(ctx context.Context, next string) (string, string, error) {
	last := r.nextLast(next)
	if last == "" {
		return "", "", nil
	}
	nel, err := r.job.Selectors.Element(next)
	if err != nil {
		return "", "", err
	}
	lel, err := r.job.Selectors.Element(last)
	if err != nil {
		return "", "", err
	}
	if err := r.settleBefore(ctx, next); err != nil {
		return "", "", err
	}
	lctx, cancel := lookupContext(ctx)
	defer cancel()
	var marker string
	_ = poll(lctx, func() (bool, error) {
		// The marker first: a last page may still show a next control
		// (disabled, or hidden by style only).
		if _, pick, wl, err := r.lookup(lctx, lel); err == nil && pick >= 0 {
			marker = wayLabel(wl, pick)
			return true, nil
		}
		_, pick, _, err := r.lookup(lctx, nel)
		return err == nil && pick >= 0, nil
	})
	if marker == "" {
		return "", "", nil
	}
	return last, marker, nil
}

func classForStatus(status int) ferry.FailureClass {
	switch {
	case status >= 500:
		return ferry.ClassSiteUnavailable
	case status == 401 || status == 403:
		return ferry.ClassSessionExpired
	}
	return ferry.ClassSiteChanged
}

// evidence captures what ops need to see why the run failed.
func (r *run) evidence(err error) *Evidence {
	// Every value typed from a credential is masked wherever the page may
	// have copied it: the DOM, the URL, the title, the error, the trace.
	trace := make([]ferry.Step, len(r.res.Trace))
	for i, st := range r.res.Trace {
		st.Detail = r.maskAll(st.Detail)
		trace[i] = st
	}
	ev := &Evidence{Error: r.maskAll(err.Error()), Class: string(ferry.ClassOf(err)), Trace: trace,
		SelectorFile: r.job.Selectors.Path, SelectorVersion: r.job.Selectors.Version}
	var fe *ferry.Error
	if errors.As(err, &fe) {
		ev.Step = fe.Where
	}
	var se *SelectorError
	if errors.As(err, &se) {
		ev.Selector, ev.Ways, ev.Variant = se.Element, se.Ways, se.Variant
	}
	var ce *CoveredError
	if errors.As(err, &ce) {
		ev.Selector, ev.CoveredBy = ce.Element, ce.Overlay
	}
	// The run's context may be over; give evidence its own short budget.
	p := r.page.Context(context.Background()).Timeout(10 * time.Second)
	// The screenshot first, with every place a typed secret shows painted
	// over (pixels: no text replacement reaches a secret split over spans
	// or in a shadow root); then the text, masked in the page too.
	ev.Screenshot = r.maskedScreenshot(p, true)
	if sf := r.secretForms(); len(sf) > 0 {
		_, _ = p.Evaluate(rod.Eval(maskPageJS, sf, masked).ByUser())
	}
	if info, e := p.Info(); e == nil {
		ev.URL, ev.Title = r.maskURL(info.URL), r.maskAll(info.Title)
	}
	if html, e := p.HTML(); e == nil {
		ev.HTML = r.maskAll(html)
	}
	return ev
}
