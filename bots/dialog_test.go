package bots_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
)

// An alert is accepted and its text recorded; the run goes on.
func TestDialogAlertAcceptedAndTraced(t *testing.T) {
	t.Parallel()
	base := k11Site(t)
	res, err := runK11(t, base, bots.SiteOptions{}, `  - open: "${site.url}/alert"
  - click: go.button
  - wait: done
`)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	al := traced(res, "alert")
	if len(al) != 1 || al[0].Path != "dialog" || !strings.Contains(al[0].Detail, `"Your session ends in 5 minutes" accepted`) {
		t.Fatalf("alert not traced as one: %+v", res.Trace)
	}
}

// A confirm fails the run by default, at once and naming its text; the
// click never hangs on it. A site whose policy accepts it goes on.
func TestDialogConfirmFailsByDefaultAcceptedByPolicy(t *testing.T) {
	t.Parallel()
	base := k11Site(t)
	res, err := runK11(t, base, bots.SiteOptions{}, `  - open: "${site.url}/confirm"
  - click: go.button
  - wait: done
`)
	var de *bots.DialogError
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || !errors.As(err, &de) || de.Kind != "confirm" ||
		!strings.Contains(err.Error(), `confirm dialog "Delete all statements?"`) {
		t.Fatalf("got %v, want site_changed naming the confirm", err)
	}
	// The run stopped at the dialog: the wait after it never ran (it would
	// have waited its 20 s for an element the dismissed confirm never shows).
	if w := traced(res, "wait"); len(w) != 0 {
		t.Fatalf("the run went on after the failing confirm: %+v", w)
	}
	if c := traced(res, "confirm"); len(c) != 1 || c[0].Status != ferry.StepFailed {
		t.Fatalf("confirm not traced as failed: %+v", res.Trace)
	}
	if res.Evidence == nil || !strings.Contains(res.Evidence.Error, "Delete all statements?") {
		t.Fatalf("evidence: %+v", res.Evidence)
	}

	res, err = runK11(t, base, bots.SiteOptions{Dialogs: bots.DialogPolicy{Confirm: bots.DialogAccept}}, `  - open: "${site.url}/confirm"
  - click: go.button
  - wait: done
`)
	if err != nil {
		t.Fatalf("with confirm: accept: %v", err)
	}
	if c := traced(res, "confirm"); len(c) != 1 || !strings.Contains(c[0].Detail, "accepted") {
		t.Fatalf("confirm not traced: %+v", res.Trace)
	}
}

// A prompt fails by default; accepted, it gets its default text.
func TestDialogPromptPolicy(t *testing.T) {
	t.Parallel()
	base := k11Site(t)
	steps := `  - open: "${site.url}/prompt"
  - click: go.button
  - wait: done
`
	_, err := runK11(t, base, bots.SiteOptions{}, steps)
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || !strings.Contains(err.Error(), `prompt dialog "Reason for export?"`) {
		t.Fatalf("got %v, want site_changed naming the prompt", err)
	}
	if _, err := runK11(t, base, bots.SiteOptions{Dialogs: bots.DialogPolicy{Prompt: bots.DialogAccept}}, steps); err != nil {
		t.Fatalf("with prompt: accept: %v", err)
	}
}

// A beforeunload on a page the bot leaves is accepted by default: the
// click navigates instead of blocking the run for ever.
func TestDialogBeforeUnloadAccepted(t *testing.T) {
	t.Parallel()
	base := k11Site(t)
	res, err := runK11(t, base, bots.SiteOptions{}, `  - open: "${site.url}/leave"
  - fill: note
    value: unsaved work
  - click: next.link
  - wait: done
`)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if b := traced(res, "beforeunload"); len(b) != 1 || !strings.Contains(b[0].Detail, "accepted") {
		t.Fatalf("beforeunload not traced: %+v", res.Trace)
	}
}

func TestSiteOptionsValidate(t *testing.T) {
	for _, o := range []bots.SiteOptions{
		{Window: bots.Window{Width: 1280}},
		{Window: bots.Window{Width: -1, Height: 5}},
		{Device: "fridge"},
		{Dialogs: bots.DialogPolicy{Alert: "maybe"}},
	} {
		if o.Validate() == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	if err := (bots.SiteOptions{Window: bots.Window{Width: 1024, Height: 768}, Device: "mobile", Dialogs: bots.DialogPolicy{Confirm: "accept"}}).Validate(); err != nil {
		t.Error(err)
	}
}

// A confirm opened by the run's last step still fails the run.
func TestDialogConfirmOnTheLastStepFails(t *testing.T) {
	t.Parallel()
	base := k11Site(t)
	_, err := runK11(t, base, bots.SiteOptions{}, `  - open: "${site.url}/confirm"
  - click: go.button
`)
	var de *bots.DialogError
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || !errors.As(err, &de) {
		t.Fatalf("got %v, want the confirm to fail the run", err)
	}
}
