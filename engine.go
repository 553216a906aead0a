package ferry

import (
	"context"
	"time"
)

// Engine runs bots in a browser, as the runner sees it. Its type
// parameters are the loaded bot script (S), the site's selector file (F)
// and one way of finding an element (W): *scripts.Script,
// *selectors.File and selectors.Way in Ferry. The domain package names
// none of them because those packages import it; the parameters keep the
// runner and the engine type-checked against each other all the same.
type Engine[S, F, W any] interface {
	// Execute runs job in a fresh browser context isolated from every
	// other run, and closes that context before it returns.
	//
	// The result is nil only when no context could be opened, and then the
	// error is ClassInternal. Otherwise it is returned with or without an
	// error, holding the trace, the fingerprints and heals of the run and,
	// when the run failed, Evidence: the caller keeps them either way.
	//
	// A non-nil error is the run's failure; ClassOf(err) decides what
	// happens next (ClassCredentialsRejected, ClassSiteChanged,
	// ClassSiteUnavailable, ClassSessionExpired, ClassInputNeeded,
	// ClassInternal). An error returned by job.OnDownload ends the run and
	// is returned wrapped. When ctx ends, Execute stops at the next step
	// and returns an error that wraps ctx's; what it reports then (a
	// selector that "matched nothing" because the wait was cut short) is
	// not evidence of a changed site, and the caller should tell the two
	// apart by ctx. Secrets in job.Credential never appear in the error,
	// the trace, the evidence or the logs.
	//
	// The engine logs to the logger ctx carries (zerolog.Ctx in Ferry),
	// with the fields the caller put there.
	Execute(ctx context.Context, job BrowserJob[S, F]) (*BrowserResult[W], error)
}

// BrowserJob is what one attempt of a run needs from the browser engine.
type BrowserJob[S, F any] struct {
	RunID     int64
	Script    S // the bot's steps
	Selectors F // the site's selector file, at the version this run uses
	BaseURL   string
	Params    RunParams
	// Credential is the login; its fields are masked in everything the
	// engine reports.
	Credential Credential
	// SkipAccounts lists accounts an earlier attempt of this run already
	// downloaded completely: the attempt resumes after them.
	SkipAccounts map[string]bool
	// StepTimeout bounds each wait for an element (0: the engine's
	// default).
	StepTimeout time.Duration
	// Now is the clock for one-time codes (nil: time.Now).
	Now func() time.Time
	// OnStep is told each step as it ends, for live progress.
	OnStep func(Step)
	// OnDownload is told each download as it is captured, so that the
	// caller stores it at once; an error from it ends the run.
	OnDownload func(BrowserDownload) error
	// Fingerprints are the elements as earlier runs last saw them: the
	// healer's reference.
	Fingerprints []ElementFingerprint
	// HealPolicy is "off", "propose" or "read_only" (empty: read_only).
	HealPolicy string
	// LoginState is the browser state an earlier run saved (JSON, clear:
	// held in memory only), restored before the first step; nil: log in
	// fresh. SaveLoginState asks for the state after a successful run.
	LoginState     []byte
	SaveLoginState bool
	// Ask puts a challenge to a person (see Asker); nil: a run that meets
	// one fails as ClassInputNeeded.
	Ask Asker
}

// BrowserDownload is a file the engine captured.
type BrowserDownload struct {
	Account string
	Format  string
	Name    string
	MIME    string
	Data    []byte
}

// BrowserResult is what a run of a bot produced in the browser.
type BrowserResult[W any] struct {
	// RowsSeen counts result-table rows per account across pages.
	RowsSeen map[string]int
	Accounts []string
	Trace    []Step
	// Evidence is set when the run failed.
	Evidence *BrowserEvidence
	// Fingerprints of the elements this run found.
	Fingerprints []ElementFingerprint
	// Heals the healer made in this run, for review.
	Heals []SelectorHeal[W]
	// LoginState is the browser state after a successful run, with
	// SaveLoginState (JSON, clear: the caller seals it); Session is what
	// became of job.LoginState: "", restored, unchecked, expired,
	// restore_failed.
	LoginState []byte
	Session    string
}

// BrowserEvidence is what a failed run leaves for ops.
type BrowserEvidence struct {
	// Report is the engine's account of the failure as JSON: page, step,
	// selector, the ways tried and what each found, the step trace.
	Report     []byte
	Screenshot []byte // PNG
	HTML       string
}

// ElementFingerprint is what a successful lookup saw of an element.
type ElementFingerprint struct {
	Element string
	Variant string // the page's UI variant, when the selector file has variants
	Page    string
	Data    []byte // JSON: tag, role, names, text, attributes, ancestors, position
}

// SelectorHeal is a repair of one selector the healer found: the ways
// that find the element on the changed page, and why.
type SelectorHeal[W any] struct {
	Element   string
	Variant   string
	Page      string
	Score     float64
	RunnerUp  float64
	Breakdown map[string]float64
	Ways      []W  // ways that find it, and only it; the first is proposed
	Accepted  bool // score and margin clear the engine's thresholds
	Reason    string
	Used      bool // a read-only step used it in this run
	Dismiss   bool // an overlay to dismiss, not a changed element
	Before    []byte
	After     []byte // PNG screenshots: as found, and with the element outlined
}
