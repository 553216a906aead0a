// Package runner schedules and executes bot runs on River: cron schedules
// become periodic jobs whose arguments carry the schedule slot, a run is a
// row in Ferry's tables plus a River job inserted in the same transaction,
// workers execute runs in the browser, ingest what they download and hand
// the records to the outbox. The failure class decides what happens next.
package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/ferry-rpa/ferry/internal/seal"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/riverqueue/river"
	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
)

// Credentials supplies logins by name.
type Credentials interface {
	// Credential returns the named login, or an error saying it is unknown
	// or unreadable. The error never contains a secret.
	Credential(name string) (ferry.Credential, error)
}

// ContextCredentials is Credentials that read within the caller's
// context. A store in the database (the vault) must: a run started from
// the console is queued inside the transaction that audits it, which on
// SQLite holds the only connection, and a read outside it would wait for
// that connection until it gave up.
type ContextCredentials interface {
	Credentials
	CredentialContext(ctx context.Context, name string) (ferry.Credential, error)
}

// credential reads the named login in ctx when the store can.
func (r *Runner) credential(ctx context.Context, name string) (ferry.Credential, error) {
	if c, ok := r.cfg.Credentials.(ContextCredentials); ok {
		return c.CredentialContext(ctx, name)
	}
	return r.cfg.Credentials.Credential(name)
}

// Engine is the browser engine as the runner sees it (*bots.Browser in
// Ferry): the domain's interface with the script, selector file and way
// types of the scripts and selectors packages.
type Engine = ferry.Engine[*scripts.Script, *selectors.File, selectors.Way]

// Schedule fires a bot for a login on a cron spec (robfig/cron syntax with
// an optional CRON_TZ= prefix).
type Schedule struct {
	ID    string `yaml:"id"`
	Bot   string `yaml:"bot"`
	Login string `yaml:"login"`
	Cron  string `yaml:"cron"`
	// Site is the site (a name in Config.Sites) the bot logs in to: one
	// script serves every site of its portal software. Empty: the
	// script's own site.
	Site string `yaml:"site,omitempty"`
	// Params are values of the bot's own parameters (see scripts'
	// params:), checked against the script when the runner starts.
	Params map[string]string `yaml:"params,omitempty"`
}

// Config wires a Runner.
type Config struct {
	// DB is the database: storage.DB on SQLite or PostgreSQL in Ferry.
	DB      Store
	Browser Engine
	Sites   map[string]string // site name → base URL
	// SiteLimits are the sites' limits by site name (none for a site
	// without an entry), held across every process sharing the database.
	SiteLimits   map[string]ferry.SiteLimits
	Credentials  Credentials
	ScriptsDir   string
	SelectorsDir string
	// Selectors serves selector files with hot reload (default: a registry
	// over SelectorsDir). Every content it loads is recorded as a version.
	Selectors *selectors.Registry
	// HealPolicy is "off", "propose" or "read_only" (the default).
	HealPolicy string
	// LockPath, when set, is a file the runner locks for its lifetime: one
	// runner per data directory. Holding it on a SQLite database (which
	// only processes of this data directory use), the runner knows at
	// start that runs leased by any other process were left by one that
	// died (a crash, SIGKILL), and runs them again at once instead of
	// waiting for their leases to expire. On PostgreSQL, which other
	// machines share, only expired leases make orphans.
	LockPath string
	// LeaseTTL is how long a running run's lease lasts without renewal
	// (default 60 s); LeaseRenew how often its worker renews it (default
	// 10 s). A run whose lease expired is an orphan: it is queued again.
	LeaseTTL, LeaseRenew time.Duration
	// BotTimeouts bounds a run of the named bot (default RunTimeout): a bot
	// that waits for a person can be given hours.
	BotTimeouts map[string]time.Duration
	// CatchUpEvery is how often the runner looks for schedule slots that
	// passed without a run (default 1 min): a slot missed while River's
	// leader changed, or during a restart, is run once.
	CatchUpEvery time.Duration
	// ScheduleSyncEvery is how often the runner reads the schedules
	// stored in the database (schedules_db.go) for changes (default 5 s).
	ScheduleSyncEvery time.Duration
	// ReservePath is a file of ReserveBytes (default 1 MiB) kept on the
	// data directory's filesystem and deleted when the disk fills, so that
	// the failure can still be recorded (default: "ferry.reserve" beside
	// LockPath, in the data directory; none without LockPath; "-" for
	// none).
	ReservePath  string
	ReserveBytes int64
	// Author is recorded with selector versions the runner loads
	// (default "ferry").
	Author      string
	Sinks       []delivery.Sink
	Schedules   []Schedule
	Workers     int           // concurrent runs (default 2)
	MaxAttempts int           // for retryable failures (default 4)
	RetryBase   time.Duration // first retry delay (default 5 s)
	StepTimeout time.Duration
	RunTimeout  time.Duration // a run's time limit unless BotTimeouts says otherwise; default 30 min
	Logger      zerolog.Logger
	Now         func() time.Time
	// OnStep, when set, is told every step of every run as it ends.
	OnStep func(runID int64, s ferry.Step)
	// OnSchedules, when set, is told each time the runner has read the
	// stored schedules ("schedules synced") and caught up missed slots
	// ("caught up"): tests wait on it instead of on the clock.
	OnSchedules func(event string)
	// LoginKeys seal the logins kept between runs: a successful run's
	// browser state is saved per login and restored by the next run. Nil:
	// every run logs in fresh and nothing is saved.
	LoginKeys *seal.Keyring
	// Refresh says when to warn of a login's closing trust window, and
	// whether to run a refresh login in working hours (with LoginKeys).
	Refresh RefreshPolicy
	// Challenges says how runs wait for a person (challenge.go).
	Challenges ChallengeConfig
}

// Runner owns the queue and its workers.
type Runner struct {
	lock   *os.File
	cfg    Config
	client Queue
	scheds map[string]scheduled
	// stored are the database's schedules this runner fires now.
	stored storedScheds
	// working holds the ids of the runs this process's workers work now.
	working sync.Map
	// owner names this runner in run leases: unique per process and start.
	owner string
	// cutting is set when Stop's grace period is over and the runs still
	// in flight are being cancelled: they are interrupted, not failed.
	cutting atomic.Bool
	// bg ends the runner's own loops (lease reaper, catch-up, selector
	// watch) at Stop.
	bg       context.Context
	stopBG   context.CancelFunc
	bgWG     sync.WaitGroup
	stopOnce sync.Once
	// hook, set only by tests (export_test.go), is called at named points
	// of a run.
	hook atomic.Pointer[func(point string)]
	// waiting are the challenges this runner's runs wait on.
	waiting waiters
	// versions records the selector files the registry loads.
	versions *versionRecorder
}

type scheduled struct {
	Schedule
	spec cron.Schedule
	// stored schedules (from the database) have a version and are active
	// since a time: their row is read again before a slot fires.
	stored  bool
	version int64
	since   time.Time
}

// RunArgs is the River job that executes one run. A run may have more
// than one job over its life (an orphan is queued again with a new one);
// the run's status and lease decide which of them works it.
type RunArgs struct {
	RunID int64 `json:"run_id"`
	// Bot is the run's bot: without Timeout, the worker bounds the run by
	// its own configuration's time limit for the bot (a run handed over by
	// another process knows none).
	Bot string `json:"bot,omitempty"`
	// Timeout bounds the run (0: the worker's limit for Bot, else its
	// RunTimeout).
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Kind implements river.JobArgs.
func (RunArgs) Kind() string { return "ferry_run" }

// SlotArgs is the River job a schedule inserts for one slot. Unique by its
// arguments, so each slot is enqueued once however many times it fires.
type SlotArgs struct {
	Schedule string    `json:"schedule"`
	Slot     time.Time `json:"slot"`
}

// Kind implements river.JobArgs.
func (SlotArgs) Kind() string { return "ferry_schedule_slot" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SlotArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// DeliverArgs drains the outbox.
type DeliverArgs struct{}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "ferry_deliver" }

// New prepares a runner: River's tables are migrated into the same
// database, schedules are parsed and registered as periodic jobs.
func New(ctx context.Context, cfg Config) (*Runner, error) {
	if cfg.Workers == 0 {
		cfg.Workers = 2
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 4
	}
	if cfg.RetryBase == 0 {
		cfg.RetryBase = 5 * time.Second
	}
	if cfg.RunTimeout == 0 {
		cfg.RunTimeout = 30 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = time.Minute
	}
	if cfg.LeaseRenew == 0 {
		cfg.LeaseRenew = 10 * time.Second
	}
	if cfg.LeaseRenew >= cfg.LeaseTTL {
		return nil, fmt.Errorf("runner: lease renewal every %s must be shorter than the lease (%s)", cfg.LeaseRenew, cfg.LeaseTTL)
	}
	if cfg.CatchUpEvery == 0 {
		cfg.CatchUpEvery = time.Minute
	}
	if cfg.ScheduleSyncEvery == 0 {
		cfg.ScheduleSyncEvery = 5 * time.Second
	}
	if cfg.DB == nil {
		return nil, errors.New("runner: no database (Config.DB)")
	}
	if cfg.ReservePath == "" && cfg.LockPath != "" {
		cfg.ReservePath = filepath.Join(filepath.Dir(cfg.LockPath), "ferry.reserve")
	}
	if cfg.ReserveBytes == 0 {
		cfg.ReserveBytes = 1 << 20
	}
	longest := cfg.RunTimeout
	for bot, d := range cfg.BotTimeouts {
		if d <= 0 {
			return nil, fmt.Errorf("runner: bot %q: timeout %s must be positive", bot, d)
		}
		longest = max(longest, d)
	}
	for site, l := range cfg.SiteLimits {
		if l.MaxConcurrent < 0 || l.MinInterval < 0 {
			return nil, fmt.Errorf("runner: site %q: limits %+v must not be negative", site, l)
		}
	}
	if cfg.Selectors == nil {
		cfg.Selectors = selectors.NewRegistry(cfg.SelectorsDir)
	}
	if cfg.Author == "" {
		cfg.Author = "ferry"
	}
	log := cfg.Logger
	versions := &versionRecorder{db: cfg.DB, author: cfg.Author, log: log}
	cfg.Selectors.OnLoad = versions.add
	cfg.Selectors.OnReject = func(site, path string, err error) {
		log.Error().Str("site", site).Str("file", path).Err(err).Msg("edited selector file rejected; the previous version keeps serving")
	}
	r := &Runner{cfg: cfg, scheds: map[string]scheduled{}, owner: newOwner(), versions: versions}
	// River runs on the database's own driver (the store's queue): the
	// runner names no driver and no transaction type.
	if err := cfg.DB.MigrateRiver(ctx); err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	if cfg.LockPath != "" {
		f, err := os.OpenFile(cfg.LockPath, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, fmt.Errorf("runner: lock: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			return nil, fmt.Errorf("runner: another Ferry process (serve or run) is using %s", filepath.Dir(cfg.LockPath))
		}
		r.lock = f
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &runWorker{r: r})
	river.AddWorker(workers, &slotWorker{r: r})
	river.AddWorker(workers, &deliverWorker{r: r})
	var periodic []*river.PeriodicJob
	for _, s := range cfg.Schedules {
		spec, err := parseSpec(s.Cron)
		if err != nil {
			return nil, fmt.Errorf("runner: schedule %q: cron %q: %w", s.ID, s.Cron, err)
		}
		if s.ID == "" || s.Bot == "" || s.Login == "" {
			return nil, fmt.Errorf("runner: schedule %q needs id, bot and login", s.ID)
		}
		if _, dup := r.scheds[s.ID]; dup {
			return nil, fmt.Errorf("runner: schedule id %q used twice", s.ID)
		}
		script, _, err := scripts.LoadWith(cfg.ScriptsDir, cfg.Selectors.Get, s.Bot)
		if err != nil {
			return nil, fmt.Errorf("runner: schedule %q: %w", s.ID, err)
		}
		if _, err := script.ResolveParams(s.Params, cfg.Now()); err != nil {
			return nil, fmt.Errorf("runner: schedule %q: %w", s.ID, err)
		}
		if err := r.checkSite(s.Site); err != nil {
			return nil, fmt.Errorf("runner: schedule %q: %w", s.ID, err)
		}
		sc := scheduled{Schedule: s, spec: spec}
		r.scheds[s.ID] = sc
		periodic = append(periodic, r.periodic(sc))
	}
	periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(time.Minute), func() (river.JobArgs, *river.InsertOpts) {
		return DeliverArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Minute}}
	}, &river.PeriodicJobOpts{ID: "deliver"}))
	client, err := cfg.DB.NewQueue(&river.Config{
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:      workers,
		PeriodicJobs: periodic,
		JobTimeout:   cfg.RunTimeout,
		ErrorHandler: &lifecycleHandler{r: r},
		// River's own rescuer frees a job left running by a dead process
		// once no run could still be working it; Ferry's leases (reap)
		// requeue the run itself much sooner.
		RescueStuckJobsAfter: longest + cfg.LeaseTTL,
		// Completed jobs are Ferry's record too; keep River's for a while.
		CompletedJobRetentionPeriod: 7 * 24 * time.Hour,
		FetchPollInterval:           200 * time.Millisecond,
		FetchCooldown:               50 * time.Millisecond,
		Logger:                      newRiverLog(cfg.Logger),
	})
	if err != nil {
		return nil, fmt.Errorf("runner: river client: %w", err)
	}
	r.client = client
	return r, nil
}

// lastSlot is the latest time at or before now that spec fires.
// parseSpec reads a schedule's cron spec. An interval (@every 15m) is
// laid on a fixed grid (time.Truncate's: multiples of the interval from
// the zero time), so that its slots are the same for every process,
// before and after a restart or a change of leader. robfig's own @every
// counts from whenever it is asked, so no two processes would agree on a
// slot, and catch-up would invent one at every look.
func parseSpec(text string) (cron.Schedule, error) {
	spec, err := cron.ParseStandard(text)
	if err != nil {
		return nil, err
	}
	if every, ok := spec.(cron.ConstantDelaySchedule); ok {
		return gridSchedule{every.Delay}, nil
	}
	return spec, nil
}

// gridSchedule fires at the multiples of its interval since the zero time
// (time.Truncate's grid).
type gridSchedule struct{ every time.Duration }

// Next returns the first multiple of the interval after t.
func (g gridSchedule) Next(t time.Time) time.Time {
	return t.Truncate(g.every).Add(g.every)
}

func lastSlot(spec cron.Schedule, now time.Time) time.Time {
	if g, ok := spec.(gridSchedule); ok {
		return now.Truncate(g.every)
	}
	// Walk forward from far enough back; cron has no "previous".
	var last time.Time
	for _, back := range []time.Duration{25 * time.Hour, 8 * 24 * time.Hour, 366 * 24 * time.Hour} {
		for t := spec.Next(now.Add(-back)); !t.IsZero() && !t.After(now); t = spec.Next(t) {
			last = t
		}
		if !last.IsZero() {
			return last
		}
	}
	return last
}

// Start requeues runs orphaned by a process that died, catches up missed
// slots, then starts the workers and schedules. ctx bounds only the start
// itself: the runner runs until Stop, so that a stop signal reaches it
// through Stop's grace period instead of cancelling runs in flight.
func (r *Runner) Start(ctx context.Context) error {
	r.bg, r.stopBG = context.WithCancel(context.WithoutCancel(ctx))
	if err := r.makeReserve(); err != nil {
		r.cfg.Logger.Warn().Err(err).Msg("no disk reserve: a full disk may leave a run unrecorded")
	}
	if err := r.reapDead(ctx); err != nil {
		return err
	}
	if err := r.reap(ctx); err != nil {
		return err
	}
	if err := r.syncSchedules(ctx); err != nil {
		return err
	}
	if err := r.catchUp(ctx); err != nil {
		return err
	}
	// Never cancelled: cancelling River's start context cancels the runs in
	// flight at once; Stop ends the client with a grace period instead.
	if err := r.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("runner: start: %w", err)
	}
	r.loop(r.cfg.LeaseRenew, "requeueing orphaned runs", r.reap)
	r.loop(r.cfg.CatchUpEvery, "catching up schedule slots", r.catchUp)
	r.loop(r.cfg.ScheduleSyncEvery, "reading the stored schedules", r.syncSchedules)
	if r.cfg.LoginKeys != nil {
		r.loop(r.cfg.Refresh.withDefaults().CheckEvery, "checking the saved logins' trust windows", r.checkLoginsLoop)
	}
	// Selector files are re-read as they are edited, without a restart.
	r.bgWG.Add(1)
	go func() {
		defer r.bgWG.Done()
		r.cfg.Selectors.Watch(r.bg, 2*time.Second)
	}()
	return nil
}

// loop calls fn every interval until Stop.
func (r *Runner) loop(every time.Duration, what string, fn func(context.Context) error) {
	r.bgWG.Add(1)
	go func() {
		defer r.bgWG.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-r.bg.Done():
				return
			case <-t.C:
				if err := fn(r.bg); err != nil && r.bg.Err() == nil {
					r.cfg.Logger.Warn().Err(err).Msg(what + " failed; trying again")
				}
			}
		}
	}()
}

// Selectors is the runner's selector registry.
func (r *Runner) Selectors() *selectors.Registry { return r.cfg.Selectors }

// Stop stops taking jobs and lets the runs in flight finish until ctx ends
// (the grace period). Runs still in flight then are cancelled and marked
// interrupted; the next start resumes them. Stop returns once every worker
// has returned; it is safe to call more than once.
func (r *Runner) Stop(ctx context.Context) error {
	var err error
	r.stopOnce.Do(func() {
		defer func() {
			if r.lock != nil {
				r.lock.Close()
			}
		}()
		if r.stopBG != nil {
			r.stopBG()
		}
		if serr := r.client.Stop(ctx); serr != nil {
			r.cfg.Logger.Warn().Msg("grace period over: interrupting the runs still in flight; they resume at the next start")
			r.cutting.Store(true)
			err = r.client.StopAndCancel(context.Background())
		}
		r.bgWG.Wait()
		r.versions.wait()
	})
	return err
}

// catchUp enqueues, once, the latest slot of each schedule that passed
// without a run: while Ferry was down, during a restart, or while no
// process was River's leader (River's periodic jobs fire only on the
// leader, and only from when it was elected). A schedule seen for the
// first time only records where it starts: it does not run for slots
// before Ferry knew it.
func (r *Runner) catchUp(ctx context.Context) error {
	now := r.cfg.Now()
	defer r.at("caught up")
	for _, s := range r.allSchedules() {
		slot := lastSlot(s.spec, now)
		if slot.IsZero() || (s.stored && slot.Before(s.since)) {
			continue
		}
		last, known, err := r.cfg.DB.ScheduleLastSlot(ctx, s.ID)
		if err != nil {
			return err
		}
		// A stored schedule starts at its ActiveSince, not at its first
		// sight.
		if !known && !s.stored {
			if err := r.cfg.DB.AdvanceScheduleSlot(ctx, s.ID, s.Cron, slot); err != nil {
				return err
			}
			continue
		}
		if !known || slot.After(last) {
			r.cfg.Logger.Info().Str("schedule", s.ID).Time("slot", slot).Msg("catching up a slot that passed without a run")
			if err := r.fireSlot(ctx, s, slot); err != nil {
				// One schedule's trouble does not hold the others back.
				r.cfg.Logger.Error().Err(err).Str("schedule", s.ID).Time("slot", slot).Msg("could not catch up the slot; trying again later")
			}
		}
	}
	return nil
}

// fireSlot records the run of a schedule slot and queues it, in one
// transaction; a slot that already has its run is left alone.
func (r *Runner) fireSlot(ctx context.Context, s scheduled, slot time.Time) error {
	if s.stored {
		cur, err := r.currentStored(ctx, s, slot)
		if errors.Is(err, errSlotSkipped) {
			r.cfg.Logger.Info().Err(err).Str("schedule", s.ID).Time("slot", slot).Msg("slot not fired")
			return nil
		}
		if err != nil {
			return err
		}
		s = cur
	}
	// "yesterday" means yesterday where the schedule runs (its CRON_TZ).
	loc := time.Local
	if ss, ok := s.spec.(*cron.SpecSchedule); ok && ss.Location != nil {
		loc = ss.Location
	}
	p, err := r.resolveParams(s.Bot, ferry.RunParams{Values: maps.Clone(s.Params)}, slot.In(loc))
	if err != nil {
		return river.JobCancel(err)
	}
	err = r.cfg.DB.InTx(ctx, func(ctx context.Context) error {
		id, err := r.cfg.DB.NewRun(ctx, ferry.Run{Bot: s.Bot, Login: s.Login, Site: s.Site, Schedule: s.ID, Slot: slot, Params: p})
		if err != nil {
			return err
		}
		if err := r.cfg.DB.AdvanceScheduleSlot(ctx, s.ID, s.Cron, slot); err != nil {
			return err
		}
		_, err = r.client.Insert(ctx, r.runArgs(id, s.Bot), &river.InsertOpts{MaxAttempts: r.cfg.MaxAttempts})
		return err
	})
	if errors.Is(err, ferry.ErrSlotTaken) {
		r.cfg.Logger.Info().Str("schedule", s.ID).Time("slot", slot).Msg("slot already ran")
		return nil
	}
	return err
}

// runArgs is the job of a run of bot, with the bot's time limit.
func (r *Runner) runArgs(id int64, bot string) RunArgs {
	return RunArgs{RunID: id, Bot: bot, Timeout: r.cfg.BotTimeouts[bot]}
}

// Request asks for an ad-hoc run.
type Request struct {
	Bot   string
	Login string
	// Site is the site (a name in Config.Sites) to log in to; empty: the
	// script's own.
	Site   string
	Params ferry.RunParams
}

// resolveParams fills a run's dates from the script's defaults, relative to
// at (the slot for scheduled runs, now for ad-hoc ones).
func (r *Runner) resolveParams(bot string, p ferry.RunParams, at time.Time) (ferry.RunParams, error) {
	s, _, err := scripts.LoadWith(r.cfg.ScriptsDir, r.cfg.Selectors.Get, bot)
	if err != nil {
		return p, err
	}
	return s.ResolveRun(p, at)
}

// Enqueue records an ad-hoc run and queues it in one transaction.
func (r *Runner) Enqueue(ctx context.Context, req Request) (int64, error) {
	p, err := r.resolveParams(req.Bot, req.Params, r.cfg.Now())
	if err != nil {
		return 0, err
	}
	if _, err := r.credential(ctx, req.Login); err != nil {
		return 0, err
	}
	if err := r.checkSite(req.Site); err != nil {
		return 0, err
	}
	var id int64
	err = r.cfg.DB.InTx(ctx, func(ctx context.Context) error {
		var err error
		if id, err = r.cfg.DB.NewRun(ctx, ferry.Run{Bot: req.Bot, Login: req.Login, Site: req.Site, Params: p}); err != nil {
			return err
		}
		_, err = r.client.Insert(ctx, r.runArgs(id, req.Bot), &river.InsertOpts{MaxAttempts: r.cfg.MaxAttempts})
		return err
	})
	return id, err
}

// Wait blocks until the run has ended (succeeded, failed or held) and
// returns it, or until ctx ends. An interrupted run has not ended: it
// resumes at the next start.
func (r *Runner) Wait(ctx context.Context, id int64) (ferry.RunRecord, error) {
	for {
		run, err := r.cfg.DB.Run(ctx, id)
		if err != nil {
			return run, err
		}
		switch run.Status {
		case ferry.RunSucceeded, ferry.RunFailed, ferry.RunHeld:
			return run, nil
		}
		select {
		case <-ctx.Done():
			return run, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Deliver drains the outbox now.
func (r *Runner) Deliver(ctx context.Context) (delivery.Stats, error) {
	d := &delivery.Deliverer{Outbox: r.cfg.DB, Sinks: r.cfg.Sinks, Log: r.cfg.Logger, Now: r.cfg.Now, Owner: r.deliverOwner()}
	return d.Drain(ctx)
}

type slotWorker struct {
	river.WorkerDefaults[SlotArgs]
	r *Runner
}

func (w *slotWorker) Work(ctx context.Context, job *river.Job[SlotArgs]) error {
	s, ok := w.r.slotSchedule(ctx, job.Args.Schedule)
	if !ok {
		return river.JobCancel(fmt.Errorf("schedule %q no longer configured", job.Args.Schedule))
	}
	return w.r.fireSlot(ctx, s, job.Args.Slot)
}

type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	r *Runner
}

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	_, err := w.r.Deliver(ctx)
	if err != nil {
		w.r.cfg.Logger.Warn().Err(err).Msg("delivery incomplete; the outbox keeps the records")
	}
	return nil
}

// FormatSummary renders an ingest summary for people.
func FormatSummary(s IngestSummary) string {
	parts := []string{
		fmt.Sprintf("%d accounts", s.Accounts), fmt.Sprintf("%d statements", s.Statements),
		fmt.Sprintf("%d lines", s.Lines), fmt.Sprintf("%d new", s.NewLines),
	}
	if s.Held > 0 {
		parts = append(parts, fmt.Sprintf("%d held: %s", s.Held, strings.Join(s.Problems, "; ")))
	}
	return strings.Join(parts, ", ")
}
