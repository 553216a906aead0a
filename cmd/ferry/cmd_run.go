package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/spf13/cobra"
)

type runOptions struct {
	login    string
	from, to string
	accounts []string
	params   []string // --param NAME=VALUE
	site     string
	sandbox  bool
	dataDir  string
	// configSinks keeps the config's sinks for a run with --data or
	// --sandbox, which otherwise delivers to DATA/records.jsonl only.
	configSinks bool
	// detach returns once a running serve has the run, without following
	// it.
	detach bool
}

func newRunCmd(g *globals) *cobra.Command {
	var o runOptions
	c := &cobra.Command{
		Use:   "run BOT",
		Short: "Run a bot once now, showing each step; exit non-zero on failure",
		Long: `Run a bot once, ad hoc, through the same queue and workers as the schedules.
Each step is printed as it ends. The exit code tells the outcome: 0 done,
10 credentials rejected, 11 site changed (a selector failed), 12 site
unavailable after retries, 13 a document no longer parses, 14 records held
back (a statement does not reconcile), 15 input_timeout (nobody answered the
code or QR scan the portal asked for before its deadline: the challenge was
withdrawn on the portal where it can be, the session logged out, nothing
stored), 1 anything else.

When a ferry serve works the same database (on SQLite, it holds the data
directory; on PostgreSQL, a serve on any machine is live), the run is handed
to it: the run and its job are queued in one transaction, this process
launches no browser and needs no secret, and it follows the run as the serve
stores it. Ctrl-C then stops following only (exit 130): the run goes on, and
'ferry runs follow ID' picks it up again. --detach returns at once.`,
		Example: `  ferry run demobank-statements --sandbox
  ferry run demobank-statements --login demobank-zhangwei --from 2026-10-01 --to 2026-10-31
  ferry run demobank-statements --login demobank-zhangwei --account 6222021000010001 --from today-7
  ferry run demobank-statements --login demobank-zhangwei --detach   # beside a running serve`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBot(cmd.Context(), g, args[0], o)
		},
	}
	c.Flags().StringVar(&o.login, "login", "", "credential to log in with (default: the only one configured for the site, or the first sandbox login)")
	c.Flags().StringVar(&o.from, "from", "", "first day: YYYY-MM-DD, today, yesterday or today-N (default: the script's)")
	c.Flags().StringVar(&o.to, "to", "", "last day, same forms (default: the script's)")
	c.Flags().StringSliceVar(&o.accounts, "account", nil, "only these accounts (repeatable; default: every account the login sees)")
	c.Flags().StringVar(&o.site, "site", "", "the configured site to log in to (default: the script's own; one script serves every site of its portal software)")
	c.Flags().StringArrayVar(&o.params, "param", nil, "a parameter the bot declares, NAME=VALUE (repeatable)")
	c.Flags().BoolVar(&o.sandbox, "sandbox", false, "start an in-process sandbox bank and run against it")
	c.Flags().StringVar(&o.dataDir, "data", "", "data directory (default: the config's data_dir); the records go to its records.jsonl only, not to the config's sinks")
	c.Flags().BoolVar(&o.configSinks, "config-sinks", false, "with --data or --sandbox, deliver to the config's sinks all the same")
	c.Flags().BoolVar(&o.detach, "detach", false, "beside a running serve: hand the run over and print its id without following it")
	return c
}

func parseParams(from, to string, accounts, values []string) (ferry.RunParams, error) {
	p := ferry.RunParams{Accounts: accounts}
	var err error
	if len(values) > 0 {
		if p.Values, err = scripts.ParseParamArgs(values); err != nil {
			return p, &exitError{exitUsage, err}
		}
	}
	if from != "" {
		if p.From, err = scripts.RelativeDate(from, time.Now()); err != nil {
			return p, &exitError{exitUsage, fmt.Errorf("--from: %w", err)}
		}
	}
	if to != "" {
		if p.To, err = scripts.RelativeDate(to, time.Now()); err != nil {
			return p, &exitError{exitUsage, fmt.Errorf("--to: %w", err)}
		}
	}
	if p.From.IsZero() != p.To.IsZero() {
		if p.From.IsZero() {
			p.From = p.To
		} else {
			p.To = p.From
		}
	}
	return p, nil
}

func runBot(ctx context.Context, g *globals, bot string, o runOptions) error {
	cfg, err := g.loadConfig(o.dataDir)
	if err != nil {
		return err
	}
	svc := &service.Service{ScriptsDir: cfg.ScriptsDir, SelectorsDir: cfg.SelectorsDir}
	if _, err := svc.CheckBot(bot); err != nil {
		return err
	}
	params, err := parseParams(o.from, o.to, o.accounts, o.params)
	if err != nil {
		return err
	}
	if _, ok := cfg.Sites[o.site]; o.site != "" && !ok {
		return &exitError{exitUsage, fmt.Errorf("--site %s: no such site in the config's sites:", o.site)}
	}
	// A serve working the database takes the run: this process then
	// launches no browser of its own.
	db, serving, err := findServe(ctx, cfg)
	if err != nil {
		return err
	}
	if serving.Live {
		defer db.Close()
		if o.sandbox {
			return &exitError{exitBusy, fmt.Errorf("a ferry serve works this database (%s), and a --sandbox run cannot be handed to it: the sandbox bank lives in this process (use another --data, or another --database)", serving.How)}
		}
		if o.dataDir != "" && !o.configSinks {
			fmt.Fprintln(g.stderr, "ferry: note: the serve delivers the records to the sinks of its own config, not to this data directory's records.jsonl")
		}
		return handOver(ctx, g, cfg, svc, db, serving, service.RunRequest{Bot: bot, Login: o.login, Site: o.site, Params: params}, o.detach)
	}
	if db != nil {
		db.Close()
	}
	if o.detach {
		return &exitError{exitUsage, errors.New("--detach hands a run to a running ferry serve, and none works this database: run without --detach, or start ferry serve")}
	}
	if (o.dataDir != "" || o.sandbox) && !o.configSinks {
		if dropped := cfg.scratchSinks(); len(dropped) > 0 {
			fmt.Fprintf(g.stderr, "ferry: note: records go to %s only, not to the config's %s (--config-sinks delivers there)\n", cfg.jsonlPath(), strings.Join(dropped, ", "))
		}
	}
	var creds runner.StaticCredentials
	if !o.sandbox {
		// Only the login asked for is resolved: another login's secret
		// missing from this environment is not this run's problem.
		var only []string
		if o.login != "" {
			only = []string{o.login}
		}
		if creds, err = cfg.credentials(only...); err != nil {
			return err
		}
	}
	if o.sandbox {
		bank := sandbox.New(sandbox.Options{Seed: 2026})
		u, stop, err := bank.Serve("127.0.0.1:0")
		if err != nil {
			return err
		}
		defer stop()
		cfg.Sites = map[string]string{"demobank": u}
		creds = sandboxCredentials()
		fmt.Fprintf(g.stdout, "sandbox bank on %s\n", u)
	}
	// Everything about the run is checked before a browser starts: an
	// empty secret is never submitted.
	req, err := svc.PlanRun(creds, service.RunRequest{Bot: bot, Login: o.login, Site: o.site, Params: params})
	if err != nil {
		return err
	}
	cfg.Schedules = nil // an ad-hoc run starts no schedules
	prompt := interactivePrompt(g, os.Stdin)
	a, err := openApp(ctx, cfg, creds, g.logger(), func(rc *runner.Config) {
		rc.OnStep = func(id int64, s ferry.Step) { printStep(g.stdout, s) }
		if prompt != nil {
			rc.Challenges.OnAsk = prompt.ask
		}
	})
	if err != nil {
		return err
	}
	if prompt != nil {
		prompt.db, prompt.wake = a.db, a.runner.Wake
	}
	defer func() {
		// Interrupted (Ctrl-C, SIGTERM): the run gets a few seconds to
		// finish, then it is marked interrupted and resumes from what it
		// stored at the next start; a finished run stops at once.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), runStopGrace)
		defer cancel()
		a.close(sctx)
	}()
	id, req, err := svc.StartRun(ctx, a.runner, creds, service.RunRequest{Bot: req.Bot, Login: req.Login, Site: req.Site, Params: req.Params})
	if err != nil {
		return err
	}
	r, err := a.db.Run(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "run %d: %s as %s, %s to %s\n", id, bot, req.Login, r.Params.From, r.Params.To)
	run, err := a.runner.Wait(ctx, id)
	if err != nil {
		return err
	}
	return reportRun(ctx, g.stdout, a.db, run)
}

// findServe opens the database if a serve may work it, and tells whether
// one does (see service.FindServe). The database is nil when there is none
// yet; the caller closes it otherwise.
func findServe(ctx context.Context, cfg *Config) (*storage.DB, service.Serving, error) {
	dir := service.DataDir(cfg.DataDir)
	var db *storage.DB
	if cfg.postgres() {
		var err error
		if db, err = openExisting(ctx, cfg); err != nil {
			return nil, service.Serving{}, err
		}
	}
	serving, err := service.FindServe(ctx, dir, db)
	if err == nil && serving.Live && db == nil {
		db, err = openExisting(ctx, cfg)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		return nil, service.Serving{}, err
	}
	return db, serving, nil
}

// handOver queues a run for the serve that works db and follows it (or,
// detached, prints its id). The secrets stay with the serve: only the
// logins' names and fields are read here.
func handOver(ctx context.Context, g *globals, cfg *Config, svc *service.Service, db *storage.DB, serving service.Serving, rr service.RunRequest, detach bool) error {
	logins := map[string][]string{}
	for name, cc := range cfg.Credentials {
		for field := range cc.fields() {
			logins[name] = append(logins[name], field)
		}
	}
	req, err := svc.PlanHandoff(logins, rr, time.Now())
	if err != nil {
		return err
	}
	jobs, err := service.InsertOnly(db)
	if err != nil {
		return err
	}
	id, err := service.Handoff(ctx, db, jobs, req, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "run %d: %s as %s, %s to %s: handed to the running serve (%s)\n", id, req.Bot, req.Login, req.Params.From, req.Params.To, serving.How)
	if detach {
		fmt.Fprintf(g.stdout, "follow it with: ferry runs follow %d\n", id)
		return nil
	}
	return followRun(ctx, g, db, id)
}

// runStopGrace is how long an interrupted `ferry run` lets its run finish.
const runStopGrace = 10 * time.Second

func printStep(w io.Writer, s ferry.Step) {
	mark := "ok  "
	if s.Status != ferry.StepOK {
		mark = "FAIL"
	}
	target := s.Element
	if s.Way != "" {
		target += " (" + s.Way + ")"
	}
	fmt.Fprintf(w, "  %s %-9s %-28s %6dms %s\n", mark, s.Action, target, s.Duration.Milliseconds(), strings.TrimSpace(s.Detail))
}

// reportRun prints a finished run and returns the error its outcome maps to.
func reportRun(ctx context.Context, w io.Writer, db *storage.DB, run storageRun) error {
	status := string(run.Status)
	if run.Status == ferry.RunFailed && run.Class == ferry.ClassInputTimeout {
		// The state a person reads: the run ended waiting for them.
		status = string(ferry.ClassInputTimeout)
	}
	fmt.Fprintf(w, "run %d %s (attempt %d)\n", run.ID, status, run.Attempt)
	if run.Summary != "" {
		fmt.Fprintf(w, "  %s\n", summaryLine(run.Summary))
	}
	outcome := service.Outcome(run, summaryLine(run.Summary))
	if run.Status == ferry.RunFailed && run.Class == ferry.ClassInputTimeout {
		if c, err := db.LatestChallenge(ctx, run.ID); err == nil {
			fmt.Fprintf(w, "  nobody answered challenge %d (%s %s) before %s: it is %s; the run stored nothing\n",
				c.ID, c.Kind, c.Destination, c.Deadline.UTC().Format(time.RFC3339), c.State)
		}
		outcome = &exitError{exitInputTimeout, outcome}
	}
	if run.Status == ferry.RunFailed {
		arts, _ := db.Artifacts(ctx, run.ID)
		for _, art := range arts {
			if art.Kind == "evidence" {
				fmt.Fprintf(w, "  evidence: %s %s\n", art.Name, db.ArtifactPath(art.SHA256))
			}
		}
	}
	return outcome
}

func summaryLine(js string) string {
	var s runner.IngestSummary
	if err := jsonUnmarshal(js, &s); err != nil {
		return js
	}
	return runner.FormatSummary(s)
}
