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
			total := 0
			for _, site := range sites {
				f, err := selectors.Load(cfg.SelectorsDir, site)
				if err != nil {
					fmt.Fprintln(e.g.stdout, err)
					total++
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
					fmt.Fprintln(e.g.stdout, p)
					total++
				}
			}
			if total > 0 {
				return &exitError{exitFailed, fmt.Errorf("%d problem(s)", total)}
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
