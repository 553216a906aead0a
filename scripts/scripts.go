// Package scripts loads and validates bot scripts: what a bot does, step by
// step, in YAML. A script names elements of its site's selector file; it
// never holds raw CSS. Credentials are referenced by field name, never
// written inline.
package scripts

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/selectors"
	"gopkg.in/yaml.v3"
)

//go:embed *.yaml
var embedded embed.FS

// Script is one bot.
type Script struct {
	Bot         string            `yaml:"bot"`
	Site        string            `yaml:"site"`
	Credential  string            `yaml:"credential"`
	Description string            `yaml:"description"`
	Defaults    map[string]string `yaml:"defaults"`
	Steps       []Step            `yaml:"steps"`
	Path        string            `yaml:"-"`
}

// Step is one action. Exactly one of the action fields is set.
type Step struct {
	Open           string    `yaml:"open,omitempty"`
	Fill           string    `yaml:"fill,omitempty"`
	Click          string    `yaml:"click,omitempty"`
	Select         string    `yaml:"select,omitempty"`
	Wait           string    `yaml:"wait,omitempty"`
	WaitGone       string    `yaml:"wait_gone,omitempty"`
	TOTP           string    `yaml:"totp,omitempty"`
	Download       string    `yaml:"download,omitempty"`
	CountRows      string    `yaml:"count_rows,omitempty"`
	Branch         []Case    `yaml:"branch,omitempty"`
	ForEachAccount *Accounts `yaml:"for_each_account,omitempty"`
	ForEachPage    *Pages    `yaml:"for_each_page,omitempty"`

	Value   string        `yaml:"value,omitempty"`  // fill, select
	Secret  string        `yaml:"secret,omitempty"` // totp: the credential field with the seed
	Format  string        `yaml:"format,omitempty"` // download
	Timeout time.Duration `yaml:"timeout,omitempty"`
	// ReadOnly marks a click that only reads (it navigates or opens a
	// statement; it submits and pays nothing): the healer may repair it
	// within the run.
	ReadOnly bool `yaml:"read_only,omitempty"`
}

// Case is one outcome a branch waits for: the first whose element appears
// wins. Fail ends the run with that failure class; Steps run otherwise.
type Case struct {
	When    string `yaml:"when"`
	Fail    string `yaml:"fail,omitempty"`
	Message string `yaml:"message,omitempty"`
	Steps   []Step `yaml:"steps,omitempty"`
}

// Accounts repeats steps for each account: the run's accounts if given,
// else every option of the OptionsOf select element.
type Accounts struct {
	OptionsOf string `yaml:"options_of"`
	Steps     []Step `yaml:"steps"`
}

// Pages repeats steps for each page of a paginated result, clicking Next
// until it is gone or disabled.
type Pages struct {
	Next  string `yaml:"next"`
	Steps []Step `yaml:"steps"`
	Max   int    `yaml:"max,omitempty"`
}

type stepAction struct {
	name, target string
	set          bool
}

// actions lists every action field with whether it is set: the one place
// that knows a step's actions.
func (s Step) actions() []stepAction {
	var acct, next string
	if s.ForEachAccount != nil {
		acct = s.ForEachAccount.OptionsOf
	}
	if s.ForEachPage != nil {
		next = s.ForEachPage.Next
	}
	return []stepAction{
		{"open", s.Open, s.Open != ""}, {"fill", s.Fill, s.Fill != ""}, {"click", s.Click, s.Click != ""},
		{"select", s.Select, s.Select != ""}, {"wait", s.Wait, s.Wait != ""}, {"wait_gone", s.WaitGone, s.WaitGone != ""},
		{"totp", s.TOTP, s.TOTP != ""}, {"download", s.Download, s.Download != ""}, {"count_rows", s.CountRows, s.CountRows != ""},
		{"branch", "", s.Branch != nil}, {"for_each_account", acct, s.ForEachAccount != nil}, {"for_each_page", next, s.ForEachPage != nil},
	}
}

// Action returns the step's action name and its element or URL.
func (s Step) Action() (action, target string) {
	for _, a := range s.actions() {
		if a.set {
			return a.name, a.target
		}
	}
	return "", ""
}

var varRef = regexp.MustCompile(`\$\{([a-z_.]+)\}`)

// Variables a script may use.
var knownVars = map[string]bool{"site.url": true, "from": true, "to": true, "account": true, "cred.user": true, "cred.password": true}

// Parse reads a script and checks it against its site's selector file.
func Parse(path string, data []byte, sel *selectors.File) (*Script, error) {
	var s Script
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("scripts: %s: %w", path, err)
	}
	s.Path = path
	var errs []error
	bad := func(where, format string, args ...any) {
		errs = append(errs, fmt.Errorf("scripts: %s: %s: %s", path, where, fmt.Sprintf(format, args...)))
	}
	if s.Bot == "" || s.Site == "" {
		bad("top", "bot and site are required")
	}
	if sel != nil && sel.Site != s.Site {
		bad("top", "script is for site %q but the selector file is for %q", s.Site, sel.Site)
	}
	for k, v := range s.Defaults {
		if k != "from" && k != "to" {
			bad("defaults", "unknown parameter %q (want from, to)", k)
		}
		if _, err := RelativeDate(v, time.Now()); err != nil {
			bad("defaults."+k, "%v", err)
		}
	}
	element := func(where, name string, many bool) {
		if sel == nil {
			return
		}
		el, ok := sel.Elements[name]
		if !ok {
			bad(where, "element %q is not in %s", name, sel.Path)
			return
		}
		if el.Many != many {
			if many {
				bad(where, "element %q must be declared many: true to count rows", name)
			} else {
				bad(where, "element %q is a collection (many: true); a step needs a single element", name)
			}
		}
	}
	vars := func(where, text string, inLoop bool) {
		for _, m := range varRef.FindAllStringSubmatch(text, -1) {
			if !knownVars[m[1]] {
				bad(where, "unknown variable ${%s}", m[1])
			}
			if m[1] == "account" && !inLoop {
				bad(where, "${account} is only set inside for_each_account")
			}
		}
	}
	var walk func(prefix string, steps []Step, inLoop bool)
	walk = func(prefix string, steps []Step, inLoop bool) {
		for i, st := range steps {
			where := fmt.Sprintf("%s[%d]", prefix, i)
			action, target := st.Action()
			n := 0
			for _, a := range st.actions() {
				if a.set {
					n++
				}
			}
			if n != 1 {
				bad(where, "a step needs exactly one action, found %d", n)
				continue
			}
			if st.ReadOnly && action != "click" {
				bad(where, "read_only marks a click; %s steps are read-only or not by their nature", action)
			}
			switch action {
			case "open":
				vars(where, target, inLoop)
				if !strings.HasPrefix(target, "${site.url}") {
					bad(where, "open must start with ${site.url}: a script never hard-codes a host")
				}
			case "fill", "select":
				element(where, target, false)
				vars(where, st.Value, inLoop)
				if st.Value == "" {
					bad(where, "%s needs a value", action)
				}
				if strings.Contains(st.Value, "${cred.") && st.Value != "${cred.user}" && st.Value != "${cred.password}" {
					bad(where, "a credential must fill a field whole")
				}
			case "click", "wait", "wait_gone":
				element(where, target, false)
			case "totp":
				element(where, target, false)
				if !strings.HasPrefix(st.Secret, "cred.") {
					bad(where, "totp needs secret: cred.FIELD")
				}
			case "download":
				element(where, target, false)
				switch st.Format {
				case "xlsx", "csv", "pdf":
				default:
					bad(where, "download format %q (want xlsx, csv or pdf)", st.Format)
				}
			case "count_rows":
				element(where, target, true)
			case "branch":
				if len(st.Branch) == 0 {
					bad(where, "branch has no cases")
				}
				for j, c := range st.Branch {
					cw := fmt.Sprintf("%s.branch[%d]", where, j)
					element(cw, c.When, false)
					if c.Fail != "" {
						switch ferry.FailureClass(c.Fail) {
						case ferry.ClassCredentialsRejected, ferry.ClassSiteUnavailable, ferry.ClassSessionExpired, ferry.ClassSiteChanged, ferry.ClassInputNeeded:
						default:
							bad(cw, "unknown failure class %q", c.Fail)
						}
						if len(c.Steps) > 0 {
							bad(cw, "a failing case has no steps")
						}
					}
					walk(cw+".steps", c.Steps, inLoop)
				}
			case "for_each_account":
				element(where, target, false)
				walk(where+".steps", st.ForEachAccount.Steps, true)
			case "for_each_page":
				element(where, target, false)
				walk(where+".steps", st.ForEachPage.Steps, inLoop)
			}
		}
	}
	walk("steps", s.Steps, false)
	if len(s.Steps) == 0 {
		bad("steps", "no steps")
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return nil, errors.Join(errs...)
	}
	return &s, nil
}

// Load returns the script for bot: from dir when it holds BOT.yaml, else
// the embedded default. It loads the site's selector file from selDir (or
// the embedded default) and checks the script against it.
func Load(dir, selDir, bot string) (*Script, *selectors.File, error) {
	return LoadWith(dir, func(site string) (*selectors.File, error) { return selectors.Load(selDir, site) }, bot)
}

// LoadWith is Load with the selector file from sel (a Registry's Get, so
// that edits are picked up without a restart).
func LoadWith(dir string, sel func(site string) (*selectors.File, error), bot string) (*Script, *selectors.File, error) {
	name := bot + ".yaml"
	var data []byte
	path := "embedded:" + name
	if dir != "" {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		switch {
		case err == nil:
			data, path = b, p
		case !errors.Is(err, fs.ErrNotExist):
			return nil, nil, fmt.Errorf("scripts: %w", err)
		}
	}
	if data == nil {
		b, err := embedded.ReadFile(name)
		if err != nil {
			return nil, nil, fmt.Errorf("scripts: no bot %q (known: %s)", bot, strings.Join(Bots(dir), ", "))
		}
		data = b
	}
	// The site comes from the script; read it before the full check.
	var head struct {
		Site string `yaml:"site"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return nil, nil, fmt.Errorf("scripts: %s: %w", path, err)
	}
	file, err := sel(head.Site)
	if err != nil {
		return nil, nil, err
	}
	s, err := Parse(path, data, file)
	return s, file, err
}

// Bots lists the bots available: embedded ones and those in dir.
func Bots(dir string) []string {
	seen := map[string]bool{}
	entries, _ := embedded.ReadDir(".")
	for _, e := range entries {
		seen[strings.TrimSuffix(e.Name(), ".yaml")] = true
	}
	if dir != "" {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, m := range matches {
			seen[strings.TrimSuffix(filepath.Base(m), ".yaml")] = true
		}
	}
	var out []string
	for b := range seen {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

// RelativeDate reads a date parameter: YYYY-MM-DD, "today", "yesterday" or
// "today-N", relative to now in now's zone.
func RelativeDate(s string, now time.Time) (ferry.Date, error) {
	today := ferry.DateOf(now)
	switch {
	case s == "today":
		return today, nil
	case s == "yesterday":
		return today.AddDays(-1), nil
	case strings.HasPrefix(s, "today-"):
		var n int
		if _, err := fmt.Sscanf(s, "today-%d", &n); err != nil || n < 0 {
			return ferry.Date{}, fmt.Errorf("bad relative date %q (want today-N)", s)
		}
		return today.AddDays(-n), nil
	}
	return ferry.ParseDate(s)
}

// Expand replaces ${name} variables in text.
func Expand(text string, vars map[string]string) string {
	return varRef.ReplaceAllStringFunc(text, func(m string) string {
		return vars[m[2:len(m)-1]]
	})
}

// Ref is a use of a selector element in a script.
type Ref struct {
	Name string
	Path string
	Line int
}

// elementKeys are the script keys whose value names an element.
var elementKeys = map[string]bool{"fill": true, "click": true, "select": true, "wait": true, "wait_gone": true, "totp": true,
	"download": true, "count_rows": true, "when": true, "options_of": true, "next": true}

// ElementRefs lists every element a script names, with its line.
func ElementRefs(path string, data []byte) ([]Ref, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("scripts: %s: %w", path, err)
	}
	var out []Ref
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if elementKeys[k.Value] && v.Kind == yaml.ScalarNode {
					out = append(out, Ref{Name: v.Value, Path: path, Line: v.Line})
				}
				walk(v)
			}
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	return out, nil
}

// Source returns a bot's script text and where it came from.
func Source(dir, bot string) (path string, data []byte, err error) {
	name := bot + ".yaml"
	if dir != "" {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if err == nil {
			return p, b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", nil, fmt.Errorf("scripts: %w", err)
		}
	}
	b, err := embedded.ReadFile(name)
	if err != nil {
		return "", nil, fmt.Errorf("scripts: no bot %q", bot)
	}
	return "embedded:" + name, b, nil
}

// SiteRefs lists the element uses of every script (in dir and embedded)
// for site.
func SiteRefs(dir, site string) ([]Ref, error) {
	var out []Ref
	for _, bot := range Bots(dir) {
		path, data, err := Source(dir, bot)
		if err != nil {
			return nil, err
		}
		var head struct {
			Site string `yaml:"site"`
		}
		if yaml.Unmarshal(data, &head) != nil || head.Site != site {
			continue
		}
		refs, err := ElementRefs(path, data)
		if err != nil {
			return nil, err
		}
		out = append(out, refs...)
	}
	return out, nil
}
