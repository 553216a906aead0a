package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func (e *selectorsEnv) historyCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "history SITE",
		Aliases: []string{"versions"},
		Short:   "List a site's selector versions: number, time, author, message",
		Example: `  ferry selectors history demobank
  ferry selectors versions demobank --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g := e.g
			db, _, err := e.db(cmd.Context())
			if g.noDatabase(err) {
				return g.printEmpty([]selectorVersionJSON{})
			}
			if err != nil {
				return err
			}
			defer db.Close()
			vs, err := db.SelectorVersions(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.json {
				views := []selectorVersionJSON{}
				for _, v := range vs {
					views = append(views, selectorVersionJSON{Site: v.Site, Version: v.Seq, FileVersion: v.Version, SHA256: v.SHA256,
						Author: v.Author, Message: v.Message, CreatedAt: jsonTime(v.CreatedAt)})
				}
				return g.printJSON(views)
			}
			if len(vs) == 0 {
				return fmt.Errorf("no versions of site %q are recorded yet (they are recorded when a run or `ferry selectors record` loads the file)", args[0])
			}
			tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tCREATED\tAUTHOR\tFILE VERSION\tMESSAGE")
			for _, v := range vs {
				fmt.Fprintf(tw, "v%d\t%s\t%s\t%s\t%s\n", v.Seq, v.CreatedAt.Format("2006-01-02 15:04:05 MST"), v.Author, v.Version, v.Message)
			}
			return tw.Flush()
		},
	}
}
