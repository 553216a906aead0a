package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ferry-rpa/ferry/storage"
	"github.com/spf13/cobra"
)

// selectorsEnv is what the selectors commands work on: the config's
// selector and script directories and its data directory.
type selectorsEnv struct {
	g       *globals
	dataDir string
}

func (e *selectorsEnv) config() (*Config, error) {
	return e.g.loadConfig(e.dataDir)
}

// db opens the data directory's database if there is one (read-only
// commands and decisions on stored heals and versions create nothing).
func (e *selectorsEnv) db(ctx context.Context) (*storage.DB, *Config, error) {
	cfg, err := e.config()
	if err != nil {
		return nil, nil, err
	}
	db, err := openExisting(ctx, cfg)
	return db, cfg, err
}

// parseVersion reads "3" or "v3".
func parseVersion(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "v"))
	if err != nil || n < 1 {
		return 0, &exitError{exitUsage, fmt.Errorf("version %q is not a version number (1, 2, … or v1, v2, …)", s)}
	}
	return n, nil
}

func newSelectorsCmd(g *globals) *cobra.Command {
	e := &selectorsEnv{g: g}
	c := &cobra.Command{
		Use:   "selectors",
		Short: "Selector files: history, diff, rollback, lint, heals, offline tests",
		Example: `  ferry selectors lint
  ferry selectors history demobank
  ferry selectors diff demobank v2 v3
  ferry selectors rollback demobank v2 --message "v3 broke the login"
  ferry selectors heals accept 4`,
	}
	c.PersistentFlags().StringVar(&e.dataDir, "data", "", "data directory (default: the config's data_dir)")
	// accept and reject were first top-level selectors commands; they stay
	// as deprecated aliases of `selectors heals accept|reject`.
	accept, reject := e.acceptCmd(), e.rejectCmd()
	accept.Deprecated, reject.Deprecated = "use `ferry selectors heals accept`", "use `ferry selectors heals reject`"
	// cobra prints the deprecation notice on the command's output: keep it
	// off standard output, which may be JSON.
	accept.SetOut(g.stderr)
	reject.SetOut(g.stderr)
	c.AddCommand(e.historyCmd(), e.diffCmd(), e.rollbackCmd(), e.lintCmd(), e.recordCmd(), e.healsCmd(), accept, reject, e.testCmd(), e.checkCmd())
	return c
}
