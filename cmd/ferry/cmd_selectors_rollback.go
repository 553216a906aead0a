package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (e *selectorsEnv) rollbackCmd() *cobra.Command {
	var message, author string
	c := &cobra.Command{
		Use:     "rollback SITE V",
		Short:   "Put version V of a site's selector file back in place (a new version; serve picks it up)",
		Example: `  ferry selectors rollback demobank v2 --message "v3 broke the login"`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			seq, err := parseVersion(args[1])
			if err != nil {
				return err
			}
			db, cfg, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ch, err := newService(db, cfg).RollbackSelectors(cmd.Context(), args[0], seq, author, message)
			if err != nil {
				return err
			}
			switch {
			case e.g.json:
				return e.g.printJSON(ch)
			case !ch.Added:
				fmt.Fprintf(e.g.stdout, "%s already holds v%d (the newest version is v%d)\n", ch.Path, seq, ch.Version)
			default:
				fmt.Fprintf(e.g.stdout, "wrote v%d back to %s as v%d\n", seq, ch.Path, ch.Version)
			}
			return nil
		},
	}
	c.Flags().StringVarP(&message, "message", "m", "", "why (default: rollback to vN)")
	c.Flags().StringVar(&author, "author", "", "who (default: $FERRY_AUTHOR or the OS user)")
	return c
}
