package bots

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// What to do with a JavaScript dialog (sites.X.dialogs.KIND).
const (
	// DialogAccept presses OK (for a prompt: with its default text).
	DialogAccept = "accept"
	// DialogDismiss presses Cancel.
	DialogDismiss = "dismiss"
	// DialogFail dismisses the dialog and fails the run, naming its text:
	// the script did not expect the site to ask.
	DialogFail = "fail"
)

// DialogPolicy says, per kind of dialog, whether to accept, dismiss or
// fail. An empty field takes the default: accept an alert (its text is
// recorded in the trace) and a beforeunload; fail on a confirm or a
// prompt, since answering a question the script never expected could
// delete or submit something.
type DialogPolicy struct {
	Alert        string `json:"alert,omitempty" yaml:"alert,omitempty"`
	Confirm      string `json:"confirm,omitempty" yaml:"confirm,omitempty"`
	Prompt       string `json:"prompt,omitempty" yaml:"prompt,omitempty"`
	BeforeUnload string `json:"beforeunload,omitempty" yaml:"beforeunload,omitempty"`
}

// Validate reports a policy that is not accept, dismiss or fail.
func (p DialogPolicy) Validate() error {
	for _, x := range []struct{ kind, v string }{{"alert", p.Alert}, {"confirm", p.Confirm}, {"prompt", p.Prompt}, {"beforeunload", p.BeforeUnload}} {
		switch x.v {
		case "", DialogAccept, DialogDismiss, DialogFail:
		default:
			return fmt.Errorf("dialogs.%s: %q is not %s, %s or %s", x.kind, x.v, DialogAccept, DialogDismiss, DialogFail)
		}
	}
	return nil
}

// For returns what to do with a dialog of the given kind.
func (p DialogPolicy) For(kind proto.PageDialogType) string {
	pick := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	switch kind {
	case proto.PageDialogTypeAlert:
		return pick(p.Alert, DialogAccept)
	case proto.PageDialogTypeConfirm:
		return pick(p.Confirm, DialogFail)
	case proto.PageDialogTypePrompt:
		return pick(p.Prompt, DialogFail)
	case proto.PageDialogTypeBeforeunload:
		return pick(p.BeforeUnload, DialogAccept)
	}
	return DialogFail
}

// DialogError is a dialog the site's policy fails the run on.
type DialogError struct {
	Kind    string // alert, confirm, prompt, beforeunload
	Message string // its text, secrets masked
	Page    string // the page's URL, secrets masked
}

func (e *DialogError) Error() string {
	return fmt.Sprintf("the site opened a %s dialog %q on %s, and the site's dialog policy fails on it (set dialogs: {%s: accept} or dismiss under the site in the config if the bot should answer it)",
		e.Kind, e.Message, e.Page, e.Kind)
}

// dialogWatch answers the page's dialogs as they open, on the event
// goroutine, and hands what happened to the run's goroutine: trace
// entries to append and the failure, if any.
type dialogWatch struct {
	policy  DialogPolicy
	secrets []string // the run's typed secrets in every form, fixed at setup
	mu      sync.Mutex
	pending []ferry.Step
	failed  *DialogError
	// answering counts dialogs being answered: their trace steps are not
	// in pending yet, and drain waits for them (a failing dialog cancels
	// the run before it is answered).
	answering int
}

func (d *dialogWatch) mask(s string) string {
	for _, x := range d.secrets {
		s = strings.ReplaceAll(s, x, masked)
	}
	return s
}

// drain returns the dialogs seen since the last drain, waiting briefly
// for those still being answered.
func (d *dialogWatch) drain() []ferry.Step {
	if d == nil {
		return nil
	}
	for end := time.Now().Add(2 * time.Second); ; {
		d.mu.Lock()
		if d.answering == 0 || time.Now().After(end) {
			out := d.pending
			d.pending = nil
			d.mu.Unlock()
			return out
		}
		d.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
}

// failure is the dialog that failed the run, if one did.
func (d *dialogWatch) failure() *DialogError {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failed
}

// watchDialogs answers every dialog of page by the policy. A dialog the
// policy fails on is dismissed (so the page never hangs on it) and cancels
// the run with a DialogError. It returns the watcher to run on its own
// goroutine; it ends with page's context.
func (r *run) watchDialogs(page *rod.Page, policy DialogPolicy, cancel context.CancelCauseFunc) (func(), error) {
	if err := (proto.PageEnable{}).Call(page); err != nil {
		return nil, fmt.Errorf("enable page events: %w", err)
	}
	d := &dialogWatch{policy: policy, secrets: r.secretForms()}
	r.dialogs = d
	return page.EachEvent(func(e *proto.PageJavascriptDialogOpening) {
		started := time.Now()
		action := policy.For(e.Type)
		text, where := d.mask(e.Message), d.mask(maskQueryOf(e.URL))
		st := ferry.Step{RunID: r.job.RunID, Path: "dialog", Action: string(e.Type), Status: ferry.StepOK, Started: started}
		switch action {
		case DialogAccept:
			st.Detail = fmt.Sprintf("%q accepted", text)
		case DialogDismiss:
			st.Detail = fmt.Sprintf("%q dismissed", text)
		default:
			st.Status = ferry.StepFailed
			st.Detail = fmt.Sprintf("%q dismissed; the site's dialog policy fails on a %s", text, e.Type)
		}
		// The failure is recorded before the dialog is answered, so that
		// whatever the steps return, the run fails with it.
		var fail *DialogError
		d.mu.Lock()
		if action == DialogFail && d.failed == nil {
			fail = &DialogError{Kind: string(e.Type), Message: text, Page: where}
			d.failed = fail
		}
		d.answering++
		d.mu.Unlock()
		if fail != nil {
			// Before the answer: the step blocked on the dialog ends with
			// it, and no later step runs.
			cancel(fail)
		}
		h := proto.PageHandleJavaScriptDialog{Accept: action == DialogAccept}
		if e.Type == proto.PageDialogTypePrompt && h.Accept {
			h.PromptText = e.DefaultPrompt
		}
		if err := h.Call(page); err != nil {
			st.Status = ferry.StepFailed
			st.Detail += fmt.Sprintf(" (answering it failed: %v)", err)
		}
		st.Duration = time.Since(started)
		d.mu.Lock()
		d.pending = append(d.pending, st)
		d.answering--
		d.mu.Unlock()
	}), nil
}

// maskQueryOf masks the secret-named query parameters of a URL (typed
// secrets are masked by the caller).
func maskQueryOf(raw string) string {
	before, q, ok := strings.Cut(raw, "?")
	if !ok {
		return raw
	}
	q, frag, hasFrag := strings.Cut(q, "#")
	out := before + "?" + maskQuery(q)
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// appendDialogs moves the dialogs seen so far into the trace and the log.
func (r *run) appendDialogs() {
	for _, st := range r.dialogs.drain() {
		r.seq++
		st.Seq = r.seq
		r.res.Trace = append(r.res.Trace, st)
		ev := r.log.Info()
		if st.Status == ferry.StepFailed {
			ev = r.log.Warn()
		}
		ev.Str("step", st.Path).Str("action", st.Action).Str("detail", st.Detail).Msg(string(st.Status))
		if r.job.OnStep != nil {
			r.job.OnStep(st)
		}
	}
}
