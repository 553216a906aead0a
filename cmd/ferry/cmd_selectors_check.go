package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/scripts"
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
  ferry selectors check demobank --from 2026-10-01 --to 2026-10-31`,
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
			creds, err := cfg.credentials()
			if err != nil {
				return err
			}
			if login == "" {
				for name := range creds {
					if login == "" || name < login {
						login = name
					}
				}
			}
			cred, ok := creds[login]
			if !ok {
				return &exitError{exitUsage, errors.New("no credential to log in with: configure one or pass --login")}
			}
			ctx := cmd.Context()
			log := e.g.logger()
			br, err := launchBrowser(ctx, cfg.Chromium, log)
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
			res, runErr := br.Run(ctx, bots.Job{Script: script, Selectors: sel, BaseURL: base, Credential: cred, Canary: true,
				Params: ferry.RunParams{From: from, To: to}, HealPolicy: bots.HealOff, Logger: log})
			w := e.g.stdout
			fmt.Fprintf(w, "canary %s (%s) as %s, %s to %s: %s in %d ms\n", site, sel.Version, login, from, to, map[bool]string{true: "run completed", false: "run failed"}[runErr == nil], time.Since(started).Milliseconds())
			tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ELEMENT\tRESULT\tPAGE\tWAY")
			var ambiguous, unseenRows []string
			if res != nil {
				for _, r := range res.Canary {
					status := r.Status
					if status == "none" {
						status = "not seen"
						if el, ok := sel.Elements[r.Element]; ok && el.Many {
							unseenRows = append(unseenRows, r.Element)
						}
					}
					if r.Status == "several" {
						ambiguous = append(ambiguous, r.Element)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Element, status, r.Page, r.Way)
				}
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
	return c
}
