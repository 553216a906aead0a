package main

import (
	"fmt"

	"github.com/ferry-rpa/ferry/selectors"
	"github.com/spf13/cobra"
)

func (e *selectorsEnv) diffCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "diff SITE V1 V2",
		Short: "Show what changed between two versions of a site's selector file",
		Example: `  ferry selectors diff demobank v1 v2
  ferry selectors diff demobank v1 v2 --json`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := parseVersion(args[1])
			if err != nil {
				return err
			}
			b, err := parseVersion(args[2])
			if err != nil {
				return err
			}
			db, _, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			va, err := db.SelectorVersionAt(cmd.Context(), args[0], a)
			if err != nil {
				return err
			}
			vb, err := db.SelectorVersionAt(cmd.Context(), args[0], b)
			if err != nil {
				return err
			}
			d := selectors.Diff(fmt.Sprintf("%s v%d", args[0], a), fmt.Sprintf("%s v%d", args[0], b), va.Content, vb.Content)
			if e.g.json {
				return e.g.printJSON(struct {
					Site      string `json:"site"`
					From      int    `json:"from"`
					To        int    `json:"to"`
					Identical bool   `json:"identical"`
					Diff      string `json:"diff"`
				}{args[0], a, b, d == "", d})
			}
			if d == "" {
				fmt.Fprintf(e.g.stdout, "v%d and v%d are identical\n", a, b)
				return nil
			}
			fmt.Fprint(e.g.stdout, d)
			return nil
		},
	}
}
