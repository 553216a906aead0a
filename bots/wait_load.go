package bots

import (
	"context"
	"strings"
	"time"

	"github.com/go-rod/rod"
)

// loadedJS resolves to true once the document has loaded. It resolves
// with a boolean, never with the load event itself: rod's WaitLoad hands
// the event back by value, and a page whose scripts keep a reference to
// the event on it makes that value circular ("Object reference chain is too
// long", go-rod PR #1150).
const loadedJS = `() => new Promise(resolve => {
	if (document.readyState === 'complete') { resolve(true); return; }
	addEventListener('load', () => resolve(true), {once: true});
})`

// waitLoaded waits for the page's load event, within ctx. A navigation
// that replaces the document while it waits (a redirect, a login form
// posting on) destroys the context the wait ran in: it is asked again in
// the new document, until ctx ends.
func waitLoaded(ctx context.Context, page *rod.Page) error {
	for {
		_, err := page.Context(ctx).Eval(loadedJS)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !documentReplaced(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// documentReplaced reports a CDP error that says the document an
// evaluation ran in went away under it: a navigation, not a failure.
func documentReplaced(err error) bool {
	msg := err.Error()
	for _, s := range []string{"Execution context was destroyed", "Cannot find context with specified id", "Inspected target navigated or closed"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
