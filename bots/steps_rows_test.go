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
