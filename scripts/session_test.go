package scripts

import (
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/selectors"
)

func TestSessionBlock(t *testing.T) {
	sel, err := selectors.Parse("s.yaml", []byte("site: s\nversion: 1\nelements:\n  who: {ways: [{css: '#who'}]}\n  rows: {many: true, ways: [{css: 'tr'}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	const steps = "steps:\n  - open: ${site.url}/login\n  - wait: who\n"
	ok := "bot: b\nsite: s\nsession:\n  check: ${site.url}/home\n  logged_in: who\n  login_url: /login\n  login_steps: 1\n  trust: 168h\n" + steps
	s, err := Parse("b.yaml", []byte(ok), sel)
	if err != nil {
		t.Fatal(err)
	}
	if s.Session.Trust != 7*24*time.Hour || s.Session.LoginSteps != 1 || s.Session.LoginRegexp() == nil || s.Session.Line != 4 {
		t.Fatalf("session %+v", s.Session)
	}
	for _, c := range []struct{ session, want string }{
		{"  logged_in: who\n  login_steps: 1\n", "b.yaml:4: session: check"},
		{"  check: ${site.url}/home\n  login_steps: 1\n", "logged_in (an element"},
		{"  check: ${site.url}/home\n  logged_in: nobody\n", `element "nobody" is not in`},
		{"  check: ${site.url}/home\n  logged_in: rows\n", "collection"},
		{"  check: ${cred.password}/home\n  logged_in: who\n", "not ${cred.password}"},
		{"  check: ${site.url}/home\n  logged_in: who\n  login_url: '(['\n", "login_url is not a regular expression"},
		{"  check: ${site.url}/home\n  logged_in: who\n  login_steps: 3\n", "login_steps is 3 but the script has 2 steps"},
		{"  check: ${site.url}/home\n  logged_in: who\n  trust: -1h\n", "trust must not be negative"},
	} {
		_, err := Parse("b.yaml", []byte("bot: b\nsite: s\nsession:\n"+c.session+steps), sel)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.session, err, c.want)
		}
	}
}
