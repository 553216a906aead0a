package bots

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/go-rod/rod/lib/cdp"
)

// CDP's page-state races are stale (looked up again), other errors are not.
func TestIsStale(t *testing.T) {
	for _, msg := range []string{
		"{-32000 Node is detached from document }",
		"{-32000 Cannot find context with specified id }",
		"{-32000 Object reference chain is too long }",
		"{-32000 Execution context was destroyed. }",
		"element detached from document (re-rendered)",
	} {
		if !isStale(&cdp.Error{Code: -32000, Message: msg}) && !isStale(errors.New(msg)) {
			t.Errorf("%q is not taken for stale", msg)
		}
	}
	for _, err := range []error{errors.New("net::ERR_CONNECTION_REFUSED"), fmt.Errorf("selector %q matched 0", "x"), nil} {
		if isStale(err) {
			t.Errorf("%v is taken for stale", err)
		}
	}
}

// A stale element that stays stale is transient (site_unavailable, which
// the runner retries), never internal, and the message names the selector
// and the page.
func TestStaleErrorNamesTheSelector(t *testing.T) {
	err := ferry.Errorf(ferry.ClassSiteUnavailable, "steps[3]", "%w", &StaleError{Element: "statement.search", Page: "http://bank/statements", Attempts: staleAttempts,
		Err: errors.New("{-32000 Node is detached from document }")})
	if c := ferry.ClassOf(err); c != ferry.ClassSiteUnavailable || !c.Retryable() {
		t.Fatalf("class %s", c)
	}
	for _, want := range []string{`"statement.search"`, "http://bank/statements", "Node is detached"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %s", err, want)
		}
	}
	var se *StaleError
	if !errors.As(err, &se) {
		t.Fatal("not a StaleError")
	}
}
