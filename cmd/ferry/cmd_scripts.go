package main

import (
	"fmt"
	"strings"

	"github.com/ferry-rpa/ferry/scripts"
	"github.com/spf13/cobra"
)

// newScriptsCmd is `ferry scripts`: the bot scripts themselves.
func newScriptsCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "scripts",
		Short: "Bot scripts: check them and review their escape-hatch snippets",
		Example: `  ferry scripts check
  ferry scripts check etax-invoices --config ferry.yaml`,
	}
	c.AddCommand(newScriptsCheckCmd(g))
	return c
}

// scriptCheck is one script's result in --json.
type scriptCheck struct {
	Bot      string           `json:"bot"`
	Site     string           `json:"site,omitempty"`
	Error    string           `json:"error,omitempty"`
	Snippets []scriptsSnippet `json:"snippets"`
}

// scriptsSnippet is an escape-hatch step as a reviewer sees it.
type scriptsSnippet struct {
	Where    string `json:"where"`
	Line     int    `json:"line"`
	Digest   string `json:"digest"`
	Reviewed bool   `json:"reviewed"`
	First    string `json:"first_line"`
}

func newScriptsCheckCmd(g *globals) *cobra.Command {
	var dataDir string
	c := &cobra.Command{
		Use:   "check [BOT...]",
		Short: "Load every script (or the named ones) against its selector file, and list each script: step with its digest",
		Long: `Loads each bot script as a run would: its parameters, steps, variables, the elements it
names in its site's selector file, its downloads' declarations and mappings. Errors name the file
and line. Every escape-hatch step (script:) is listed with where it is, its sha256 digest, whether
the script pins that digest (reviewed:), and its first line: a snippet edited since its review is
refused at load, and the error prints the digest to pin once someone has read it.`,
		Example: `  ferry scripts check
  ferry scripts check demobank-statements --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig(dataDir)
			if err != nil {
				return err
			}
			bots := args
			if len(bots) == 0 {
				bots = scripts.Bots(cfg.ScriptsDir)
			}
			out := []scriptCheck{}
			failed := 0
			for _, bot := range bots {
				r := scriptCheck{Bot: bot, Snippets: []scriptsSnippet{}}
				s, _, err := scripts.Load(cfg.ScriptsDir, cfg.SelectorsDir, bot)
				if err != nil {
					r.Error = err.Error()
					failed++
				} else {
					r.Site = s.Site
					for _, sn := range scripts.Snippets(s) {
						r.Snippets = append(r.Snippets, scriptsSnippet{Where: sn.Where, Line: sn.Line, Digest: sn.Digest,
							Reviewed: sn.Reviewed == sn.Digest, First: sn.First})
					}
				}
				out = append(out, r)
			}
			if g.json {
				if err := g.printJSON(out); err != nil {
					return err
				}
			} else {
				for _, r := range out {
					if r.Error != "" {
						fmt.Fprintf(g.stdout, "%s: %s\n", r.Bot, r.Error)
						continue
					}
					fmt.Fprintf(g.stdout, "%s (site %s): ok, %d script step(s)\n", r.Bot, r.Site, len(r.Snippets))
					for _, sn := range r.Snippets {
						state := "reviewed"
						if !sn.Reviewed {
							state = "NOT REVIEWED"
						}
						fmt.Fprintf(g.stdout, "  %s (line %d) %s %s: %s\n", sn.Where, sn.Line, sn.Digest, state, strings.TrimSpace(sn.First))
					}
				}
			}
			if failed > 0 {
				return &exitError{exitFailed, fmt.Errorf("%d of %d script(s) failed their check", failed, len(out))}
			}
			return nil
		},
	}
	c.Flags().StringVar(&dataDir, "data", "", "data directory (default: the config's data_dir)")
	return c
}
