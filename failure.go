package ferry

import (
	"errors"
	"fmt"
)

// FailureClass says why a run failed, and so what the runner does next.
type FailureClass string

// The failure classes of ARCHITECTURE.md.
const (
	// ClassCredentialsRejected: wrong password, locked account. Never retried:
	// a retry can lock the account.
	ClassCredentialsRejected FailureClass = "credentials_rejected"
	// ClassInputNeeded: the site asks a person for a code.
	ClassInputNeeded FailureClass = "input_needed"
	// ClassSessionExpired: the site logged the bot out mid-run.
	ClassSessionExpired FailureClass = "session_expired"
	// ClassSiteChanged: a selector matched nothing or several elements. No
	// blind retry; ops are told which selector on which page.
	ClassSiteChanged FailureClass = "site_changed"
	// ClassSiteUnavailable: 5xx, time-outs, maintenance. Retried with
	// backoff and jitter, a bounded number of times.
	ClassSiteUnavailable FailureClass = "site_unavailable"
	// ClassDocumentChanged: a parser no longer recognises a downloaded file.
	ClassDocumentChanged FailureClass = "document_changed"
	// ClassValidationFailed: a statement does not reconcile.
	ClassValidationFailed FailureClass = "validation_failed"
	// ClassDeliveryFailed: the finance system is down or rejects a record.
	ClassDeliveryFailed FailureClass = "delivery_failed"
	// ClassInternal: a bug or an environment problem in Ferry itself.
	ClassInternal FailureClass = "internal"
)

// Retryable reports whether a run that failed with class c may be tried
// again automatically.
func (c FailureClass) Retryable() bool {
	switch c {
	case ClassSiteUnavailable, ClassSessionExpired:
		return true
	}
	return false
}

// Error is a failure with a class. Bots, parsers and sinks return it (or wrap
// it) so that the runner can decide without string matching.
type Error struct {
	Class FailureClass
	// Where names the place: a step path, a selector, a file and line.
	Where string
	Err   error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Where == "" {
		return fmt.Sprintf("%s: %v", e.Class, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Class, e.Where, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of class c.
func Errorf(c FailureClass, where, format string, args ...any) *Error {
	return &Error{Class: c, Where: where, Err: fmt.Errorf(format, args...)}
}

// ClassOf returns the failure class of err: the class of the outermost
// *Error in its chain, or ClassInternal.
func ClassOf(err error) FailureClass {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Class
	}
	return ClassInternal
}
