package bots

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/ferry-rpa/ferry/selectors"
	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// Healing policy, per run.
const (
	// HealOff never looks for a changed element.
	HealOff = "off"
	// HealPropose proposes changes to the selector file but never uses a
	// healed element.
	HealPropose = "propose"
	// HealReadOnly also lets read-only steps (waiting, counting, downloading,
	// and clicks the script marks read_only) use a healed element in the
	// current run. Steps that type or submit never do.
	HealReadOnly = "read_only"
)

// A heal is accepted only when its score clears minHealScore and beats the
// runner-up by minHealMargin: the healer never picks the first of several.
const (
	minHealScore  = 0.45
	minHealMargin = 0.15
)

// Fingerprint is what a successful lookup saw of an element: the healer's
// reference when every way later fails.
type Fingerprint struct {
	Element string          `json:"element"`
	Variant string          `json:"variant"`
	Page    string          `json:"page"`
	Data    json.RawMessage `json:"data"` // tag, role, names, text, label, attributes, ancestors, position
}

// FingerprintKey indexes fingerprints by element and UI variant.
func FingerprintKey(element, variant string) string { return element + "|" + variant }

// Heal is a proposed repair of one selector: the element the healer found
// on the changed page, the ways that find it, and why.
type Heal struct {
	Element   string             `json:"element"`
	Variant   string             `json:"variant"`
	Page      string             `json:"page"`
	Score     float64            `json:"score"`
	RunnerUp  float64            `json:"runner_up"`
	Breakdown map[string]float64 `json:"breakdown"`
	Candidate string             `json:"candidate"` // a description of the element found
	Ways      []selectors.Way    `json:"ways"`      // ways that find it, and only it; the first is proposed
	Accepted  bool               `json:"accepted"`  // score and margin clear the thresholds
	Reason    string             `json:"reason,omitempty"`
	Used      bool               `json:"used"`    // a read-only step used it in this run
	Dismiss   bool               `json:"dismiss"` // an overlay to list under dismiss, not a changed element
	Before    []byte             `json:"-"`       // screenshot of the page as the bot found it
	After     []byte             `json:"-"`       // screenshot with the healed element outlined
	index     int
	fp        json.RawMessage
}

type healCandidate struct {
	Index     int                 `json:"index"`
	Score     float64             `json:"score"`
	Breakdown map[string]float64  `json:"breakdown"`
	Desc      string              `json:"desc"`
	Ways      []map[string]string `json:"ways"`
}

// capture stores the fingerprint of the element way w found, once per
// element and variant in a run.
func (r *run) capture(ctx context.Context, name string, w selectors.Way) {
	if r.job.HealPolicy == HealOff {
		return
	}
	key := FingerprintKey(name, r.lastVariant)
	if _, done := r.res.Fingerprints[key]; done {
		return
	}
	ways := []map[string]string{{"kind": string(w.Kind), "value": w.Value, "name": w.Name}}
	obj, err := lookupCall(ctx, r.page, nil, callOpts{}, ways, 0, "fingerprint", nil)
	if err != nil || obj.Value.Nil() {
		return
	}
	r.res.Fingerprints[key] = Fingerprint{Element: name, Variant: r.lastVariant, Page: r.pagePath(), Data: json.RawMessage(obj.Value.Str())}
}

// heal ranks the page's elements against the element's last fingerprint.
// It returns nil when there is no fingerprint to compare with.
func (r *run) heal(ctx context.Context, name string) *Heal {
	if r.job.HealPolicy == HealOff || r.job.Fingerprints == nil {
		return nil
	}
	el, err := r.job.Selectors.Element(name)
	if err != nil || el.Many {
		return nil
	}
	fp, ok := r.job.Fingerprints[FingerprintKey(name, r.lastVariant)]
	if !ok {
		return nil
	}
	var fpv map[string]any
	if json.Unmarshal(fp.Data, &fpv) != nil {
		return nil
	}
	obj, err := lookupCall(ctx, r.page, nil, callOpts{}, []any{}, -1, "heal", fpv)
	if err != nil {
		return nil
	}
	var cands []healCandidate
	if json.Unmarshal([]byte(obj.Value.Str()), &cands) != nil {
		return nil
	}
	h := &Heal{Element: name, Variant: r.lastVariant, Page: r.pagePath(), fp: fp.Data}
	if len(cands) == 0 {
		h.Reason = "no visible element of the same kind on the page"
		return h
	}
	best := cands[0]
	h.Score, h.Breakdown, h.Candidate, h.index = round2(best.Score), best.Breakdown, best.Desc, best.Index
	if len(cands) > 1 {
		h.RunnerUp = round2(cands[1].Score)
	}
	h.Ways = toWays(best.Ways)
	h.judge(best.Score, h.RunnerUp, "the runner-up", "no way finds the candidate alone")
	if h.Accepted {
		h.Before = r.screenshot()
		_, _ = lookupCall(ctx, r.page, nil, callOpts{}, []any{}, -1, "outline", map[string]any{"fp": fpv, "index": h.index})
		h.After = r.screenshot()
	}
	return h
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// screenshot captures the viewport for a heal's before and after, typed
// secrets painted over and the page put back (the run goes on).
func (r *run) screenshot() []byte {
	return r.maskedScreenshot(r.page.Context(context.Background()).Timeout(10*time.Second), false)
}

// healedElement returns the element an accepted heal found.
func (r *run) healedElement(ctx context.Context, h *Heal) (*rod.Element, error) {
	var fpv map[string]any
	if err := json.Unmarshal(h.fp, &fpv); err != nil {
		return nil, err
	}
	obj, err := lookupCall(ctx, r.page, nil, callOpts{byObject: true}, []any{}, -1, "healed", map[string]any{"fp": fpv, "index": h.index})
	if err != nil {
		return nil, err
	}
	if obj.Subtype != proto.RuntimeRemoteObjectSubtypeNode {
		return nil, fmt.Errorf("the healed element went away")
	}
	return r.page.Context(ctx).ElementFromObject(obj)
}

// healPage proposes heals for every other element last seen on this page
// that no longer resolves, so that one failed run repairs a whole page.
func (r *run) healPage(ctx context.Context, failed string) {
	page := r.pagePath()
	var names []string
	for _, fp := range r.job.Fingerprints {
		if fp.Page == page && fp.Element != failed && fp.Variant == r.lastVariant {
			names = append(names, fp.Element)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if r.healed[name] {
			continue
		}
		el, err := r.job.Selectors.Element(name)
		if err != nil {
			continue
		}
		_, pick, _, err := r.lookup(ctx, el)
		if err != nil || pick >= 0 {
			continue
		}
		if h := r.heal(ctx, name); h != nil {
			r.addHeal(h)
		}
	}
}

func (r *run) addHeal(h *Heal) {
	if r.healed == nil {
		r.healed = map[string]bool{}
	}
	if r.healed[h.Element] {
		return
	}
	r.healed[h.Element] = true
	r.res.Heals = append(r.res.Heals, *h)
}

// checkCovered fails a click whose element stays covered by something
// else (a cookie banner, a pop-up) until the step's deadline: what covers
// it while the page lays itself out goes away. Only an overlay that
// stayed the same on a loaded page, with one control that reads like
// accept or close by the same score and margin rules as every heal, is
// proposed for dismiss. Ferry never clicks an unknown overlay away by
// itself.
func (r *run) checkCovered(ctx context.Context, el *rod.Element, name string) error {
	cov, settled, err := probeCover(ctx, el)
	if err != nil || cov.State != "covered" {
		// The check is advice: a page that navigates under it is not covered.
		return nil
	}
	page := r.pageURL()
	msg := fmt.Sprintf("%s on %s stays covered by %s", name, page, cov.Overlay)
	elName := overlayElementName(cov.ID)
	button := ""
	if len(cov.Scores) > 0 {
		button = cov.Scores[0].Name
	}
	h := &Heal{Element: elName, Variant: r.lastVariant, Page: r.pagePath(), Dismiss: true,
		Candidate: fmt.Sprintf("%s covering %s, its control %q", cov.Overlay, name, button)}
	if len(cov.Scores) > 0 {
		h.Score = round2(cov.Scores[0].Score)
	}
	if len(cov.Scores) > 1 {
		h.RunnerUp = round2(cov.Scores[1].Score)
	}
	h.Ways = toWays(cov.Ways)
	switch {
	case !cov.OverlayLike:
		h.Reason = "what covers it is part of the page, not an overlay"
	case !settled:
		h.Reason = "the page had not settled: the overlay may be the page laying itself out"
	case len(cov.Scores) == 0 || cov.Scores[0].Score == 0:
		h.Reason = "no control of the overlay reads like accept or close"
	default:
		h.judge(h.Score, h.RunnerUp, "the next control", "no way finds the overlay's control alone")
	}
	if h.Accepted {
		h.Before = r.screenshot()
		h.After = h.Before
		msg += fmt.Sprintf("; the healer proposes listing %s (%s) under dismiss", elName, h.Ways[0])
	} else {
		msg += "; no dismiss proposal: " + h.Reason
	}
	r.addHeal(h)
	return &CoveredError{Element: name, Page: page, Overlay: cov.Overlay, msg: msg}
}

// CoveredError is a click on an element something else covers.
type CoveredError struct {
	Element, Page, Overlay string
	msg                    string
}

func (e *CoveredError) Error() string { return e.msg }

// healMany heals a collection (table rows): the proposed way finds the
// best-matching element and its siblings like it. It returns the heal and
// how many elements the proposed way finds.
func (r *run) healMany(ctx context.Context, name string) (*Heal, int) {
	if r.job.HealPolicy == HealOff || r.job.Fingerprints == nil {
		return nil, 0
	}
	fp, ok := r.job.Fingerprints[FingerprintKey(name, r.lastVariant)]
	if !ok {
		return nil, 0
	}
	var fpv map[string]any
	if json.Unmarshal(fp.Data, &fpv) != nil {
		return nil, 0
	}
	obj, err := lookupCall(ctx, r.page, nil, callOpts{}, []any{}, -1, "healmany", fpv)
	if err != nil {
		return nil, 0
	}
	var res *struct {
		Score, RunnerUp float64
		Breakdown       map[string]float64
		Desc            string
		Ways            []map[string]string
		Count           int
	}
	if json.Unmarshal([]byte(obj.Value.Str()), &res) != nil || res == nil {
		return nil, 0
	}
	h := &Heal{Element: name, Variant: r.lastVariant, Page: r.pagePath(), Score: round2(res.Score), RunnerUp: round2(res.RunnerUp),
		Breakdown: res.Breakdown, Candidate: res.Desc}
	h.Ways = toWays(res.Ways)
	h.judge(res.Score, res.RunnerUp, "the best outside its collection", "no way finds the collection")
	if h.Accepted {
		h.Before = r.screenshot()
		h.After = h.Before
	}
	return h, res.Count
}

func toWays(ws []map[string]string) []selectors.Way {
	var out []selectors.Way
	for _, w := range ws {
		out = append(out, selectors.Way{Kind: selectors.WayKind(w["kind"]), Value: w["value"], Name: w["name"]})
	}
	return out
}

// judge accepts a heal only when its score clears minHealScore, beats the
// runner-up by minHealMargin and a way finds the candidate; otherwise it
// says why not.
func (h *Heal) judge(score, runnerUp float64, rival, noWay string) {
	switch {
	case score < minHealScore:
		h.Reason = fmt.Sprintf("best candidate scores %.2f, under %.2f", score, minHealScore)
	case score-runnerUp < minHealMargin:
		h.Reason = fmt.Sprintf("best candidate %.2f beats %s %.2f by less than %.2f", score, rival, runnerUp, minHealMargin)
	case len(h.Ways) == 0:
		h.Reason = noWay
	default:
		h.Accepted = true
	}
}

// attachedJS counts, per way, the elements it finds in the document,
// visible or not: a hidden spinner still shows that its ways are right.
// Ways whose kind it cannot judge without visibility (near) count -1.
const attachedJS = `function (ways) {
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const implicit = { BUTTON: 'button', NAV: 'navigation', MAIN: 'main', FORM: 'form', TABLE: 'table', TR: 'row', TD: 'cell', TH: 'columnheader',
    H1: 'heading', H2: 'heading', H3: 'heading', H4: 'heading', H5: 'heading', H6: 'heading', SELECT: 'combobox', TEXTAREA: 'textbox', IMG: 'img' };
  const roleOf = (el) => (el.getAttribute('role') || '').split(' ')[0] || (el.tagName === 'A' && el.hasAttribute('href') ? 'link' : implicit[el.tagName] || '');
  const nameOf = (el) => norm(el.getAttribute('aria-label') || el.getAttribute('alt') || el.value || el.textContent || el.getAttribute('title'));
  const all = () => [...document.querySelectorAll('body *')];
  return JSON.stringify(ways.map((w) => {
    try {
      switch (w.kind) {
        case 'css': return document.querySelectorAll(w.value).length;
        case 'xpath': return document.evaluate(w.value, document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null).snapshotLength;
        case 'testid': return document.querySelectorAll('[data-testid="' + CSS.escape(w.value) + '"]').length;
        case 'placeholder': return document.querySelectorAll('[placeholder="' + CSS.escape(w.value) + '"]').length;
        case 'role': return all().filter((el) => roleOf(el) === w.value && (!w.name || nameOf(el) === norm(w.name))).length;
        case 'text': { const v = norm(w.value); return all().filter((el) => norm(el.textContent) === v && ![...el.children].some((c) => norm(c.textContent) === v)).length; }
        case 'label': return all().filter((el) => el.labels && [...el.labels].some((l) => norm(l.textContent) === norm(w.value))).length;
      }
    } catch (e) { return 0; }
    return -1;
  }));
}`

// waitGone waits until no way finds the element (a spinner) visible. An
// element that no way has ever found (not now, not hidden in the page, not
// earlier in this run, not in an earlier run's fingerprint) is a
// SelectorError: a renamed spinner must not pass for a finished one.
func (r *run) waitGone(ctx context.Context, name string) error {
	el, err := r.job.Selectors.Element(name)
	if err != nil {
		return err
	}
	if r.everFound(ctx, name, el) {
		return r.gone(ctx, name)
	}
	if err := r.gone(ctx, name); err != nil {
		return err
	}
	// Gone now; whether it was ever there is asked once more, as the page
	// may have shown it meanwhile.
	if r.everFound(ctx, name, el) {
		return nil
	}
	res, _, _, lerr := r.lookup(ctx, el)
	if lerr != nil {
		res = nil
	}
	se := &SelectorError{Element: name, Page: r.pageURL(), Ways: res, Variant: r.lastVariant, Never: true}
	r.lastSel = se
	return se
}

// everFound tells whether the element has been seen: by a way now (in the
// document, visible or hidden), earlier in this run, or by an earlier run.
func (r *run) everFound(ctx context.Context, name string, el selectors.Element) bool {
	if r.goneSeen[name] {
		return true
	}
	for _, fps := range []map[string]Fingerprint{r.job.Fingerprints, r.res.Fingerprints} {
		for _, fp := range fps {
			if fp.Element == name {
				return true
			}
		}
	}
	variant, err := r.variant(ctx)
	if err != nil {
		return true // the page is navigating: no grounds to call it changed
	}
	wl := el.WaysFor(variant)
	ways := make([]map[string]string, len(wl))
	for i, w := range wl {
		ways[i] = map[string]string{"kind": string(w.Kind), "value": w.Value, "name": w.Name}
	}
	obj, err := r.doc().Context(ctx).Evaluate(r.scope.eval(rod.Eval(attachedJS, ways)).ByUser())
	if err != nil {
		return true
	}
	var counts []int
	if json.Unmarshal([]byte(obj.Value.Str()), &counts) != nil {
		return true
	}
	for _, n := range counts {
		if n != 0 {
			if r.goneSeen == nil {
				r.goneSeen = map[string]bool{}
			}
			r.goneSeen[name] = true
			return true
		}
	}
	return false
}

// The part of a step's time kept for a same-run heal: a read-only step
// whose lookup failed is healed before its deadline, not after it.
const (
	minHealReserve = 1 * time.Second
	maxHealReserve = 4 * time.Second
)

// healReserve returns how much of the time left before ctx's deadline a
// heal keeps: a fifth, at least minHealReserve (but never more than half
// the time left) and at most maxHealReserve. Without a deadline, none.
func healReserve(ctx context.Context) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	left := time.Until(dl)
	if left <= 0 {
		return 0
	}
	return min(max(left/5, min(minHealReserve, left/2)), maxHealReserve)
}

// lookupContext is ctx with its deadline moved forward by healReserve: a
// lookup polls under it, so that when no way finds the element the step's
// own context still has time for the heal and for using a healed element.
func lookupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	reserve := healReserve(ctx)
	if reserve == 0 {
		return context.WithCancel(ctx)
	}
	dl, _ := ctx.Deadline()
	return context.WithDeadline(ctx, dl.Add(-reserve))
}
