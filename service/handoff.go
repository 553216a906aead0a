package service

// Handing an ad-hoc run to the serve processes that work the database: the
// run's row and its River job are written in one transaction, by a River
// client that only inserts, and the serve that takes the job runs it with
// its own browser and credentials. `ferry run` beside a running serve, and
// a console, start runs this way.

import (
	"context"
	"errors"
	"fmt"
	"github.com/ferry-rpa/ferry/internal/jobqueue"
	"sort"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// RunMaxAttempts is how many times a handed-over run is tried when it fails
// with a retryable class: the runner's default (runner.Config.MaxAttempts).
const RunMaxAttempts = 4

// HandoffStore is what handing a run over needs from the database.
// *storage.DB implements it.
type HandoffStore interface {
	// InTx runs fn in a transaction, committed when fn returns nil; every
	// method given fn's context, and JobInserter.Insert, runs in it. An
	// error means nothing fn wrote was kept.
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// NewRun inserts a queued run and returns its id; an error means no
	// run was recorded.
	NewRun(ctx context.Context, r ferry.Run) (int64, error)
}

// JobInserter inserts River jobs. *storage.Queue implements it (a client
// whose river.Config has no Queues only inserts).
type JobInserter interface {
	// Insert inserts a job, in the transaction ctx carries if any; an
	// error means no job was inserted.
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// PlanHandoff checks an ad-hoc run that a serve will execute, before
// anything is written: the bot's script loads, the login is configured
// (the first by name when none is given) and declares every credential
// field the script uses, and the period is complete (the script's defaults
// relative to now fill what req leaves out). logins maps each configured
// login to the names of its fields: the secrets stay with the serve, which
// resolves them, so this process needs none of them. Errors: *InvalidError
// for an unknown bot or login or a period that ends before it starts; one
// wrapping runner.ErrIncompleteCredential for a missing field, naming the
// login and field.
func (s *Service) PlanHandoff(logins map[string][]string, req RunRequest, now time.Time) (runner.Request, error) {
	script, err := s.CheckBot(req.Bot)
	if err != nil {
		return runner.Request{}, err
	}
	names := make([]string, 0, len(logins))
	for name := range logins {
		names = append(names, name)
	}
	login, err := chooseLogin(names, req.Login)
	if err != nil {
		return runner.Request{}, err
	}
	for _, f := range runner.CredentialFields(script) {
		if !contains(logins[login], f) {
			return runner.Request{}, fmt.Errorf("run %s as %s: credential %s has no field %s, which the script uses: %w", req.Bot, login, login, f, runner.ErrIncompleteCredential)
		}
	}
	p, err := script.ResolveRun(req.Params, now)
	if err != nil {
		return runner.Request{}, &InvalidError{fmt.Errorf("run %s: %w", req.Bot, err)}
	}
	return runner.Request{Bot: req.Bot, Login: login, Site: req.Site, Params: p}, nil
}

// chooseLogin is want if it is one of names, else an *InvalidError; with no
// want, the first of names in order.
func chooseLogin(names []string, want string) (string, error) {
	if want == "" {
		if len(names) == 0 {
			return "", &InvalidError{errors.New("no credentials configured: pass --login with a credential from the config")}
		}
		sort.Strings(names)
		return names[0], nil
	}
	if !contains(names, want) {
		return "", &InvalidError{fmt.Errorf("no credential named %q is configured", want)}
	}
	return want, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Handoff records a planned run (see PlanHandoff) and its River job in one
// transaction, for whichever serve working the database takes the job
// first. timeout bounds the run (0: the serve's limit for the bot). It returns
// the run's id. An error means neither the run nor its job was written.
func Handoff(ctx context.Context, db HandoffStore, jobs JobInserter, req runner.Request, timeout time.Duration) (int64, error) {
	var id int64
	err := db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if id, err = db.NewRun(ctx, ferry.Run{Bot: req.Bot, Login: req.Login, Site: req.Site, Params: req.Params}); err != nil {
			return err
		}
		// The job is exactly the runner's, so that its worker takes it.
		_, err = jobs.Insert(ctx, runner.RunArgs{RunID: id, Bot: req.Bot, Timeout: timeout}, &river.InsertOpts{MaxAttempts: RunMaxAttempts})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("hand run %s as %s to the serve: %w", req.Bot, req.Login, err)
	}
	return id, nil
}

// InsertOnly is a River client on db that only inserts jobs: it works none,
// so the process that holds it launches no browser and elects no leader.
func InsertOnly(db *storage.DB) (jobqueue.Queue, error) {
	return db.NewQueue(&river.Config{})
}

// Serving says whether a process that works runs (a `ferry serve`) is
// working a database, and how that was told, for the operator.
type Serving struct {
	// Live is set when a serve works the database: a run is handed to it.
	Live bool
	// How says what told it (the lock's holder, River's leader).
	How string
}

// FindServe tells whether a serve works the database of dir beside this
// process, without creating anything. On SQLite the data directory's
// runner lock decides: a serve holds it while it runs. On PostgreSQL
// several serves on several machines share the database, so a live River
// leader decides (River elects one among the clients that work jobs, and
// the leader renews its term every few seconds); a local serve holding the
// directory's lock counts too. db is the opened database (nil when there is
// none yet: nothing works it).
//
// When the lock is held by another `ferry run` (or demo), whose runner
// stops when its own run ends, a run handed to it could be left queued: the
// answer is then that process's *BusyError, as before. Other errors say
// why the lock or the leader could not be read.
func FindServe(ctx context.Context, dir DataDir, db *storage.DB) (Serving, error) {
	err := dir.CheckFree()
	var be *BusyError
	switch {
	case errors.As(err, &be):
		if cmd := subcommand(be.Holder.Command); cmd != "" && cmd != "serve" {
			return Serving{}, err
		}
		who := "a Ferry process"
		if be.Holder.PID != 0 {
			who = fmt.Sprintf("ferry serve (process %d)", be.Holder.PID)
		}
		return Serving{Live: true, How: fmt.Sprintf("%s holds %s", who, dir.Lock())}, nil
	case err != nil:
		return Serving{}, err
	}
	if db == nil || !db.Postgres() {
		// A free lock on SQLite: no runner works this file.
		return Serving{}, nil
	}
	leader, err := RiverLeader(ctx, db)
	if err != nil || leader == "" {
		return Serving{}, err
	}
	return Serving{Live: true, How: fmt.Sprintf("River leader %s is live on %s", leader, db.Path)}, nil
}

// RiverLeader returns the id of the River client that leads the clients
// working db's queue, while its term is live, or "" when none does (none
// works it, or River's tables do not exist yet). Errors are the database's.
func RiverLeader(ctx context.Context, db *storage.DB) (string, error) {
	exists := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'river_leader'`
	live := `SELECT leader_id FROM river_leader WHERE julianday(expires_at) > julianday('now')`
	if db.Postgres() {
		exists = `SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = 'river_leader' AND schemaname = ANY (current_schemas(false))`
		live = `SELECT leader_id FROM river_leader WHERE expires_at > now()`
	}
	var n int
	if err := db.SQL.QueryRowContext(ctx, exists).Scan(&n); err != nil {
		return "", fmt.Errorf("River leader on %s: %w", db.Path, err)
	}
	if n == 0 {
		return "", nil
	}
	rows, err := db.SQL.QueryContext(ctx, live)
	if err != nil {
		return "", fmt.Errorf("River leader on %s: %w", db.Path, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", fmt.Errorf("River leader on %s: %w", db.Path, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("River leader on %s: %w", db.Path, err)
	}
	return strings.Join(ids, ", "), nil
}

// subcommand is the Ferry command a process's command line runs ("serve",
// "run", …): its first argument that is not a flag or a global flag's
// value. It is "" when the command line is unknown.
func subcommand(cmdline string) string {
	args := strings.Fields(cmdline)
	if len(args) < 2 {
		return ""
	}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return a
		}
		if strings.Contains(a, "=") {
			continue
		}
		switch strings.TrimLeft(a, "-") {
		case "config", "database", "log-format", "log-level":
			i++ // the flag's value
		}
	}
	return ""
}
