package main

import (
	"fmt"
	"time"

	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/spf13/cobra"
)

type sandboxOptions struct {
	addr       string
	seed       int64
	slow       time.Duration
	burst503   int
	idleExpiry time.Duration
	removed    []string
	redesign   bool
	rollout    float64
}

func newSandboxCmd(g *globals) *cobra.Command {
	var o sandboxOptions
	c := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve the sandbox portals (the demobank bank portal) on 127.0.0.1",
		Long: `Serve the sandbox bank "demobank": login with CSRF token, lockout after three
wrong passwords, a TOTP second step for one user, accounts in CNY and USD,
asynchronous paginated statement search, and XLSX, GB18030 CSV and PDF
downloads. Its data is derived from --seed.

Logins (published test data):
  zhangwei / Ferry#Demo2026                  three accounts
  lina     / Ferry#Totp2026 + TOTP seed      one account`,
		Example: `  ferry sandbox
  ferry sandbox --addr 127.0.0.1:8700 --burst-503 3 --remove search-button
  ferry sandbox --redesign          # every browser gets the version 2 pages
  ferry sandbox --rollout 0.5       # half of new browsers get version 2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			bank := sandbox.New(sandbox.Options{Seed: o.seed})
			bank.Set(func(s *sandbox.Switches) {
				s.SlowPages, s.Unavailable503, s.IdleExpiry, s.Removed = o.slow, o.burst503, o.idleExpiry, o.removed
				s.Redesign, s.Rollout = o.redesign, o.rollout
			})
			u, stop, err := bank.Serve(o.addr)
			if err != nil {
				return err
			}
			defer stop()
			fmt.Fprintf(g.stdout, "demobank sandbox on %s/login (seed %d); Ctrl-C stops it\n", u, o.seed)
			<-cmd.Context().Done()
			return nil
		},
	}
	c.Flags().StringVar(&o.addr, "addr", "127.0.0.1:8700", "address to listen on (loopback only)")
	c.Flags().Int64Var(&o.seed, "seed", 2026, "seed of the sandbox's data")
	c.Flags().DurationVar(&o.slow, "slow", 0, "delay every response by this long")
	c.Flags().IntVar(&o.burst503, "burst-503", 0, "answer the first N requests with 503 maintenance, then recover")
	c.Flags().DurationVar(&o.idleExpiry, "idle-expiry", 0, "log sessions out after this long idle")
	c.Flags().StringSliceVar(&o.removed, "remove", nil, "element ids to leave out of the pages, as after a redesign (e.g. search-button)")
	c.Flags().BoolVar(&o.redesign, "redesign", false, "serve version 2 of the pages (renamed ids and classes, new texts, moved buttons, a cookie banner)")
	c.Flags().Float64Var(&o.rollout, "rollout", 0, "serve version 2 to this share (0..1) of new browsers")
	return c
}
