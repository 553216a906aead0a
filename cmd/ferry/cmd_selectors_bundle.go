package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/spf13/cobra"
)

func (e *selectorsEnv) testCmd() *cobra.Command {
	var runID int64
	c := &cobra.Command{
		Use:   "test SITE --bundle RUN_ID",
		Short: "Resolve every selector against the page a failed run captured, offline in headless Chromium",
		Example: `  ferry selectors test demobank --bundle 12
  ferry selectors test demobank --bundle 12 --json`,
		Args: cobra.ExactArgs(1),
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
			br, err := launchBrowser(ctx, cfg, log)
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
			return reportResolutions(e.g, res, failed, page, covered, sel, took, e.g.json)
		},
	}
	c.Flags().Int64Var(&runID, "bundle", 0, "the run whose evidence bundle (captured DOM) to test against")
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
