package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (e *deliveriesEnv) showCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one delivery: its record, state, attempts and the sink's last answer",
		Example: `  ferry deliveries show 42
  ferry deliveries show 42 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g := e.g
			id, err := parseID("delivery", args[0])
			if err != nil {
				return err
			}
			cfg, err := g.loadConfig(e.dataDir)
			if err != nil {
				return err
			}
			db, err := openExisting(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			d, err := db.Delivery(cmd.Context(), id)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(deliveryView(d, true))
			}
			fmt.Fprintf(g.stdout, "delivery %d to %s\n  state:      %s\n  attempts:   %d\n  dedup key:  %s\n  next try:   %s\n  delivered:  %s\n  last error: %s\n  record:     %s\n",
				d.ID, d.Sink, d.Status, d.Attempts, d.DedupKey, fmtTime(d.NextAttempt), fmtTime(d.DeliveredAt), d.LastError, d.Payload)
			return nil
		},
	}
}
