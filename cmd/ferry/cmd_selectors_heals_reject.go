package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (e *selectorsEnv) rejectCmd() *cobra.Command {
	var author string
	c := &cobra.Command{
		Use:     "reject ID",
		Short:   "Reject a heal proposal (the selector file stays as it is)",
		Example: "  ferry selectors heals reject 5",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("heal", args[0])
			if err != nil {
				return err
			}
			db, cfg, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			d, err := newService(db, cfg).RejectHeal(cmd.Context(), id, author)
			if err != nil {
				return err
			}
			if e.g.json {
				return e.g.printJSON(d)
			}
			fmt.Fprintf(e.g.stdout, "heal %d rejected\n", id)
			return nil
		},
	}
	c.Flags().StringVar(&author, "author", "", "who (default: $FERRY_AUTHOR or the OS user)")
	return c
}
