package scripts

import (
	"regexp"
	"strings"
	"time"
)

// Session says how a login saved by an earlier run is checked before a
// run relies on it: the run restores the saved browser state, opens
// Check, and waits for LoggedIn (logged in: the first LoginSteps steps
// are skipped) or for a URL matching LoginURL (logged out: the run logs
// in fresh, from its first step). In YAML:
//
//	session:
//	  check: ${site.url}/invoices
//	  logged_in: user-role
//	  login_url: /login
//	  login_steps: 4
//	  trust: 168h
type Session struct {
	// Check is a cheap page only a logged-in user sees.
	Check string `yaml:"check"`
	// LoggedIn is an element that shows only when logged in.
	LoggedIn string `yaml:"logged_in"`
	// LoginURL is a regular expression matching the login page's URL.
	LoginURL string `yaml:"login_url,omitempty"`
	// LoginSteps counts the script's first steps that log in.
	LoginSteps int `yaml:"login_steps"`
	// Trust is how long the site says it trusts the device after a second
	// factor (SMS, TOTP), e.g. 168h for seven days; 0 when it declares
	// none. Ferry warns before it ends and may schedule a refresh login.
	Trust time.Duration `yaml:"trust,omitempty"`
	Line  int           `yaml:"-"`
}

// LoginRegexp returns the compiled LoginURL (nil when none); Parse has
// checked it compiles.
func (s *Session) LoginRegexp() *regexp.Regexp {
	if s == nil || s.LoginURL == "" {
		return nil
	}
	re, err := regexp.Compile(s.LoginURL)
	if err != nil {
		return nil
	}
	return re
}

func (c *checker) session() {
	ss := c.script.Session
	if ss == nil {
		return
	}
	where := "session"
	if strings.TrimSpace(ss.Check) == "" {
		c.bad(ss.Line, where, "check (the URL of a cheap logged-in page) is required")
	}
	for _, name := range Vars(ss.Check) {
		if name != "site.url" && !strings.HasPrefix(name, "param.") {
			c.bad(ss.Line, where, "check may use ${site.url} and ${param.NAME}, not ${%s}", name)
		}
	}
	if ss.LoggedIn == "" {
		c.bad(ss.Line, where, "logged_in (an element only a logged-in page shows) is required")
	} else {
		c.element(ss.Line, where+".logged_in", ss.LoggedIn, false)
	}
	if ss.LoginURL != "" {
		if _, err := regexp.Compile(ss.LoginURL); err != nil {
			c.bad(ss.Line, where, "login_url is not a regular expression: %v", err)
		}
	}
	if ss.LoginSteps < 0 || ss.LoginSteps > len(c.script.Steps) {
		c.bad(ss.Line, where, "login_steps is %d but the script has %d steps", ss.LoginSteps, len(c.script.Steps))
	}
	if ss.Trust < 0 {
		c.bad(ss.Line, where, "trust must not be negative")
	}
}
