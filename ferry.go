// Package ferry holds Ferry's domain: runs and their steps, artifacts,
// statements and statement lines, record dedup keys and the failure classes
// that decide what the runner does when a bot fails. It imports only the
// standard library and the decimal type, so every other package can share it.
package ferry

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// RunStatus is where a run is in its life.
type RunStatus string

// The run statuses. A run ends in exactly one of Succeeded, Failed or Held.
const (
	RunQueued    RunStatus = "queued"
	RunRunning   RunStatus = "running"
	RunSucceeded RunStatus = "succeeded"
	RunFailed    RunStatus = "failed"
	// RunHeld means the bot finished but some records were held back, for
	// example a statement that does not reconcile.
	RunHeld RunStatus = "held"
)

// Run is one execution of a bot: scheduled (Schedule and Slot set) or ad hoc.
type Run struct {
	ID         int64
	Bot        string
	Login      string // the credential name; two runs of a bot never share one at once
	Schedule   string // empty for ad-hoc runs
	Slot       time.Time
	Params     RunParams
	Status     RunStatus
	Class      FailureClass // set when Status is RunFailed
	Error      string
	Attempt    int
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	// SelectorVersion is the version of the selector file the run used.
	SelectorVersion string
}

// RunParams are the parameters a person or a schedule gives a bot.
type RunParams struct {
	From     Date     `json:"from,omitempty"`
	To       Date     `json:"to,omitempty"`
	Accounts []string `json:"accounts,omitempty"`
}

// StepStatus is the outcome of one step.
type StepStatus string

// Step outcomes.
const (
	StepOK     StepStatus = "ok"
	StepFailed StepStatus = "failed"
)

// Step is one traced action of a run, in order. Detail never holds a secret:
// filled secret values are recorded as a mask.
type Step struct {
	RunID    int64
	Seq      int
	Path     string // where in the script, e.g. "steps[4].for_each_account[1].steps[2]"
	Action   string
	Element  string // the selector name, when the step touched an element
	Way      string // which way of the selector found it
	Detail   string
	Status   StepStatus
	Started  time.Time
	Duration time.Duration
}

// Artifact is a file a bot produced: a download or a piece of evidence.
// Files are stored once on disk, named by their SHA-256.
type Artifact struct {
	ID       int64
	RunID    int64
	Kind     string // "download" or "evidence"
	Name     string // the file name the site gave, or the evidence part
	SHA256   string
	Size     int64
	MIME     string
	Account  string // the account the download belongs to, if any
	Format   string // xlsx, csv, pdf, png, html, json
	Captured time.Time
}

// SHA256Hex returns the hex SHA-256 of b, the name an artifact is stored under.
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Statement is one account's statement for a period, as a bank issues it.
type Statement struct {
	Account  string
	Name     string // account holder or account label
	Currency string
	From, To Date
	Opening  decimal.Decimal
	Closing  decimal.Decimal
	Lines    []StatementLine
	// NoBalances is set when the file states no opening and closing
	// balance (a camt.054 notification, say): there is nothing to reconcile.
	NoBalances bool
	// Balances are every balance the file states (opening, closing,
	// available, forward ...), in file order.
	Balances []Balance
	// ID is the statement's own identifier in the file, if it has one.
	ID string
	// Notes say how the reader understood the file where it had to infer
	// it: which column served as what, the text encoding, the year of
	// dates printed without one. They are for a person reviewing the parse.
	Notes []string
	// Warnings name what the reader could not read but did not need to
	// refuse the file for, such as image-only pages of a PDF.
	Warnings []string
}

// Balance is one stated balance of an account.
type Balance struct {
	Type     string // opening, closing, opening_available, closing_available, interim, forward_available, ...
	Amount   decimal.Decimal
	Currency string
	Date     Date
}

// StatementLine is one booked transaction of a statement.
type StatementLine struct {
	Account      string
	BookingDate  Date
	ValueDate    Date
	Amount       decimal.Decimal // positive: credit to the account; negative: debit
	Currency     string
	Counterparty string
	Description  string
	// Reference is a reference the line carries (end-to-end id, customer
	// reference, the bank's own number): it may be a placeholder such as
	// NOTPROVIDED or NONREF, and need not be unique.
	Reference string
	// TransactionID is the bank's own identifier of the transaction,
	// unique per account, where the format carries one (camt AcctSvcrRef,
	// OFX FITID, the MT940 bank reference after "//", a BAI2 bank
	// reference). Empty when the file has none or only a placeholder.
	TransactionID string
	BalanceAfter  decimal.Decimal
	// Details is the bank's own unparsed transaction text (an MT940 :86:
	// field, say), kept whole for matching and for people.
	Details string
}

// DedupKey is the line's stable identity, the same from every format and
// every rerun: the bank's own reference where the line has one (with the
// account), otherwise a hash of account, booking date, amount, currency,
// counterparty and description. occurrence is the line's index among the
// statement's lines with that same identity (see Statement.DedupKeys), so
// two genuine identical fees on one day stay two records.
func (l StatementLine) DedupKey(occurrence int) string {
	acct := strings.ToUpper(strings.TrimSpace(l.Account))
	var parts []string
	if ref := strings.TrimSpace(l.Reference); ref != "" {
		parts = []string{"ref", acct, ref}
	} else {
		norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
		parts = []string{"line", acct, l.BookingDate.String(), l.Amount.StringFixed(2), strings.ToUpper(l.Currency), norm(l.Counterparty), norm(l.Description)}
	}
	parts = append(parts, fmt.Sprint(occurrence))
	return "sl_" + SHA256Hex([]byte(strings.Join(parts, "\x1f")))[:40]
}

// DedupKeys returns every line's dedup key, counting identical lines in
// order.
func (s Statement) DedupKeys() []string {
	seen := map[string]int{}
	out := make([]string, len(s.Lines))
	for i, l := range s.Lines {
		base := l.DedupKey(0)
		n := seen[base]
		seen[base] = n + 1
		out[i] = l.DedupKey(n)
	}
	return out
}

// ErrUnreconciled reports a statement whose lines do not add up.
var ErrUnreconciled = errors.New("statement does not reconcile")

// Reconcile checks that opening balance plus every line equals the closing
// balance, and that each line's balance-after follows from the one before.
// The error names the first line that breaks the chain.
func (s Statement) Reconcile() error {
	if s.NoBalances {
		return nil
	}
	bal := s.Opening
	for i, l := range s.Lines {
		bal = bal.Add(l.Amount)
		if !l.BalanceAfter.IsZero() || bal.IsZero() {
			if !bal.Equal(l.BalanceAfter) {
				return fmt.Errorf("%w: account %s line %d (ref %s): running balance %s, statement says %s",
					ErrUnreconciled, s.Account, i+1, l.Reference, bal.StringFixed(2), l.BalanceAfter.StringFixed(2))
			}
		}
	}
	if !bal.Equal(s.Closing) {
		return fmt.Errorf("%w: account %s: opening %s + lines = %s, closing balance is %s",
			ErrUnreconciled, s.Account, s.Opening.StringFixed(2), bal.StringFixed(2), s.Closing.StringFixed(2))
	}
	return nil
}

// Date is a calendar date without a time of day, as banks book transactions.
// It marshals as YYYY-MM-DD.
type Date struct{ t time.Time }

// NewDate returns the date y-m-d.
func NewDate(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// DateOf returns the calendar date of t in t's own zone.
func DateOf(t time.Time) Date { return NewDate(t.Date()) }

// ParseDate reads YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or YYYY年MM月DD日.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "2006/01/02", "20060102", "2006年01月02日", "2006-1-2", "2006/1/2"} {
		if t, err := time.Parse(layout, s); err == nil {
			return Date{t}, nil
		}
	}
	return Date{}, fmt.Errorf("not a date: %q (want YYYY-MM-DD)", s)
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Time returns midnight of d in loc.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.t.Year(), d.t.Month(), d.t.Day(), 0, 0, 0, 0, loc)
}

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.t.Before(e.t) }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.t.After(e.t) }

// String returns YYYY-MM-DD, or "" for the zero date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format("2006-01-02")
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Credential is a named login for a site: fields such as user, password and
// a TOTP seed. Its String and its JSON form never show the values.
type Credential struct {
	Name   string
	Fields map[string]string
}

// String implements fmt.Stringer without revealing any field value.
func (c Credential) String() string {
	keys := make([]string, 0, len(c.Fields))
	for k := range c.Fields {
		keys = append(keys, k+"=******")
	}
	return fmt.Sprintf("credential %s {%s}", c.Name, strings.Join(keys, " "))
}

// MarshalJSON hides the values.
func (c Credential) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%q", c.String())), nil
}
