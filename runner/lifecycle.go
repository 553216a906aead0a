package runner

// The run lifecycle, owned here: a run's job claims the run's lease, keeps
// it while it works, and settle (or, for a panic, the River error handler
// below) is the only code that moves a run out of "running". Orphans, runs
// whose lease expired because their process died, are queued again by
// reap; River's own rescuer frees their old jobs later.

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"
)

// errLeaseLost ends a run whose lease another process took over.
var errLeaseLost = errors.New("the run's lease was lost to another process")

// newOwner names this process in leases.
func newOwner() string {
	host, _ := os.Hostname()
	var b [6]byte
	_, _ = crand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// terminal reports whether a run has ended for good.
func terminal(s ferry.RunStatus) bool {
	return s == ferry.RunSucceeded || s == ferry.RunFailed || s == ferry.RunHeld
}

type runWorker struct {
	river.WorkerDefaults[RunArgs]
	r *Runner
}

// NextRetry backs off exponentially with full jitter, so retries of a site
// that is down do not arrive together.
func (w *runWorker) NextRetry(job *river.Job[RunArgs]) time.Time {
	base := w.r.cfg.RetryBase << max(0, job.Attempt-1)
	return time.Now().Add(base/2 + time.Duration(rand.Int64N(int64(base/2)+1)))
}

// Timeout is the run's own time limit (its bot's), else the runner's.
func (w *runWorker) Timeout(job *river.Job[RunArgs]) time.Duration {
	if job.Args.Timeout > 0 {
		return job.Args.Timeout
	}
	if d := w.r.cfg.BotTimeouts[job.Args.Bot]; d > 0 {
		return d
	}
	return w.r.cfg.RunTimeout
}

func (w *runWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	r := w.r
	run, err := r.cfg.DB.Run(ctx, job.Args.RunID)
	if err != nil {
		return river.JobCancel(err)
	}
	if terminal(run.Status) {
		// A second job of a run that has ended: the old job of an orphan
		// that River's rescuer freed after the run was queued again.
		return nil
	}
	// A second job of a run this process is working (an orphan's old job,
	// freed by River's rescuer while the new one works): the lease, being
	// this process's own, would not stop it.
	if _, busy := r.working.LoadOrStore(run.ID, struct{}{}); busy {
		return river.JobSnooze(busyRetry)
	}
	defer r.working.Delete(run.ID)
	// The run's own count of attempts: a run requeued after its process
	// died, or resumed after a stop, gets a job whose count starts again.
	attempt := max(job.Attempt, run.Attempt+1)
	log := r.cfg.Logger.With().Int64("run_id", run.ID).Str("bot", run.Bot).Int("attempt", attempt).Logger()
	now := time.Now()
	held, err := r.cfg.DB.ClaimRun(ctx, run.ID, r.owner, now, now.Add(r.cfg.LeaseTTL))
	if err != nil {
		return r.settle(ctx, log, run.Run, job, err, false)
	}
	if !held {
		// Another process works this run (a duplicate job): wait for its
		// lease to end, without spending an attempt.
		_, until, err := r.cfg.DB.Lease(ctx, run.ID)
		if err != nil {
			return err
		}
		return river.JobSnooze(max(time.Second, time.Until(until)+time.Second))
	}
	p, err := r.prepare(ctx, run)
	if err != nil {
		return r.settle(ctx, log, run.Run, job, err, false)
	}
	// The selector version the run uses is in the history before it
	// begins (the registry's own record of a load is queued; this is a
	// look-up when it already ran). An error is logged; the run goes on.
	_ = r.versions.record(ctx, p.sel)
	// Never two runs of one user on one site at once (a second login can
	// log the first out, or lock the account), and no more runs on a site
	// than its limits allow: the store decides, atomically across every
	// process sharing it.
	if err := r.begin(ctx, run, p, attempt); err != nil {
		if wait, busy := busyFor(err); busy {
			_ = r.cfg.DB.ReleaseLease(context.WithoutCancel(ctx), run.ID, r.owner)
			log.Debug().Err(err).Dur("retry_in", wait).Msg("waiting for the login or the site")
			return river.JobSnooze(wait)
		}
		return r.settle(ctx, log, run.Run, job, err, false)
	}
	runCtx, release := r.hold(ctx, log, run.ID)
	defer release() // a panic too stops the renewals; the lease stays until the error handler fails the run
	err = r.execute(runCtx, log, run, p, attempt)
	lost := errors.Is(context.Cause(runCtx), errLeaseLost)
	release()
	return r.settle(ctx, log, run.Run, job, err, lost)
}

// hold renews the lease on a run every LeaseRenew until release is
// called (once or more). The returned context ends, with errLeaseLost as its cause, if
// another process took the lease over.
func (r *Runner) hold(ctx context.Context, log zerolog.Logger, id int64) (context.Context, func()) {
	hctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(r.cfg.LeaseRenew)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-hctx.Done():
				return
			case <-t.C:
				ok, err := r.cfg.DB.RenewLease(hctx, id, r.owner, time.Now().Add(r.cfg.LeaseTTL))
				switch {
				case err != nil:
					// The lease outlasts several renewals: try again.
					log.Warn().Err(err).Msg("could not renew the run's lease")
				case !ok:
					log.Error().Msg("another process took this run over; stopping it here")
					cancel(errLeaseLost)
					return
				}
			}
		}
	}()
	var once sync.Once
	return hctx, func() {
		once.Do(func() {
			close(done)
			wg.Wait()
			cancel(nil)
		})
	}
}

// interrupted reports whether an attempt that ended with ctx was cut off
// by a stop's grace deadline, rather than failing by itself.
func (r *Runner) interrupted(ctx context.Context) bool {
	return r.cutting.Load() && ctx.Err() != nil
}

// settle records how an attempt of a run ended and tells River what to do
// with its job. execute has already recorded a success.
func (r *Runner) settle(ctx context.Context, log zerolog.Logger, run ferry.Run, job *river.Job[RunArgs], err error, lost bool) error {
	bg := context.WithoutCancel(ctx)
	switch {
	case err == nil:
		_ = r.cfg.DB.ReleaseLease(bg, run.ID, r.owner)
		return nil
	case lost:
		// The run is another process's now; it records the outcome.
		log.Warn().Err(err).Msg("run taken over by another process")
		return nil
	case r.interrupted(ctx):
		log.Warn().Err(err).Msg("run interrupted by a stop; it resumes at the next start")
		if _, ierr := r.cfg.DB.InterruptRun(bg, run.ID, r.owner, "interrupted by a stop: "+err.Error()); ierr != nil {
			log.Error().Err(ierr).Msg("could not mark the run interrupted; its lease expires and it is run again")
		}
		// Not an attempt: the job is worked again at once at the next start.
		return river.JobSnooze(0)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// Wherever the run was when its time ran out (a wait that "found
		// nothing", a query), the cause is the time limit: a slow site.
		err = ferry.Errorf(ferry.ClassSiteUnavailable, "run", "the run reached its time limit of %s: %w", (&runWorker{r: r}).Timeout(job), err)
	}
	if diskFull(err) && ferry.ClassOf(err) != ferry.ClassResourceExhausted {
		err = ferry.Errorf(ferry.ClassResourceExhausted, "disk", "disk full: %w", err)
	}
	class := ferry.ClassOf(err)
	if class == ferry.ClassResourceExhausted {
		// Free the reserve so that the failure itself can be written.
		r.dropReserve(log)
	}
	if class.Retryable() && job.Attempt < job.MaxAttempts {
		log.Warn().Str("class", string(class)).Err(err).Msg("run failed; retrying with backoff")
		if rerr := r.cfg.DB.RequeueRun(bg, run.ID, class, err.Error()); rerr != nil {
			log.Error().Err(rerr).Msg("could not mark the run queued for its retry")
		}
		_ = r.cfg.DB.ReleaseLease(bg, run.ID, r.owner)
		return err
	}
	log.Error().Str("class", string(class)).Err(err).Msg("run failed")
	if ferr := r.fail(bg, run.ID, class, err.Error()); ferr != nil {
		log.Error().Err(ferr).Msg("could not record the run's failure; River tries the job again")
		return fmt.Errorf("%w (and recording the failure: %v)", err, ferr)
	}
	return river.JobCancel(err)
}

// fail records a run's failure and releases its lease. A full disk gets
// one more try once the reserve is freed.
func (r *Runner) fail(ctx context.Context, id int64, class ferry.FailureClass, text string) error {
	err := r.cfg.DB.FinishRun(ctx, id, ferry.RunFailed, class, text, "")
	if err != nil && diskFull(err) {
		r.dropReserve(r.cfg.Logger)
		err = r.cfg.DB.FinishRun(ctx, id, ferry.RunFailed, class, text, "")
	}
	if err != nil {
		return err
	}
	return r.cfg.DB.ReleaseLease(ctx, id, r.owner)
}

// lifecycleHandler is River's error handler: a panic in a run's job (in
// the worker, the bot's steps, the ingest) fails the run as internal, with
// the stack stored as evidence, instead of leaving it "running".
type lifecycleHandler struct{ r *Runner }

// HandleError leaves errors to the workers: settle has recorded them.
func (h *lifecycleHandler) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	return nil
}

// HandlePanic fails the run of a panicking run job for good.
func (h *lifecycleHandler) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	r := h.r
	log := r.cfg.Logger
	if job.Kind != (RunArgs{}).Kind() {
		log.Error().Str("job", job.Kind).Str("panic", fmt.Sprint(panicVal)).Str("stack", trace).Msg("panic in a job; River retries it")
		return nil
	}
	var args RunArgs
	if err := json.Unmarshal(job.EncodedArgs, &args); err != nil {
		log.Error().Err(err).Int64("job", job.ID).Msg("panic in a run job whose arguments do not decode")
		return &river.ErrorHandlerResult{SetCancelled: true}
	}
	ctx = context.WithoutCancel(ctx)
	log = log.With().Int64("run_id", args.RunID).Logger()
	log.Error().Str("panic", fmt.Sprint(panicVal)).Str("stack", trace).Msg("run panicked")
	text := fmt.Sprintf("panic: %v\n\n%s", panicVal, trace)
	if _, err := r.cfg.DB.PutArtifact(ctx, ferry.Artifact{RunID: args.RunID, Kind: "evidence", Name: "panic.txt", MIME: "text/plain", Format: "txt"}, []byte(text)); err != nil {
		log.Error().Err(err).Msg("could not store the panic's stack")
	}
	if err := r.fail(ctx, args.RunID, ferry.ClassInternal, "panic: "+fmt.Sprint(panicVal)); err != nil {
		log.Error().Err(err).Msg("could not record the panic as the run's failure")
	}
	return &river.ErrorHandlerResult{SetCancelled: true}
}

// reap queues again the runs left running by a process that died: their
// lease expired (or they never had one).
func (r *Runner) reap(ctx context.Context) error {
	orphans, err := r.cfg.DB.OrphanedRuns(ctx)
	if err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	for _, o := range orphans {
		if err := r.requeue(ctx, o, time.Now()); err != nil {
			return err
		}
	}
	return nil
}

// soleScan bounds how many of the newest runs reapDead looks at: runs in
// flight are among the newest, and older ones are found by reap once
// their lease expires.
const soleScan = 1000

// sole reports whether this runner knows it is the database's only user:
// it holds the data directory's lock, and the database is a SQLite file
// in that directory (a PostgreSQL database is shared by other machines).
func (r *Runner) sole() bool { return r.lock != nil && !r.cfg.DB.Postgres() }

// reapDead, at start, queues again at once the runs that a dead process
// held, without waiting for their leases to expire: a runner that is the
// database's only user knows that every lease but its own is a dead
// process's (a crash, SIGKILL). That takes runs leased while queued or
// interrupted too (their process died between taking and starting them).
// Outbox items the dead process claimed are sent now too.
func (r *Runner) reapDead(ctx context.Context) error {
	if !r.sole() {
		return nil
	}
	runs, err := r.cfg.DB.Runs(ctx, soleScan)
	if err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	// Any lease is expired to a claim made as if at the end of time.
	endOfTime := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, run := range runs {
		if terminal(run.Status) {
			continue
		}
		owner, _, err := r.cfg.DB.Lease(ctx, run.ID)
		if err != nil {
			return fmt.Errorf("runner: %w", err)
		}
		if owner == "" || owner == r.owner {
			continue // free: queued runs have their job; running ones are reap's
		}
		if err := r.requeue(ctx, run, endOfTime); err != nil {
			return err
		}
	}
	// This process's own claims stay (none yet, at start).
	n, err := r.cfg.DB.ReleaseOutboxLeases(ctx, r.deliverOwner())
	if err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	if n > 0 {
		r.cfg.Logger.Warn().Int("items", n).Msg("outbox items claimed by a process that died are delivered again; the sinks skip what they already hold")
	}
	return nil
}

// errNotOrphan rolls back a requeue whose run was not an orphan after all.
var errNotOrphan = errors.New("not an orphan")

// requeue queues an orphaned run again with a new job, in one
// transaction, unless it changed since it was found: the lease, taken
// with now as the time it is judged at, decides between processes that
// found the same orphan (one takes it; the others find it taken, or find
// it queued once the first committed), and is released with the run
// queued.
func (r *Runner) requeue(ctx context.Context, o ferry.RunRecord, now time.Time) error {
	err := r.cfg.DB.InTx(ctx, func(ctx context.Context) error {
		held, err := r.cfg.DB.ClaimRun(ctx, o.ID, r.owner, now, time.Now().Add(r.cfg.LeaseTTL))
		if err != nil || !held {
			return cmp.Or(err, errNotOrphan)
		}
		cur, err := r.cfg.DB.Run(ctx, o.ID)
		if err != nil {
			return err
		}
		if cur.Status != o.Status {
			return errNotOrphan
		}
		if cur.Status == ferry.RunRunning {
			// Its class and error stay: the attempt before it may have
			// failed for a reason worth seeing.
			if err := r.cfg.DB.RequeueRun(ctx, o.ID, cur.Class, cur.Error); err != nil {
				return err
			}
		}
		if err := r.cfg.DB.ReleaseLease(ctx, o.ID, r.owner); err != nil {
			return err
		}
		_, err = r.client.Insert(ctx, r.runArgs(o.ID, cur.Bot), &river.InsertOpts{MaxAttempts: r.cfg.MaxAttempts})
		return err
	})
	switch {
	case errors.Is(err, errNotOrphan):
		return nil
	case err != nil:
		return fmt.Errorf("runner: requeue orphaned run %d: %w", o.ID, err)
	}
	r.cfg.Logger.Warn().Int64("run_id", o.ID).Str("status", string(o.Status)).Msg("run left by a process that died is run again; it resumes from what it stored")
	return nil
}

// deliverOwner names this runner's deliverers in their outbox claims.
func (r *Runner) deliverOwner() string { return r.owner + "/deliver" }

// makeReserve writes the disk reserve file.
func (r *Runner) makeReserve() error {
	if r.cfg.ReservePath == "" || r.cfg.ReservePath == "-" {
		return nil
	}
	if st, err := os.Stat(r.cfg.ReservePath); err == nil && st.Size() >= r.cfg.ReserveBytes {
		return nil
	}
	f, err := os.OpenFile(r.cfg.ReservePath, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("runner: reserve %s: %w", r.cfg.ReservePath, err)
	}
	// Blocks really allocated: a sparse file would free nothing.
	err = syscall.Fallocate(int(f.Fd()), 0, 0, r.cfg.ReserveBytes)
	if errors.Is(err, syscall.EOPNOTSUPP) {
		_, err = f.Write(make([]byte, r.cfg.ReserveBytes))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(r.cfg.ReservePath)
		return fmt.Errorf("runner: reserve %s: %w", r.cfg.ReservePath, err)
	}
	return nil
}

// dropReserve deletes the disk reserve, once.
func (r *Runner) dropReserve(log zerolog.Logger) {
	if r.cfg.ReservePath == "" || r.cfg.ReservePath == "-" {
		return
	}
	err := os.Remove(r.cfg.ReservePath)
	switch {
	case err == nil:
		log.Error().Str("reserve", r.cfg.ReservePath).Msg("disk full: the reserve was freed to record the failure; free space, Ferry writes the reserve again at its next start")
	case !errors.Is(err, fs.ErrNotExist):
		log.Error().Err(err).Msg("could not free the disk reserve")
	}
}

// diskFull reports whether err comes from a full filesystem: ENOSPC or
// EDQUOT from the OS, or SQLite's SQLITE_FULL (its drivers expose a
// Code method; the primary code is the low byte).
func diskFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) && coded.Code()&0xff == 13 {
		return true
	}
	// Errors that crossed a %v (a bot's step error) keep only their text.
	msg := err.Error()
	return strings.Contains(msg, "no space left on device") || strings.Contains(msg, "database or disk is full")
}
