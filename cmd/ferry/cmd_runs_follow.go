package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/spf13/cobra"
)

func (e *runsEnv) followCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "follow ID",
		Short: "Follow a run as it is stored, wherever it runs, until it ends; exit as ferry run does",
		Long: `Follow a run started elsewhere (by a schedule, another ferry run, a console):
its status, who works it and its steps as they are stored, then its outcome.
It only reads: Ctrl-C stops following (exit 130) and leaves the run alone.
The exit code is the run's, as for ferry run: 0 done, 10-14 by failure
class, 1 anything else. With --json only the ended run is printed.`,
		Example: `  ferry runs follow 42
  ferry runs follow 42 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("run", args[0])
			if err != nil {
				return err
			}
			db, err := e.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			return followRun(cmd.Context(), e.g, db, id)
		},
	}
}

// followRun prints a run's progress as it is stored until it ends, then
// its outcome, and returns the error the outcome maps to. Interrupted, it
// says that the run goes on and returns the context's error.
func followRun(ctx context.Context, g *globals, db *storage.DB, id int64) error {
	report := func(p service.Progress) { printProgress(g.stdout, p) }
	if g.json {
		report = func(service.Progress) {}
	}
	o := service.FollowOptions{Workers: func(ctx context.Context) (bool, error) {
		leader, err := service.RiverLeader(ctx, db)
		return leader != "", err
	}}
	run, err := service.Follow(ctx, db, id, o, report)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("stopped following run %d; the run goes on (ferry runs follow %d): %w", id, id, ctx.Err())
		}
		return err
	}
	if g.json {
		if err := g.printJSON(runView(run)); err != nil {
			return err
		}
		return service.Outcome(run, summaryLine(run.Summary))
	}
	return reportRun(ctx, g.stdout, db, run)
}

// printProgress prints what changed in a followed run: its status and who
// works it, then its new steps. Its end is reportRun's to print.
func printProgress(w io.Writer, p service.Progress) {
	r := p.Run
	if p.Changed {
		switch r.Status {
		case ferry.RunQueued:
			if r.Error != "" {
				fmt.Fprintf(w, "  attempt %d failed (%s): %s; queued for another attempt\n", r.Attempt, r.Class, r.Error)
			} else {
				fmt.Fprintln(w, "  queued")
			}
		case ferry.RunRunning:
			on := ""
			if p.Owner != "" {
				on = " on " + p.Owner
			}
			fmt.Fprintf(w, "  running: attempt %d%s\n", r.Attempt, on)
		case ferry.RunInterrupted:
			fmt.Fprintf(w, "  interrupted (%s): it resumes when a serve starts\n", r.Error)
		}
	}
	for _, s := range p.Steps {
		printStep(w, s)
	}
	if p.NoWorkers {
		fmt.Fprintln(w, "  waiting: no Ferry process works this database; the run goes on when a ferry serve starts (Ctrl-C stops following and leaves the run as it is)")
	}
}
