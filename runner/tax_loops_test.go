package runner_test

// The etax-invoices bot end to end through the runner, in real Chromium
// against the sandbox tax portal: a range split where the portal says it
// is too wide, the account kicked offline between two downloads, and each
// invoice's PDF, OFD and XML parsed into one stored invoice with its
// items. The SMS codes are answered through the store, as from another
// process, with the code the sandbox phone received.

import (
	"context"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
)

type taxLoopEnv struct {
	portal *tax.Portal
	db     *storage.DB
	r      *runner.Runner
}

func setupTaxLoops(tb testing.TB, sw func(*tax.Switches)) *taxLoopEnv {
	tb.Helper()
	ctx := context.Background()
	portal := tax.New(tax.Options{Seed: 5})
	portal.Set(sw)
	base, stop, err := portal.Serve("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(stop)
	dir := tb.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	u := tax.DefaultUsers()[0]
	r, err := runner.New(ctx, runner.Config{DB: db, Browser: browser, Sites: map[string]string{"etax": base},
		Credentials: runner.StaticCredentials{"etax": {Name: "etax", Fields: map[string]string{"user": u.UserName, "password": u.Password}}},
		RetryBase:   300 * time.Millisecond, StepTimeout: 30 * time.Second, ReservePath: "-",
		Logger: zerolog.New(zerolog.NewTestWriter(tb)).Level(zerolog.ErrorLevel)})
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Stop(sctx)
		db.Close()
	})
	return &taxLoopEnv{portal: portal, db: db, r: r}
}

// run runs etax-invoices over from..to and answers every SMS challenge
// with the sandbox phone's code until the run ends; it returns the run
// and how many codes it answered.
func (e *taxLoopEnv) run(tb testing.TB, from, to ferry.Date) (storage.RunRecord, int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	id, err := e.r.Enqueue(ctx, runner.Request{Bot: "etax-invoices", Login: "etax",
		Params: ferry.RunParams{From: from, To: to, Values: map[string]string{"taxid": tax.Home().TaxID}}})
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	answered := 0
	actx, stop := context.WithCancel(ctx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		seen := 0
		for actx.Err() == nil {
			c, err := e.db.LatestChallenge(actx, id)
			if err == nil && c.Seq > seen && c.State == ferry.ChallengePending {
				sms, err := e.portal.LastSMS("zhangwei")
				if err == nil {
					if _, err := service.Answer(actx, e.db, id, sms.Code, "cli"); err == nil {
						seen = c.Seq
						answered++
					}
				}
			}
			select {
			case <-actx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	run, err := e.r.Wait(ctx, id)
	stop()
	wg.Wait()
	if err != nil {
		tb.Fatal(err)
	}
	return run, answered
}

// TestTaxInvoicesSplitKickedParsed: a month over the portal's limit, the
// account logged in elsewhere after the 7th file: the run logs in again
// (a second SMS), resumes, and stores every invoice of the month once,
// parsed from its files with its items, each file downloaded once.
func TestTaxInvoicesSplitKickedParsed(t *testing.T) {
	t.Parallel()
	e := setupTaxLoops(t, func(s *tax.Switches) { s.QueryLimit = 10; s.KickAfterDownloads = 7; s.TrustDays = 0 })
	from, to := ferry.NewDate(2026, 3, 1), ferry.NewDate(2026, 3, 12)
	run, answered := e.run(t, from, to)
	if run.Status != ferry.RunSucceeded {
		t.Fatalf("run %s (%s): %s", run.Status, run.Class, run.Error)
	}
	if answered != 2 {
		t.Errorf("answered %d SMS codes, want 2 (the login and the login after the kick)", answered)
	}
	var split, kicked bool
	for _, ev := range e.portal.Events() {
		switch {
		case ev.Kind == "query" && ev.Detail == "issued 2026-03-01..2026-03-06 page 1":
			split = true
		case ev.Kind == "kicked":
			kicked = true
		}
	}
	if !split || !kicked {
		t.Errorf("the portal saw the split query: %v, a kick: %v", split, kicked)
	}
	served := map[string]int{}
	for _, ev := range e.portal.Events() {
		if ev.Kind == "download" {
			served[ev.Detail]++
		}
	}
	rows, err := service.Invoices(context.Background(), e.db, service.InvoiceQuery{From: from.String(), To: to.String()})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]ferry.InvoiceRow{}
	for _, r := range rows {
		if _, dup := stored[r.Key]; dup {
			t.Errorf("invoice %s stored twice", r.Key)
		}
		stored[r.Key] = r
	}
	var want []tax.Record
	for _, dir := range []string{tax.Issued, tax.Received} {
		want = append(want, e.portal.Invoices(tax.Query{Direction: dir, From: from, To: to})...)
	}
	if len(stored) != len(want) {
		t.Errorf("%d invoices stored, want %d", len(stored), len(want))
	}
	for _, rec := range want {
		formats := []string{"pdf", "ofd"}
		if rec.Digital() {
			formats = append(formats, "xml")
		}
		for _, f := range formats {
			if n := served[rec.ID()+"."+f]; n != 1 {
				t.Errorf("%s.%s served %d times, want once", rec.ID(), f, n)
			}
		}
		var got *ferry.InvoiceRow
		for k, r := range stored {
			if r.Invoice.Number == rec.Number && r.Invoice.Code == rec.Code {
				r := stored[k]
				got = &r
			}
		}
		if got == nil {
			t.Errorf("invoice %s not stored", rec.ID())
			continue
		}
		if len(got.Invoice.Items) != len(rec.Items) || !got.Invoice.Total.Equal(rec.Total) {
			t.Errorf("invoice %s: %d items, total %s; the portal has %d items, total %s", rec.ID(), len(got.Invoice.Items), got.Invoice.Total, len(rec.Items), rec.Total)
		}
		var sources []string
		for _, s := range got.Sources {
			sources = append(sources, s.Format)
		}
		sort.Strings(sources)
		if len(sources) < len(formats) {
			t.Errorf("invoice %s from %v, want %v", rec.ID(), sources, formats)
		}
	}
}

// BenchmarkTaxInvoices runs etax-invoices over a month of the sandbox
// (both directions, every invoice as PDF, OFD and XML) and reports the
// invoices stored per minute of the run's wall time, login included:
//
//	go test -p 1 -run '^$' -bench BenchmarkTaxInvoices -benchtime 1x -count 3 ./runner/
func BenchmarkTaxInvoices(b *testing.B) {
	from, to := ferry.NewDate(2026, 3, 1), ferry.NewDate(2026, 3, 31)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := setupTaxLoops(b, func(s *tax.Switches) {})
		b.StartTimer()
		started := time.Now()
		run, _ := e.run(b, from, to)
		took := time.Since(started)
		b.StopTimer()
		if run.Status != ferry.RunSucceeded {
			b.Fatalf("run %s (%s): %s", run.Status, run.Class, run.Error)
		}
		rows, err := service.Invoices(context.Background(), e.db, service.InvoiceQuery{From: from.String(), To: to.String()})
		if err != nil {
			b.Fatal(err)
		}
		var files int
		for _, r := range rows {
			files += len(r.Sources)
		}
		b.ReportMetric(float64(len(rows))/took.Minutes(), "invoices/min")
		b.ReportMetric(float64(files)/took.Minutes(), "files/min")
		b.ReportMetric(float64(len(rows)), "invoices")
		b.StartTimer()
	}
}
