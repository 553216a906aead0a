package service

// The canary (`ferry selectors check SITE`) as the console starts it: the
// site's bot logs in, follows its script over one account and one page,
// downloads nothing, and reports how every selector of the site's file
// resolved on the pages it saw.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
)

// CanaryEngine runs a canary job in a fresh browser context (*bots.Browser).
type CanaryEngine interface {
	// Run runs job; the result holds the canary's resolutions even when the
	// run failed (then the error says why). A nil result means no context
	// could be opened.
	Run(ctx context.Context, job bots.Job) (*bots.Result, error)
}

// Canary runs canaries for the sites of one configuration.
type Canary struct {
	ScriptsDir, SelectorsDir string
	// Sites are the sites' base URLs, by name.
	Sites map[string]string
	// Pages are the sites' page settings, by name (none: the defaults).
	Pages map[string]bots.SiteOptions
	// Credentials are the configured logins; the canary logs in with the
	// first (by name) the bot's script can use.
	Credentials runner.StaticCredentials
	Engine      CanaryEngine
	// StepTimeout bounds each wait for an element (the engine's default
	// when 0).
	StepTimeout time.Duration
}

// CanaryElement is how one selector fared.
type CanaryElement struct {
	Element string `json:"element"`
	// Result is unique, many (a collection found), several (ambiguous:
	// the canary fails) or "not seen" (on no page the canary visited).
	Result string `json:"result"`
	Page   string `json:"page,omitempty"`
	Way    string `json:"way,omitempty"`
}

// CanaryReport is a canary's outcome.
type CanaryReport struct {
	Site      string          `json:"site"`
	Bot       string          `json:"bot"`
	Version   string          `json:"version"`
	Login     string          `json:"login"`
	From      string          `json:"from"`
	To        string          `json:"to"`
	Completed bool            `json:"completed"`
	Error     string          `json:"error,omitempty"`
	Took      time.Duration   `json:"took"`
	Elements  []CanaryElement `json:"elements"`
	// UnseenRows are collections (result rows) not seen: the site showed
	// no rows in the window, so they were not checked.
	UnseenRows []string `json:"unseen_rows"`
	// Ambiguous are selectors that matched several elements.
	Ambiguous []string `json:"ambiguous"`
}

// Passed reports whether the run completed and no selector was ambiguous.
func (r CanaryReport) Passed() bool { return r.Completed && len(r.Ambiguous) == 0 }

// ErrNoCanaryBot reports a site without a bot script to follow.
var ErrNoCanaryBot = errors.New("no bot script for this site")

// Check runs site's canary over from..to. The run's own failure is in the
// report (Completed false, Error); the error is for what stopped it from
// starting: an unknown site (ErrUnknownSite), no bot (ErrNoCanaryBot), a
// script that does not load or a login the script cannot use
// (*InvalidError), no engine. No error or report holds a secret.
func (c *Canary) Check(ctx context.Context, site string, from, to ferry.Date) (CanaryReport, error) {
	rep := CanaryReport{Site: site, From: from.String(), To: to.String(), Elements: []CanaryElement{}, UnseenRows: []string{}, Ambiguous: []string{}}
	base, ok := c.Sites[site]
	if !ok {
		return rep, fmt.Errorf("canary %q: %w", site, ErrUnknownSite)
	}
	if c.Engine == nil {
		return rep, fmt.Errorf("canary %s: no browser", site)
	}
	if to.Before(from) {
		return rep, &InvalidError{fmt.Errorf("canary %s: to %s is before from %s", site, to, from)}
	}
	for _, b := range scripts.Bots(c.ScriptsDir) {
		if s, _, err := scripts.Load(c.ScriptsDir, c.SelectorsDir, b); err == nil && s.Site == site {
			rep.Bot = b
			break
		}
	}
	if rep.Bot == "" {
		return rep, fmt.Errorf("canary %s: %w", site, ErrNoCanaryBot)
	}
	script, sel, err := scripts.Load(c.ScriptsDir, c.SelectorsDir, rep.Bot)
	if err != nil {
		return rep, &InvalidError{fmt.Errorf("canary %s: %w", site, err)}
	}
	rep.Version = sel.Version
	// The first login the script can use: the CLI's default.
	names := make([]string, 0, len(c.Credentials))
	for n := range c.Credentials {
		names = append(names, n)
	}
	sort.Strings(names)
	fields := runner.CredentialFields(script)
	for _, n := range names {
		if runner.CheckCredential(c.Credentials[n], fields) == nil {
			rep.Login = n
			break
		}
	}
	if rep.Login == "" {
		return rep, &InvalidError{fmt.Errorf("canary %s: no configured login has the fields bot %s needs", site, rep.Bot)}
	}
	started := time.Now()
	res, runErr := c.Engine.Run(ctx, bots.Job{Script: script, Selectors: sel, BaseURL: base, Credential: c.Credentials[rep.Login], Canary: true,
		Site: c.Pages[site], Params: ferry.RunParams{From: from, To: to}, HealPolicy: bots.HealOff, StepTimeout: c.StepTimeout})
	rep.Took = time.Since(started)
	rep.Completed = runErr == nil
	if runErr != nil {
		rep.Error = runErr.Error()
	}
	els, unseen, ambiguous := CanaryResults(sel, res)
	rep.Elements = append(rep.Elements, els...)
	rep.UnseenRows = append(rep.UnseenRows, unseen...)
	rep.Ambiguous = append(rep.Ambiguous, ambiguous...)
	return rep, nil
}

// CanaryResults reads a canary run's resolutions (res may be nil: no
// context opened): each element's result ("not seen" for one on no page
// visited), the row collections not seen (the period showed no rows, so
// they were not checked) and the ambiguous elements, which fail a canary.
func CanaryResults(sel *selectors.File, res *bots.Result) (elements []CanaryElement, unseenRows, ambiguous []string) {
	if res == nil {
		return nil, nil, nil
	}
	for _, r := range res.Canary {
		status := r.Status
		if status == "none" {
			status = "not seen"
			if el, ok := sel.Elements[r.Element]; ok && el.Many {
				unseenRows = append(unseenRows, r.Element)
			}
		}
		if r.Status == "several" {
			ambiguous = append(ambiguous, r.Element)
		}
		elements = append(elements, CanaryElement{Element: r.Element, Result: status, Page: r.Page, Way: r.Way})
	}
	return elements, unseenRows, ambiguous
}

// Summary is one line about the report, for the audit log and notices.
func (r CanaryReport) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "canary %s (%s) as %s, %s to %s: ", r.Site, r.Version, r.Login, r.From, r.To)
	switch {
	case !r.Completed:
		b.WriteString("run failed")
	case len(r.Ambiguous) > 0:
		b.WriteString("ambiguous selectors: " + strings.Join(r.Ambiguous, ", "))
	default:
		b.WriteString("passed")
	}
	fmt.Fprintf(&b, " in %d ms", r.Took.Milliseconds())
	return b.String()
}
