package main

import (
	"github.com/spf13/cobra"
)

// runsEnv is what the runs commands share: the --data flag.
type runsEnv struct {
	g       *globals
	dataDir string
}

func newRunsCmd(g *globals) *cobra.Command {
	e := &runsEnv{g: g}
	c := &cobra.Command{
		Use:   "runs",
		Short: "List runs and show one with its steps, statements, artifacts and evidence",
		Example: `  ferry runs list --data demo-output
  ferry runs show 3 --data demo-output
  ferry runs list --json`,
	}
	c.PersistentFlags().StringVar(&e.dataDir, "data", "", "data directory (default: the config's data_dir)")
	c.AddCommand(e.listCmd(), e.showCmd())
	return c
}
