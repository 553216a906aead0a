package service

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/storage"
)

// InvalidError says the request itself is wrong (an unknown bot, a login
// that is not configured): the command line's usage error, a console's
// bad request.
type InvalidError struct{ Err error }

// Error is the wrapped error's message.
func (e *InvalidError) Error() string { return e.Err.Error() }

// Unwrap returns what is wrong with the request.
func (e *InvalidError) Unwrap() error { return e.Err }

// HeldError says a run finished with records held back (a statement that
// does not reconcile): nothing wrong with the run, but not everything went
// on to the finance system.
type HeldError struct {
	Run     int64
	Summary string
}

// Error names the run and what was held back.
func (e *HeldError) Error() string {
	return fmt.Sprintf("run %d: records held back: %s", e.Run, e.Summary)
}

// RunRequest is an ad-hoc run as an operator asks for it.
type RunRequest struct {
	Bot   string
	Login string // "" for the first configured login, by name
	// Site is the configured site to log in to ("" for the script's own):
	// one script serves every site of its portal software.
	Site   string
	Params ferry.RunParams
}

// Runs starts and follows runs. *runner.Runner implements it.
type Runs interface {
	// Enqueue records a run and queues it; an error means nothing was
	// queued.
	Enqueue(ctx context.Context, req runner.Request) (int64, error)
	// Wait returns the run once it has finished, or the context's error.
	Wait(ctx context.Context, id int64) (storage.RunRecord, error)
}

// PlanRun checks an ad-hoc run before anything starts (no browser, no
// database): the bot's script loads, the login is configured (the first by
// name when none is given), and its credential has every field the script
// uses, none of them empty. Errors: *InvalidError for an unknown bot or
// login; one wrapping runner.ErrIncompleteCredential, naming the
// credential and field but never a value.
func (s *Service) PlanRun(creds runner.StaticCredentials, req RunRequest) (runner.Request, error) {
	script, err := s.CheckBot(req.Bot)
	if err != nil {
		return runner.Request{}, err
	}
	login := req.Login
	if login == "" {
		names := make([]string, 0, len(creds))
		for name := range creds {
			names = append(names, name)
		}
		if len(names) == 0 {
			return runner.Request{}, &InvalidError{errors.New("no credentials configured: pass --login with a credential from the config")}
		}
		sort.Strings(names)
		login = names[0]
	}
	cred, ok := creds[login]
	if !ok {
		return runner.Request{}, &InvalidError{fmt.Errorf("no credential named %q is configured", login)}
	}
	if err := runner.CheckCredential(cred, runner.CredentialFields(script)); err != nil {
		return runner.Request{}, fmt.Errorf("run %s as %s: %w", req.Bot, login, err)
	}
	// Bad parameters stop the run before any browser starts; the runner
	// resolves them again when it queues the run.
	if _, err := script.ResolveRun(req.Params, time.Now()); err != nil {
		return runner.Request{}, &InvalidError{fmt.Errorf("run %s: %w", req.Bot, err)}
	}
	return runner.Request{Bot: req.Bot, Login: login, Site: req.Site, Params: req.Params}, nil
}

// StartRun plans a run (see PlanRun) and queues it, returning its id and
// the request as queued (with the login chosen). Errors: those of PlanRun,
// or the queue's (nothing was queued).
func (s *Service) StartRun(ctx context.Context, runs Runs, creds runner.StaticCredentials, req RunRequest) (int64, runner.Request, error) {
	r, err := s.PlanRun(creds, req)
	if err != nil {
		return 0, r, err
	}
	id, err := runs.Enqueue(ctx, r)
	if err != nil {
		return 0, r, fmt.Errorf("start run %s as %s: %w", r.Bot, r.Login, err)
	}
	return id, r, nil
}

// CheckBot loads a bot's script (and its site's selector file), returning
// *InvalidError when there is no such bot or it does not load.
func (s *Service) CheckBot(bot string) (*scripts.Script, error) {
	script, _, err := scripts.Load(s.ScriptsDir, s.SelectorsDir, bot)
	if err != nil {
		return nil, &InvalidError{err}
	}
	return script, nil
}

// Outcome is the error a finished run's status maps to: nil when it
// succeeded, *HeldError when records were held back, and a *ferry.Error
// with the run's failure class otherwise.
func Outcome(run storage.RunRecord, summary string) error {
	switch run.Status {
	case ferry.RunSucceeded:
		return nil
	case ferry.RunHeld:
		return &HeldError{Run: run.ID, Summary: summary}
	}
	return &ferry.Error{Class: run.Class, Where: fmt.Sprintf("run %d", run.ID), Err: errors.New(run.Error)}
}
