package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/spf13/cobra"
)

// parseID reads a numeric id ("42" or "#42") given on the command line;
// what names the kind of id in the usage error.
func parseID(what, s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil {
		return 0, &exitError{exitUsage, fmt.Errorf("%s id %q is not a number", what, s)}
	}
	return id, nil
}

func (e *selectorsEnv) healsCmd() *cobra.Command {
	var site, status string
	c := &cobra.Command{
		Use:   "heals",
		Short: "List heal proposals: the changes the healer proposes for broken selectors",
		Example: `  ferry selectors heals
  ferry selectors heals --site demobank --status proposed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, _, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			hs, err := db.Heals(cmd.Context(), site, status)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.g.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tSITE\tELEMENT\tVARIANT\tPAGE\tPROPOSED WAY\tSCORE\tRUNNER-UP\tRUN")
			for _, h := range hs {
				var p runner.HealProposal
				_ = json.Unmarshal([]byte(h.Way), &p)
				way := ""
				if len(p.Ways) > 0 {
					way = p.Ways[0].String()
				}
				if p.Dismiss {
					way = "dismiss " + way
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%d\n", h.ID, h.Status, h.Site, h.Element, h.Variant, h.Page, way, h.Score, h.RunnerUp, h.RunID)
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&site, "site", "", "only this site")
	c.Flags().StringVar(&status, "status", "", "only proposed, accepted or rejected")
	show := &cobra.Command{
		Use:     "show ID",
		Short:   "Show one heal: the diff, the score and its breakdown, the screenshots",
		Example: "  ferry selectors heals show 4",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("heal", args[0])
			if err != nil {
				return err
			}
			db, _, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			h, err := db.Heal(cmd.Context(), id)
			if err != nil {
				return err
			}
			w := e.g.stdout
			fmt.Fprintf(w, "heal %d: %s %s (variant %q) on %s, from run %d\n  status:    %s %s %s\n  score:     %.2f (runner-up %.2f)\n  breakdown: %s\n",
				h.ID, h.Site, h.Element, h.Variant, h.Page, h.RunID, h.Status, h.DecidedBy, fmtTime(h.DecidedAt), h.Score, h.RunnerUp, h.Breakdown)
			arts, _ := db.Artifacts(cmd.Context(), h.RunID)
			for _, a := range arts {
				if a.ID == h.BeforeArtifact || a.ID == h.AfterArtifact {
					fmt.Fprintf(w, "  screenshot: %s\n", db.ArtifactPath(a.SHA256))
				}
			}
			fmt.Fprintf(w, "\n%s", h.Diff)
			return nil
		},
	}
	c.AddCommand(show)
	return c
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02 15:04:05 MST")
}

func (e *selectorsEnv) acceptCmd() *cobra.Command {
	var author string
	c := &cobra.Command{
		Use:     "accept ID",
		Short:   "Accept a heal: apply it to the site's selector file (a new version; serve picks it up)",
		Example: `  ferry selectors accept 4`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("heal", args[0])
			if err != nil {
				return err
			}
			db, cfg, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ctx := cmd.Context()
			h, err := db.Heal(ctx, id)
			if err != nil {
				return err
			}
			if h.Status != "proposed" {
				return fmt.Errorf("heal %d is already %s", id, h.Status)
			}
			var p runner.HealProposal
			if err := json.Unmarshal([]byte(h.Way), &p); err != nil {
				return err
			}
			// Applied to the file as it is now, which may have moved on
			// since the proposal.
			cur, err := selectors.Load(cfg.SelectorsDir, h.Site)
			if err != nil {
				return err
			}
			edited, err := p.Apply(cur.Source, h.Element, h.Variant)
			if err != nil {
				return fmt.Errorf("heal %d does not apply to %s: %w", id, cur.Path, err)
			}
			path, err := writeSelectorFile(cfg.SelectorsDir, h.Site, edited)
			if err != nil {
				return err
			}
			if author == "" {
				author = currentAuthor()
			}
			f, err := selectors.Parse(path, edited)
			if err != nil {
				return err
			}
			way := p.Ways[0].String()
			if p.Dismiss {
				way = "dismiss " + way
			}
			n, _, err := db.RecordSelectorVersion(ctx, h.Site, f.Version, edited, author, fmt.Sprintf("heal %d accepted: %s %s", id, h.Element, way))
			if err != nil {
				return err
			}
			if err := db.DecideHeal(ctx, id, "accepted", author); err != nil {
				return err
			}
			fmt.Fprintf(e.g.stdout, "heal %d applied to %s: %s now tries %s first (v%d)\n", id, path, h.Element, way, n)
			return nil
		},
	}
	c.Flags().StringVar(&author, "author", "", "who (default: $FERRY_AUTHOR or the OS user)")
	return c
}

func (e *selectorsEnv) rejectCmd() *cobra.Command {
	var author string
	c := &cobra.Command{
		Use:     "reject ID",
		Short:   "Reject a heal proposal",
		Example: "  ferry selectors reject 5",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("heal", args[0])
			if err != nil {
				return err
			}
			db, _, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if author == "" {
				author = currentAuthor()
			}
			if err := db.DecideHeal(cmd.Context(), id, "rejected", author); err != nil {
				return err
			}
			fmt.Fprintf(e.g.stdout, "heal %d rejected\n", id)
			return nil
		},
	}
	c.Flags().StringVar(&author, "author", "", "who (default: $FERRY_AUTHOR or the OS user)")
	return c
}

func (e *selectorsEnv) testCmd() *cobra.Command {
	var runID int64
	var asJSON bool
	c := &cobra.Command{
		Use:     "test SITE --bundle RUN_ID",
		Short:   "Resolve every selector against the page a failed run captured, offline in headless Chromium",
		Example: `  ferry selectors test demobank --bundle 12`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runID == 0 {
				return &exitError{exitUsage, fmt.Errorf("--bundle RUN_ID is required: the run whose evidence to test against")}
			}
			db, cfg, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ctx := cmd.Context()
			arts, err := db.Artifacts(ctx, runID)
			if err != nil {
				return err
			}
			var html, evJSON []byte
			for _, a := range arts {
				if a.Kind != "evidence" {
					continue
				}
				data, err := os.ReadFile(db.ArtifactPath(a.SHA256))
				if err != nil {
					return err
				}
				switch a.Name {
				case "page.html":
					html = data
				case "evidence.json":
					evJSON = data
				}
			}
			if html == nil {
				return fmt.Errorf("run %d has no evidence bundle with a captured page", runID)
			}
			sel, err := selectors.Load(cfg.SelectorsDir, args[0])
			if err != nil {
				return err
			}
			log := e.g.logger()
			br, err := launchBrowser(ctx, cfg.Chromium, log)
			if err != nil {
				return err
			}
			defer br.Close()
			started := time.Now()
			res, err := br.Resolve(ctx, string(html), sel)
			if err != nil {
				return err
			}
			took := time.Since(started)
			failed, page, covered, _ := bots.EvidenceSelector(evJSON)
			return reportResolutions(e.g, res, failed, page, covered, sel, took, asJSON)
		},
	}
	c.Flags().Int64Var(&runID, "bundle", 0, "the run whose evidence bundle (captured DOM) to test against")
	c.Flags().BoolVar(&asJSON, "json", false, "print the resolutions as JSON")
	return c
}

// reportResolutions prints each selector's fate and fails unless the
// selector the run broke on now resolves and nothing is ambiguous.
func reportResolutions(g *globals, res []bots.Resolution, failed []string, page, covered string, sel *selectors.File, took time.Duration, asJSON bool) error {
	if asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(g.stdout, string(b))
	} else {
		fmt.Fprintf(g.stdout, "%s %s against %s (offline, %d ms)\n", sel.Site, sel.Version, page, took.Milliseconds())
		tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ELEMENT\tRESULT\tWAY")
		for _, r := range res {
			way := r.Way
			if way == "" {
				var parts []string
				for _, w := range r.Ways {
					parts = append(parts, fmt.Sprintf("%s: %d", w.Way, w.Count))
				}
				way = strings.Join(parts, "; ")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Element, r.Status, way)
		}
		tw.Flush()
	}
	var problems []string
	status := map[string]string{}
	for _, r := range res {
		status[r.Element] = r.Status
		if r.Status == "several" {
			problems = append(problems, r.Element+" matches several elements")
		}
	}
	if len(failed) > 0 {
		ok := false
		for _, f := range failed {
			if status[f] == "unique" || status[f] == "many" {
				ok = true
			}
		}
		if !ok {
			problems = append(problems, strings.Join(failed, " | ")+", which the run failed on, still resolves to no single element")
		}
	}
	if covered != "" {
		// The run could not click because an overlay covered the page: one
		// of the file's dismiss elements must now find the overlay's button.
		ok := false
		for _, d := range sel.Dismiss {
			if status[d] == "unique" {
				ok = true
			}
		}
		if !ok {
			problems = append(problems, covered+" covered the page and no dismiss element finds its button")
		}
	}
	if len(problems) > 0 {
		return &exitError{exitSiteChanged, fmt.Errorf("%s", strings.Join(problems, "; "))}
	}
	fmt.Fprintf(g.stdout, "pass: %s resolves on the captured page\n", strings.Join(failed, " | "))
	return nil
}
