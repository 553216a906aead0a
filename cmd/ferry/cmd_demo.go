package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/service"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

type demoOptions struct {
	dataDir  string
	from, to string
	verbose  bool
}

func newDemoCmd(g *globals) *cobra.Command {
	var o demoOptions
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run the nightly statement bot for every sandbox account and the invoice bot on the sandbox tax portal, end to end",
		Long: `Start the sandbox bank on 127.0.0.1, then run the nightly statement bot once for
every sandbox login (and so every sandbox account) in headless Chromium:
log in (one login has a TOTP step), search each account's statement, read
every result page, download XLSX, CSV and PDF, parse them, check that they
agree and reconcile, store the records in SQLite and deliver them to a JSON
Lines file. Run it twice: the second run delivers nothing new.

Then start the sandbox tax portal beside the bank and run the invoice bot:
it logs in by password, the portal sends an SMS code to the sandbox phone,
and the run waits for a person (waiting_for_input). The demo plays that
person: it reads the code the sandbox phone received, answers the run with
it, and says so. The bot downloads three received invoices (PDF) and the
portal's list, and the demo prints the invoices it stored.

Needs Debian's chromium package (make demo installs it when run as root).`,
		Example: `  ferry demo
  ferry demo --data /tmp/ferry-demo --from 2026-10-01 --to 2026-10-31`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDemo(cmd.Context(), g, o) },
	}
	c.Flags().StringVar(&o.dataDir, "data", "demo-output", "data directory: SQLite file, artifacts, delivered records")
	c.Flags().StringVar(&o.from, "from", "today-7", "first day of the statements")
	c.Flags().StringVar(&o.to, "to", "yesterday", "last day of the statements")
	c.Flags().BoolVar(&o.verbose, "steps", false, "print every step")
	return c
}

func runDemo(ctx context.Context, g *globals, o demoOptions) error {
	params, err := parseParams(o.from, o.to, nil, nil)
	if err != nil {
		return err
	}
	// Runs print from their own goroutines (steps, the demo's answer).
	out := &syncWriter{w: g.stdout}
	bank := sandbox.New(sandbox.Options{Seed: 2026})
	u, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer stop()
	etax := tax.New(tax.Options{Seed: 2026})
	tu, tstop, err := etax.Serve("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer tstop()
	abs, _ := filepath.Abs(o.dataDir)
	// The demo's invoice bot and its selectors: the bank's come from the
	// built-in ones.
	bots := filepath.Join(abs, "demo-bots")
	if err := writeDemoBots(bots); err != nil {
		return err
	}
	cfg := &Config{DataDir: abs, Sites: map[string]string{"demobank": u, "etax": tu}, ScriptsDir: bots, SelectorsDir: bots}
	bankCreds := sandboxCredentials()
	taxUser := tax.DefaultUsers()[0]
	creds := runner.StaticCredentials{demoTaxLogin: {Name: demoTaxLogin, Fields: map[string]string{"user": taxUser.UserName, "password": taxUser.Password}}}
	for name, c := range bankCreds {
		creds[name] = c
	}
	taxFrom, taxTo, err := demoInvoiceWindow(etax)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Ferry demo\n  sandbox bank: %s (seed 2026)\n  period:       %s to %s\n  sandbox tax portal: %s (seed 2026, tax id %s)\n  invoices:     received %s to %s\n",
		u, params.From, params.To, tu, etax.Taxpayer().TaxID, taxFrom, taxTo)
	log := g.logger()
	if g.logLevel == "info" && !o.verbose {
		log = log.Level(zerolog.WarnLevel)
	}
	started := time.Now()
	// answer plays the person the invoice run waits for; it is set once
	// the app is open (a run resumed at start may ask before: it then
	// waits until its deadline, as any unanswered run).
	var answerMu sync.Mutex
	var answer func(ferry.Challenge)
	a, err := openApp(ctx, cfg, creds, log, func(rc *runner.Config) {
		if o.verbose {
			rc.OnStep = func(id int64, s ferry.Step) { printStep(out, s) }
		}
		rc.Challenges.OnAsk = func(c ferry.Challenge) {
			answerMu.Lock()
			f := answer
			answerMu.Unlock()
			if f != nil {
				f(c)
			}
		}
	})
	if err != nil {
		return err
	}
	defer a.close(context.WithoutCancel(ctx))
	answerMu.Lock()
	answer = func(c ferry.Challenge) {
		fmt.Fprintf(out, "  run %d waits for input: %s, sent to %s, until %s\n", c.RunID, c.Kind, c.Destination, c.Deadline.Format(time.TimeOnly))
		if !c.Kind.Typed() {
			return
		}
		sms, err := etax.LastSMS(taxUser.UserName)
		if err != nil {
			fmt.Fprintf(out, "  demo: the sandbox phone has no code: %v\n", err)
			return
		}
		fmt.Fprintf(out, "  demo: answering the code the sandbox phone received (%s)\n", ferry.MaskCode(sms.Code))
		if _, err := runner.AnswerChallenge(ctx, a.db, c, sms.Code, "demo"); err != nil {
			fmt.Fprintf(out, "  demo: the answer was refused: %v\n", err)
			return
		}
		a.runner.Wake(c.ID)
	}
	answerMu.Unlock()
	var logins []string
	for name := range bankCreds {
		logins = append(logins, name)
	}
	sort.Strings(logins)
	var ids []int64
	svc := &service.Service{ScriptsDir: bots, SelectorsDir: bots}
	for _, l := range logins {
		id, _, err := svc.StartRun(ctx, a.runner, creds, service.RunRequest{Bot: "demobank-statements", Login: l, Params: params})
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	var failed error
	total := runner.IngestSummary{}
	fmt.Fprintln(out, "\nRuns")
	for _, id := range ids {
		run, err := a.runner.Wait(ctx, id)
		if err != nil {
			return err
		}
		var s runner.IngestSummary
		_ = jsonUnmarshal(run.Summary, &s)
		total.Accounts += s.Accounts
		total.Statements += s.Statements
		total.Lines += s.Lines
		total.NewLines += s.NewLines
		total.Held += s.Held
		line := fmt.Sprintf("  run %d  %-18s %-9s", run.ID, run.Login, run.Status)
		if run.Status == ferry.RunFailed {
			line += fmt.Sprintf(" %s: %s", run.Class, run.Error)
			failed = &ferry.Error{Class: run.Class, Where: fmt.Sprintf("run %d", run.ID), Err: fmt.Errorf("%s", run.Error)}
		} else {
			line += " " + runner.FormatSummary(s)
		}
		fmt.Fprintln(out, line)
	}
	// The tax portal: a run that waits for the SMS code, which the demo
	// answers from the sandbox phone.
	fmt.Fprintf(out, "\nTax portal (%s)\n", demoTaxBot)
	taxID, _, err := svc.StartRun(ctx, a.runner, creds, service.RunRequest{Bot: demoTaxBot, Login: demoTaxLogin,
		Params: ferry.RunParams{From: taxFrom, To: taxTo, Values: map[string]string{"taxid": etax.Taxpayer().TaxID}}})
	if err != nil {
		return err
	}
	taxRun, err := a.runner.Wait(ctx, taxID)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("  run %d  %-18s %-9s", taxRun.ID, taxRun.Login, taxRun.Status)
	if taxRun.Status == ferry.RunFailed {
		line += fmt.Sprintf(" %s: %s", taxRun.Class, taxRun.Error)
		failed = &ferry.Error{Class: taxRun.Class, Where: fmt.Sprintf("run %d", taxRun.ID), Err: fmt.Errorf("%s", taxRun.Error)}
	} else {
		arts, _ := a.db.Artifacts(ctx, taxRun.ID)
		files := 0
		for _, art := range arts {
			if art.Kind == "download" {
				files++
			}
		}
		line += fmt.Sprintf(" %d files downloaded (invoice PDFs and the portal's list)", files)
	}
	fmt.Fprintln(out, line)
	// Delivery runs after each run; drain once more so the counts are final.
	if _, err := a.runner.Deliver(ctx); err != nil {
		fmt.Fprintln(out, "  delivery incomplete:", err)
	}
	invoices, err := a.db.Invoices(ctx, ferry.InvoiceFilter{})
	if err != nil {
		return err
	}
	fresh := 0
	for _, r := range invoices {
		if r.RunID == taxRun.ID {
			fresh++
		}
	}
	fmt.Fprintf(out, "  invoices stored: %d in all, %d new this time\n", len(invoices), fresh)
	for _, r := range invoices {
		inv := r.Invoice
		no := inv.Number
		if inv.Code != "" {
			no = inv.Code + "-" + inv.Number
		}
		party := inv.SellerName
		if r.Direction == ferry.InvoiceIssued {
			party = inv.BuyerName
		}
		fmt.Fprintf(out, "    %s  %-22s %-8s %-6s %-7s %12s %s  %s\n", inv.IssueDate, no, r.Direction, r.Status, r.State, inv.Total.StringFixed(2), inv.Currency, party)
	}
	counts, _ := a.db.OutboxCounts(ctx)
	fmt.Fprintf(out, `
Summary (%.1fs)
  accounts:            %d
  statements:          %d (%d held back)
  statement lines:     %d, of which new this time: %d
  invoices:            %d
  records delivered:   %d in total (pending %d, parked %d)
  SQLite database:     %s
  artifacts:           %s
  delivered records:   %s
`, time.Since(started).Seconds(), total.Accounts, total.Statements, total.Held, total.Lines, total.NewLines, len(invoices),
		counts["delivered"], counts["pending"], counts["parked"], a.db.Path, a.db.ArtifactsDir, "jsonl: "+cfg.jsonlPath())
	fmt.Fprintf(out, "\nLook closer: ferry runs list --data %s ; ferry runs show %d --data %s ; ferry invoices list --data %s\n",
		o.dataDir, ids[0], o.dataDir, o.dataDir)
	return failed
}

// syncWriter serialises writes from several goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// The demo's invoice bot: the login of scripts/etax-invoices.yaml (an SMS
// code the demo answers), then the PDFs of the first three received
// invoices of the period and the portal's list (their statuses). The
// published bot downloads the list only, which stores no invoice.
const (
	demoTaxBot   = "etax-demo-invoices"
	demoTaxLogin = "etax"
	demoTaxRows  = 3
)

const demoTaxScript = `# Written by ferry demo: the sandbox tax portal's invoice bot.
bot: etax-demo-invoices
site: etax
credential: etax
description: Log in (SMS code, answered by the demo from the sandbox phone), download the first three received invoices of the period and the list.
params:
  taxid: {type: string, required: true}
steps:
  - open: "${site.url}/login"
  - fill: login.taxid
    value: "${param.taxid}"
  - fill: login.account
    value: "${cred.user}"
  - fill: login.password
    value: "${cred.password}"
  - click: login.submit
  - branch:
      - when: sms.code
        steps:
          - challenge:
              kind: sms_code
              prompt: 电子税务局短信验证码
              destination: sms.phone
              input: sms.code
              submit: sms.verify
              error: login.error
              left: 还可以尝试(\d+)次
              done: login.done
              valid_for: 5m
              attempts: 5
      - when: login.done
  - branch:
      - when: role.enter
        steps:
          - click: role.enter
          - wait: query.submit
      - when: query.submit
  - open: "${site.url}/invoices?direction=received&from=${from}&to=${to}"
  - wait: query.total
  - download: row1.pdf
    format: pdf
    as: invoice
    account: received
  - download: row2.pdf
    format: pdf
    as: invoice
    account: received
  - download: row3.pdf
    format: pdf
    as: invoice
    account: received
  - download: query.export
    format: xlsx
    as: invoice
    account: received
  - click: session.logout
  - wait: login.taxid
`

const demoTaxSelectors = `# Written by ferry demo: the elements of the sandbox tax portal its
# invoice bot touches.
site: etax
version: 1
elements:
  login.taxid: {ways: [{css: "#nsrsbh"}]}
  login.account: {ways: [{css: "#account"}]}
  login.password: {ways: [{css: "#password"}]}
  login.submit: {ways: [{css: "#login-btn"}]}
  login.error: {ways: [{css: "#error-msg"}]}
  login.done: {ways: [{css: "#role-btn"}, {css: "#query-btn"}]}
  sms.code: {ways: [{css: "#sms-code"}]}
  sms.verify: {ways: [{css: "#sms-btn"}]}
  sms.phone: {ways: [{css: "#sms-phone"}]}
  role.enter: {ways: [{css: "#role-btn"}]}
  query.submit: {ways: [{css: "#query-btn"}]}
  query.total: {ways: [{css: "#total"}]}
  query.export: {ways: [{css: "#export-btn"}]}
  row1.pdf: {ways: [{css: "#invoice-table tbody tr:nth-child(1) a.dl-pdf"}]}
  row2.pdf: {ways: [{css: "#invoice-table tbody tr:nth-child(2) a.dl-pdf"}]}
  row3.pdf: {ways: [{css: "#invoice-table tbody tr:nth-child(3) a.dl-pdf"}]}
  session.logout: {ways: [{css: "#logout-btn"}]}
`

// writeDemoBots writes the demo's invoice bot and its selectors into dir.
func writeDemoBots(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	for name, body := range map[string]string{demoTaxBot + ".yaml": demoTaxScript, "etax.yaml": demoTaxSelectors} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

// demoInvoiceWindow returns the first days of the sandbox tax portal's
// data whose received invoices are exactly demoTaxRows: what the demo bot
// downloads, whatever today is.
func demoInvoiceWindow(p *tax.Portal) (ferry.Date, ferry.Date, error) {
	start := ferry.NewDate(2026, 1, 1)
	for d := 0; d < 365; d++ {
		from := start.AddDays(d)
		for n := 0; n < 31; n++ {
			to := from.AddDays(n)
			got := len(p.Invoices(tax.Query{Direction: tax.Received, From: from, To: to}))
			if got == demoTaxRows {
				return from, to, nil
			}
			if got > demoTaxRows {
				break
			}
		}
	}
	return ferry.Date{}, ferry.Date{}, fmt.Errorf("demo: no days of the sandbox tax portal with %d received invoices", demoTaxRows)
}
