package main

import (
	"errors"
	"fmt"

	"github.com/ferry-rpa/ferry/service"
	"github.com/spf13/cobra"
)

func (e *deliveriesEnv) retryCmd() *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:   "retry ID... | --all",
		Short: "Put parked deliveries back in the queue (the deliverer sends them at once)",
		Example: `  ferry deliveries retry 42 43
  ferry deliveries retry --all`,
		RunE: func(cmd *cobra.Command, args []string) error {
			g := e.g
			var ids []int64
			for _, a := range args {
				id, err := parseID("delivery", a)
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			if all == (len(ids) > 0) {
				return &exitError{exitUsage, fmt.Errorf("give delivery ids or --all, not both or neither")}
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
			n, err := newService(db, cfg).RetryDeliveries(cmd.Context(), ids, all)
			if errors.Is(err, service.ErrRetryWhich) {
				return &exitError{exitUsage, err}
			}
			if err != nil {
				return service.DataDir(cfg.DataDir).Locked(err)
			}
			if g.json {
				return g.printJSON(map[string]int{"queued": n})
			}
			fmt.Fprintf(g.stdout, "%d parked deliveries queued again\n", n)
			return nil
		},
	}
	c.Flags().BoolVar(&all, "all", false, "every parked delivery")
	return c
}
