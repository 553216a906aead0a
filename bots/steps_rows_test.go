package bots_test

// for_each_row and for_each_range in real Chromium against the sandbox
// tax portal, through the etax-invoices bot: a large range split, a total
// that changes between pages, an account kicked offline between two
// downloads. The SMS code is read from the sandbox phone.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/rs/zerolog"
)

// phoneAsker answers every SMS challenge with the code the sandbox phone
// received, and counts the challenges.
type phoneAsker struct {
	portal *tax.Portal
	user   string
	mu     sync.Mutex
	asked  int
}

type phoneQuestion struct {
	a *phoneAsker
	c ferry.Challenge
}

func (q phoneQuestion) Challenge() ferry.Challenge { return q.c }
func (q phoneQuestion) Answer(ctx context.Context) (string, error) {
	sms, err := q.a.portal.LastSMS(q.a.user)
	if err != nil {
		return "", err
	}
	return sms.Code, nil
}
func (q phoneQuestion) Close(ferry.ChallengeState) {}

func (a *phoneAsker) ask(ctx context.Context, c ferry.Challenge) (ferry.Question, error) {
	a.mu.Lock()
	a.asked++
	a.mu.Unlock()
	return phoneQuestion{a: a, c: c}, nil
}

func (a *phoneAsker) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.asked
}

// taxLoopJob is a run of etax-invoices over from..to, the SMS answered
// from the sandbox phone.
func taxLoopJob(t *testing.T, portal *tax.Portal, base string, from, to ferry.Date, types string) (bots.Job, *phoneAsker) {
	t.Helper()
	s, sel, err := scripts.Load("", "", "etax-invoices")
	if err != nil {
		t.Fatal(err)
	}
	u := tax.DefaultUsers()[0]
	a := &phoneAsker{portal: portal, user: u.UserName}
	return bots.Job{RunID: 14, Script: s, Selectors: sel, BaseURL: base,
		Params:     ferry.RunParams{From: from, To: to, Values: map[string]string{"login": "login", "types": types, "taxid": tax.Home().TaxID}},
		Credential: ferry.Credential{Name: "etax", Fields: map[string]string{"user": u.UserName, "password": u.Password}},
		// Generous: the machine is shared with other engineers' tests.
		StepTimeout: 30 * time.Second, Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), Ask: a.ask}, a
}

func serveTaxPortal(t *testing.T, p *tax.Portal) string {
	t.Helper()
	u, stop, err := p.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return u
}

// wantEveryInvoiceOnce checks that the run downloaded every invoice of
// the portal in from..to (both directions) exactly once per format: PDF,
// OFD, and XML for the 数电 ones.
func wantEveryInvoiceOnce(t *testing.T, portal *tax.Portal, res *bots.Result, from, to ferry.Date, types string) int {
	t.Helper()
	got := map[string]int{}
	for _, d := range res.Downloads {
		if d.Format == "xlsx" {
			continue
		}
		got[d.Account+" "+invoiceFile(d.Name)]++
	}
	want := map[string]bool{}
	for _, dir := range []string{tax.Issued, tax.Received} {
		for _, rec := range portal.Invoices(tax.Query{Direction: dir, From: from, To: to, Type: types}) {
			formats := []string{"pdf", "ofd"}
			if rec.Digital() {
				formats = append(formats, "xml")
			}
			for _, f := range formats {
				want[fmt.Sprintf("%s %s.%s", dir, strings.TrimPrefix(rec.Code+"_"+rec.Number, "_"), f)] = true
			}
		}
	}
	for k, n := range got {
		if n != 1 {
			t.Errorf("%s downloaded %d times", k, n)
		}
		if !want[k] {
			t.Errorf("%s downloaded, but it is no invoice of the range", k)
		}
	}
	for k := range want {
		if got[k] == 0 {
			t.Errorf("%s never downloaded", k)
		}
	}
	if len(want) == 0 {
		t.Fatal("the range holds no invoice: the test proves nothing")
	}
	return len(want)
}

// invoiceFile reads the portal's name of an invoice file,
// dzfp_<code_number>_<seller>_<issued>.<format>, as "<code_number>.<format>".
func invoiceFile(name string) string {
	ext := name[strings.LastIndex(name, ".")+1:]
	parts := strings.Split(strings.TrimPrefix(name, "dzfp_"), "_")
	if len(parts) < 3 {
		return name
	}
	return strings.Join(parts[:len(parts)-2], "_") + "." + ext
}

// queried lists the portal's query events: "issued 2026-03-01..2026-03-31 page 1".
func queried(p *tax.Portal) []string {
	var out []string
	for _, e := range p.Events() {
		if e.Kind == "query" {
			out = append(out, e.Detail)
		}
	}
	return out
}

func TestRowsRangeSplitEveryInvoiceOnce(t *testing.T) {
	t.Parallel()
	portal := tax.New(tax.Options{Seed: 5})
	// A low limit: a month is too wide, so is a fortnight; the bot halves.
	portal.Set(func(s *tax.Switches) { s.QueryLimit = 12 })
	base := serveTaxPortal(t, portal)
	from, to := ferry.NewDate(2026, 3, 1), ferry.NewDate(2026, 3, 31)
	job, _ := taxLoopJob(t, portal, base, from, to, tax.TypeDigitalGeneral)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	res, err := browser.Run(ctx, job)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	n := wantEveryInvoiceOnce(t, portal, res, from, to, tax.TypeDigitalGeneral)
	q := queried(portal)
	joined := strings.Join(q, "\n")
	for _, want := range []string{"issued 2026-03-01..2026-03-31 page 1", "issued 2026-03-01..2026-03-16 page 1", "received 2026-03-01..2026-03-31 page 1"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the portal saw no query %q; it saw:\n%s", want, joined)
		}
	}
	splits := 0
	for _, s := range res.Trace {
		if s.Action == "for_each_range" && strings.Contains(s.Detail, "too many results, split into") {
			splits++
		}
	}
	if splits < 2 {
		t.Errorf("%d splits, want at least one per direction", splits)
	}
	t.Logf("%d invoice files in %d queries, %d splits", n, len(q), splits)
}

func TestRowsTotalChangesBetweenPages(t *testing.T) {
	t.Parallel()
	portal := tax.New(tax.Options{Seed: 5})
	// The first request of a second page issues an invoice in the range:
	// the total grows and every row shifts down by one.
	portal.Set(func(s *tax.Switches) { s.IssueBetweenPages = 1 })
	base := serveTaxPortal(t, portal)
	from, to := ferry.NewDate(2026, 3, 1), ferry.NewDate(2026, 3, 24)
	if n := len(portal.Invoices(tax.Query{Direction: tax.Issued, From: from, To: to})); n <= tax.PageSize {
		t.Fatalf("%d issued invoices fit on one page: no second page to change the total on", n)
	}
	job, _ := taxLoopJob(t, portal, base, from, to, "")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	res, err := browser.Run(ctx, job)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var issued []string
	for _, e := range portal.Events() {
		if e.Kind == "issued" {
			issued = append(issued, e.Detail)
		}
	}
	if len(issued) != 1 {
		t.Fatalf("the portal issued %v during the run, want one invoice", issued)
	}
	// wantEveryInvoiceOnce reads the portal as it is now: the new invoice
	// is in it, and must have arrived, once.
	wantEveryInvoiceOnce(t, portal, res, from, to, "")
	restarts := 0
	for _, s := range res.Trace {
		if s.Action == "for_each_row" && strings.Contains(s.Detail, "starting over from the first page") {
			restarts++
		}
	}
	if restarts != 1 {
		t.Errorf("%d restarts, want 1", restarts)
	}
}

func TestRowsKickedOfflineReloginResumes(t *testing.T) {
	t.Parallel()
	portal := tax.New(tax.Options{Seed: 5})
	// The account logs in elsewhere right after the 5th invoice file; no
	// trusted device, so the new login asks for an SMS code again.
	portal.Set(func(s *tax.Switches) { s.KickAfterDownloads = 5; s.TrustDays = 0 })
	base := serveTaxPortal(t, portal)
	from, to := ferry.NewDate(2026, 3, 1), ferry.NewDate(2026, 3, 10)
	job, asker := taxLoopJob(t, portal, base, from, to, "")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	res, err := browser.Run(ctx, job)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	// The bot was kicked once; its new login kicked the other place in
	// turn.
	if st := portal.Stats(); st.Kicked != 2 {
		t.Fatalf("the portal kicked %d sessions, want 2", st.Kicked)
	}
	if n := asker.count(); n != 2 {
		t.Errorf("asked for %d SMS codes, want 2 (the first login and the new one)", n)
	}
	sessions := 0
	for _, e := range portal.Events() {
		if e.Kind == "session" {
			sessions++
		}
	}
	// The bot's two logins and the login elsewhere.
	if sessions != 3 {
		t.Errorf("%d sessions on the portal, want 3", sessions)
	}
	wantEveryInvoiceOnce(t, portal, res, from, to, "")
	// Every file the portal served, it served once (the kick came between
	// two downloads; the one refused was never served).
	served := map[string]int{}
	for _, e := range portal.Events() {
		if e.Kind == "download" {
			served[e.Detail]++
		}
	}
	for k, n := range served {
		if n != 1 {
			t.Errorf("the portal served %s %d times", k, n)
		}
	}
	relogins := 0
	for _, s := range res.Trace {
		if strings.Contains(s.Detail, "logging in again through block") {
			relogins++
		}
	}
	if relogins != 1 {
		t.Errorf("%d relogins in the trace, want 1", relogins)
	}
}
