package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/ferry-rpa/ferry/service"
	"github.com/spf13/cobra"
)

func (e *runsEnv) listCmd() *cobra.Command {
	var limit int
	c := &cobra.Command{
		Use:   "list",
		Short: "List the newest runs",
		Long: `List the newest runs. On a data directory where nothing has run yet it says
so and creates nothing.`,
		Example: `  ferry runs list --limit 50
  ferry runs list --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			g := e.g
			views := []runJSON{}
			db, err := e.open(cmd.Context())
			if g.noDatabase(err) {
				return g.printEmpty(views)
			}
			if err != nil {
				return err
			}
			defer db.Close()
			runs, err := db.Runs(cmd.Context(), limit)
			if err != nil {
				return err
			}
			for i := range runs {
				// A running run with an open challenge waits for a person.
				runs[i].Status = service.RunState(cmd.Context(), db, runs[i])
			}
			if g.json {
				for _, r := range runs {
					views = append(views, runView(r))
				}
				return g.printJSON(views)
			}
			tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tBOT\tLOGIN\tSTATUS\tCLASS\tPERIOD\tSCHEDULE\tCREATED")
			for _, r := range runs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s..%s\t%s\t%s\n", r.ID, r.Bot, r.Login, r.Status, r.Class, r.Params.From, r.Params.To, r.Schedule, r.CreatedAt.Format("2006-01-02 15:04:05 MST"))
			}
			return tw.Flush()
		},
	}
	c.Flags().IntVar(&limit, "limit", 20, "how many runs")
	return c
}
