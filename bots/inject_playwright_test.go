package bots_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/rs/zerolog"
)

// BenchmarkFerryVsPlaywright runs the sandbox's nightly flow alternately
// through Ferry's engine and through the Playwright reference
// (testdata/playwright-sandbox/nightly.js), on the same sandbox, the same
// Chromium binary and the same machine, and reports both medians and
// their ratio. Both sides keep a warm browser and time one run in their
// own process (Ferry: Browser.Run; Playwright: newContext to close).
// FERRY_PLAYWRIGHT names the node_modules that hold playwright-core
// (installed in a cache directory, see the reference's README).
func BenchmarkFerryVsPlaywright(b *testing.B) {
	mods := os.Getenv("FERRY_PLAYWRIGHT")
	if mods == "" {
		b.Skip("FERRY_PLAYWRIGHT (the node_modules holding playwright-core) is not set")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		b.Fatal(err)
	}
	bank := sandbox.New(sandbox.Options{Seed: 11})
	base, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	u := sandbox.DefaultUsers()[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	script, err := filepath.Abs("../testdata/playwright-sandbox/nightly.js")
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "node", script, base, u.ID, u.Password, "2026-10-01", "2026-10-31")
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods, "CHROMIUM="+chromium)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { in.Close(); _ = cmd.Wait() }()
	out := bufio.NewScanner(outPipe)
	type answer struct {
		Ready bool    `json:"ready"`
		MS    float64 `json:"ms"`
		Files int     `json:"files"`
		Rows  int     `json:"rows"`
		Error string  `json:"error"`
	}
	read := func() answer {
		if !out.Scan() {
			b.Fatalf("playwright reference ended: %v", out.Err())
		}
		var a answer
		if err := json.Unmarshal(out.Bytes(), &a); err != nil {
			b.Fatalf("playwright reference said %q", out.Text())
		}
		return a
	}
	if a := read(); !a.Ready {
		b.Fatalf("playwright reference not ready: %+v", a)
	}
	j := job(b, base, u)
	j.Logger = zerolog.Nop()
	j.StepTimeout = 20 * time.Second
	var ferryT, pwT []time.Duration
	runFerry := func() {
		t0 := time.Now()
		res, err := browser.Run(context.Background(), j)
		if err != nil || len(res.Downloads) != 9 {
			b.Fatalf("ferry run: %v", err)
		}
		ferryT = append(ferryT, time.Since(t0))
	}
	runPW := func() {
		if _, err := in.Write([]byte("run\n")); err != nil {
			b.Fatal(err)
		}
		a := read()
		if a.Error != "" || a.Files != 9 {
			b.Fatalf("playwright run: %+v", a)
		}
		pwT = append(pwT, time.Duration(a.MS*float64(time.Millisecond)))
	}
	// One warm-up run each, not counted.
	runFerry()
	runPW()
	ferryT, pwT = nil, nil
	b.ResetTimer()
	alternate(b.N, runFerry, runPW)
	b.StopTimer()
	mf, mp := median(ferryT), median(pwT)
	b.ReportMetric(float64(mf.Milliseconds()), "ferry-ms")
	b.ReportMetric(float64(mp.Milliseconds()), "playwright-ms")
	b.ReportMetric(float64(mf)/float64(mp), "ferry/playwright")
	for i := range ferryT {
		b.Logf("pair %d: ferry %s playwright %s", i, ferryT[i].Round(time.Millisecond), pwT[i].Round(time.Millisecond))
	}
}
