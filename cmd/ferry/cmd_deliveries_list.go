package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func (e *deliveriesEnv) listCmd() *cobra.Command {
	var state, sink string
	var limit int
	c := &cobra.Command{
		Use:   "list",
		Short: "List deliveries, newest first",
		Example: `  ferry deliveries list --state parked --sink http
  ferry deliveries list --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			g := e.g
			switch state {
			case "", "pending", "delivered", "parked":
			default:
				return &exitError{exitUsage, fmt.Errorf("--state %q: want pending, delivered or parked", state)}
			}
			cfg, err := g.loadConfig(e.dataDir)
			if err != nil {
				return err
			}
			views := []deliveryJSON{}
			db, err := openExisting(cmd.Context(), cfg)
			if g.noDatabase(err) {
				return g.printEmpty(views)
			}
			if err != nil {
				return err
			}
			defer db.Close()
			ds, err := db.Deliveries(cmd.Context(), state, sink, limit)
			if err != nil {
				return err
			}
			if g.json {
				for _, d := range ds {
					views = append(views, deliveryView(d, false))
				}
				return g.printJSON(views)
			}
			tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSINK\tSTATE\tATTEMPTS\tDEDUP KEY\tLAST ERROR")
			for _, d := range ds {
				last := d.LastError
				if len(last) > 80 {
					last = last[:77] + "..."
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Sink, d.Status, d.Attempts, d.DedupKey, last)
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&state, "state", "", "only pending, delivered or parked")
	c.Flags().StringVar(&sink, "sink", "", "only this sink")
	c.Flags().IntVar(&limit, "limit", 100, "how many")
	return c
}
