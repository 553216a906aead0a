package bots

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
	"github.com/ysmood/gson"
)

// staleAttempts bounds how often a step looks an element up again after
// the page replaced it between the lookup and the action.
const staleAttempts = 4

// isStale reports a page-state race: the element or document is gone,
// and looking the element up again may well succeed.
func isStale(err error) bool {
	if err == nil {
		return false
	}
	var onf *rod.ObjectNotFoundError
	if errors.As(err, &onf) {
		return true
	}
	msg := err.Error()
	// CDP's and rod's ways of saying that the element or the document a
	// call named went away under it: a re-render, a navigation, a frame
	// replaced. They are page-state races, not failures.
	for _, s := range [...]string{
		"Node is detached from document",
		"Cannot find context with specified id",
		"Object reference chain is too long",
		"Execution context was destroyed",
		"Inspected target navigated or closed",
		"Could not find node with given id",
		"No node with given id found",
		"Cannot find object with id",
		"Could not compute content quads",
		"Node does not have a layout object",
		"element detached", // lookup.js's own report
		"the element went away",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// StaleError is an element the page kept replacing between its lookup and
// the action, more often than the engine looks again: a transient
// page-state race (site_unavailable, retried with the run), never an
// internal error.
type StaleError struct {
	Element  string
	Page     string
	Attempts int
	Err      error
}

// Error names the selector, the page and the last race.
func (e *StaleError) Error() string {
	return fmt.Sprintf("selector %q on %s: the page replaced the element %d times between lookup and action: %v", e.Element, e.Page, e.Attempts, e.Err)
}

// Unwrap returns the last CDP error.
func (e *StaleError) Unwrap() error { return e.Err }

// withFresh looks element name up and acts on it, and when the page
// replaced the element (or its document) in between, looks it up again,
// up to staleAttempts times within ctx. Errors that are not races return
// at once.
func (r *run) withFresh(ctx context.Context, where, name string, act func(el *rod.Element) error) (string, error) {
	var last error
	for a := 1; a <= staleAttempts; a++ {
		el, way, err := r.one(ctx, name)
		if err != nil {
			return way, err
		}
		err = act(el)
		if err == nil || !isStale(err) {
			return way, err
		}
		last = err
		r.log.Debug().Str("element", name).Int("attempt", a).Err(err).Msg("the page replaced the element; looking it up again")
		if ctx.Err() != nil {
			break
		}
	}
	return "", ferry.Errorf(ferry.ClassSiteUnavailable, where, "%w", &StaleError{Element: name, Page: r.pageURLWithin(ctx), Attempts: staleAttempts, Err: last})
}

// fillElement types v into el as a person would: focus, select what is
// there, type (trusted input events), then the change event. Three calls
// where rod's SelectAllText and Input make about twenty.
func (r *run) fillElement(ctx context.Context, el *rod.Element, v string) error {
	for {
		obj, err := lookupCall(ctx, r.doc(), el, callOpts{}, nil, -1, "fill", v)
		if err != nil {
			return err
		}
		switch st := obj.Value.Str(); st {
		case "ok":
		case "detached":
			return errors.New("element detached from document (re-rendered)")
		case "disabled", "unfocused":
			// Not writable yet (a script enables it, a modal holds the
			// focus): look again shortly, until the step's deadline.
			select {
			case <-ctx.Done():
				return fmt.Errorf("the field stayed %s: %w", st, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
			continue
		default:
			return fmt.Errorf("fill: unexpected state %q", st)
		}
		break
	}
	if v != "" {
		if err := (proto.InputInsertText{Text: v}).Call(r.page.Context(ctx)); err != nil {
			return err
		}
	}
	obj, err := lookupCall(ctx, r.doc(), el, callOpts{}, nil, -1, "typed", nil)
	if err != nil {
		return err
	}
	if obj.Value.Str() == "detached" {
		return errors.New("element detached from document while typing (re-rendered)")
	}
	return nil
}

// pageURLWithin is pageURL with a deadline of its own: the step's may be
// spent when a message needs the page.
func (r *run) pageURLWithin(ctx context.Context) string {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	info, err := r.page.Context(c).Info()
	if err != nil {
		return "(unknown page)"
	}
	return info.URL
}

// clickElement clicks el as a person would: the mouse moves to a point
// inside it, presses and releases. Every call carries ctx, the step's
// deadline: rod's Element.Click sends its mouse events through the page
// it was made from, whose context has none, so a click that opens a
// dialog blocked the run past every timeout.
func (r *run) clickElement(ctx context.Context, el *rod.Element) error {
	for {
		obj, err := lookupCall(ctx, r.doc(), el, callOpts{}, nil, -1, "point", nil)
		if err != nil {
			return err
		}
		st := obj.Value.Str()
		if st == "ok" {
			break
		}
		if st == "detached" {
			return errors.New("element detached from document (re-rendered)")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the element stayed %s: %w", st, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	shape, err := el.Context(ctx).Shape()
	if err != nil {
		return err
	}
	pt := shape.OnePointInside()
	if pt == nil {
		return errors.New("element detached from document: it has no box to click")
	}
	p := r.page.Context(ctx)
	for _, ev := range []proto.InputDispatchMouseEvent{
		{Type: proto.InputDispatchMouseEventTypeMouseMoved, X: pt.X, Y: pt.Y, Button: proto.InputMouseButtonNone},
		{Type: proto.InputDispatchMouseEventTypeMousePressed, X: pt.X, Y: pt.Y, Button: proto.InputMouseButtonLeft, Buttons: gson.Int(1), ClickCount: 1},
		{Type: proto.InputDispatchMouseEventTypeMouseReleased, X: pt.X, Y: pt.Y, Button: proto.InputMouseButtonLeft, Buttons: gson.Int(0), ClickCount: 1},
	} {
		if err := ev.Call(p); err != nil {
			return err
		}
	}
	return nil
}

// pagePathWithin is pageURL (the page's path, for messages) with a
// deadline of its own.
func (r *run) pagePathWithin(ctx context.Context) string {
	u := r.pageURLWithin(ctx)
	if p, err := url.Parse(u); err == nil && p.Path != "" {
		return p.Path
	}
	return u
}
