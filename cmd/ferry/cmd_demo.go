package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/service"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

type demoOptions struct {
	dataDir  string
	from, to string
	verbose  bool
}

func newDemoCmd(g *globals) *cobra.Command {
	var o demoOptions
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run the nightly statement bot for every sandbox account, end to end",
		Long: `Start the sandbox bank on 127.0.0.1, then run the nightly statement bot once for
every sandbox login (and so every sandbox account) in headless Chromium:
log in (one login has a TOTP step), search each account's statement, read
every result page, download XLSX, CSV and PDF, parse them, check that they
agree and reconcile, store the records in SQLite and deliver them to a JSON
Lines file. Run it twice: the second run delivers nothing new.

Needs Debian's chromium package (make demo installs it when run as root).`,
		Example: `  ferry demo
  ferry demo --data /tmp/ferry-demo --from 2026-10-01 --to 2026-10-31`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDemo(cmd.Context(), g, o) },
	}
	c.Flags().StringVar(&o.dataDir, "data", "demo-output", "data directory: SQLite file, artifacts, delivered records")
	c.Flags().StringVar(&o.from, "from", "today-7", "first day of the statements")
	c.Flags().StringVar(&o.to, "to", "yesterday", "last day of the statements")
	c.Flags().BoolVar(&o.verbose, "steps", false, "print every step")
	return c
}

func runDemo(ctx context.Context, g *globals, o demoOptions) error {
	params, err := parseParams(o.from, o.to, nil, nil)
	if err != nil {
		return err
	}
	bank := sandbox.New(sandbox.Options{Seed: 2026})
	u, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer stop()
	abs, _ := filepath.Abs(o.dataDir)
	cfg := &Config{DataDir: abs, Sites: map[string]string{"demobank": u}}
	creds := sandboxCredentials()
	fmt.Fprintf(g.stdout, "Ferry demo\n  sandbox bank: %s (seed 2026)\n  period:       %s to %s\n", u, params.From, params.To)
	log := g.logger()
	if g.logLevel == "info" && !o.verbose {
		log = log.Level(zerolog.WarnLevel)
	}
	started := time.Now()
	a, err := openApp(ctx, cfg, creds, log, func(rc *runner.Config) {
		if o.verbose {
			rc.OnStep = func(id int64, s ferry.Step) { printStep(g.stdout, s) }
		}
	})
	if err != nil {
		return err
	}
	defer a.close(context.WithoutCancel(ctx))
	var logins []string
	for name := range creds {
		logins = append(logins, name)
	}
	sort.Strings(logins)
	var ids []int64
	svc := &service.Service{}
	for _, l := range logins {
		id, _, err := svc.StartRun(ctx, a.runner, creds, service.RunRequest{Bot: "demobank-statements", Login: l, Params: params})
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	var failed error
	total := runner.IngestSummary{}
	fmt.Fprintln(g.stdout, "\nRuns")
	for _, id := range ids {
		run, err := a.runner.Wait(ctx, id)
		if err != nil {
			return err
		}
		var s runner.IngestSummary
		_ = jsonUnmarshal(run.Summary, &s)
		total.Accounts += s.Accounts
		total.Statements += s.Statements
		total.Lines += s.Lines
		total.NewLines += s.NewLines
		total.Held += s.Held
		line := fmt.Sprintf("  run %d  %-18s %-9s", run.ID, run.Login, run.Status)
		if run.Status == ferry.RunFailed {
			line += fmt.Sprintf(" %s: %s", run.Class, run.Error)
			failed = &ferry.Error{Class: run.Class, Where: fmt.Sprintf("run %d", run.ID), Err: fmt.Errorf("%s", run.Error)}
		} else {
			line += " " + runner.FormatSummary(s)
		}
		fmt.Fprintln(g.stdout, line)
	}
	// Delivery runs after each run; drain once more so the counts are final.
	if _, err := a.runner.Deliver(ctx); err != nil {
		fmt.Fprintln(g.stdout, "  delivery incomplete:", err)
	}
	counts, _ := a.db.OutboxCounts(ctx)
	stored, _ := a.db.CountLines(ctx)
	fmt.Fprintf(g.stdout, `
Summary (%.1fs)
  accounts:            %d
  statements:          %d (%d held back)
  statement lines:     %d, of which new this time: %d
  records delivered:   %d in total (pending %d, parked %d)
  SQLite database:     %s
  artifacts:           %s
  delivered records:   %s
`, time.Since(started).Seconds(), total.Accounts, total.Statements, total.Held, total.Lines, total.NewLines,
		counts["delivered"], counts["pending"], counts["parked"], a.db.Path, a.db.ArtifactsDir, "jsonl: "+cfg.jsonlPath())
	_ = stored
	fmt.Fprintf(g.stdout, "\nLook closer: ferry runs list --data %s ; ferry runs show %d --data %s\n", o.dataDir, ids[0], o.dataDir)
	return failed
}
