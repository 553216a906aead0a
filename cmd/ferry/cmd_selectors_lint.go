package main

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/spf13/cobra"
)

func (e *selectorsEnv) lintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lint [SITE]",
		Short: "Check selector files: schema, names no script uses, names scripts lack, brittle ways",
		Example: `  ferry selectors lint
  ferry selectors lint --json
  ferry selectors lint demobank --config ferry.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := e.config()
			if err != nil {
				return err
			}
			sites := args
			if len(sites) == 0 {
				sites = selectorSites(cfg.SelectorsDir, cfg.ScriptsDir)
			}
			// lintProblem is a problem's --json form.
			type lintProblem struct {
				Site    string `json:"site"`
				Path    string `json:"path,omitempty"`
				Line    int    `json:"line,omitempty"`
				Element string `json:"element,omitempty"`
				Message string `json:"message"`
			}
			problems := []lintProblem{}
			report := func(p lintProblem, text string) {
				problems = append(problems, p)
				if !e.g.json {
					fmt.Fprintln(e.g.stdout, text)
				}
			}
			for _, site := range sites {
				f, err := selectors.Load(cfg.SelectorsDir, site)
				if err != nil {
					report(lintProblem{Site: site, Message: err.Error()}, err.Error())
					continue
				}
				refs, err := scripts.SiteRefs(cfg.ScriptsDir, site)
				if err != nil {
					return err
				}
				uses := make([]selectors.Use, len(refs))
				for i, r := range refs {
					uses[i] = selectors.Use{Name: r.Name, Path: r.Path, Line: r.Line}
				}
				for _, p := range selectors.Lint(f, uses) {
					report(lintProblem{Site: site, Path: p.Path, Line: p.Line, Element: p.Element, Message: p.Message}, p.String())
				}
			}
			if e.g.json {
				if err := e.g.printJSON(problems); err != nil {
					return err
				}
			}
			if len(problems) > 0 {
				return &exitError{exitFailed, fmt.Errorf("%d problem(s)", len(problems))}
			}
			if e.g.json {
				return nil
			}
			fmt.Fprintf(e.g.stdout, "%s: no problems\n", strings.Join(sites, ", "))
			return nil
		},
	}
}

// selectorSites lists the sites that have a selector file (in dir or
// embedded) or a script.
func selectorSites(selDir, scriptsDir string) []string {
	seen := map[string]bool{}
	for _, bot := range scripts.Bots(scriptsDir) {
		if s, _, err := scripts.Load(scriptsDir, selDir, bot); err == nil {
			seen[s.Site] = true
		}
	}
	if selDir != "" {
		m, _ := filepath.Glob(filepath.Join(selDir, "*.yaml"))
		for _, p := range m {
			seen[strings.TrimSuffix(filepath.Base(p), ".yaml")] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
