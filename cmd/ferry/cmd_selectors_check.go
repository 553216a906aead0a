package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/ferry-rpa/ferry/service"
	"github.com/spf13/cobra"
)

// canaryWindow is the period the canary searches when none is given: the
// 31 days up to yesterday. One day is not enough: a quiet account has days,
// weekends and holidays without a transaction, and then the selectors of the
// result rows cannot be checked.
func canaryWindow(today ferry.Date) (from, to ferry.Date) {
	return today.AddDays(-31), today.AddDays(-1)
}

func (e *selectorsEnv) checkCmd() *cobra.Command {
	var bot, login, fromFlag, toFlag string
	var seed bool
	c := &cobra.Command{
		Use:   "check SITE",
		Short: "Canary: log in and resolve every selector on the live pages, downloading nothing",
		Long: `check runs the site's bot as a canary: it logs in where credentials are
configured, follows the script over one account and one page of results,
downloads nothing, and after every step resolves every selector of the
site's file on the page it is on. It searches the 31 days up to yesterday
unless --from and --to say otherwise, and says so when the site showed no
rows in that window (their selectors could not be checked). It reports each selector's best outcome
and fails (exit 11) when the run breaks or a selector matches several
elements. Selectors for error states (a wrong password, a failed search)
are listed as not seen: the canary does not provoke them.`,
		Example: `  ferry selectors check demobank --config ferry.yaml
  ferry selectors check demobank --login lina
  ferry selectors check demobank --from 2026-10-01 --to 2026-10-31
  ferry selectors check demobank --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			site := args[0]
			cfg, err := e.config()
			if err != nil {
				return err
			}
			if bot == "" {
				for _, b := range scripts.Bots(cfg.ScriptsDir) {
					if s, _, err := scripts.Load(cfg.ScriptsDir, cfg.SelectorsDir, b); err == nil && s.Site == site {
						bot = b
						break
					}
				}
				if bot == "" {
					return &exitError{exitUsage, fmt.Errorf("no bot script for site %q", site)}
				}
			}
			script, sel, err := scripts.Load(cfg.ScriptsDir, cfg.SelectorsDir, bot)
			if err != nil {
				return err
			}
			base, ok := cfg.Sites[site]
			if !ok {
				return &exitError{exitUsage, fmt.Errorf("the config has no URL for site %q", site)}
			}
			var only []string
			if login != "" {
				only = []string{login}
			}
			creds, err := cfg.credentials(only...)
			if err != nil {
				return err
			}
			// The login is checked before a browser starts: an empty
			// secret is never submitted.
			svc := &service.Service{ScriptsDir: cfg.ScriptsDir, SelectorsDir: cfg.SelectorsDir}
			req, err := svc.PlanRun(creds, service.RunRequest{Bot: bot, Login: login})
			if err != nil {
				return err
			}
			login = req.Login
			cred := creds[login]
			ctx := cmd.Context()
			log := e.g.logger()
			br, err := launchBrowser(ctx, cfg, log)
			if err != nil {
				return err
			}
			defer br.Close()
			from, to := canaryWindow(ferry.DateOf(time.Now()))
			if fromFlag != "" || toFlag != "" {
				if from, err = ferry.ParseDate(fromFlag); err != nil {
					return &exitError{exitUsage, fmt.Errorf("--from: %w (give --from and --to together)", err)}
				}
				if to, err = ferry.ParseDate(toFlag); err != nil {
					return &exitError{exitUsage, fmt.Errorf("--to: %w (give --from and --to together)", err)}
				}
				if to.Before(from) {
					return &exitError{exitUsage, fmt.Errorf("--to %s is before --from %s", to, from)}
				}
			}
			started := time.Now()
			res, runErr := br.Run(ctx, bots.Job{Script: script, Selectors: sel, BaseURL: base, Credential: cred, Canary: true, Site: cfg.SiteEntries[site].Page,
				Params: ferry.RunParams{From: from, To: to}, HealPolicy: map[bool]string{true: bots.HealPropose, false: bots.HealOff}[seed], Logger: log})
			if seed && runErr == nil && res != nil {
				// Fingerprints from the file's own ways on the live pages: the
				// healer's references before any scheduled run succeeded.
				if err := seedFingerprints(ctx, cfg, sel.Site, res.Fingerprints); err != nil {
					return err
				}
				fmt.Fprintf(e.g.stderr, "seeded %d fingerprints for %s\n", len(res.Fingerprints), sel.Site)
			}
			if e.g.json {
				return canaryJSON(e.g, site, sel, login, from, to, started, res, runErr)
			}
			w := e.g.stdout
			fmt.Fprintf(w, "canary %s (%s) as %s, %s to %s: %s in %d ms\n", site, sel.Version, login, from, to, map[bool]string{true: "run completed", false: "run failed"}[runErr == nil], time.Since(started).Milliseconds())
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ELEMENT\tRESULT\tPAGE\tWAY")
			elements, unseenRows, ambiguous := service.CanaryResults(sel, res)
			for _, el := range elements {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", el.Element, el.Result, el.Page, el.Way)
			}
			tw.Flush()
			if len(unseenRows) > 0 {
				fmt.Fprintf(w, "note: %s not seen: the site showed no rows from %s to %s, so they were not checked; pass --from and --to for a period with transactions\n", strings.Join(unseenRows, ", "), from, to)
			}
			switch {
			case runErr != nil:
				return runErr
			case len(ambiguous) > 0:
				return &exitError{exitSiteChanged, fmt.Errorf("ambiguous selectors: %s", strings.Join(ambiguous, ", "))}
			}
			return nil
		},
	}
	c.Flags().StringVar(&bot, "bot", "", "the bot whose path to follow (default: the site's first)")
	c.Flags().StringVar(&login, "login", "", "credential to log in with (default: the first configured)")
	c.Flags().StringVar(&fromFlag, "from", "", "first day to search (YYYY-MM-DD; default: 31 days before today)")
	c.Flags().StringVar(&toFlag, "to", "", "last day to search (YYYY-MM-DD; default: yesterday)")
	c.Flags().BoolVar(&seed, "seed", false, "store the fingerprint of every element found, so the healer has references before the first failed run")
	return c
}

// canaryJSON prints a canary's report as JSON and returns the error its
// outcome maps to, as the table form does.
func canaryJSON(g *globals, site string, sel *selectors.File, login string, from, to ferry.Date, started time.Time, res *bots.Result, runErr error) error {
	out := struct {
		Site       string                  `json:"site"`
		Version    string                  `json:"version"`
		Login      string                  `json:"login"`
		From       string                  `json:"from"`
		To         string                  `json:"to"`
		Completed  bool                    `json:"completed"`
		Error      string                  `json:"error,omitempty"`
		DurationMS int64                   `json:"duration_ms"`
		Elements   []service.CanaryElement `json:"elements"`
		UnseenRows []string                `json:"unseen_rows"`
		Ambiguous  []string                `json:"ambiguous"`
	}{Site: site, Version: sel.Version, Login: login, From: from.String(), To: to.String(), Completed: runErr == nil,
		DurationMS: time.Since(started).Milliseconds(), Elements: []service.CanaryElement{}, UnseenRows: []string{}, Ambiguous: []string{}}
	if runErr != nil {
		out.Error = runErr.Error()
	}
	els, unseen, ambiguous := service.CanaryResults(sel, res)
	out.Elements = append(out.Elements, els...)
	out.UnseenRows = append(out.UnseenRows, unseen...)
	out.Ambiguous = append(out.Ambiguous, ambiguous...)
	if err := g.printJSON(out); err != nil {
		return err
	}
	switch {
	case runErr != nil:
		return runErr
	case len(out.Ambiguous) > 0:
		return &exitError{exitSiteChanged, fmt.Errorf("ambiguous selectors: %s", strings.Join(out.Ambiguous, ", "))}
	}
	return nil
}

// seedFingerprints stores fingerprints a canary took (run 0: no run).
func seedFingerprints(ctx context.Context, cfg *Config, site string, fps map[string]bots.Fingerprint) error {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	out := make([]ferry.StoredFingerprint, 0, len(fps))
	for _, f := range fps {
		out = append(out, ferry.StoredFingerprint{Site: site, Element: f.Element, Variant: f.Variant, Page: f.Page, Data: string(f.Data)})
	}
	if err := db.SaveFingerprints(ctx, out); err != nil {
		return fmt.Errorf("seed fingerprints: %w", err)
	}
	return nil
}
