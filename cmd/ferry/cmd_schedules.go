package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/console"
	"github.com/spf13/cobra"
)

// schedulesEnv is what the schedules commands share: the --data flag.
type schedulesEnv struct {
	g       *globals
	dataDir string
}

func newSchedulesCmd(g *globals) *cobra.Command {
	e := &schedulesEnv{g: g}
	c := &cobra.Command{
		Use:   "schedules",
		Short: "List the schedules; pause, resume or delete the stored ones",
		Long: `Schedules come from two places: the configuration file's schedules: (fixed
until the file is edited and serve restarted) and the database, where
admins create and edit them in the console. A running ferry serve, on every
node sharing the database, picks up a stored schedule's change within
seconds (ScheduleSyncEvery), without a restart. A paused schedule fires
nothing, and resuming it does not catch up the slots it missed. Every change
is written to the audit log as cli:<os user>.`,
		Example: `  ferry schedules list
  ferry schedules pause nightly-lina
  ferry schedules resume nightly-lina`,
	}
	c.PersistentFlags().StringVar(&e.dataDir, "data", "", "data directory (default: the config's data_dir)")
	c.AddCommand(e.listCmd(), e.changeCmd("pause"), e.changeCmd("resume"), e.changeCmd("delete"))
	return c
}

// scheduleJSON is a schedule as list --json prints it.
type scheduleJSON struct {
	ID      string            `json:"id"`
	Source  string            `json:"source"` // file or database
	Bot     string            `json:"bot"`
	Login   string            `json:"login"`
	Site    string            `json:"site,omitempty"`
	Cron    string            `json:"cron"`
	Params  map[string]string `json:"params,omitempty"`
	State   string            `json:"state"` // active or paused
	Version int64             `json:"version,omitempty"`
	Changed string            `json:"changed,omitempty"`
}

func (e *schedulesEnv) listCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the configuration file's and the stored schedules",
		Long: `List every schedule: the configuration file's, then those stored in the
database with their state (active or paused) and version. On a data
directory without a database it lists the file's and creates nothing.`,
		Example: `  ferry schedules list
  ferry schedules list --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := e.g.loadConfig(e.dataDir)
			if err != nil {
				return err
			}
			views := []scheduleJSON{}
			for _, s := range cfg.Schedules {
				views = append(views, scheduleJSON{ID: s.ID, Source: "file", Bot: s.Bot, Login: s.Login, Site: s.Site, Cron: s.Cron, Params: s.Params, State: "active"})
			}
			db, err := openExisting(cmd.Context(), cfg)
			switch {
			case e.g.noDatabase(err):
			case err != nil:
				return err
			default:
				defer db.Close()
				defs, err := db.ScheduleDefs(cmd.Context())
				if err != nil {
					return err
				}
				for _, d := range defs {
					state := "active"
					if d.Paused {
						state = "paused"
					}
					views = append(views, scheduleJSON{ID: d.ID, Source: "database", Bot: d.Bot, Login: d.Login, Site: d.Site, Cron: d.Spec(), Params: d.Params,
						State: state, Version: d.Version, Changed: d.UpdatedAt.Format("2006-01-02T15:04:05Z07:00") + " by " + d.UpdatedBy})
				}
			}
			if e.g.json {
				return e.g.printJSON(views)
			}
			tw := tabwriter.NewWriter(e.g.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSOURCE\tSTATE\tBOT\tLOGIN\tCRON\tPARAMS")
			for _, v := range views {
				var ps []string
				for _, k := range slices.Sorted(maps.Keys(v.Params)) {
					ps = append(ps, k+"="+v.Params[k])
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Source, v.State, v.Bot, v.Login, v.Cron, strings.Join(ps, " "))
			}
			return tw.Flush()
		},
	}
}

func (e *schedulesEnv) changeCmd(op string) *cobra.Command {
	short := map[string]string{
		"pause":  "Pause a stored schedule: it fires nothing until resumed",
		"resume": "Resume a stored schedule from now on (missed slots are not caught up)",
		"delete": "Delete a stored schedule (its runs stay)",
	}[op]
	return &cobra.Command{
		Use:     op + " ID",
		Short:   short,
		Long:    short + ". Schedules of the configuration file change by editing it.",
		Example: "  ferry schedules " + op + " nightly-lina",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := e.g.loadConfig(e.dataDir)
			if err != nil {
				return err
			}
			for _, s := range cfg.Schedules {
				if s.ID == args[0] {
					return &exitError{exitUsage, fmt.Errorf("schedule %s is in %s: edit the file to change it", s.ID, cfg.path)}
				}
			}
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			d, err := console.ChangeSchedule(cmd.Context(), db, db, actor(), "", args[0], op)
			if errors.Is(err, ferry.ErrNoSchedule) {
				return &exitError{exitUsage, fmt.Errorf("no stored schedule %q (see ferry schedules list)", args[0])}
			}
			if err != nil {
				return err
			}
			switch op {
			case "delete":
				fmt.Fprintf(e.g.stdout, "schedule %s deleted\n", args[0])
			case "pause":
				fmt.Fprintf(e.g.stdout, "schedule %s paused (version %d)\n", d.ID, d.Version)
			default:
				fmt.Fprintf(e.g.stdout, "schedule %s active from %s (version %d)\n", d.ID, d.ActiveSince.Format("2006-01-02T15:04:05Z07:00"), d.Version)
			}
			return nil
		},
	}
}
