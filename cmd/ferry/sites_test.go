package main

import (
	"github.com/rs/zerolog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
)

// sitesConfig has two sites of one portal software (the demobank script
// serves both), one with limits, a schedule naming the second site, and a
// bot's own time limit.
const sitesConfig = `sites:
  demobank: http://127.0.0.1:8700
  demobank-east:
    url: http://127.0.0.1:8701
    max_concurrent: 1
    min_interval: 30s
credentials:
  zw: {user: zhangwei, password: pw}
schedules:
  - id: east-nightly
    bot: demobank-statements
    login: zw
    site: demobank-east
    cron: "30 2 * * *"
bots:
  demobank-statements:
    timeout: 4h
`

func writeSitesConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ferry.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sites: takes a URL or {url, max_concurrent, min_interval}; a schedule
// names its site; bots: gives a bot its own time limit.
func TestSitesSchedulesAndBotsConfig(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(writeSitesConfig(t, sitesConfig), "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sites["demobank"] != "http://127.0.0.1:8700" || cfg.Sites["demobank-east"] != "http://127.0.0.1:8701" {
		t.Fatalf("site URLs: %v", cfg.Sites)
	}
	limits := cfg.siteLimits()
	if l := limits["demobank-east"]; l != (ferry.SiteLimits{MaxConcurrent: 1, MinInterval: 30 * time.Second}) {
		t.Fatalf("site limits: %+v", l)
	}
	if l, ok := limits["demobank"]; ok {
		t.Fatalf("a site given as a URL has limits: %+v", l)
	}
	if len(cfg.Schedules) != 1 || cfg.Schedules[0].Site != "demobank-east" {
		t.Fatalf("schedules: %+v", cfg.Schedules)
	}
	if cfg.botTimeouts()["demobank-statements"] != 4*time.Hour {
		t.Fatalf("bots: %+v", cfg.Bots)
	}
	// And they reach the runner that serve and run build.
	rc := runnerConfig(cfg, nil, nil, nil, nil, zerolog.Nop())
	if rc.SiteLimits["demobank-east"] != limits["demobank-east"] || rc.BotTimeouts["demobank-statements"] != 4*time.Hour ||
		len(rc.Schedules) != 1 || rc.Schedules[0].Site != "demobank-east" || rc.Sites["demobank-east"] != "http://127.0.0.1:8701" {
		t.Fatalf("runner config: limits %+v, timeouts %+v, schedules %+v", rc.SiteLimits, rc.BotTimeouts, rc.Schedules)
	}
}

// Every mistake in the new keys names the file and the line, and exits
// with the config error's code.
func TestSitesSchedulesAndBotsConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, old, new string
		line           int
		want           string
	}{
		{"unknown site key", "    min_interval: 30s", "    min_intervall: 30s", 6, `unknown key "min_intervall" in a site`},
		{"negative limit", "max_concurrent: 1", "max_concurrent: -1", 5, "max_concurrent"},
		{"limit not a number", "max_concurrent: 1", "max_concurrent: two", 5, "max_concurrent"},
		{"bad interval", "min_interval: 30s", "min_interval: 30", 6, "min_interval"},
		{"no url", "    url: http://127.0.0.1:8701\n", "", 4, "no url"},
		{"bad url", "url: http://127.0.0.1:8701", "url: ftp://127.0.0.1:8701", 4, "not an http(s) URL"},
		{"site a list", "  demobank: http://127.0.0.1:8700", "  demobank: [http://127.0.0.1:8700]", 2, "a site is a URL"},
		{"unknown schedule site", "    site: demobank-east", "    site: demobank-west", 13, `site "demobank-west" is not in sites:`},
		{"unknown schedule key", "    site: demobank-east", "    sites: demobank-east", 13, `sites`},
		{"zero timeout", "timeout: 4h", "timeout: 0s", 17, "timeout must be a positive duration"},
		{"bad timeout", "timeout: 4h", "timeout: four hours", 17, "four hours"},
		{"unknown bot", "  demobank-statements:\n    timeout", "  no-such-bot:\n    timeout", 17, `no bot "no-such-bot"`},
		{"unknown bot key", "    timeout: 4h", "    timeout: 4h\n    timout: 1h", 18, `unknown key "timout" in a bot`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := strings.Replace(sitesConfig, tc.old, tc.new, 1)
			if body == sitesConfig {
				t.Fatalf("the edit %q does not apply", tc.old)
			}
			p := writeSitesConfig(t, body)
			_, err := loadConfig(p, "")
			if err == nil {
				t.Fatal("no error")
			}
			at := p + ":" + strconv.Itoa(tc.line) + ":"
			if !strings.Contains(err.Error(), at) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want %s and %q", err, at, tc.want)
			}
			if codeFor(err) != exitConfig {
				t.Fatalf("exit %d, want %d (config)", codeFor(err), exitConfig)
			}
		})
	}
}
