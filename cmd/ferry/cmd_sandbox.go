package main

import (
	"fmt"
	"time"

	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/sandbox/tax"
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
	// The tax portal's.
	taxAddr         string
	taxTrustDays    int
	taxQueryLimit   int
	taxIssueBetween int
}

func newSandboxCmd(g *globals) *cobra.Command {
	var o sandboxOptions
	c := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve the sandbox portals (the demobank bank and the etax tax portal) on 127.0.0.1",
		Long: `Serve the sandbox bank "demobank": login with CSRF token, lockout after three
wrong passwords, a TOTP second step for one user, accounts in CNY and USD,
asynchronous paginated statement search, and XLSX, GB18030 CSV and PDF
downloads. Its data is derived from --seed.

Beside it, the sandbox tax portal "etax" (--tax-addr), modelled on China's
electronic tax bureau and its 数电 invoice service: login by tax id, account
and password then an SMS code, or by QR code; role selection; lockout after 5
wrong passwords or codes; kicked offline when the account logs in elsewhere;
a trusted device for --tax-trust-days; the invoice query (issued or received,
dates, type, status, pages; over --tax-query-limit it answers 请限制开票日期);
PDF, OFD and XML per invoice and the list as XLSX. Its "phone" shows the SMS
codes and scans QR codes, on loopback only: GET /_sandbox/phone?user=NAME,
POST /_sandbox/phone/scan and /_sandbox/phone/confirm.

Bank logins (published test data):
  zhangwei / Ferry#Demo2026                  three accounts
  lina     / Ferry#Totp2026 + TOTP seed      one account
Tax portal logins: zhangwei or lina / Ferry#Tax2026, tax id of the sandbox's
enterprise (printed at start), SMS code from the sandbox phone.`,
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
			etax := tax.New(tax.Options{Seed: o.seed})
			etax.Set(func(s *tax.Switches) {
				s.SlowPages, s.Unavailable503, s.IdleExpiry, s.Redesign = o.slow, o.burst503, o.idleExpiry, o.redesign
				s.TrustDays, s.QueryLimit, s.IssueBetweenPages = o.taxTrustDays, o.taxQueryLimit, o.taxIssueBetween
			})
			tu, tstop, err := etax.Serve(o.taxAddr)
			if err != nil {
				return err
			}
			defer tstop()
			fmt.Fprintf(g.stdout, "demobank sandbox on %s/login (seed %d)\n", u, o.seed)
			fmt.Fprintf(g.stdout, "etax sandbox on %s/login (tax id %s; SMS codes at %s/_sandbox/phone?user=zhangwei)\nCtrl-C stops them\n", tu, etax.Taxpayer().TaxID, tu)
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
	c.Flags().StringVar(&o.taxAddr, "tax-addr", "127.0.0.1:8701", "address of the tax portal (loopback only)")
	c.Flags().IntVar(&o.taxTrustDays, "tax-trust-days", 7, "days a device stays trusted after an SMS login (0: a code at every login)")
	c.Flags().IntVar(&o.taxQueryLimit, "tax-query-limit", 100, "most invoices one query may match before the portal asks to narrow the dates")
	c.Flags().IntVar(&o.taxIssueBetween, "tax-issue-between-pages", 0, "issue a new invoice while a client pages through results, this many times")
	return c
}
