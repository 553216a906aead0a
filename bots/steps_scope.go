package bots

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/go-rod/rod"
)

// scope is where a step looks elements up: the document of an iframe
// (frame:, in_frame:) and, inside it, a container element (within:).
type scope struct {
	frame      *rod.Page // nil: the top page
	within     *rod.Element
	frameName  string
	withinName string
}

func (s scope) set() bool { return s.frame != nil || s.within != nil }

// eval runs a lookup on the container when there is one: lookup.js then
// counts only the elements inside it.
func (s scope) eval(e *rod.EvalOptions) *rod.EvalOptions {
	if s.within != nil {
		return e.This(s.within.Object)
	}
	return e
}

// label adds the scope to the way a lookup used, for the trace.
func (s scope) label(way string) string {
	if s.withinName != "" {
		way += " within " + s.withinName
	}
	if s.frameName != "" {
		way += " in frame " + s.frameName
	}
	return way
}

// doc is the page lookups run in: the current iframe's, else the top one.
func (r *run) doc() *rod.Page {
	if r.scope.frame != nil {
		return r.scope.frame
	}
	return r.page
}

// enterScope sets the scope a step asks for (frame: then within:, the
// container looked up inside the frame) and returns what restores the
// enclosing one.
func (r *run) enterScope(ctx context.Context, where string, st scripts.Step) (restore func(), err error) {
	prev := r.scope
	restore = func() { r.scope = prev }
	if st.Frame != "" {
		fr, _, err := r.frameOf(ctx, st.Frame)
		if err != nil {
			return restore, err
		}
		r.scope = scope{frame: fr, frameName: st.Frame}
	}
	action, _ := st.Action()
	if st.Within != "" && action != "wait_text" { // wait_text reads the within element's own text
		el, _, err := r.one(ctx, st.Within)
		if err != nil {
			return restore, err
		}
		r.scope.within, r.scope.withinName = el, st.Within
	}
	return restore, nil
}

// frameOf finds an iframe element and returns its document as a page.
func (r *run) frameOf(ctx context.Context, name string) (*rod.Page, string, error) {
	el, way, err := r.one(ctx, name)
	if err != nil {
		return nil, "", err
	}
	var tag string
	if obj, err := el.Context(ctx).Eval(`function () { return this.tagName.toLowerCase(); }`); err == nil {
		tag = obj.Value.Str()
	}
	if tag != "iframe" && tag != "frame" {
		return nil, way, ferry.Errorf(ferry.ClassSiteChanged, name, "element %q (%s) on %s is a <%s>, not an iframe", name, way, r.pageURL(), tag)
	}
	fr, err := el.Context(ctx).Frame()
	if err != nil {
		return nil, way, fmt.Errorf("iframe %q: %w", name, err)
	}
	return fr, way, nil
}

// setParams checks the run's parameter values against the script's
// declarations and makes them ${param.NAME}. The runner checks them when
// the run is made; this is the engine's own guard.
func (r *run) setParams() error {
	vals, err := r.job.Script.ResolveParams(r.job.Params.Values, r.job.Now())
	if err != nil {
		return ferry.Errorf(ferry.ClassInternal, "params", "%w", err)
	}
	for _, k := range r.job.Script.ParamNames() {
		r.vars["param."+k] = vals[k] // "" for one with neither value nor default
	}
	return nil
}

// varsSet fails a step that uses a ${var.NAME} no extract has set in this
// run (the extract was optional and skipped, or in a branch not taken).
func (r *run) varsSet(where string, st scripts.Step) error {
	for field, text := range st.Texts() {
		for _, name := range scripts.Vars(text) {
			if _, ok := r.vars[name]; !ok && strings.HasPrefix(name, "var.") {
				return ferry.Errorf(ferry.ClassInternal, where, "%s uses ${%s}, which no extract has set in this run (was it optional and skipped?)", field, name)
			}
		}
	}
	return nil
}

// mask replaces every credential value in text, as typed and as a URL
// would carry it.
func (r *run) mask(text string) string {
	for k, v := range r.vars {
		if !r.secret[k] || v == "" {
			continue
		}
		text = strings.ReplaceAll(text, v, "******")
		if q := url.QueryEscape(v); q != v {
			text = strings.ReplaceAll(text, q, "******")
		}
		if q := url.PathEscape(v); q != v {
			text = strings.ReplaceAll(text, q, "******")
		}
	}
	return text
}

// stepRetried runs a step, again after a failure when it asks for retry:
// up to its attempts, its delay apart. A failure a retry cannot fix (the
// login was rejected, the run was cancelled) ends it at once.
func (r *run) stepRetried(ctx context.Context, where string, st scripts.Step) error {
	attempts := 1
	var delay time.Duration
	if st.Retry != nil {
		attempts, delay = st.Retry.Attempts, st.Retry.Delay
	}
	for a := 1; ; a++ {
		err := r.step(ctx, where, st)
		if err == nil {
			return nil
		}
		switch ferry.ClassOf(err) {
		case ferry.ClassCredentialsRejected, ferry.ClassSessionExpired, ferry.ClassInputNeeded:
			return err
		}
		if a >= attempts || ctx.Err() != nil {
			if a > 1 {
				return &ferry.Error{Class: ferry.ClassOf(err), Where: where, Err: fmt.Errorf("failed all %d attempts; the last: %w", a, err)}
			}
			return err
		}
		action, target := st.Action()
		started := time.Now()
		r.trace(where, "retry", target, "", fmt.Sprintf("%s: attempt %d of %d failed; again in %s", action, a, attempts, delay), started, nil)
		select {
		case <-ctx.Done():
			return ferry.Errorf(ferry.ClassInternal, where, "cancelled while waiting to retry: %v", ctx.Err())
		case <-time.After(delay):
		}
	}
}

// WaitError is a wait that did not see what it waited for: a URL, a text,
// a settled page.
type WaitError struct {
	Step string // wait_url, wait_text, wait_idle
	Want string
	Page string
	Seen string // masked
}

func (e *WaitError) Error() string {
	s := fmt.Sprintf("%s: %s never came on %s", e.Step, e.Want, e.Page)
	if e.Seen != "" {
		s += " (" + e.Seen + ")"
	}
	return s
}

// notFound tells whether err means the step found nothing to act on: no
// way matched any element, or a wait never saw what it waited for. An
// optional step is skipped then; several matches are still a failure.
func notFound(err error) bool {
	var we *WaitError
	if errors.As(err, &we) {
		return true
	}
	var se *SelectorError
	if !errors.As(err, &se) || se.Gone {
		return false
	}
	for _, w := range se.Ways {
		if w.Count > 0 || w.Error != "" {
			return false
		}
	}
	return true
}

func blockAction(action string) bool {
	switch action {
	case "branch", "for_each_account", "for_each_page", "in_frame", "repeat":
		return true
	}
	return false
}
