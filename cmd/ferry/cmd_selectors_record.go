package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (e *selectorsEnv) recordCmd() *cobra.Command {
	var message, author string
	c := &cobra.Command{
		Use:     "record SITE",
		Short:   "Record the site's current selector file as a new version, with a message",
		Example: `  ferry selectors record demobank -m "login button renamed"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := e.config()
			if err != nil {
				return err
			}
			// Recording writes: the database is created if there is none.
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			ch, err := newService(db, cfg).RecordSelectors(cmd.Context(), args[0], author, message)
			if err != nil {
				return err
			}
			switch {
			case e.g.json:
				return e.g.printJSON(ch)
			case !ch.Added:
				fmt.Fprintf(e.g.stdout, "%s is unchanged: still v%d\n", ch.Path, ch.Version)
			default:
				fmt.Fprintf(e.g.stdout, "recorded %s as v%d\n", ch.Path, ch.Version)
			}
			return nil
		},
	}
	c.Flags().StringVarP(&message, "message", "m", "", "what changed and why")
	c.Flags().StringVar(&author, "author", "", "who (default: $FERRY_AUTHOR or the OS user)")
	return c
}
