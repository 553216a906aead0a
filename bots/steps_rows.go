package bots

// for_each_row: each row of a paged result list once, by its key, with
// lookups scoped to the row; a total that changes under the loop starts
// the list over; a session the site ends mid-loop is logged in again
// through a block, and the loop resumes without doing a row twice.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/go-rod/rod"
)

// rowJS lists what a rows way finds in the document, visible elements
// only (as lookup.js counts them): with n < 0 their number, else the nth
// (null past the end).
const rowJS = `function (kind, value, n) {
  const visible = (el) => {
    if (!(el instanceof Element)) return false;
    if (el.checkVisibility && !el.checkVisibility({ visibilityProperty: true })) return false;
    if (!el.getClientRects().length) return false;
    const st = getComputedStyle(el);
    return st.visibility !== 'hidden' && st.display !== 'none';
  };
  let els = [];
  if (kind === 'css') els = [...document.querySelectorAll(value)];
  else if (kind === 'testid') els = [...document.querySelectorAll('[data-testid="' + CSS.escape(value) + '"]')];
  else if (kind === 'xpath') {
    const r = document.evaluate(value, document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
    for (let i = 0; i < r.snapshotLength; i++) els.push(r.snapshotItem(i));
  }
  els = els.filter(visible);
  if (n < 0) return els.length;
  return els[n] || null;
}`

// errTotalChanged is a pass over the list that saw its total change.
type errTotalChanged struct {
	was, now, page int
}

func (e *errTotalChanged) Error() string {
	return fmt.Sprintf("the total went from %d to %d by page %d", e.was, e.now, e.page)
}

// rowLoop is one for_each_row's state: the keys of the rows done, which
// outlive restarts and relogins.
type rowLoop struct {
	where string
	rows  *scripts.Rows
	done  map[string]bool
	// page is the address of the list page the loop is on.
	page string
	// progress counts the steps done of a row not yet done, by key.
	progress map[string]int
	visited  int // rows looked at, skipped ones included (bounded by max)
	outer    scope
	// ran counts the rows whose steps ran; skipped those already done.
	ran, skipped int
}

// forEachRow runs a for_each_row step.
func (r *run) forEachRow(ctx, sctx context.Context, where string, st scripts.Step) (out stepOutcome, err error) {
	rs := st.ForEachRow
	l := &rowLoop{where: where, rows: rs, done: map[string]bool{}, progress: map[string]int{}, outer: r.scope}
	// The list's first page, where a restart or a relogin comes back to.
	start, err := r.topURL(sctx)
	if err != nil {
		return out, fmt.Errorf("read the list's address: %w", err)
	}
	restarts, relogins := 0, 0
	for {
		err := r.rowPass(ctx, l)
		r.scope = l.outer
		if err == nil {
			out.detail = fmt.Sprintf("%d rows done, %d skipped as done before", l.ran, l.skipped)
			if restarts > 0 || relogins > 0 {
				out.detail += fmt.Sprintf(" (%d restarts, %d relogins)", restarts, relogins)
			}
			return out, nil
		}
		if ctx.Err() != nil {
			return out, err
		}
		var tc *errTotalChanged
		if errors.As(err, &tc) {
			restarts++
			if restarts > rs.RestartLimit() {
				return out, ferry.Errorf(ferry.ClassSiteChanged, where, "the list's total kept changing: %v, after %d restarts (restarts: %d)", err, restarts-1, rs.RestartLimit())
			}
			r.trace(where, "for_each_row", rs.Total, "", fmt.Sprintf("%v: starting over from the first page (restart %d of %d); rows done are not done again", err, restarts, rs.RestartLimit()), time.Now(), nil)
			if err := r.reopen(ctx, where+".restart", start); err != nil {
				return out, err
			}
			continue
		}
		rl := rs.Relogin
		if rl == nil || !r.sessionEnded(ctx, where, rl.When, l.page, err) {
			return out, err
		}
		relogins++
		if relogins > rl.Limit() {
			return out, ferry.Errorf(ferry.ClassSessionExpired, where, "the site ended the session %d times (relogin max %d): %w", relogins, rl.Limit(), err)
		}
		started := time.Now()
		r.trace(where, "for_each_row", rl.When, "", fmt.Sprintf("the session ended (%s): logging in again through block %q (relogin %d of %d), then resuming; %d rows done stay done",
			rl.When, rl.Call, relogins, rl.Limit(), len(l.done)), started, nil)
		if err := r.steps_(ctx, fmt.Sprintf("%s.relogin[%d].%s", where, relogins, rl.Call), r.job.Script.Blocks[rl.Call]); err != nil {
			return out, err
		}
		if err := r.reopen(ctx, where+".resume", start); err != nil {
			return out, err
		}
	}
}

// topURL reads the address of the top page.
func (r *run) topURL(ctx context.Context) (string, error) {
	obj, err := r.page.Context(ctx).Evaluate(rod.Eval(`() => location.href`).ByUser())
	if err != nil {
		return "", err
	}
	return obj.Value.Str(), nil
}

// reopen loads u in the top page as an open step would, traced under
// where.
func (r *run) reopen(ctx context.Context, where, u string) error {
	prev := r.scope
	r.scope = scope{}
	defer func() { r.scope = prev }()
	// The address is the site's own; a "$" in it is not a variable.
	return r.step(ctx, where, scripts.Step{Open: strings.ReplaceAll(u, "${", "%24%7B")})
}

// sessionEnded tells whether the site shows when (its "you are logged
// out" element) after a step failed with err: on the page as it is, or,
// when the failure was a request the site refused as logged out (a
// download answered 401), once the list's page (list) is loaded again.
func (r *run) sessionEnded(ctx context.Context, where, when, list string, err error) bool {
	prev := r.scope
	r.scope = scope{}
	defer func() { r.scope = prev }()
	look := func() bool {
		cctx, cancel := context.WithTimeout(ctx, r.job.StepTimeout)
		defer cancel()
		ok, _, e := r.present(cctx, when)
		return e == nil && ok
	}
	if look() {
		return true
	}
	if ferry.ClassOf(err) != ferry.ClassSessionExpired {
		return false
	}
	if list == "" || r.reopen(ctx, where+".check", list) != nil {
		return false
	}
	return look()
}

// rowPass goes through the list once from the page shown, page by page.
func (r *run) rowPass(ctx context.Context, l *rowLoop) error {
	rs := l.rows
	seen, total := 0, -1
	for page := 1; ; page++ {
		r.scope = l.outer
		started := time.Now()
		if rs.Total != "" {
			t, err := r.readTotal(ctx, rs.Total)
			if err != nil {
				return r.classify(l.where, started, err)
			}
			if total >= 0 && t != total {
				return &errTotalChanged{was: total, now: t, page: page}
			}
			total = t
		}
		way, n, err := r.listRows(ctx, rs.Rows, total > seen)
		if err != nil {
			return r.classify(l.where, started, err)
		}
		if u, err := r.topURL(ctx); err == nil {
			l.page = u
		}
		for i := 0; i < n; i++ {
			l.visited++
			if l.visited > rs.Max {
				return ferry.Errorf(ferry.ClassSiteChanged, l.where, "more than max %d rows visited: the list never ends (%s)", rs.Max, rs.Rows)
			}
			if err := r.oneRow(ctx, fmt.Sprintf("%s.for_each_row[%d.%d]", l.where, page, i+1), l, way, i); err != nil {
				return err
			}
			r.scope = l.outer
		}
		seen += n
		if total >= 0 && seen > total {
			return &errTotalChanged{was: total, now: seen, page: page}
		}
		if rs.Next == "" || total >= 0 && seen == total {
			r.trace(l.where, "for_each_row", rs.Rows, way.String(), fmt.Sprintf("page %d: %d rows, %d in all%s", page, n, seen, totalNote(total)), started, nil)
			return nil
		}
		more, w, err := r.nextRows(ctx, l, way, total)
		if err != nil {
			return r.classify(l.where, started, err)
		}
		if !more {
			r.trace(l.where, "for_each_row", rs.Next, w, fmt.Sprintf("page %d: %d rows, the last (the next control is disabled)", page, n), started, nil)
			return nil
		}
		r.trace(l.where, "for_each_row", rs.Next, w, fmt.Sprintf("page %d: %d rows, %d in all%s; next page", page, n, seen, totalNote(total)), started, nil)
	}
}

func totalNote(total int) string {
	if total < 0 {
		return ""
	}
	return fmt.Sprintf(" of %d", total)
}

// digits finds the count in a total's text ("共 1,234 条").
var digits = regexp.MustCompile(`\d[\d,]*`)

// readTotal reads the number an element shows.
func (r *run) readTotal(ctx context.Context, name string) (int, error) {
	sctx, cancel := context.WithTimeout(ctx, r.job.StepTimeout)
	defer cancel()
	var el *rod.Element
	var way string
	s, err := r.state(sctx, name, &el, &way, nil)
	if err != nil {
		return 0, err
	}
	m := digits.FindString(s.Text)
	n, err := strconv.Atoi(strings.ReplaceAll(m, ",", ""))
	if m == "" || err != nil {
		return 0, ferry.Errorf(ferry.ClassSiteChanged, name, "the total %s (%s) on %s shows %q, not a number", name, way, r.pageURL(), clip(r.mask(s.Text), 100))
	}
	return n, nil
}

// listRows finds the way that lists the rows and how many it finds. With
// want, the page must show rows: it is waited for.
func (r *run) listRows(ctx context.Context, name string, want bool) (selectors.Way, int, error) {
	el, err := r.job.Selectors.Element(name)
	if err != nil {
		return selectors.Way{}, 0, err
	}
	sctx, cancel := context.WithTimeout(ctx, r.job.StepTimeout)
	defer cancel()
	if _, err := r.settleIfNavigated(sctx); err != nil {
		return selectors.Way{}, 0, err
	}
	var way selectors.Way
	var last []WayResult
	found := false
	err = poll(sctx, func() (bool, error) {
		res, pick, wl, err := r.lookup(sctx, el)
		if err != nil {
			return false, nil // navigating: look at the new page
		}
		last = res
		if pick >= 0 {
			way, found = wl[pick], true
			return true, nil
		}
		return !want, nil
	})
	if err != nil {
		se := &SelectorError{Element: name, Page: r.pageURL(), Ways: last, Variant: r.lastVariant}
		r.lastSel = se
		return way, 0, fmt.Errorf("the total says rows are left, but: %w", se)
	}
	if !found {
		return way, 0, nil
	}
	obj, err := r.doc().Context(sctx).Evaluate(rod.Eval(rowJS, string(way.Kind), way.Value, -1).ByUser())
	if err != nil {
		return way, 0, err
	}
	return way, obj.Value.Int(), nil
}

// rowElement returns the ith row way finds.
func (r *run) rowElement(ctx context.Context, name string, way selectors.Way, i int) (*rod.Element, error) {
	obj, err := r.doc().Context(ctx).Evaluate(rod.Eval(rowJS, string(way.Kind), way.Value, i).ByObject())
	if err != nil {
		return nil, err
	}
	if obj.ObjectID == "" {
		return nil, &SelectorError{Element: name, Page: r.pageURL(), Ways: []WayResult{{Way: way.String(), Count: i}}, Variant: r.lastVariant}
	}
	return r.doc().Context(ctx).ElementFromObject(obj)
}

// oneRow reads a row's values and key and runs its steps, unless a row of
// that key is done.
func (r *run) oneRow(ctx context.Context, where string, l *rowLoop, way selectors.Way, i int) error {
	rs := l.rows
	started := time.Now()
	sctx, cancel := context.WithTimeout(ctx, r.job.StepTimeout)
	defer cancel()
	el, err := r.rowElement(sctx, rs.Rows, way, i)
	if err != nil {
		return r.classify(where, started, err)
	}
	r.scope = l.outer
	r.scope.within, r.scope.withinName = el, fmt.Sprintf("%s[%d]", rs.Rows, i+1)
	for _, name := range rs.ValueNames() {
		var e *rod.Element
		var w string
		s, err := r.state(sctx, rs.Values[name], &e, &w, nil)
		if err != nil {
			return r.classify(where, started, err)
		}
		r.vars["var."+name] = r.mask(s.Text)
	}
	key, _ := r.expand(rs.Key)
	if strings.TrimSpace(key) == "" {
		return ferry.Errorf(ferry.ClassSiteChanged, where, "row %d of %s on %s has an empty key %q", i+1, rs.Rows, r.pageURL(), rs.Key)
	}
	if l.done[key] {
		l.skipped++
		r.trace(where, "for_each_row", rs.Rows, r.scope.label(way.String()), fmt.Sprintf("row %s: done before, skipped", key), started, nil)
		return nil
	}
	detail := "row " + key
	if n := l.progress[key]; n > 0 {
		detail += fmt.Sprintf(": resumed after its step %d", n)
	}
	r.trace(where, "for_each_row", rs.Rows, r.scope.label(way.String()), detail, started, nil)
	// A row cut short (the session ended between two of its downloads)
	// resumes after its last step that succeeded.
	for j := l.progress[key]; j < len(rs.Steps); j++ {
		if err := r.stepsFrom(ctx, where+".steps", rs.Steps[:j+1], j); err != nil {
			return err
		}
		l.progress[key] = j + 1
	}
	l.done[key] = true
	l.ran++
	return nil
}

// nextRows moves the list to its next page: it clicks the next control
// and waits until the page's rows are replaced. Without a total, a
// disabled control is the last page (more is false); a control no way
// finds is a changed site, never the last page.
func (r *run) nextRows(ctx context.Context, l *rowLoop, way selectors.Way, total int) (more bool, w string, err error) {
	sctx, cancel := context.WithTimeout(ctx, r.job.StepTimeout)
	defer cancel()
	r.readOnly = false // the healer proposes a repair of the pager; it is never clicked healed
	el, w, err := r.one(sctx, l.rows.Next)
	if err != nil {
		return false, w, fmt.Errorf("the pager's next control: %w", err)
	}
	if total < 0 {
		var enabled bool
		if err := r.query(sctx, l.rows.Next, "enabled", &enabled); err != nil {
			return false, w, err
		}
		if !enabled {
			return false, w, nil
		}
	}
	first, err := r.rowElement(sctx, l.rows.Rows, way, 0)
	if err != nil {
		return false, w, err
	}
	if err := r.clickElement(sctx, el); err != nil {
		return false, w, err
	}
	// The page moved on once the first row is gone: a navigation destroys
	// it, a client-side pager replaces it.
	err = poll(sctx, func() (bool, error) {
		obj, err := first.Context(sctx).Eval(`function () { return this.isConnected; }`)
		return err != nil || !obj.Value.Bool(), nil
	})
	if err != nil {
		return false, w, fmt.Errorf("the list did not change after clicking %s: %w", l.rows.Next, err)
	}
	return true, w, nil
}
