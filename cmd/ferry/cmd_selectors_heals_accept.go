package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (e *selectorsEnv) acceptCmd() *cobra.Command {
	var author string
	c := &cobra.Command{
		Use:     "accept ID",
		Short:   "Accept a heal: apply it to the site's selector file (a new version; serve picks it up)",
		Example: `  ferry selectors heals accept 4`,
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
			d, err := newService(db, cfg).AcceptHeal(cmd.Context(), id, author)
			if err != nil {
				return err
			}
			if e.g.json {
				return e.g.printJSON(d)
			}
			fmt.Fprintf(e.g.stdout, "heal %d applied to %s: %s now tries %s first (v%d)\n", id, d.Path, d.Element, d.Way, d.Version)
			return nil
		},
	}
	c.Flags().StringVar(&author, "author", "", "who (default: $FERRY_AUTHOR or the OS user)")
	return c
}
