package scripts

import (
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/selectors"
)

func TestDemobankScriptLoads(t *testing.T) {
	t.Parallel()
	s, sel, err := Load("", "", "demobank-statements")
	if err != nil {
		t.Fatal(err)
	}
	if s.Credential != "demobank" || sel.Site != "demobank" || len(s.Steps) < 6 {
		t.Fatalf("got %+v", s)
	}
}

func TestScriptErrorsNameTheStep(t *testing.T) {
	t.Parallel()
	sel, err := selectors.Load("", "demobank")
	if err != nil {
		t.Fatal(err)
	}
	head := "bot: b\nsite: demobank\nsteps:\n"
	for _, tc := range []struct{ steps, want string }{
		{"  - click: login.nope\n", `steps[0]: element "login.nope" is not in embedded:demobank.yaml`},
		{"  - click: login.submit\n    fill: login.user\n", "exactly one action, found 2"},
		{"  - open: http://bank.example/login\n", "never hard-codes a host"},
		{"  - fill: login.user\n    value: ${account}\n", "only set inside for_each_account"},
		{"  - fill: login.user\n    value: ${nope}\n", "unknown variable ${nope}"},
		{"  - count_rows: login.user\n", "must be declared many: true"},
		{"  - branch:\n      - when: login.error\n        fail: oops\n", `unknown failure class "oops"`},
		{"  - css: '#x'\n", "field css not found"},
	} {
		_, err := Parse("b.yaml", []byte(head+tc.steps), sel)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "b.yaml") {
			t.Errorf("%q: got %v, want an error naming b.yaml with %q", tc.steps, err, tc.want)
		}
	}
}

func TestRelativeDate(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 11, 1, 0, 30, 0, 0, loc) // still Oct 31 in UTC
	for in, want := range map[string]ferry.Date{
		"today": ferry.NewDate(2026, 11, 1), "yesterday": ferry.NewDate(2026, 10, 31),
		"today-7": ferry.NewDate(2026, 10, 25), "2026-01-02": ferry.NewDate(2026, 1, 2),
	} {
		got, err := RelativeDate(in, now)
		if err != nil || got != want {
			t.Errorf("RelativeDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	got := Expand("${site.url}/x?a=${account}", map[string]string{"site.url": "http://h", "account": "1"})
	if got != "http://h/x?a=1" {
		t.Fatalf("got %q", got)
	}
}
