package main

import (
	"fmt"

	"github.com/ferry-rpa/ferry/service"
	"github.com/spf13/cobra"
)

func (e *runsEnv) showCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one run: outcome, step trace, statements, artifacts, evidence",
		Example: `  ferry runs show 3
  ferry runs show 3 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g := e.g
			id, err := parseID("run", args[0])
			if err != nil {
				return err
			}
			db, err := e.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ctx := cmd.Context()
			r, err := db.Run(ctx, id)
			if err != nil {
				return err
			}
			r.Status = service.RunState(ctx, db, r)
			steps, attempts, err := db.Steps(ctx, id)
			if err != nil {
				return err
			}
			sts, err := db.Statements(ctx, id)
			if err != nil {
				return err
			}
			arts, err := db.Artifacts(ctx, id)
			if err != nil {
				return err
			}
			if g.json {
				v := runShowJSON{runJSON: runView(r), Steps: []stepJSON{}, Statements: []statementJSON{}, Artifacts: []artifactJSON{}}
				for i, s := range steps {
					v.Steps = append(v.Steps, stepJSON{Attempt: attempts[i], Seq: s.Seq, Path: s.Path, Action: s.Action, Element: s.Element, Way: s.Way,
						Detail: s.Detail, Status: string(s.Status), Started: jsonTime(s.Started), DurationMS: s.Duration.Milliseconds()})
				}
				for _, s := range sts {
					v.Statements = append(v.Statements, statementJSON{Account: s.Account, Currency: s.Currency, From: s.From, To: s.To, Opening: s.Opening,
						Closing: s.Closing, Lines: s.Lines, NewLines: s.NewLines, Status: s.Status, Problem: s.Problem})
				}
				for _, a := range arts {
					v.Artifacts = append(v.Artifacts, artifactJSON{ID: a.ID, Kind: a.Kind, Name: a.Name, Size: a.Size, SHA256: a.SHA256, Path: db.ArtifactPath(a.SHA256)})
				}
				return g.printJSON(v)
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
			fmt.Fprintln(w, "steps:")
			last := 0
			for i, s := range steps {
				if attempts[i] != last {
					fmt.Fprintf(w, " attempt %d\n", attempts[i])
					last = attempts[i]
				}
				printStep(w, s)
			}
			if len(sts) > 0 {
				fmt.Fprintln(w, "statements:")
				for _, s := range sts {
					fmt.Fprintf(w, "  %s %s %s..%s opening %s closing %s, %d lines (%d new) %s %s\n", s.Account, s.Currency, s.From, s.To, s.Opening, s.Closing, s.Lines, s.NewLines, s.Status, s.Problem)
				}
			}
			if len(arts) > 0 {
				fmt.Fprintln(w, "artifacts:")
				for _, a := range arts {
					fmt.Fprintf(w, "  %-8s %-40s %8d bytes %s\n", a.Kind, a.Name, a.Size, db.ArtifactPath(a.SHA256))
				}
			}
			return nil
		},
	}
}
