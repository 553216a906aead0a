package main

import (
	"context"

	"github.com/ferry-rpa/ferry/storage"
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
		Short: "List runs, show one with its steps, statements, artifacts and evidence, follow one",
		Long: `List runs, show one, or follow one as it runs. These commands only read: they
work beside a running ferry serve and create no file.`,
		Example: `  ferry runs list --data demo-output
  ferry runs show 3 --data demo-output
  ferry runs list --json
  ferry runs follow 3`,
	}
	c.PersistentFlags().StringVar(&e.dataDir, "data", "", "data directory (default: the config's data_dir)")
	c.AddCommand(e.listCmd(), e.showCmd(), e.followCmd())
	return c
}

// open opens the database the config and --data name, only if it exists,
// creating nothing (see service.OpenExisting).
func (e *runsEnv) open(ctx context.Context) (*storage.DB, error) {
	cfg, err := e.g.loadConfig(e.dataDir)
	if err != nil {
		return nil, err
	}
	return openExisting(ctx, cfg)
}
