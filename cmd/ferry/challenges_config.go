package main

import (
	"net/url"
	"regexp"
	"time"

	"github.com/ferry-rpa/ferry/runner"
)

// ChallengesConfig is challenges: in ferry.yaml: how a run that meets an
// SMS code or a QR scan waits for a person, and who is told.
//
//	challenges:
//	  max_wait: 10m                 # below the portal's own deadline
//	  notify_url: https://hooks.example/ferry   # POSTed when a run starts waiting (never the code)
//	  poll_url: https://sms-gw.example/inbox    # polled for a code while a run waits
//	  poll_every: 5s
//	  code_pattern: '验证码[为:：]?(\d{6})'      # first group is the code
//	  secret: {env: FERRY_ANSWER_SECRET}        # bearer token of the HTTP answer API for machines
//
// The HTTP answer API is served by the console (console.addr) under
// /api/challenges/: POST /api/challenges/runs/{id}/answer and the SMS
// gateway's webhook POST /api/challenges/sms, with a console API token
// (ops or admin) or the secret.
type ChallengesConfig struct {
	MaxWait     time.Duration `yaml:"max_wait"`
	NotifyURL   string        `yaml:"notify_url"`
	PollURL     string        `yaml:"poll_url"`
	PollEvery   time.Duration `yaml:"poll_every"`
	CodePattern string        `yaml:"code_pattern"`
	Secret      *Secret       `yaml:"secret"`

	pattern *regexp.Regexp
	secret  string
}

// checkChallenges compiles the code pattern and resolves the secret;
// errors name the key and never the secret's value.
func (c *Config) checkChallenges() []*configError {
	ch := &c.Challenges
	var errs []*configError
	if ch.MaxWait < 0 {
		errs = append(errs, c.errAt("challenges.max_wait: %s is negative", ch.MaxWait)("challenges", "max_wait"))
	}
	if ch.PollEvery < 0 {
		errs = append(errs, c.errAt("challenges.poll_every: %s is negative", ch.PollEvery)("challenges", "poll_every"))
	}
	for key, u := range map[string]string{"notify_url": ch.NotifyURL, "poll_url": ch.PollURL} {
		if u != "" && !httpURL(u) {
			errs = append(errs, c.errAt("challenges.%s: %q is not an http(s) URL", key, u)("challenges", key))
		}
	}
	if ch.CodePattern != "" {
		re, err := regexp.Compile(ch.CodePattern)
		switch {
		case err != nil:
			errs = append(errs, c.errAt("challenges.code_pattern: %v", err)("challenges", "code_pattern"))
		case re.NumSubexp() < 1:
			errs = append(errs, c.errAt("challenges.code_pattern: %q has no group: the first group is the code", ch.CodePattern)("challenges", "code_pattern"))
		default:
			ch.pattern = re
		}
	}
	if ch.Secret != nil {
		v, err := ch.Secret.resolve()
		if err != nil {
			errs = append(errs, c.errAt("challenges.secret: %v", err)("challenges", "secret"))
		}
		ch.secret = v
	}
	return errs
}

// runner is the runner's share of the section.
func (ch ChallengesConfig) runner() runner.ChallengeConfig {
	return runner.ChallengeConfig{MaxWait: ch.MaxWait, NotifyURL: ch.NotifyURL, PollURL: ch.PollURL,
		PollEvery: ch.PollEvery, CodePattern: ch.pattern}
}

// httpURL says whether u is an absolute http(s) URL with a host.
func httpURL(u string) bool {
	pu, err := url.Parse(u)
	return err == nil && (pu.Scheme == "http" || pu.Scheme == "https") && pu.Host != ""
}
