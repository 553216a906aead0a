package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/delivery"
)

func TestEndpointSinksFromConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "ferry.yaml")
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	t.Setenv("ERP_TOKEN", "t0k")
	good := `sinks:
  endpoints:
    - name: erp
      url: https://erp.example/api/vouchers
      body: '{"amount": {{.amount}}, "ref": {{json .reference}}}'
      auth:
        bearer: {env: ERP_TOKEN}
      batch: 100
      results: data.results
      result_key: id
      rules:
        - class: 2xx
          path: success
          equals: "false"
          outcome: rejected
          message: error.message
`
	cfg, err := loadConfig(write(good), "")
	if err != nil {
		t.Fatal(err)
	}
	sinks, err := cfg.sinks()
	if err != nil || len(sinks) != 1 {
		t.Fatalf("%v %v", sinks, err)
	}
	e := sinks[0].(*delivery.Endpoint)
	if e.Name() != "erp" || e.Auth.Bearer != "t0k" || e.Batch != 100 || len(e.Rules) != 1 || e.Rules[0].Outcome != delivery.Refused {
		t.Fatalf("%+v", e)
	}
	for _, tc := range []struct{ edit, want string }{
		{strings.Replace(good, "outcome: rejected", "outcome: maybe", 1), `outcome "maybe"`},
		{strings.Replace(good, `{{json .reference}}}`, `{{json .reference}`, 1), "template"},
		{strings.Replace(good, "      batch: 100\n", "      invoice_body: '{\"no\": {{json .number}'\n      batch: 100\n", 1), "invoice"},
		{strings.Replace(good, "        bearer: {env: ERP_TOKEN}\n", "        bearer: {env: ERP_TOKEN}\n        hmac: secret\n", 1), "one of bearer"},
		{strings.Replace(good, "ERP_TOKEN", "NO_SUCH_VAR_FOR_FERRY", 1), "NO_SUCH_VAR_FOR_FERRY is not set"},
	} {
		cfg, err := loadConfig(write(tc.edit), "")
		if err == nil {
			_, err = cfg.sinks()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "erp") || !strings.Contains(err.Error(), "ferry.yaml:3:") {
			t.Errorf("want an error naming the sink, the file and line and %q, got %v", tc.want, err)
		}
		if codeFor(err) != exitConfig {
			t.Errorf("%v: exit %d, want %d", err, codeFor(err), exitConfig)
		}
	}
}

// A run on another data directory or the sandbox delivers to that
// directory's records.jsonl only: never to the finance systems the config
// names.
func TestScratchSinks(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ferry.yaml")
	os.WriteFile(p, []byte(`data_dir: prod
sinks:
  jsonl: {path: /srv/ferry/records.jsonl}
  endpoints:
    - name: erp
      url: https://erp.example/api
  hledger:
    url: http://127.0.0.1:5000
`), 0o600)
	cfg, err := loadConfig(p, filepath.Join(dir, "scratch"))
	if err != nil {
		t.Fatal(err)
	}
	dropped := cfg.scratchSinks()
	if got := strings.Join(dropped, "; "); got != "jsonl /srv/ferry/records.jsonl; endpoint erp; hledger http://127.0.0.1:5000" {
		t.Errorf("dropped %q", got)
	}
	sinks, err := cfg.sinks()
	if err != nil {
		t.Fatal(err)
	}
	if len(sinks) != 1 {
		t.Fatalf("%d sinks, want the JSON Lines file only", len(sinks))
	}
	j, ok := sinks[0].(*delivery.JSONLines)
	if !ok || j.Path != filepath.Join(dir, "scratch", "records.jsonl") {
		t.Fatalf("sink %#v, want JSON Lines at scratch/records.jsonl", sinks[0])
	}
}

// Paths derive from the config file and the data directory: relative
// paths are the file's, --data moves the database and records.jsonl.
func TestPathsDeriveFromConfigAndDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "ferry.yaml")
	os.WriteFile(p, []byte("data_dir: state\nselectors_dir: sel\nsinks:\n  jsonl: {}\n"), 0o600)
	cfg, err := loadConfig(p, "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != filepath.Join(dir, "state") || cfg.SelectorsDir != filepath.Join(dir, "sel") || cfg.jsonlPath() != filepath.Join(dir, "state", "records.jsonl") {
		t.Fatalf("data %s selectors %s records %s", cfg.DataDir, cfg.SelectorsDir, cfg.jsonlPath())
	}
	cfg, err = loadConfig(p, "/elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.jsonlPath() != "/elsewhere/records.jsonl" {
		t.Fatalf("--data did not move records.jsonl: %s", cfg.jsonlPath())
	}
}

// A config printed by mistake shows where secrets come from, never a value.
func TestSecretsNeverPrint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "ferry.yaml")
	os.WriteFile(p, []byte("credentials:\n  zw:\n    user: zhangwei\n    password: Ferry#Demo2026\n    totp: {env: ZW_TOTP}\n"), 0o600)
	cfg, err := loadConfig(p, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprintf("%v", *cfg), fmt.Sprintf("%+v", *cfg), fmt.Sprintf("%#v", cfg.Credentials), mustJSON(t, cfg.Credentials)} {
		if strings.Contains(s, "Ferry#Demo2026") || strings.Contains(s, "zhangwei") {
			t.Errorf("a secret printed: %s", s)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// challenges: is checked at load: a code pattern without a group, a bad URL
// and a missing secret are refused with their line, and the secret's value
// reaches no message.
func TestChallengesConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ferry.yaml")
	t.Setenv("FERRY_TEST_ANSWER_SECRET", "answer-s3cret")
	good := "challenges:\n  max_wait: 10m\n  notify_url: http://127.0.0.1:9/hook\n  code_pattern: '验证码(\\d{6})'\n  secret: {env: FERRY_TEST_ANSWER_SECRET}\n"
	os.WriteFile(p, []byte(good), 0o600)
	cfg, err := loadConfig(p, "")
	if err != nil {
		t.Fatal(err)
	}
	rc := cfg.Challenges.runner()
	if rc.MaxWait.String() != "10m0s" || rc.NotifyURL != "http://127.0.0.1:9/hook" || rc.CodePattern == nil ||
		rc.CodePattern.FindStringSubmatch("您的验证码123456")[1] != "123456" || cfg.Challenges.secret != "answer-s3cret" {
		t.Fatalf("challenges: %+v", cfg.Challenges)
	}
	for _, tc := range []struct{ edit, want string }{
		{strings.Replace(good, `'验证码(\d{6})'`, `'\d{6}'`, 1), "ferry.yaml:4: challenges.code_pattern"},
		{strings.Replace(good, `'验证码(\d{6})'`, `'(\d{6}'`, 1), "ferry.yaml:4: challenges.code_pattern"},
		{strings.Replace(good, "http://127.0.0.1:9/hook", "hook", 1), "ferry.yaml:3: challenges.notify_url"},
		{strings.Replace(good, "FERRY_TEST_ANSWER_SECRET", "FERRY_TEST_NO_SUCH_SECRET", 1), "ferry.yaml:5: challenges.secret"},
		{strings.Replace(good, "max_wait", "max_wiat", 1), "max_wiat"},
	} {
		os.WriteFile(p, []byte(tc.edit), 0o600)
		_, err := loadConfig(p, "")
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "answer-s3cret") {
			t.Errorf("want an error with %q, got %v", tc.want, err)
		}
	}
}
