package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/ferry-rpa/ferry/storage"
	"github.com/spf13/cobra"
)

func newRunsCmd(g *globals) *cobra.Command {
	var dataDir string
	var limit int
	// open opens the data directory named by --data or the config.
	open := func(ctx context.Context) (*storage.DB, error) {
		dir := dataDir
		if dir == "" {
			cfg, err := loadConfig(g.config)
			if err != nil {
				return nil, err
			}
			dir = cfg.DataDir
		}
		return openDB(ctx, dir)
	}
	c := &cobra.Command{
		Use:   "runs",
		Short: "List runs and show one with its steps, statements, artifacts and evidence",
		Example: `  ferry runs list --data demo-output
  ferry runs show 3 --data demo-output`,
	}
	c.PersistentFlags().StringVar(&dataDir, "data", "", "data directory (default: the config's data_dir)")
	list := &cobra.Command{
		Use:     "list",
		Short:   "List the newest runs",
		Example: "  ferry runs list --limit 50",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			runs, err := db.Runs(cmd.Context(), limit)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tBOT\tLOGIN\tSTATUS\tCLASS\tPERIOD\tSCHEDULE\tCREATED")
			for _, r := range runs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s..%s\t%s\t%s\n", r.ID, r.Bot, r.Login, r.Status, r.Class, r.Params.From, r.Params.To, r.Schedule, r.CreatedAt.Format("2006-01-02 15:04:05 MST"))
			}
			return tw.Flush()
		},
	}
	list.Flags().IntVar(&limit, "limit", 20, "how many runs")
	show := &cobra.Command{
		Use:     "show ID",
		Short:   "Show one run: outcome, step trace, statements, artifacts, evidence",
		Example: "  ferry runs show 3",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("run", args[0])
			if err != nil {
				return err
			}
			db, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ctx := cmd.Context()
			r, err := db.Run(ctx, id)
			if err != nil {
				return err
			}
			w := g.stdout
			fmt.Fprintf(w, "run %d: %s as %s\n  status:    %s %s\n  period:    %s to %s %v\n  attempts:  %d\n  selectors: %s\n  created:   %s\n  started:   %s\n  finished:  %s\n",
				r.ID, r.Bot, r.Login, r.Status, r.Class, r.Params.From, r.Params.To, r.Params.Accounts, r.Attempt, r.SelectorVersion,
				r.CreatedAt.Format("2006-01-02 15:04:05 MST"), r.StartedAt.Format("15:04:05.000"), r.FinishedAt.Format("15:04:05.000"))
			if r.Schedule != "" {
				fmt.Fprintf(w, "  schedule:  %s slot %s\n", r.Schedule, r.Slot.Format("2006-01-02 15:04 MST"))
			}
			if r.Error != "" {
				fmt.Fprintf(w, "  error:     %s\n", r.Error)
			}
			if r.Summary != "" {
				fmt.Fprintf(w, "  summary:   %s\n", summaryLine(r.Summary))
			}
			steps, attempts, err := db.Steps(ctx, id)
			if err != nil {
				return err
			}
			fmt.Fprintln(w, "steps:")
			last := 0
			for i, s := range steps {
				if attempts[i] != last {
					fmt.Fprintf(w, " attempt %d\n", attempts[i])
					last = attempts[i]
				}
				printStep(w, s)
			}
			sts, _ := db.Statements(ctx, id)
			if len(sts) > 0 {
				fmt.Fprintln(w, "statements:")
				for _, s := range sts {
					fmt.Fprintf(w, "  %s %s %s..%s opening %s closing %s, %d lines (%d new) %s %s\n", s.Account, s.Currency, s.From, s.To, s.Opening, s.Closing, s.Lines, s.NewLines, s.Status, s.Problem)
				}
			}
			arts, _ := db.Artifacts(ctx, id)
			if len(arts) > 0 {
				fmt.Fprintln(w, "artifacts:")
				for _, a := range arts {
					fmt.Fprintf(w, "  %-8s %-40s %8d bytes %s\n", a.Kind, a.Name, a.Size, db.ArtifactPath(a.SHA256))
				}
			}
			return nil
		},
	}
	c.AddCommand(list, show)
	return c
}
