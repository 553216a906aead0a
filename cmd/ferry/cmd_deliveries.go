package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newDeliveriesCmd(g *globals) *cobra.Command {
	e := &selectorsEnv{g: g}
	c := &cobra.Command{
		Use:   "deliveries",
		Short: "Records on their way to the finance system: list, show, retry parked ones",
		Example: `  ferry deliveries list --state parked
  ferry deliveries show 42
  ferry deliveries retry 42
  ferry deliveries retry --all`,
	}
	c.PersistentFlags().StringVar(&e.dataDir, "data", "", "data directory (default: the config's data_dir)")
	var state, sink string
	var limit int
	list := &cobra.Command{
		Use:     "list",
		Short:   "List deliveries, newest first",
		Example: "  ferry deliveries list --state parked --sink http",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch state {
			case "", "pending", "delivered", "parked":
			default:
				return &exitError{exitUsage, fmt.Errorf("--state %q: want pending, delivered or parked", state)}
			}
			db, _, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ds, err := db.Deliveries(cmd.Context(), state, sink, limit)
			if err != nil {
				return err
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
	list.Flags().StringVar(&state, "state", "", "only pending, delivered or parked")
	list.Flags().StringVar(&sink, "sink", "", "only this sink")
	list.Flags().IntVar(&limit, "limit", 100, "how many")
	show := &cobra.Command{
		Use:     "show ID",
		Short:   "Show one delivery: its record, state, attempts and the sink's last answer",
		Example: "  ferry deliveries show 42",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("delivery", args[0])
			if err != nil {
				return err
			}
			db, _, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			d, err := db.Delivery(cmd.Context(), id)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "delivery %d to %s\n  state:      %s\n  attempts:   %d\n  dedup key:  %s\n  next try:   %s\n  delivered:  %s\n  last error: %s\n  record:     %s\n",
				d.ID, d.Sink, d.Status, d.Attempts, d.DedupKey, fmtTime(d.NextAttempt), fmtTime(d.DeliveredAt), d.LastError, d.Payload)
			return nil
		},
	}
	var all bool
	retry := &cobra.Command{
		Use:   "retry ID... | --all",
		Short: "Put parked deliveries back in the queue (the deliverer sends them at once)",
		Example: `  ferry deliveries retry 42 43
  ferry deliveries retry --all`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return &exitError{exitUsage, fmt.Errorf("give delivery ids or --all, not both or neither")}
			}
			var ids []int64
			for _, a := range args {
				id, err := parseID("delivery", a)
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			db, _, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := db.RetryDeliveries(cmd.Context(), ids)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%d parked deliveries queued again\n", n)
			return nil
		},
	}
	retry.Flags().BoolVar(&all, "all", false, "every parked delivery")
	c.AddCommand(list, show, retry)
	return c
}
