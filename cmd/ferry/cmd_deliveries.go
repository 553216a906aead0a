package main

import (
	"github.com/spf13/cobra"
)

// deliveriesEnv is what the deliveries commands share: the --data flag.
type deliveriesEnv struct {
	g       *globals
	dataDir string
}

func newDeliveriesCmd(g *globals) *cobra.Command {
	e := &deliveriesEnv{g: g}
	c := &cobra.Command{
		Use:   "deliveries",
		Short: "Records on their way to the finance system: list, show, retry parked ones",
		Example: `  ferry deliveries list --state parked
  ferry deliveries show 42
  ferry deliveries retry 42
  ferry deliveries retry --all`,
	}
	c.PersistentFlags().StringVar(&e.dataDir, "data", "", "data directory (default: the config's data_dir)")
	c.AddCommand(e.listCmd(), e.showCmd(), e.retryCmd())
	return c
}
