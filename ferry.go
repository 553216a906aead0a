// Package ferry holds Ferry's domain: runs and their steps, artifacts,
// statements and statement lines, record dedup keys and the failure classes
// that decide what the runner does when a bot fails. It imports only the
// standard library and the decimal type, so every other package can share it.
package ferry

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

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
	ID    int64
	Bot   string
	Login string // the credential name
	// Site is the site the run logs in to (a name in the configuration's
	// sites); empty for the script's own site.
	Site       string
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
	// Values are the bot's own parameters (declared by its script, with
	// types and defaults), as given: `ferry run BOT --param k=v`, a
	// schedule's params, the console.
	Values map[string]string `json:"values,omitempty"`
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

// DedupKey is the line's identity for exactly-once delivery: the same for
// the same transaction read again (a rerun, a longer period that contains
// the same days, another export of the bank that carries the same facts),
// and different for different transactions.
//
// What counts as "the same transaction":
//   - A line with a TransactionID (the bank's own id, unique per account) is
//     that id within its account, on its own: descriptions, references and
//     value dates may differ between the bank's formats.
//   - A line without one is its account, booking date, amount, currency,
//     counterparty, description and reference, where a placeholder
//     reference (NOTPROVIDED, NONREF, NONE, "-", all zeros ...) counts as no
//     reference (see NormalizeReference). A customer reference is never an
//     identity on its own: banks and payers repeat and omit them.
//   - A format that carries the bank's id and one that does not give
//     different keys for one transaction: the first knows more than the
//     second can show. Mixing such formats for one account is not supported.
//
// Formatting does not change the key: spaces and punctuation in the account
// (an IBAN printed in groups), the case and spacing of text, full-width
// characters, the scale of the amount (1.5 and 1.50), the case of the
// currency code and RMB for CNY.
//
// occurrence is the line's rank among the statement's lines with the same
// identity, counted in file order from 0 (see Statement.DedupKeys and
// LineKeyer): two identical fees on one day are two bookings, and a
// statement says so by listing both. Because the booking date is part of
// the identity, lines of other days never shift a line's rank, so a
// statement for a longer period that contains the same days gives the
// lines of those days the keys they had. Identical lines are
// interchangeable: a day with k of them has the keys of ranks 0..k-1
// whatever their order, and a later statement that shows one more of them
// adds exactly one new key.
func (l StatementLine) DedupKey(occurrence int) string {
	return occurrenceKey(l.identity(), occurrence)
}

// dedupScheme is hashed into every identity, so that no key of this scheme
// equals a LegacyDedupKey.
const dedupScheme = "ferry/statement-line/2"

// lineIdentity is the SHA-256 of a line's normalised identity fields,
// before the occurrence is added.
type lineIdentity [sha256.Size]byte

func (l StatementLine) identity() lineIdentity {
	acct := normAccount(l.Account)
	if id := normTransactionID(l.TransactionID); id != "" {
		return hashFields(dedupScheme, "id", acct, id)
	}
	return hashFields(dedupScheme, "content", acct, l.BookingDate.String(), l.Amount.String(),
		normCurrency(l.Currency), normText(l.Counterparty), normText(l.Description), NormalizeReference(l.Reference))
}

// hashFields hashes fields with their lengths, so that no two different
// field lists hash the same text.
func hashFields(fields ...string) lineIdentity {
	n := 0
	for _, f := range fields {
		n += len(f) + 8
	}
	buf := make([]byte, 0, n)
	for _, f := range fields {
		buf = strconv.AppendInt(buf, int64(len(f)), 10)
		buf = append(buf, ':')
		buf = append(buf, f...)
		buf = append(buf, ';')
	}
	return sha256.Sum256(buf)
}

func occurrenceKey(id lineIdentity, occurrence int) string {
	buf := append(id[:], '#')
	sum := sha256.Sum256(strconv.AppendInt(buf, int64(occurrence), 10))
	var key [3 + 40]byte
	copy(key[:], "sl_")
	hex.Encode(key[3:], sum[:20])
	return string(key[:])
}

// DedupKeys returns every line's dedup key: each line's identity with its
// rank among the lines of the same identity before it (see DedupKey).
func (s Statement) DedupKeys() []string {
	var k LineKeyer
	out := make([]string, len(s.Lines))
	for i, l := range s.Lines {
		out[i] = k.Key(l)
	}
	return out
}

// LineKeyer gives a statement's lines their dedup keys one at a time, in
// file order, for readers that stream lines instead of holding a whole
// Statement; Statement.DedupKeys is a LineKeyer over all lines. Use one
// LineKeyer per statement (per account and file). The zero value is ready.
//
// It remembers 8 bytes of each distinct identity in an open-addressing
// set (16 bytes a line at most, 24 while it grows), and a count only for
// identities seen more than once: a million-line export keys in about
// 16 MiB. Two different identities that share those 8 bytes (odds of about
// 1 in 10^7 for a million distinct lines) still get different keys; the
// second is only ranked as if it repeated the first.
type LineKeyer struct {
	once idSet
	more map[uint64]uint32 // identities seen more than once: how many times beyond the first
}

// Key returns l's dedup key, counting l among the lines given before it.
func (k *LineKeyer) Key(l StatementLine) string {
	id := l.identity()
	short := binary.LittleEndian.Uint64(id[:8])
	n := 0
	if !k.once.add(short) {
		if k.more == nil {
			k.more = map[uint64]uint32{}
		}
		k.more[short]++
		n = int(k.more[short])
	}
	return occurrenceKey(id, n)
}

// idSet is a set of 64-bit hashes with linear probing; 0 marks an empty
// slot, so the hash 0 is stored as 1.
type idSet struct {
	slots []uint64
	n     int
}

// add inserts h and reports whether it was new.
func (s *idSet) add(h uint64) bool {
	if h == 0 {
		h = 1
	}
	if (s.n+1)*4 > len(s.slots)*3 { // keep the load at most 3/4
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return false
		case 0:
			s.slots[i] = h
			s.n++
			return true
		}
	}
}

func (s *idSet) grow() {
	old := s.slots
	s.slots = make([]uint64, max(64, 2*len(old)))
	s.n = 0
	for _, h := range old {
		if h != 0 {
			s.add(h)
		}
	}
}

// ErrTransactionIDReused reports a statement that gives one TransactionID
// to different bookings: what the reader took for the bank's unique id is
// not one, and keys built on it would join different transactions.
var ErrTransactionIDReused = errors.New("one bank transaction id on different bookings")

// CheckTransactionIDs returns ErrTransactionIDReused, naming the first two
// lines, when two lines of the account share a TransactionID but disagree
// on booking date, amount or currency (see DedupConflict). Lines that agree
// are identical bookings and keep their ranks.
func (s Statement) CheckTransactionIDs() error {
	first := map[lineIdentity]int{}
	for i, l := range s.Lines {
		if normTransactionID(l.TransactionID) == "" {
			continue
		}
		id := l.identity()
		j, ok := first[id]
		if !ok {
			first[id] = i
			continue
		}
		if c := s.Lines[j].DedupConflict(l); c != "" {
			return fmt.Errorf("%w: lines %d and %d both carry %q, with different %s", ErrTransactionIDReused, j+1, i+1, l.TransactionID, c)
		}
	}
	return nil
}

// DedupConflict names the first of account, booking date, amount and
// currency on which l and o disagree, or returns "" when they agree (an
// account or currency missing on one side agrees with any). Two lines found
// under one dedup key must agree: otherwise the key has joined two
// different transactions, such as a bank id that was not unique after all.
func (l StatementLine) DedupConflict(o StatementLine) string {
	if a, b := normAccount(l.Account), normAccount(o.Account); a != "" && b != "" && a != b {
		return "account"
	}
	if l.BookingDate != o.BookingDate {
		return "booking date"
	}
	if !l.Amount.Equal(o.Amount) {
		return "amount"
	}
	if a, b := normCurrency(l.Currency), normCurrency(o.Currency); a != "" && b != "" && a != b {
		return "currency"
	}
	return ""
}

// SameContent reports whether l and o have the same identity apart from
// the bank's id: account, booking date, amount, currency, counterparty,
// description and reference, normalised as DedupKey normalises them.
func (l StatementLine) SameContent(o StatementLine) bool {
	l.TransactionID, o.TransactionID = "", ""
	return l.identity() == o.identity()
}

// isPlaceholderRef reports what banks and payers write where a reference is
// required but none was given, in the normalised form of NormalizeReference
// (upper case, letters and digits only): the SEPA EndToEndId NOTPROVIDED,
// SWIFT's NONREF, and the common improvisations.
func isPlaceholderRef(n string) bool {
	switch n {
	case "NOTPROVIDED", "NONREF", "NOREF", "NOREFERENCE", "NONREFERENCE", "NONE", "NA", "NULL", "NIL",
		"UNKNOWN", "NOTAVAILABLE", "NOTAPPLICABLE", "KEINE", "KEINEANGABE", "NICHTANGEGEBEN", "无":
		return true
	}
	return strings.Trim(n, "0") == "" // empty, or all zeros
}

// NormalizeReference returns a reference in the form dedup keys compare:
// letters and digits only, case and full-width forms folded (see foldKeep);
// and "" for a placeholder that stands for no reference: NOTPROVIDED,
// NONREF, NOREF, NONE, N/A, "-", an empty or all-zero reference, and the
// like.
func NormalizeReference(s string) string {
	n := foldKeep(s)
	if isPlaceholderRef(n) {
		return ""
	}
	return n
}

// normTransactionID keeps a bank id's case (some banks' ids are case
// sensitive) but drops spaces, which only wrap or pad it, and is "" for a
// placeholder.
func normTransactionID(s string) string {
	if NormalizeReference(s) == "" {
		return ""
	}
	var b strings.Builder
	for _, r := range s {
		if r = foldWidth(r); !unicode.IsSpace(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// normAccount keeps an account's letters and digits: banks print one IBAN
// or account number grouped by spaces, dashes or dots, in either case.
func normAccount(s string) string { return foldKeep(s) }

// normText compares counterparties and descriptions without case, spacing
// or punctuation, which differ between one bank's formats (MT940's upper
// case and limited character set, line breaks at 65 characters).
func normText(s string) string { return foldKeep(s) }

// normCurrency folds an ISO currency code's case; Chinese banks write RMB
// or 人民币 for CNY.
func normCurrency(s string) string {
	c := foldKeep(s)
	if c == "RMB" || c == "人民币" {
		return "CNY"
	}
	return c
}

// foldKeep keeps the letters and digits of s with full-width forms folded
// to ASCII and case folded (ASCII to upper case, ß to SS). It is written
// here rather than taken from golang.org/x/text because the domain package
// imports the standard library only; the full-width block is what Chinese
// bank exports need of NFKC.
func foldKeep(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z': // ASCII first: most text is
			b.WriteByte(byte(r) - 'a' + 'A')
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			b.WriteByte(byte(r))
		case r < 0x80:
		default:
			r, keep := foldCase(foldWidth(r))
			switch {
			case !keep:
			case r == 'ß':
				b.WriteString("SS")
			default:
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// foldCase maps r's upper case to the smallest rune of its simple
// case-folding orbit, so that every case variant (k, K and the Kelvin sign;
// s, S and the long s; ı and I) maps to one rune, which ToUpper or ToLower
// alone do not achieve. keep says whether a rune of that orbit is a letter
// or digit; it is decided on the orbit because upper-casing turns some
// marks into letters.
func foldCase(r rune) (folded rune, keep bool) {
	u := unicode.ToUpper(r)
	folded, keep = u, unicode.IsLetter(u) || unicode.IsDigit(u)
	for f := unicode.SimpleFold(u); f != u; f = unicode.SimpleFold(f) {
		folded = min(folded, f)
		keep = keep || unicode.IsLetter(f) || unicode.IsDigit(f)
	}
	return folded, keep
}

// foldWidth maps the full-width ASCII forms (U+FF01 to U+FF5E) and the
// ideographic space to ASCII.
func foldWidth(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

// LegacyDedupKey is the dedup key Ferry gave a line before DedupKey became
// unique per transaction, kept verbatim for one purpose: recognising lines
// that a database written by that version holds. Never key new records
// with it: it keys a line with a reference by account, reference and
// occurrence alone, so lines with the placeholder reference NOTPROVIDED on
// different days share keys.
func (l StatementLine) LegacyDedupKey(occurrence int) string {
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

// LegacyDedupKeys returns the keys LegacyDedupKey gave the statement's
// lines, counting occurrences as that version did.
func (s Statement) LegacyDedupKeys() []string {
	seen := map[string]int{}
	out := make([]string, len(s.Lines))
	for i, l := range s.Lines {
		base := l.LegacyDedupKey(0)
		n := seen[base]
		seen[base] = n + 1
		out[i] = l.LegacyDedupKey(n)
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
