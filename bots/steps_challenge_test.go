package bots_test

// The challenge step in real Chromium against the sandbox tax portal. The
// person is played by the test through Job.Ask; the runner's own Asker
// (store, waiting_for_input, answers from other processes) is tested in
// runner.

import (
	"bytes"
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

// person answers challenges in memory: answer picks the answer to the
// n-th (1-based) challenge.
type person struct {
	mu     sync.Mutex
	asked  []ferry.Challenge
	closed []ferry.ChallengeState
	answer func(n int, c ferry.Challenge) string
}

type question struct {
	p *person
	c ferry.Challenge
	n int
}

func (q *question) Challenge() ferry.Challenge { return q.c }
func (q *question) Answer(ctx context.Context) (string, error) {
	return q.p.answer(q.n, q.c), nil
}
func (q *question) Close(s ferry.ChallengeState) {
	q.p.mu.Lock()
	defer q.p.mu.Unlock()
	q.p.closed = append(q.p.closed, s)
}

func (p *person) ask(ctx context.Context, c ferry.Challenge) (ferry.Question, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c.Seq = len(p.asked) + 1
	p.asked = append(p.asked, c)
	return &question{p: p, c: c, n: c.Seq}, nil
}

func etaxJob(t *testing.T, base, login string, p *person) bots.Job {
	t.Helper()
	s, sel, err := scripts.Load("", "", "etax-invoices")
	if err != nil {
		t.Fatal(err)
	}
	u := tax.DefaultUsers()[0]
	return bots.Job{RunID: 7, Script: s, Selectors: sel, BaseURL: base,
		Params:     ferry.RunParams{From: ferry.NewDate(2026, 3, 1), To: ferry.NewDate(2026, 3, 10), Values: map[string]string{"login": login, "types": "", "taxid": tax.Home().TaxID}},
		Credential: ferry.Credential{Name: "etax", Fields: map[string]string{"user": u.UserName, "password": u.Password}},
		// Generous: the machine is shared with other engineers' tests.
		StepTimeout: 30 * time.Second, Logger: zerolog.New(zerolog.NewTestWriter(t)), Ask: p.ask}
}

func serveTax(t *testing.T, p *tax.Portal) string {
	t.Helper()
	u, stop, err := p.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return u
}

func TestChallengeTwoWrongCodesThenTheRight(t *testing.T) {
	t.Parallel()
	portal := tax.New(tax.Options{Seed: 3})
	base := serveTax(t, portal)
	var codes []string
	p := &person{answer: func(n int, c ferry.Challenge) string {
		sms, err := portal.LastSMS("zhangwei")
		if err != nil {
			t.Error(err)
		}
		code := sms.Code
		if n <= 2 {
			code = fmt.Sprintf("%06d", (atoi(sms.Code)+n)%1000000) // wrong
		}
		codes = append(codes, code)
		return code
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := browser.Run(ctx, etaxJob(t, base, "login", p))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(p.asked) != 3 {
		t.Fatalf("asked %d times, want 3", len(p.asked))
	}
	first, second, third := p.asked[0], p.asked[1], p.asked[2]
	if first.Kind != ferry.ChallengeSMS || first.Destination != "138****5678" || first.AttemptsLeft != 5 || first.Message != "" || first.RunID != 7 {
		t.Errorf("first ask: %+v", first)
	}
	if second.AttemptsLeft != 4 || second.Message != fmt.Sprintf(tax.MsgWrongCode, 4) {
		t.Errorf("second ask: attempts %d, message %q", second.AttemptsLeft, second.Message)
	}
	if third.AttemptsLeft != 3 || third.Message != fmt.Sprintf(tax.MsgWrongCode, 3) {
		t.Errorf("third ask: attempts %d, message %q", third.AttemptsLeft, third.Message)
	}
	if !third.Deadline.After(time.Now()) || third.Deadline.After(time.Now().Add(5*time.Minute)) {
		t.Errorf("deadline %s is not within the code's 5 minutes", third.Deadline)
	}
	if st := portal.Stats(); st.WrongCodes != 2 || st.LockedAccounts != 0 {
		t.Errorf("portal saw %d wrong codes, %d locks", st.WrongCodes, st.LockedAccounts)
	}
	// The bot downloads every invoice of the period and, per direction,
	// the list as XLSX: the two lists are what this test counts.
	lists := 0
	for _, d := range res.Downloads {
		if d.Format == "xlsx" {
			lists++
		}
	}
	if lists != 2 || len(res.Downloads) <= 2 {
		t.Errorf("%d downloads of which %d XLSX lists, want the invoices and the issued and received lists", len(res.Downloads), lists)
	}
	for _, s := range res.Trace {
		for _, c := range codes {
			if strings.Contains(s.Detail, c) {
				t.Fatalf("a code is in the trace: %+v", s)
			}
		}
	}
	for _, s := range p.closed {
		if s != ferry.ChallengeUsed {
			t.Errorf("closed %v, want each used", p.closed)
		}
	}
}

func TestChallengeKeepsASpareAttempt(t *testing.T) {
	t.Parallel()
	portal := tax.New(tax.Options{Seed: 4})
	base := serveTax(t, portal)
	p := &person{answer: func(n int, c ferry.Challenge) string {
		sms, _ := portal.LastSMS("zhangwei")
		return fmt.Sprintf("%06d", (atoi(sms.Code)+n)%1000000)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, err := browser.Run(ctx, etaxJob(t, base, "login", p))
	if ferry.ClassOf(err) != ferry.ClassCredentialsRejected || !strings.Contains(err.Error(), "allows 1 more") {
		t.Fatalf("run: %v, want credentials_rejected leaving one attempt", err)
	}
	if st := portal.Stats(); st.WrongCodes != 4 || st.LockedAccounts != 0 {
		t.Fatalf("portal saw %d wrong codes and %d locks; want 4 and none", st.WrongCodes, st.LockedAccounts)
	}
}

func TestChallengeQRConfirmedOnThePhone(t *testing.T) {
	t.Parallel()
	portal := tax.New(tax.Options{Seed: 5})
	base := serveTax(t, portal)
	var shot []byte
	p := &person{}
	job := etaxJob(t, base, "login/qr", p)
	job.Ask = func(ctx context.Context, c ferry.Challenge) (ferry.Question, error) {
		shot = c.Screenshot
		// The person scans and confirms with the tax app.
		if _, err := portal.ScanQR("zhangwei", ""); err != nil {
			return nil, err
		}
		if err := portal.ConfirmQR(""); err != nil {
			return nil, err
		}
		return p.ask(ctx, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := browser.Run(ctx, job); err != nil {
		t.Fatalf("run: %v", err)
	}
	if !bytes.HasPrefix(shot, []byte("\x89PNG")) {
		t.Fatalf("the QR challenge has no PNG screenshot (%d bytes)", len(shot))
	}
	if len(p.asked) != 1 || p.asked[0].Kind != ferry.ChallengeQR || len(p.closed) != 1 || p.closed[0] != ferry.ChallengeUsed {
		t.Fatalf("asked %+v, closed %v", p.asked, p.closed)
	}
}

func TestChallengeQRNobodyScans(t *testing.T) {
	t.Parallel()
	portal := tax.New(tax.Options{Seed: 6})
	base := serveTax(t, portal)
	p := &person{}
	job := etaxJob(t, base, "login/qr", p)
	job.Ask = func(ctx context.Context, c ferry.Challenge) (ferry.Question, error) {
		c.Deadline = time.Now().Add(500 * time.Millisecond) // the runner's limit, shorter than the portal's
		return p.ask(ctx, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := browser.Run(ctx, job)
	if ferry.ClassOf(err) != ferry.ClassInputTimeout {
		t.Fatalf("run: %v, want input_timeout", err)
	}
	if len(p.closed) != 1 || p.closed[0] != ferry.ChallengeExpired {
		t.Fatalf("closed %v, want expired", p.closed)
	}
	withdrawn := false
	for _, s := range res.Trace {
		withdrawn = withdrawn || s.Element == "qr.cancel" && s.Status == ferry.StepOK
	}
	if !withdrawn {
		t.Fatal("the QR page was not left after the timeout")
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
