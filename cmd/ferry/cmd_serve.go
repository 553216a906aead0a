package main

import (
	"context"
	"fmt"
	"github.com/ferry-rpa/ferry/runner"
	"time"

	"github.com/spf13/cobra"
)

func newServeCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the schedules: the queue, its workers and the deliverer, until stopped",
		Long: `Run Ferry as a service: every schedule in the configuration fires as a River
periodic job whose slot runs once; a slot missed while Ferry was down runs
once on start; the deliverer drains the outbox every minute. SIGINT or
SIGTERM lets running jobs finish (up to a minute), then stops.`,
		Example: `  ferry serve --config ferry.yaml
  ferry sandbox &  ferry serve          # the built-in config targets the sandbox`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig("")
			if err != nil {
				return err
			}
			creds, err := cfg.credentials()
			if err != nil {
				return err
			}
			log := g.logger()
			// With a vault, every run reads its login from the vault as it
			// is then: a credential the admin adds or replaces in the
			// console is used by the next scheduled run, with no restart.
			lv, err := cfg.liveCredentials()
			if err != nil {
				return err
			}
			var rc runner.Credentials = creds
			if lv != nil {
				rc = lv
			}
			a, err := openApp(cmd.Context(), cfg, rc, log, nil)
			if err != nil {
				return err
			}
			if lv != nil {
				if err := lv.bind(a.db); err != nil {
					_ = a.close(context.Background())
					return err
				}
			}
			var con *runningConsole
			if cfg.Console.Addr != "" {
				if con, err = startConsole(cfg.Console, a, cfg, creds, log); err != nil {
					_ = a.close(context.Background())
					return err
				}
			}
			log.Info().Str("config", cfg.path).Int("schedules", len(cfg.Schedules)).Str("data_dir", cfg.DataDir).Msg("ferry serving")
			for _, s := range cfg.Schedules {
				fmt.Fprintf(g.stdout, "schedule %s: %s as %s at %q\n", s.ID, s.Bot, s.Login, s.Cron)
			}
			<-cmd.Context().Done()
			log.Info().Msg("stopping: letting running jobs finish")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if con != nil {
				con.stop(ctx)
			}
			return a.close(ctx)
		},
	}
	return c
}
