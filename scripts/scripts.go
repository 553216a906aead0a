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
	// Params are the bot's own parameters, by name: typed, with defaults,
	// given per run (RunParams.Values) and used as ${param.NAME}.
	Params map[string]Param `yaml:"params"`
	Steps  []Step           `yaml:"steps"`
	// Session says how a login restored from an earlier run is checked
	// (nil: restored logins are not checked; the script runs in full).
	Session *Session `yaml:"session,omitempty"`
	// Blocks are named lists of steps, run by a call: step or by a loop's
	// relogin handler (see loops.go).
	Blocks map[string][]Step `yaml:"blocks,omitempty"`
	Path   string            `yaml:"-"`
}

// Step is one action. Exactly one of the action fields is set; the other
// fields qualify it.
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
	// Press types keys: "Enter", "Tab Tab Enter", "Control+a" (into On, or
	// wherever the focus is).
	Press string `yaml:"press,omitempty"`
	// WaitIdle waits for the page to settle: loaded, no requests in
	// flight, the DOM quiet.
	WaitIdle bool `yaml:"wait_idle,omitempty"`
	// WaitURL waits until the page's full URL matches this regular
	// expression.
	WaitURL string `yaml:"wait_url,omitempty"`
	// WaitText waits until this text shows in the page (or in Within).
	WaitText string `yaml:"wait_text,omitempty"`
	// InFrame runs Steps inside the iframe this element names.
	InFrame string `yaml:"in_frame,omitempty"`
	// Repeat runs steps while or until an element is present, at most Max
	// times.
	Repeat *Repeat `yaml:"repeat,omitempty"`
	// Assert checks an element: its text, a pattern, attributes.
	Assert string `yaml:"assert,omitempty"`
	// Extract reads an element's text (or attribute) into ${var.INTO}.
	Extract string `yaml:"extract,omitempty"`
	// Challenge asks a person for what the portal wants (an SMS code, a
	// QR scan) and hands it to the portal.
	Challenge *Challenge `yaml:"challenge,omitempty"`
	// ForEachRow runs steps once per row of a result list, paging through
	// it, each row once by its key (loops.go).
	ForEachRow *Rows `yaml:"for_each_row,omitempty"`
	// ForEachRange runs steps over a date range, halving a sub-range the
	// site says has too many results (loops.go).
	ForEachRange *Ranges `yaml:"for_each_range,omitempty"`
	// Call runs the script's block of that name (blocks:).
	Call string `yaml:"call,omitempty"`
	// Called is the block Call names, set by Parse: Walk and Children go
	// into it as into any nested steps.
	Called []Step `yaml:"-"`

	Value  string `yaml:"value,omitempty"`  // fill, select
	Secret string `yaml:"secret,omitempty"` // totp: the credential field with the seed
	Format string `yaml:"format,omitempty"` // download
	// As says what a download is: statement (the default: parsed and
	// checked), invoice (parsed as an e-invoice) or file (stored only).
	As string `yaml:"as,omitempty"`
	// Mapping is a column mapping file (docs/mapping.md) for a CSV or XLSX
	// statement, relative to the script's directory.
	Mapping string `yaml:"mapping,omitempty"`
	// Template is an invoice2data template file for an invoice, relative
	// to the script's directory.
	Template string `yaml:"template,omitempty"`
	// Account is the account a download belongs to: a literal,
	// ${param.X} or ${var.X}. Inside for_each_account it defaults to
	// ${account}; outside, a statement needs it.
	Account string `yaml:"account,omitempty"`
	// Script is the escape hatch: JavaScript run in the page (the body of
	// an async function whose this is the within element, or document),
	// its result kept in ${var.INTO} when into is given.
	Script string `yaml:"script,omitempty"`
	// Reviewed pins the script's digest, "sha256:HEX": an edited snippet
	// is refused until someone reviews it and pins the new digest.
	Reviewed string `yaml:"reviewed,omitempty"`
	// MappingPath and TemplatePath are Mapping and Template resolved
	// against the script's directory, set by Parse.
	MappingPath  string        `yaml:"-"`
	TemplatePath string        `yaml:"-"`
	Timeout      time.Duration `yaml:"timeout,omitempty"`
	// ReadOnly marks a click that only reads (it navigates or opens a
	// statement; it submits and pays nothing): the healer may repair it
	// within the run.
	ReadOnly bool `yaml:"read_only,omitempty"`

	On      string   `yaml:"on,omitempty"`      // press: the element that gets the keys
	Steps   []Step   `yaml:"steps,omitempty"`   // in_frame
	Text    string   `yaml:"text,omitempty"`    // assert: the text, whitespace collapsed
	Matches string   `yaml:"matches,omitempty"` // assert: a regular expression the text matches
	Attr    *AttrArg `yaml:"attr,omitempty"`    // assert: {name: value}; extract: a name
	Into    string   `yaml:"into,omitempty"`    // extract: the variable
	Pattern string   `yaml:"pattern,omitempty"` // extract: a regular expression; its first group is kept

	// Within scopes the step's lookups to inside this element.
	Within string `yaml:"within,omitempty"`
	// Frame runs the step's lookups inside the iframe this element names.
	Frame string `yaml:"frame,omitempty"`
	// Optional skips the step, saying so in the trace, when what it looks
	// for is not there within its timeout.
	Optional bool `yaml:"optional,omitempty"`
	// Retry runs a failing step again, a bounded number of times.
	Retry *Retry `yaml:"retry,omitempty"`

	// Line is where the step starts in its file.
	Line int `yaml:"-"`
}

// Case is one outcome a branch waits for: the first whose element appears
// wins. Fail ends the run with that failure class; Steps run otherwise.
type Case struct {
	When    string `yaml:"when"`
	Fail    string `yaml:"fail,omitempty"`
	Message string `yaml:"message,omitempty"`
	Steps   []Step `yaml:"steps,omitempty"`
	Line    int    `yaml:"-"`
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

// Repeat runs Steps while an element is present (While) or until one is
// (Until), checking before each round. More than Max rounds is an error.
type Repeat struct {
	While string `yaml:"while,omitempty"`
	Until string `yaml:"until,omitempty"`
	Max   int    `yaml:"max"`
	Steps []Step `yaml:"steps"`
}

// Condition returns the element the loop tests and whether the loop runs
// while it is present (else until it is).
func (r Repeat) Condition() (element string, while bool) {
	if r.While != "" {
		return r.While, true
	}
	return r.Until, false
}

// Retry runs a failing step up to Attempts times in all, Delay apart.
type Retry struct {
	Attempts int           `yaml:"attempts"`
	Delay    time.Duration `yaml:"delay,omitempty"`
}

// AttrArg is the attr of a step: an attribute name (extract) or a map of
// attribute names to the values they must have (assert).
type AttrArg struct {
	Name   string
	Values map[string]string
}

// UnmarshalYAML reads either form.
func (a *AttrArg) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		a.Name = n.Value
		return nil
	case yaml.MappingNode:
		return n.Decode(&a.Values)
	}
	return fmt.Errorf("line %d: attr is an attribute name or a map of names to values", n.Line)
}

type stepAction struct {
	name, target string
	set          bool
}

// actions lists every action field with whether it is set: the one place
// that knows a step's actions.
func (s Step) actions() []stepAction {
	var acct, next, cond string
	if s.ForEachAccount != nil {
		acct = s.ForEachAccount.OptionsOf
	}
	if s.ForEachPage != nil {
		next = s.ForEachPage.Next
	}
	if s.Repeat != nil {
		cond, _ = s.Repeat.Condition()
	}
	return []stepAction{
		{"open", s.Open, s.Open != ""}, {"fill", s.Fill, s.Fill != ""}, {"click", s.Click, s.Click != ""},
		{"select", s.Select, s.Select != ""}, {"wait", s.Wait, s.Wait != ""}, {"wait_gone", s.WaitGone, s.WaitGone != ""},
		{"totp", s.TOTP, s.TOTP != ""}, {"download", s.Download, s.Download != ""}, {"count_rows", s.CountRows, s.CountRows != ""},
		{"branch", "", s.Branch != nil}, {"for_each_account", acct, s.ForEachAccount != nil}, {"for_each_page", next, s.ForEachPage != nil},
		{"press", s.On, s.Press != ""}, {"wait_idle", "", s.WaitIdle}, {"wait_url", "", s.WaitURL != ""},
		{"wait_text", s.Within, s.WaitText != ""}, {"in_frame", s.InFrame, s.InFrame != ""}, {"repeat", cond, s.Repeat != nil},
		{"assert", s.Assert, s.Assert != ""}, {"extract", s.Extract, s.Extract != ""},
		{"script", s.Within, s.Script != ""},
		{"challenge", s.Challenge.target(), s.Challenge != nil},
		{"for_each_row", s.ForEachRow.target(), s.ForEachRow != nil},
		{"for_each_range", s.ForEachRange.target(), s.ForEachRange != nil},
		{"call", s.Call, s.Call != ""},
	}
}

// Action returns the step's action name and its element or URL (press:
// the element given by on; wait_text: the within element; repeat: the
// condition's element).
func (s Step) Action() (action, target string) {
	for _, a := range s.actions() {
		if a.set {
			return a.name, a.target
		}
	}
	return "", ""
}

// Children returns the lists of steps nested in a step, each with a
// label (".branch[1].steps", ".repeat.steps") for messages.
func (s Step) Children() (suffixes []string, lists [][]Step) {
	for j, c := range s.Branch {
		suffixes, lists = append(suffixes, fmt.Sprintf(".branch[%d].steps", j)), append(lists, c.Steps)
	}
	if s.ForEachAccount != nil {
		suffixes, lists = append(suffixes, ".for_each_account.steps"), append(lists, s.ForEachAccount.Steps)
	}
	if s.ForEachPage != nil {
		suffixes, lists = append(suffixes, ".for_each_page.steps"), append(lists, s.ForEachPage.Steps)
	}
	if s.Repeat != nil {
		suffixes, lists = append(suffixes, ".repeat.steps"), append(lists, s.Repeat.Steps)
	}
	if s.InFrame != "" {
		suffixes, lists = append(suffixes, ".steps"), append(lists, s.Steps)
	}
	suffixes, lists = loopChildren(s, suffixes, lists)
	return suffixes, lists
}

// Walk calls fn for every step of steps and of the blocks nested in them,
// in document order: the one walker callers need (credential fields,
// download formats), so a new block kind is not missed.
func Walk(steps []Step, fn func(Step)) {
	for _, st := range steps {
		fn(st)
		_, lists := st.Children()
		for _, l := range lists {
			Walk(l, fn)
		}
	}
}

// varRef finds variable uses; anything between ${ and } is checked, so a
// misspelt name is an error rather than text.
var varRef = regexp.MustCompile(`\$\{([^}]*)\}`)

// Parse reads a script and checks it against its site's selector file.
// Errors name the file and line.
func Parse(path string, data []byte, sel *selectors.File) (*Script, error) {
	var s Script
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("scripts: %s: %w", path, err)
	}
	s.Path = path
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err == nil && len(doc.Content) > 0 {
		setLines(&s, doc.Content[0])
	}
	if len(doc.Content) > 0 {
		loopLines(&s, doc.Content[0])
	}
	resolveCalls(s.Steps, s.Blocks)
	c := &checker{path: path, sel: sel, script: &s, set: map[string]bool{}}
	c.check()
	c.checkLoops()
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
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
	"download": true, "count_rows": true, "when": true, "options_of": true, "next": true,
	"on": true, "within": true, "frame": true, "in_frame": true, "while": true, "until": true, "assert": true, "extract": true,
	// a challenge step's elements
	"destination": true, "input": true, "submit": true, "image": true, "done": true, "error": true, "locked": true, "cancel": true, "resend": true,
	// the loops' elements (loops.go)
	"rows": true, "total": true, "too_many": true, "ready": true}

// ElementRefs lists every element a script names, with its line.
func ElementRefs(path string, data []byte) ([]Ref, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("scripts: %s: %w", path, err)
	}
	var out []Ref
	var top *yaml.Node
	if len(doc.Content) > 0 {
		top = doc.Content[0]
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if n == top && k.Value == "params" {
					continue // parameter names are the author's, not elements
				}
				if elementKeys[k.Value] && v.Kind == yaml.ScalarNode {
					out = append(out, Ref{Name: v.Value, Path: path, Line: v.Line})
				}
				if k.Value == "values" && v.Kind == yaml.MappingNode {
					// for_each_row's values: variable names to elements
					for j := 1; j < len(v.Content); j += 2 {
						if e := v.Content[j]; e.Kind == yaml.ScalarNode {
							out = append(out, Ref{Name: e.Value, Path: path, Line: e.Line})
						}
					}
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

// Vars lists the variables text uses, by name ("param.days"), in order.
func Vars(text string) []string {
	var out []string
	for _, m := range varRef.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// ExpandRegexp replaces ${name} variables in a regular expression, each
// value quoted so that it matches itself.
func ExpandRegexp(text string, vars map[string]string) string {
	return varRef.ReplaceAllStringFunc(text, func(m string) string {
		return regexp.QuoteMeta(vars[m[2:len(m)-1]])
	})
}

// Texts returns the step's fields that may hold variables, by field name.
func (s Step) Texts() map[string]string {
	out := map[string]string{"open": s.Open, "value": s.Value, "wait_url": s.WaitURL, "wait_text": s.WaitText, "text": s.Text, "matches": s.Matches,
		"account": s.Account}
	if s.Attr != nil {
		for k, v := range s.Attr.Values {
			out["attr."+k] = v
		}
	}
	return out
}
