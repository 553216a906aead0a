package bots

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/input"
)

// stepOutcome is what a step handler reports for the trace.
type stepOutcome struct {
	way, detail string
}

// handler runs one kind of step. ctx is the run's, sctx the step's own
// deadline; blocks run their nested steps under ctx.
type handler func(r *run, ctx, sctx context.Context, where string, st scripts.Step) (stepOutcome, error)

// stepHandler returns the handler of an action added with the script
// language of issue 11, or nil.
func stepHandler(action string) handler {
	switch action {
	case "press":
		return (*run).press
	case "wait_idle":
		return (*run).waitIdle
	case "wait_url":
		return (*run).waitURL
	case "wait_text":
		return (*run).waitText
	case "in_frame":
		return (*run).inFrame
	case "repeat":
		return (*run).repeat
	case "assert":
		return (*run).assert
	case "extract":
		return (*run).extract
	case "script":
		return (*run).script
	case "challenge":
		return (*run).challenge
	case "for_each_row":
		return (*run).forEachRow
	case "for_each_range":
		return (*run).forEachRange
	case "call":
		return (*run).call
	}
	return nil
}

// keyOf maps a key name of scripts.KeyNames or a modifier to rod's key.
func keyOf(name string) (input.Key, bool) {
	switch name {
	case "Enter":
		return input.Enter, true
	case "Tab":
		return input.Tab, true
	case "Escape":
		return input.Escape, true
	case "Backspace":
		return input.Backspace, true
	case "Delete":
		return input.Delete, true
	case "Space":
		return input.Space, true
	case "Insert":
		return input.Insert, true
	case "ArrowUp":
		return input.ArrowUp, true
	case "ArrowDown":
		return input.ArrowDown, true
	case "ArrowLeft":
		return input.ArrowLeft, true
	case "ArrowRight":
		return input.ArrowRight, true
	case "Home":
		return input.Home, true
	case "End":
		return input.End, true
	case "PageUp":
		return input.PageUp, true
	case "PageDown":
		return input.PageDown, true
	case "Control":
		return input.ControlLeft, true
	case "Shift":
		return input.ShiftLeft, true
	case "Alt":
		return input.AltLeft, true
	case "Meta":
		return input.MetaLeft, true
	}
	if n, ok := strings.CutPrefix(name, "F"); ok && n != "" {
		fs := []input.Key{input.F1, input.F2, input.F3, input.F4, input.F5, input.F6, input.F7, input.F8, input.F9, input.F10, input.F11, input.F12}
		var i int
		if _, err := fmt.Sscanf(n, "%d", &i); err == nil && i >= 1 && i <= len(fs) && fmt.Sprint(i) == n {
			return fs[i-1], true
		}
	}
	if r, size := utf8.DecodeRuneInString(name); size == len(name) && r > ' ' && r < 0x7f {
		return input.Key(r), true
	}
	return 0, false
}

// press types keys, into the on: element when given (focused first).
func (r *run) press(ctx, sctx context.Context, where string, st scripts.Step) (out stepOutcome, err error) {
	combos, err := scripts.ParseKeys(st.Press)
	if err != nil {
		return out, ferry.Errorf(ferry.ClassInternal, where, "%w", err)
	}
	out.detail = "pressed " + st.Press
	if st.On != "" {
		el, way, err := r.one(sctx, st.On)
		if err != nil {
			return out, err
		}
		out.way = way
		if err := el.Context(sctx).Focus(); err != nil {
			return out, err
		}
	}
	for _, c := range combos {
		ka := r.page.Context(sctx).KeyActions()
		for _, m := range c.Modifiers {
			k, _ := keyOf(m)
			ka = ka.Press(k)
		}
		k, ok := keyOf(c.Key)
		if !ok {
			return out, ferry.Errorf(ferry.ClassInternal, where, "no key %q", c.Key)
		}
		if err := ka.Type(k).Do(); err != nil {
			return out, err
		}
	}
	return out, nil
}

// quietJS resolves once the document has loaded and then seen no DOM
// change for quiet milliseconds: waiting happens in the page, not in
// rounds from Go.
const quietJS = `function (quiet) {
  return new Promise((resolve) => {
    const start = () => {
      let timer;
      const mo = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, quiet); });
      function done() { mo.disconnect(); resolve(true); }
      timer = setTimeout(done, quiet);
      mo.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    };
    if (document.readyState === 'complete') start(); else window.addEventListener('load', start, { once: true });
  });
}`

// Settle times of wait_idle: how long the network and the DOM must stay
// quiet to count as settled.
const (
	idleNetwork = 500 * time.Millisecond
	idleDOM     = 300 * time.Millisecond
)

// waitIdle waits until the page has loaded, no request has been in
// flight for idleNetwork and the DOM has not changed for idleDOM.
func (r *run) waitIdle(ctx, sctx context.Context, where string, st scripts.Step) (out stepOutcome, err error) {
	started := time.Now()
	var busy string
	err = poll(sctx, func() (bool, error) {
		if n, quiet := r.requests.state(); n > 0 || quiet < idleNetwork {
			busy = fmt.Sprintf("%d requests in flight", n)
			return false, nil
		}
		busy = "the DOM kept changing"
		if _, err := r.doc().Context(sctx).Evaluate(rod.Eval(quietJS, idleDOM.Milliseconds()).ByPromise()); err != nil {
			if sctx.Err() != nil {
				return false, sctx.Err()
			}
			return false, nil // navigating: the new document is waited for
		}
		// The DOM was quiet; the network must still be.
		n, quiet := r.requests.state()
		busy = fmt.Sprintf("%d requests in flight", n)
		return n == 0 && quiet >= idleNetwork, nil
	})
	if err != nil {
		return out, ferry.Errorf(ferry.ClassSiteUnavailable, where, "%w", &WaitError{Step: "wait_idle", Want: "a settled page", Page: r.pageURL(),
			Seen: fmt.Sprintf("after %s %s", time.Since(started).Round(time.Millisecond), busy)})
	}
	out.detail = fmt.Sprintf("settled after %s", time.Since(started).Round(time.Millisecond))
	return out, nil
}

// location reads the URL of the document lookups run in.
func (r *run) location(ctx context.Context) (string, error) {
	obj, err := r.doc().Context(ctx).Evaluate(rod.Eval(`() => location.href`).ByUser())
	if err != nil {
		return "", err
	}
	return obj.Value.Str(), nil
}

// waitURL waits until the page's full URL matches the step's pattern.
func (r *run) waitURL(ctx, sctx context.Context, where string, st scripts.Step) (out stepOutcome, err error) {
	expr := scripts.ExpandRegexp(st.WaitURL, r.vars)
	re, err := regexp.Compile(expr)
	if err != nil {
		return out, ferry.Errorf(ferry.ClassInternal, where, "wait_url %q: %w", st.WaitURL, err)
	}
	var last string
	err = poll(sctx, func() (bool, error) {
		u, err := r.location(sctx)
		if err != nil {
			return false, nil
		}
		last = u
		return re.MatchString(u), nil
	})
	if err != nil {
		return out, ferry.Errorf(ferry.ClassSiteChanged, where, "%w", &WaitError{Step: "wait_url", Want: fmt.Sprintf("a URL matching %q", r.mask(st.WaitURL)),
			Page: r.pageURL(), Seen: "the URL is " + r.mask(last)})
	}
	out.detail = "at " + r.mask(last)
	return out, nil
}

// normText collapses white space, as lookups compare texts.
func normText(s string) string { return strings.Join(strings.Fields(s), " ") }

// clip shortens text for traces and messages.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// textJS reads what a person sees of an element: a form control's value,
// else its rendered text; called on the page, the body's.
const textJS = `function () {
  const el = this instanceof Element ? this : document.body;
  if (!el) return '';
  if (['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)) return el.value || '';
  return el.innerText || el.textContent || '';
}`

// waitText waits until the page (or the within element) shows the text.
func (r *run) waitText(ctx, sctx context.Context, where string, st scripts.Step) (out stepOutcome, err error) {
	want, masked := r.expand(st.WaitText)
	want = normText(want)
	var el *rod.Element
	place := "the page"
	if st.Within != "" {
		place = st.Within
	}
	var seen string
	err = poll(sctx, func() (bool, error) {
		var obj *rod.EvalOptions = rod.Eval(textJS)
		if st.Within != "" {
			if el == nil {
				e, way, err := r.one(sctx, st.Within)
				if err != nil {
					return false, err
				}
				el, out.way = e, way
			}
			obj = obj.This(el.Object)
		}
		res, err := r.doc().Context(sctx).Evaluate(obj.ByUser())
		if err != nil {
			el = nil // navigating or re-rendered: look it up again
			return false, nil
		}
		seen = normText(res.Value.Str())
		return strings.Contains(seen, want), nil
	})
	if err != nil {
		if _, ok := err.(*SelectorError); ok {
			return out, err
		}
		return out, ferry.Errorf(ferry.ClassSiteChanged, where, "%w", &WaitError{Step: "wait_text", Want: fmt.Sprintf("the text %q in %s", masked, place),
			Page: r.pageURL(), Seen: fmt.Sprintf("it shows %q", clip(r.mask(seen), 200))})
	}
	out.detail = fmt.Sprintf("%q shown in %s", masked, place)
	return out, nil
}

// inFrame runs the block's steps with lookups inside the iframe.
func (r *run) inFrame(ctx, sctx context.Context, where string, st scripts.Step) (out stepOutcome, err error) {
	started := time.Now()
	fr, way, err := r.frameOf(sctx, st.InFrame)
	if err != nil {
		return out, err
	}
	prev := r.scope
	r.scope = scope{frame: fr, frameName: st.InFrame}
	defer func() { r.scope = prev }()
	r.trace(where, "in_frame", st.InFrame, way, "entered the frame", started, nil)
	return out, r.steps_(ctx, where+".steps", st.Steps)
}

// present tells whether any way of the element finds a visible element
// now, and which way did.
func (r *run) present(ctx context.Context, name string) (bool, string, error) {
	el, err := r.job.Selectors.Element(name)
	if err != nil {
		return false, "", err
	}
	var found bool
	var way string
	err = poll(ctx, func() (bool, error) {
		res, _, _, err := r.lookup(ctx, el)
		if err != nil {
			return false, nil // navigating: ask the new page
		}
		found, way = false, ""
		for _, w := range res {
			if w.Count > 0 {
				found, way = true, w.Way
				break
			}
		}
		return true, nil
	})
	return found, r.scope.label(way), err
}

// repeat runs the block's steps while (or until) its element is present,
// checked before each round. A loop that would run more than max rounds
// is a site_changed naming the step: it never stops silently.
func (r *run) repeat(ctx, sctx context.Context, where string, st scripts.Step) (out stepOutcome, err error) {
	name, while := st.Repeat.Condition()
	verb := "until"
	if while {
		verb = "while"
	}
	for round := 1; ; round++ {
		started := time.Now()
		cctx, cancel := context.WithTimeout(ctx, r.timeout(st))
		isThere, way, err := r.present(cctx, name)
		cancel()
		if err != nil {
			return out, err
		}
		state := "absent"
		if isThere {
			state = "present"
		}
		if isThere != while {
			r.trace(where, "repeat", name, way, fmt.Sprintf("done after %d rounds: %s is %s", round-1, name, state), started, nil)
			return out, nil
		}
		if round > st.Repeat.Max {
			err := ferry.Errorf(ferry.ClassSiteChanged, where, "repeat %s %s: %s is still %s on %s after max %d rounds", verb, name, name, state, r.pageURL(), st.Repeat.Max)
			return out, err
		}
		r.trace(where, "repeat", name, way, fmt.Sprintf("round %d: %s is %s", round, name, state), started, nil)
		if err := r.steps_(ctx, fmt.Sprintf("%s.repeat[%d].steps", where, round), st.Repeat.Steps); err != nil {
			return out, err
		}
	}
}

// elementState is what assert and extract read of an element.
type elementState struct {
	Text  string             `json:"text"`
	Attrs map[string]*string `json:"attrs"`
}

const stateJS = `function (names) {
  const el = this;
  const text = ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) ? (el.value || '') : (el.innerText || el.textContent || '');
  const attrs = {};
  for (const n of names) attrs[n] = el.getAttribute(n);
  return JSON.stringify({ text, attrs });
}`

// state reads an element's text and the named attributes, looking the
// element up again when the page replaced it.
func (r *run) state(ctx context.Context, name string, el **rod.Element, way *string, attrs []string) (elementState, error) {
	var st elementState
	if attrs == nil {
		attrs = []string{} // JSON null would not iterate
	}
	var last error
	for try := 0; try < 3; try++ {
		if *el == nil {
			e, w, err := r.one(ctx, name)
			if err != nil {
				return st, err
			}
			*el, *way = e, w
		}
		obj, err := (*el).Context(ctx).Eval(stateJS, attrs)
		if err != nil {
			*el, last = nil, err // detached by a re-render
			if ctx.Err() != nil {
				return st, ctx.Err()
			}
			continue
		}
		if err := json.Unmarshal([]byte(obj.Value.Str()), &st); err != nil {
			return st, fmt.Errorf("read %s: %w", name, err)
		}
		st.Text = normText(st.Text)
		return st, nil
	}
	return st, fmt.Errorf("element %q kept being replaced while it was read: %w", name, last)
}

// assert checks an element's text, pattern and attributes, waiting up to
// the step's timeout for them to hold. A failure is a site_changed naming
// the element and what was seen.
func (r *run) assert(ctx, sctx context.Context, where string, st scripts.Step) (out stepOutcome, err error) {
	var attrs []string
	want := map[string]string{}
	if st.Attr != nil {
		for k, v := range st.Attr.Values {
			attrs = append(attrs, k)
			want[k], _ = r.expand(v)
		}
		sort.Strings(attrs)
	}
	text, maskedText := r.expand(st.Text)
	text = normText(text)
	var re *regexp.Regexp
	if st.Matches != "" {
		if re, err = regexp.Compile(scripts.ExpandRegexp(st.Matches, r.vars)); err != nil {
			return out, ferry.Errorf(ferry.ClassInternal, where, "matches %q: %w", st.Matches, err)
		}
	}
	var el *rod.Element
	var problem string
	err = poll(sctx, func() (bool, error) {
		s, err := r.state(sctx, st.Assert, &el, &out.way, attrs)
		if err != nil {
			return false, err
		}
		problem = ""
		switch {
		case st.Text != "" && s.Text != text:
			problem = fmt.Sprintf("its text is %q, want %q", clip(r.mask(s.Text), 200), maskedText)
		case re != nil && !re.MatchString(s.Text):
			problem = fmt.Sprintf("its text %q does not match %q", clip(r.mask(s.Text), 200), r.mask(st.Matches))
		}
		for _, a := range attrs {
			if problem != "" {
				break
			}
			switch got := s.Attrs[a]; {
			case got == nil:
				problem = fmt.Sprintf("it has no attribute %s, want %s=%q", a, a, r.mask(want[a]))
			case *got != want[a]:
				problem = fmt.Sprintf("its attribute %s is %q, want %q", a, clip(r.mask(*got), 200), r.mask(want[a]))
			}
		}
		return problem == "", nil
	})
	if problem != "" {
		return out, ferry.Errorf(ferry.ClassSiteChanged, where, "assert %s (%s) on %s: %s", st.Assert, out.way, r.pageURL(), problem)
	}
	if err != nil {
		return out, err
	}
	out.detail = "holds"
	if st.Text != "" || re != nil || len(attrs) > 0 {
		out.detail = fmt.Sprintf("holds: %s", assertion(maskedText, r.mask(st.Matches), attrs, want, r.mask))
	}
	return out, nil
}

func assertion(text, matches string, attrs []string, want map[string]string, mask func(string) string) string {
	var parts []string
	if text != "" {
		parts = append(parts, fmt.Sprintf("text %q", text))
	}
	if matches != "" {
		parts = append(parts, fmt.Sprintf("matches %q", matches))
	}
	for _, a := range attrs {
		parts = append(parts, fmt.Sprintf("%s=%q", a, mask(want[a])))
	}
	return strings.Join(parts, ", ")
}

// extract reads an element's text (or attribute) into ${var.INTO}, cut
// down to the pattern's first group when there is one. Credential values
// are masked out of it before it is kept.
func (r *run) extract(ctx, sctx context.Context, where string, st scripts.Step) (out stepOutcome, err error) {
	var attrs []string
	if st.Attr != nil {
		attrs = []string{st.Attr.Name}
	}
	var el *rod.Element
	s, err := r.state(sctx, st.Extract, &el, &out.way, attrs)
	if err != nil {
		return out, err
	}
	v, from := s.Text, "text"
	if st.Attr != nil {
		from = "attribute " + st.Attr.Name
		got := s.Attrs[st.Attr.Name]
		if got == nil {
			return out, ferry.Errorf(ferry.ClassSiteChanged, where, "extract %s (%s) on %s: it has no attribute %s", st.Extract, out.way, r.pageURL(), st.Attr.Name)
		}
		v = *got
	}
	v = r.mask(v)
	if st.Pattern != "" {
		re, err := regexp.Compile(st.Pattern)
		if err != nil {
			return out, ferry.Errorf(ferry.ClassInternal, where, "pattern %q: %w", st.Pattern, err)
		}
		m := re.FindStringSubmatch(v)
		if m == nil {
			return out, ferry.Errorf(ferry.ClassSiteChanged, where, "extract %s (%s) on %s: its %s %q does not match %q", st.Extract, out.way, r.pageURL(), from, clip(v, 200), st.Pattern)
		}
		v = m[1]
	}
	r.vars["var."+st.Into] = v
	out.detail = fmt.Sprintf("var.%s = %q (from its %s)", st.Into, clip(v, 200), from)
	return out, nil
}
