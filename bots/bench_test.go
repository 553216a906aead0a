package bots_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
	"github.com/rs/zerolog"
)

// plainRun is the nightly statement bot written directly against go-rod,
// without Ferry: fixed CSS selectors, the same clicks, the same waits and
// the same download capture. It is the reference for Ferry's overhead.
func plainRun(ctx context.Context, base string, u sandbox.User, from, to string) (int, error) {
	inc, err := browserRod().Incognito()
	if err != nil {
		return 0, err
	}
	defer inc.Close()
	page, err := inc.Page(proto.TargetCreateTarget{})
	if err != nil {
		return 0, err
	}
	p := page.Context(ctx)
	if err := p.Navigate(base + "/login"); err != nil {
		return 0, err
	}
	if err := p.WaitLoad(); err != nil {
		return 0, err
	}
	p.MustElement("#user-id").MustInput(u.ID)
	p.MustElement("#password").MustInput(u.Password)
	p.MustElement("#login-button").MustClick()
	p.MustElement("#accounts-title")
	p.MustElement("#nav-statements").MustClick()
	accounts := p.MustElement("#account-select").MustEval(`() => [...this.options].map(o => o.value).join(",")`).Str()
	files := 0
	for _, acc := range strings.Split(accounts, ",") {
		p.MustElement("#account-select").MustEval(`(v) => { this.value = v; this.dispatchEvent(new Event('change', {bubbles: true})) }`, acc)
		p.MustElement("#date-from").MustSelectAllText().MustInput(from)
		p.MustElement("#date-to").MustSelectAllText().MustInput(to)
		p.MustElement("#search-button").MustClick()
		p.MustWait(`() => document.getElementById('spinner').hidden`)
		for {
			p.MustElement("#result-table").MustWaitVisible()
			p.MustElements("#result-rows tr.result-row")
			next := p.MustElement("#next-page")
			if next.MustProperty("disabled").Bool() {
				break
			}
			next.MustClick()
			p.MustWait(`() => document.getElementById('spinner').hidden`)
		}
		for _, f := range []string{"xlsx", "csv", "pdf"} {
			if _, err := plainDownload(p, "#download-"+f); err != nil {
				return files, err
			}
			files++
		}
	}
	return files, nil
}

func plainDownload(p *rod.Page, css string) ([]byte, error) {
	if err := (proto.FetchEnable{Patterns: []*proto.FetchRequestPattern{{URLPattern: "*", ResourceType: proto.NetworkResourceTypeDocument, RequestStage: proto.FetchRequestStageResponse}}}).Call(p); err != nil {
		return nil, err
	}
	defer func() { _ = (proto.FetchDisable{}).Call(p) }()
	got := make(chan []byte, 1)
	wait := p.EachEvent(func(e *proto.FetchRequestPaused) bool {
		body, err := (proto.FetchGetResponseBody{RequestID: e.RequestID}).Call(p)
		_ = (proto.FetchFailRequest{RequestID: e.RequestID, ErrorReason: proto.NetworkErrorReasonAborted}).Call(p)
		if err != nil {
			got <- nil
			return true
		}
		b, _ := base64.StdEncoding.DecodeString(body.Body)
		if !body.Base64Encoded {
			b = []byte(body.Body)
		}
		got <- b
		return true
	})
	go wait()
	p.MustElement(css).MustClick()
	select {
	case b := <-got:
		return b, nil
	case <-time.After(15 * time.Second):
		return nil, fmt.Errorf("no download from %s", css)
	}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// BenchmarkNightlyRun measures one whole nightly run (login, three
// accounts, every result page, nine downloads) through Ferry and as the
// plain go-rod program above, alternating which goes first, and reports
// both medians and their ratio: Ferry's engine overhead.
func BenchmarkNightlyRun(b *testing.B) {
	bank := sandbox.New(sandbox.Options{Seed: 11})
	base, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	u := sandbox.DefaultUsers()[0]
	j := job(b, base, u)
	j.Logger = zerolog.Nop()
	var ferryT, plainT []time.Duration
	runFerry := func() {
		t0 := time.Now()
		res, err := browser.Run(context.Background(), j)
		if err != nil || len(res.Downloads) != 9 {
			b.Fatalf("ferry run: %v", err)
		}
		ferryT = append(ferryT, time.Since(t0))
	}
	runPlain := func() {
		t0 := time.Now()
		n, err := plainRun(context.Background(), base, u, "2026-10-01", "2026-10-31")
		if err != nil || n != 9 {
			b.Fatalf("plain run: %d files, %v", n, err)
		}
		plainT = append(plainT, time.Since(t0))
	}
	b.ResetTimer()
	alternate(b.N, runFerry, runPlain)
	b.StopTimer()
	mf, mp := median(ferryT), median(plainT)
	b.ReportMetric(float64(mf.Milliseconds()), "ferry-ms")
	b.ReportMetric(float64(mp.Milliseconds()), "plain-rod-ms")
	b.ReportMetric(float64(mf)/float64(mp), "ferry/plain")
}

// alternate runs a and b n times each, in turns whose order swaps every
// round, so that neither side always runs on the other's warm caches.
func alternate(n int, a, b func()) {
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			a()
			b()
		} else {
			b()
			a()
		}
	}
}

func browserRod() *rod.Browser { return browser.Rod() }
