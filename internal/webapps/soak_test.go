package webapps

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/rs/zerolog"
)

// The soak (issue 11 item 4): b.N consecutive runs of a bot through the
// real runner against one started application, each run's first attempt
// counted (the runner does not retry: MaxAttempts 1). `make soak` runs it
// with -benchtime 100x. Nothing on the site changes during a soak, so every
// site_changed is a false one.
//
//	go test -run '^$' -bench Soak -benchtime 100x -timeout 6h ./internal/webapps
//
// FERRY_SOAK_OUT, when set, is a file each benchmark appends its summary to
// as one JSON line.

// soakResult is one soak's figures.
type soakResult struct {
	Bot              string         `json:"bot"`
	Runs             int            `json:"runs"`
	Succeeded        int            `json:"succeeded"`
	SuccessRate      float64        `json:"success_rate"`
	FirstRunOK       bool           `json:"first_run_ok"`
	Classes          map[string]int `json:"failure_classes"`
	FalseSiteChanged int            `json:"false_site_changed"`
	MedianRunMS      int64          `json:"median_run_ms"`
	P90RunMS         int64          `json:"p90_run_ms"`
	Errors           []string       `json:"errors,omitempty"`
}

// soak runs bot b.N times and reports the figures. check looks at a
// succeeded run's output (its download); an error there is counted as the
// failure class "wrong_output".
func soak(b *testing.B, h *harness, bot string, check func(ferry.RunRecord) error) soakResult {
	res := soakResult{Bot: bot, Classes: map[string]int{}}
	var durs []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run := h.run(b, bot)
		res.Runs++
		durs = append(durs, run.FinishedAt.Sub(run.StartedAt))
		class := ""
		switch {
		case run.Status != ferry.RunSucceeded:
			class = string(run.Class)
			if class == "" {
				class = string(run.Status)
			}
			res.Errors = append(res.Errors, fmt.Sprintf("run %d (%d of %d): %s: %s", run.ID, i+1, b.N, class, run.Error))
		default:
			if err := check(run); err != nil {
				class = "wrong_output"
				res.Errors = append(res.Errors, fmt.Sprintf("run %d (%d of %d): %v", run.ID, i+1, b.N, err))
			}
		}
		if class == "" {
			res.Succeeded++
		} else {
			res.Classes[class]++
			if class == string(ferry.ClassSiteChanged) {
				res.FalseSiteChanged++
			}
		}
		if i == 0 {
			res.FirstRunOK = class == ""
		}
	}
	b.StopTimer()
	res.SuccessRate = float64(res.Succeeded) / float64(res.Runs)
	slices.Sort(durs)
	res.MedianRunMS = durs[len(durs)/2].Milliseconds()
	res.P90RunMS = durs[len(durs)*9/10].Milliseconds()
	b.ReportMetric(100*res.SuccessRate, "%ok")
	b.ReportMetric(float64(res.FalseSiteChanged), "false_site_changed")
	b.ReportMetric(float64(res.MedianRunMS), "median_run_ms")
	var classes []string
	for c, n := range res.Classes {
		classes = append(classes, fmt.Sprintf("%s=%d", c, n))
	}
	sort.Strings(classes)
	b.Logf("soak %s: %d/%d succeeded (%.1f %%), first run ok %v, failure classes [%s], false site_changed %d, run median %d ms, p90 %d ms",
		bot, res.Succeeded, res.Runs, 100*res.SuccessRate, res.FirstRunOK, strings.Join(classes, " "), res.FalseSiteChanged, res.MedianRunMS, res.P90RunMS)
	for _, e := range res.Errors {
		b.Log(e)
	}
	if out := os.Getenv("FERRY_SOAK_OUT"); out != "" && res.Runs > 1 {
		line, _ := json.Marshal(res)
		f, err := os.OpenFile(out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = f.Write(append(line, '\n'))
		f.Close()
	}
	return res
}

// soakLogger logs warnings and errors only: a hundred runs' info lines
// would bury the summary.
func soakLogger(b *testing.B) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(b)).Level(zerolog.WarnLevel)
}

// downloadCheck returns a check that a run stored one download named name
// with a header and rows data lines.
func downloadCheck(h *harness, name string, rows int) func(ferry.RunRecord) error {
	return func(run ferry.RunRecord) error {
		arts, err := h.db.Artifacts(context.Background(), run.ID)
		if err != nil {
			return err
		}
		for _, art := range arts {
			if art.Kind != "download" {
				continue
			}
			if art.Name != name {
				return fmt.Errorf("download %q, want %q", art.Name, name)
			}
			data, err := os.ReadFile(h.db.ArtifactPath(art.SHA256))
			if err != nil {
				return err
			}
			if n := len(strings.Split(strings.TrimSpace(string(data)), "\n")); n != rows+1 {
				return fmt.Errorf("download %s has %d lines, want a header and %d rows", name, n, rows)
			}
			return nil
		}
		return fmt.Errorf("no download stored")
	}
}

// BenchmarkSoakPhpMyAdmin soaks phpmyadmin-export-direct (log in with the
// CSRF form, the export page, the CSV attachment).
func BenchmarkSoakPhpMyAdmin(b *testing.B) {
	a := StartPhpMyAdmin(b)
	h := newHarness(b, "phpmyadmin", a.URL, ferry.Credential{Name: "phpmyadmin", Fields: map[string]string{"user": a.User, "password": a.Password}},
		45*time.Second, 1, soakLogger(b))
	soak(b, h, "phpmyadmin-export-direct", downloadCheck(h, a.Table+".csv", len(a.Rows)))
}

// BenchmarkSoakNodeRED soaks nodered-export (the login dialog, the Ledger
// flow's client-side route, the CSV export linked from the Info sidebar).
func BenchmarkSoakNodeRED(b *testing.B) {
	a := StartNodeRED(b)
	h := newHarness(b, "nodered", a.URL, ferry.Credential{Name: "nodered", Fields: map[string]string{"user": a.User, "password": a.Password}},
		45*time.Second, 1, soakLogger(b))
	soak(b, h, "nodered-export", downloadCheck(h, a.LedgerFile, len(a.Rows)))
}
