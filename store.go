package ferry

// The stores Ferry keeps its state in, as the runner, delivery and the
// console see them. storage implements every one of them on SQLite and on
// PostgreSQL, and storage/storetest holds the suite that proves an
// implementation keeps these contracts.
//
// Transactions travel in the context: a method called with the context
// Transactor.InTx hands its function runs in that transaction; with any
// other context it runs on its own (in its own transaction where it writes
// more than one row).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"
)

// Sentinel errors of the stores. Errors wrap them with %w and say where
// (which run, file, line, key); callers test with errors.Is.
var (
	// ErrNotFound reports a row or artifact that does not exist. The more
	// specific not-found errors below wrap it.
	ErrNotFound = errors.New("not found")
	// ErrNoDelivery reports an unknown outbox item.
	ErrNoDelivery = fmt.Errorf("no such delivery: %w", ErrNotFound)
	// ErrNoSelectorVersion reports an unknown selector version.
	ErrNoSelectorVersion = fmt.Errorf("no such selector version: %w", ErrNotFound)
	// ErrNoHeal reports an unknown heal proposal.
	ErrNoHeal = fmt.Errorf("no such heal: %w", ErrNotFound)

	// ErrSlotTaken reports that a schedule slot already has its run: each
	// (schedule, slot) gets one run, however often and by however many
	// processes it is enqueued.
	ErrSlotTaken = errors.New("this schedule slot already has a run")

	// ErrKeyCollision reports two different transactions under one dedup
	// key: a stored line and a new one that disagree on account, booking
	// date, amount or currency. Usually a bank id (TransactionID) that is
	// not unique after all. Nothing of the statement is stored.
	ErrKeyCollision = errors.New("two different transactions share a dedup key")

	// ErrLegacyAmbiguous reports lines that a database written by the
	// previous version may hold, where Ferry cannot tell which of them it
	// holds: fewer stored lines than new ones of one account, day and
	// amount, whose texts changed between versions. Nothing of the
	// statement is stored; a person decides.
	ErrLegacyAmbiguous = errors.New("cannot tell which lines the previous version stored")

	// ErrLegacyPending reports that a database written by the previous
	// version holds lines, not yet matched, that lines of a streamed
	// statement may be. Matching them needs the whole statement
	// (RecordStore.SaveStatement); nothing was stored.
	ErrLegacyPending = errors.New("lines the previous version stored may be among this statement's: save the whole statement")

	// ErrLoginBusy reports that another run of the same bot and login is
	// running: a site's user is logged in by one run at a time, across
	// every process sharing the store.
	ErrLoginBusy = errors.New("another run logged in as this user on this site is running")

	// ErrSiteBusy reports that a site's limits allow no further run now:
	// as many runs as it allows are logged in to it, or its last login was
	// too recent.
	ErrSiteBusy = errors.New("the site's limits allow no further run now")

	// ErrNotWaiting reports a decision on a heal that is no longer
	// proposed (accepted or rejected before).
	ErrNotWaiting = errors.New("not waiting for review")
)

// SiteLimits spread a site's logins over time, across every process
// sharing the store, so that no bank sees a burst.
type SiteLimits struct {
	// MaxConcurrent is how many runs may be logged in to the site at once;
	// 0 is no limit.
	MaxConcurrent int
	// MinInterval is the least time between two runs' logins to the site
	// (their starts); 0 is none.
	MinInterval time.Duration
}

// RunStart is what one attempt of a run starts with.
type RunStart struct {
	Attempt         int
	SelectorVersion string
	// Site is the site the run logs in to: a name in the configuration's
	// sites. Its limits are Limits.
	Site string
	// LoginKey says who the run logs in as on Site: LoginKey(site, user).
	// Two runs with one key never run at once, whatever their bots or
	// credential names. Empty: the run's bot and credential name.
	LoginKey string
	Limits   SiteLimits
}

// LoginKey identifies a site's user for BeginRun: a digest of the site
// name and the user name, so that the user name is not stored in clear.
func LoginKey(site, user string) string {
	h := sha256.New()
	for _, p := range []string{site, user} {
		fmt.Fprintf(h, "%d:%s", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// BusyError says why BeginRun left a run queued and when to try again.
type BusyError struct {
	Site  string
	RunID int64 // the run logged in as the same user, when that is why
	// RetryAt is when the site's limits allow the next login; zero when a
	// running run must end first.
	RetryAt time.Time
	Err     error // ErrLoginBusy or ErrSiteBusy
	Reason  string
}

func (e *BusyError) Error() string {
	s := e.Err.Error()
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	if e.RunID != 0 {
		s += fmt.Sprintf(": run %d", e.RunID)
	}
	if e.Site != "" {
		s = "site " + e.Site + ": " + s
	}
	return s
}

func (e *BusyError) Unwrap() error { return e.Err }

// Transactor runs work in one database transaction.
type Transactor interface {
	// InTx runs fn in a transaction and commits it when fn returns nil;
	// when fn returns an error or panics, everything fn wrote through the
	// context it was given is rolled back, and InTx returns fn's error (the
	// panic goes on). Called with a context that already carries a
	// transaction, fn joins it. Store methods must be given fn's context:
	// with another one they run outside the transaction (and on SQLite,
	// whose one connection the transaction holds, they wait for it).
	// Errors beginning or committing wrap the database's.
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// RunRecord is a run with its summary line.
type RunRecord struct {
	Run
	Summary string
}

// RunStore keeps runs, their step traces and the schedules' progress.
type RunStore interface {
	// NewRun stores r as a queued run and returns its id. A scheduled run
	// (Schedule set) whose (Schedule, Slot) already has a run returns an
	// error wrapping ErrSlotTaken, and stores nothing.
	NewRun(ctx context.Context, r Run) (int64, error)
	// StartRun marks run id running for attempt, with the selector version
	// it uses; the first start time is kept across attempts. An unknown id
	// is ErrNotFound.
	StartRun(ctx context.Context, id int64, attempt int, selectorVersion string) error
	// BeginRun is StartRun for one login at a time and within its site's
	// limits: it marks run id running for s.Attempt unless another run
	// with s.LoginKey is running, s.Limits.MaxConcurrent runs of s.Site
	// are, or the last login to s.Site began less than
	// s.Limits.MinInterval ago. All of it is checked and set atomically
	// across every process sharing the store, and the run's site, login
	// key and the site's last login are recorded with it. When the run may
	// not start it changes nothing and returns a *BusyError, which wraps
	// ErrLoginBusy or ErrSiteBusy and says until when. An unknown id is
	// ErrNotFound.
	BeginRun(ctx context.Context, id int64, s RunStart) error
	// LeaseRun records that owner (a process) works running run id until
	// until: the heartbeat by which a dead owner's runs are found. It
	// takes a lease that is free or expired, and extends owner's own. A
	// run that is not running, or whose lease another owner holds and has
	// not let expire, is ErrLeaseLost (the caller must stop working it);
	// an unknown id is ErrNotFound.
	LeaseRun(ctx context.Context, id int64, owner string, until time.Time) error
	// OrphanedRuns lists running runs whose lease expired, or that never
	// had one: their owner died. Oldest first.
	OrphanedRuns(ctx context.Context) ([]RunRecord, error)
	// FinishRun records a run's outcome and finish time. An unknown id is
	// ErrNotFound.
	FinishRun(ctx context.Context, id int64, status RunStatus, class FailureClass, errText, summary string) error
	// RequeueRun marks a run queued again for a retry, keeping its class
	// and error. An unknown id is ErrNotFound.
	RequeueRun(ctx context.Context, id int64, class FailureClass, errText string) error
	// AddSteps stores an attempt's steps; a step stored before under the
	// same (run, attempt, Seq) is replaced. All or none are stored.
	AddSteps(ctx context.Context, runID int64, attempt int, steps []Step) error
	// Run returns one run; an unknown id is ErrNotFound.
	Run(ctx context.Context, id int64) (RunRecord, error)
	// Runs lists up to limit runs, newest first.
	Runs(ctx context.Context, limit int) ([]RunRecord, error)
	// Steps returns a run's steps in order (attempt, then Seq), with each
	// step's attempt; a run without steps returns none and no error.
	Steps(ctx context.Context, runID int64) ([]Step, []int, error)
	// ActiveRun returns the id of a running run of bot with login other
	// than except, or 0 when there is none.
	ActiveRun(ctx context.Context, bot, login string, except int64) (int64, error)
	// ScheduleLastSlot returns the last slot recorded for a schedule and
	// whether the schedule was recorded before (false, no error, when not).
	ScheduleLastSlot(ctx context.Context, id string) (time.Time, bool, error)
	// AdvanceScheduleSlot records slot as the schedule's last slot unless a
	// later one is recorded: the recorded slot never moves back.
	AdvanceScheduleSlot(ctx context.Context, id, spec string, slot time.Time) error
}

// ArtifactStore keeps the files bots produce, content-addressed: the bytes
// of equal files are stored once, under their SHA-256, however many
// artifact rows (runs, names) refer to them.
type ArtifactStore interface {
	// PutArtifact stores data as an artifact of a.RunID and returns a with
	// its ID, SHA256, Size (and Captured, when zero) set. Errors name
	// a.Name; on error no row refers to partial bytes.
	PutArtifact(ctx context.Context, a Artifact, data []byte) (Artifact, error)
	// PutArtifactFrom is PutArtifact for bytes read from r, never held in
	// memory whole. An error reading r stores nothing.
	PutArtifactFrom(ctx context.Context, a Artifact, r io.Reader) (Artifact, error)
	// OpenArtifact opens the bytes stored under sha (lower-case hex
	// SHA-256); the caller closes them. Unknown bytes are ErrNotFound.
	OpenArtifact(ctx context.Context, sha string) (io.ReadCloser, error)
	// Artifacts lists a run's artifacts in the order they were stored.
	Artifacts(ctx context.Context, runID int64) ([]Artifact, error)
}

// SaveResult says what a statement's save stored. Every line of an
// accepted statement is either new or a duplicate: NewLines + Duplicates is
// the statement's line count.
type SaveResult struct {
	StatementID int64
	NewLines    int // lines stored for the first time
	// Duplicates are lines stored before, by an earlier save or by the
	// previous version: not stored or queued again.
	Duplicates int
	// Legacy counts the Duplicates this save found among the lines a
	// database written by the previous version holds (under its dedup
	// keys, StatementLine.LegacyDedupKey); later saves find them under
	// their current key.
	Legacy int
	// LegacyByAmount counts the Legacy lines matched on account, booking
	// date, amount and currency alone, because their texts and references
	// changed between versions.
	LegacyByAmount int
	Queued         int // outbox rows written
}

// StatementLines hands a statement's lines to yield one at a time, in file
// order, and returns the first error yield or the reading returned.
type StatementLines func(yield func(StatementLine) error) error

// StatementRow is a stored statement.
type StatementRow struct {
	ID, RunID, ArtifactID int64
	Account, Currency     string
	From, To              string
	Opening, Closing      string
	Lines, NewLines       int
	// Duplicates are lines the save found stored before; Legacy those of
	// them found among the previous version's lines.
	Duplicates, Legacy int
	Status, Problem    string // Status is accepted or held
}

// RecordStore keeps statements and their lines, each line once under its
// dedup key, and queues every new line for every sink in the same
// transaction.
type RecordStore interface {
	// SaveStatement stores st (a statement of run runID, read from artifact
	// artifactID) in one transaction: its row, every line not stored
	// before, and an outbox row per new line and sink. A line found under
	// its dedup key (or matched to a line the previous version stored) is
	// counted as a duplicate, never stored or queued again. A stored line
	// under the same key that is another booking, or one bank id on two
	// bookings, is ErrKeyCollision; lines the previous version stored that
	// cannot be told apart are ErrLegacyAmbiguous. On any error nothing of
	// st is stored. A non-empty problem holds the statement: only its row
	// is stored, with the problem, and nothing is queued.
	SaveStatement(ctx context.Context, runID, artifactID int64, st Statement, sinks []string, problem string) (SaveResult, error)
	// SaveStatementLines is SaveStatement for a statement read as a
	// stream: st is its header (st.Lines must be empty, else an error) and
	// lines yields its lines, stored as they come in one transaction. An
	// error from lines, ctx or a line stores nothing. Where a line may be
	// one the previous version stored, it stores nothing and returns
	// ErrLegacyPending. lines must not use the store.
	SaveStatementLines(ctx context.Context, runID, artifactID int64, st Statement, lines StatementLines, sinks []string) (SaveResult, error)
	// HoldStatement stores a statement held back (problem says why; empty
	// is an error) with lines as its line count and none of its lines;
	// nothing is queued.
	HoldStatement(ctx context.Context, runID, artifactID int64, st Statement, lines int, problem string) (SaveResult, error)
	// Statements lists a run's statements in the order they were saved.
	Statements(ctx context.Context, runID int64) ([]StatementRow, error)
	// CountLines returns how many distinct statement lines are stored.
	CountLines(ctx context.Context) (int, error)
}

// SelectorVersion is one stored content of a site's selector file.
type SelectorVersion struct {
	Site      string
	Seq       int // 1, 2, 3… per site
	Version   string
	SHA256    string
	Content   string
	Author    string
	Message   string
	CreatedAt time.Time
}

// StoredFingerprint is an element as a run last found it.
type StoredFingerprint struct {
	Site, Element, Variant, Page string
	Data                         string // JSON
	RunID                        int64
}

// HealRecord is a proposed change to a selector file.
type HealRecord struct {
	ID                            int64
	Site, Element, Variant        string
	RunID                         int64
	Page                          string
	Way                           string // JSON: {"ways": [...], "dismiss": bool}
	Score, RunnerUp               float64
	Breakdown                     string // JSON
	Diff                          string
	BaseSeq                       int
	BeforeArtifact, AfterArtifact int64
	Status                        string // proposed, accepted, rejected
	CreatedAt, DecidedAt          time.Time
	DecidedBy                     string
}

// SelectorStore keeps the history of selector files, the fingerprints of
// the elements runs found, and heal proposals.
type SelectorStore interface {
	// RecordSelectorVersion stores content as site's newest version unless
	// the newest already has this content; it returns the version's number
	// (1, 2, … per site) and whether it is new. Concurrent calls with new
	// content get distinct numbers.
	RecordSelectorVersion(ctx context.Context, site, version string, content []byte, author, message string) (seq int, added bool, err error)
	// SelectorVersions lists a site's versions, oldest first.
	SelectorVersions(ctx context.Context, site string) ([]SelectorVersion, error)
	// SelectorVersionAt returns version seq of site; an unknown one is
	// ErrNoSelectorVersion (which is ErrNotFound).
	SelectorVersionAt(ctx context.Context, site string, seq int) (SelectorVersion, error)
	// SaveFingerprints keeps, per site, element and variant, the newest
	// fingerprint given; all or none are stored.
	SaveFingerprints(ctx context.Context, fps []StoredFingerprint) error
	// Fingerprints returns a site's fingerprints.
	Fingerprints(ctx context.Context, site string) ([]StoredFingerprint, error)
	// AddHeal stores a proposal unless the same one (site, element, variant
	// and Way) is waiting for review; it returns the waiting proposal's id
	// and whether it is new.
	AddHeal(ctx context.Context, h HealRecord) (id int64, added bool, err error)
	// Heals lists proposals, newest first; site and status filter when set.
	Heals(ctx context.Context, site, status string) ([]HealRecord, error)
	// Heal returns one proposal; an unknown id is ErrNoHeal.
	Heal(ctx context.Context, id int64) (HealRecord, error)
	// DecideHeal sets a proposed heal's status (accepted or rejected) and
	// who decided. An unknown id is ErrNoHeal; one decided before is
	// ErrNotWaiting, and its decision stands.
	DecideHeal(ctx context.Context, id int64, status, by string) error
}

// Delivery is one record's delivery to one sink, as operators see it.
type Delivery struct {
	ID          int64
	Sink        string
	DedupKey    string
	Payload     string
	Status      string // pending, delivered, parked
	Attempts    int
	LastError   string
	NextAttempt time.Time
	DeliveredAt time.Time
	// LeaseOwner holds the item until LeaseUntil while it is being sent;
	// empty when nobody does.
	LeaseOwner string
	LeaseUntil time.Time
}

// OutboxStore is the Outbox (claim, ack, release, park: see outbox.go)
// with what operators and the console need beside it.
type OutboxStore interface {
	Outbox
	// OutboxCounts returns how many items are pending, delivered and
	// parked (each key present, 0 when none).
	OutboxCounts(ctx context.Context) (map[string]int, error)
	// Deliveries lists up to limit items, newest first; status and sink
	// filter when not empty.
	Deliveries(ctx context.Context, status, sink string, limit int) ([]Delivery, error)
	// Delivery returns one item; an unknown id is ErrNoDelivery (which is
	// ErrNotFound).
	Delivery(ctx context.Context, id int64) (Delivery, error)
	// RetryDeliveries makes parked items pending and due now, their
	// attempts counted from 0: the given ids (all or none: an unknown id is
	// ErrNoDelivery, one not parked an error naming it), or every parked
	// item when ids is empty. It returns how many.
	RetryDeliveries(ctx context.Context, ids []int64) (int, error)
}

// Store is every store Ferry keeps its state in, as one database offers
// them.
type Store interface {
	Transactor
	RunStore
	ArtifactStore
	RecordStore
	SelectorStore
	OutboxStore
	LoginStateStore
	InvoiceStore
	ChallengeStore
}

// ErrNoSchedule reports an unknown stored schedule.
var ErrNoSchedule = fmt.Errorf("no such schedule: %w", ErrNotFound)

// ErrScheduleExists reports a stored schedule id already in use.
var ErrScheduleExists = errors.New("a schedule with this id exists")

// ErrScheduleChanged reports an edit of a schedule that changed since it
// was read (its Version moved on): nothing was written.
var ErrScheduleChanged = errors.New("the schedule was changed by someone else meanwhile")

// ScheduleDef is a schedule administered in the database (the console,
// ferry schedules): fired by every runner sharing the database, which
// picks up changes without a restart. Schedules in ferry.yaml are not
// stored; they are shown beside these, read-only.
type ScheduleDef struct {
	ID    string `json:"id"`
	Bot   string `json:"bot"`
	Login string `json:"login"`
	Site  string `json:"site,omitempty"`
	// Cron is the spec without a zone (robfig/cron standard syntax or
	// @every); Zone is the IANA zone it runs in (empty: the server's).
	Cron   string            `json:"cron"`
	Zone   string            `json:"zone,omitempty"`
	Params map[string]string `json:"params,omitempty"`
	Paused bool              `json:"paused"`
	// ActiveSince is when the schedule was created, last resumed or last
	// edited: slots before it never run (no catch-up of slots that passed
	// while it was paused or had another spec).
	ActiveSince time.Time `json:"active_since"`
	// Version counts the schedule's changes; runners compare it to know
	// a schedule changed, and edits name the version they read.
	Version   int64     `json:"version"`
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Spec is the cron spec as the runner parses it: Cron with Zone as its
// CRON_TZ= prefix.
func (d ScheduleDef) Spec() string {
	if d.Zone == "" {
		return d.Cron
	}
	return "CRON_TZ=" + d.Zone + " " + d.Cron
}

// ScheduleStore keeps the schedules administered in the database.
type ScheduleStore interface {
	// ScheduleDefs lists every stored schedule, by id.
	ScheduleDefs(ctx context.Context) ([]ScheduleDef, error)
	// ScheduleDef returns one; an unknown id is ErrNoSchedule.
	ScheduleDef(ctx context.Context, id string) (ScheduleDef, error)
	// AddScheduleDef stores a new schedule at version 1, active since
	// now, and returns it; an id in use is ErrScheduleExists.
	AddScheduleDef(ctx context.Context, d ScheduleDef) (ScheduleDef, error)
	// UpdateScheduleDef replaces the schedule d.ID's bot, login, site,
	// cron, zone and params if its version is still d.Version, and
	// returns it with the next version, active since now. An unknown id is
	// ErrNoSchedule, a moved version ErrScheduleChanged.
	UpdateScheduleDef(ctx context.Context, d ScheduleDef) (ScheduleDef, error)
	// SetScheduleDefPaused pauses or resumes a schedule (a resume is
	// active since now) and returns it; an unknown id is ErrNoSchedule.
	// Setting the state it has already changes nothing.
	SetScheduleDefPaused(ctx context.Context, id string, paused bool, by string) (ScheduleDef, error)
	// DeleteScheduleDef removes a schedule and returns what it was; an
	// unknown id is ErrNoSchedule. Its runs stay.
	DeleteScheduleDef(ctx context.Context, id string) (ScheduleDef, error)
}
