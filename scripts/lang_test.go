package scripts

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/selectors"
)

const langSelectors = `site: shop
version: 1
elements:
  search.box:
    ways: [{css: "#q"}]
  search.form:
    ways: [{css: "form"}]
  result.price:
    ways: [{css: ".price"}]
  result.rows:
    many: true
    ways: [{css: "tr"}]
  pay.frame:
    ways: [{css: "iframe"}]
  pay.card:
    ways: [{css: "#card"}]
  more:
    ways: [{css: "#more"}]
`

func langSel(t *testing.T) *selectors.File {
	t.Helper()
	sel, err := selectors.Parse("shop.yaml", []byte(langSelectors))
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

// A script using every step of the language parses, with lines and
// parameters as written.
func TestLanguageParses(t *testing.T) {
	t.Parallel()
	src := `bot: shop-orders
site: shop
params:
  days: {type: int, default: 7, description: how far back}
  since: {type: date, default: today-7}
  status: {type: enum, values: [open, paid], default: paid}
  limit: {type: decimal}
  verbose: {type: bool, default: "false"}
  query: {type: string, required: true}
steps:
  - open: "${site.url}/search?days=${param.days}&since=${param.since}"
  - wait_idle: true
  - fill: search.box
    value: "${param.query}"
    within: search.form
  - press: Enter
    on: search.box
  - wait_url: "/results\\?q="
    retry: {attempts: 3, delay: 1s}
  - wait_text: "results for ${param.query}"
    timeout: 5s
  - extract: result.price
    into: price
    pattern: '([0-9.]+)'
    optional: true
  - assert: result.price
    matches: "^[0-9]"
    attr: {data-currency: EUR}
  - repeat:
      until: more
      max: 20
      steps:
        - press: "Control+End PageDown"
        - count_rows: result.rows
  - in_frame: pay.frame
    steps:
      - fill: pay.card
        value: "${var.price}"
  - click: pay.card
    frame: pay.frame
`
	s, err := Parse("orders.yaml", []byte(src), langSel(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.ParamNames(); strings.Join(got, ",") != "days,limit,query,since,status,verbose" {
		t.Fatalf("params %v", got)
	}
	if s.Params["days"].Line != 4 || *s.Params["days"].Default != "7" {
		t.Fatalf("days: %+v", s.Params["days"])
	}
	if s.Steps[2].Line != 13 || s.Steps[8].Line != 29 || s.Steps[8].Repeat.Steps[1].Line != 34 || s.Steps[9].Steps[0].Line != 37 {
		t.Fatalf("lines: %d %d %d %d", s.Steps[2].Line, s.Steps[8].Line, s.Steps[8].Repeat.Steps[1].Line, s.Steps[9].Steps[0].Line)
	}
	if a, target := s.Steps[3].Action(); a != "press" || target != "search.box" {
		t.Fatalf("press action %q %q", a, target)
	}
	if s.Steps[7].Attr.Values["data-currency"] != "EUR" || s.Steps[6].Attr != nil {
		t.Fatalf("attr: %+v", s.Steps[7].Attr)
	}
	var n int
	Walk(s.Steps, func(Step) { n++ })
	if n != 14 {
		t.Fatalf("walk saw %d steps, want 14", n)
	}
}

// Every mistake is reported with its file, line and step, all at once.
func TestLanguageErrorsNameTheLine(t *testing.T) {
	t.Parallel()
	head := "bot: b\nsite: shop\nparams:\n  n: {type: int, default: 3}\n  when: {type: date}\nsteps:\n  - open: \"${site.url}/\"\n"
	// line 8 is the first step below
	for _, tc := range []struct{ steps, want string }{
		{"  - click: nope\n", `b.yaml:8: steps[1]: element "nope" is not in shop.yaml`},
		{"  - fill: search.box\n    value: ${param.m}\n", `b.yaml:8: steps[1]: unknown parameter ${param.m} (params declares: n, when)`},
		{"  - fill: search.box\n    value: ${var.x}\n", "b.yaml:8: steps[1]: variable ${var.x} is not set by an extract before this step"},
		{"  - fill: search.box\n    value: ${Site.url}\n", "b.yaml:8: steps[1]: unknown variable ${Site.url}"},
		{"  - wait: search.box\n  - wait_text: ${cred.password}\n", "b.yaml:9: steps[2]: ${cred.password} in wait_text: a credential may only be the value"},
		{"  - press: Entr\n", `b.yaml:8: steps[1]: key "Entr": unknown key "Entr"`},
		{"  - press: Ctrl+a\n", `"Ctrl" is not a modifier`},
		{"  - press: Enter\n    within: search.form\n", "b.yaml:8: steps[1]: within scopes the element of on"},
		{"  - wait_url: \"(\"\n", "b.yaml:8: steps[1]: wait_url is not a regular expression"},
		{"  - extract: result.price\n    into: p\n    pattern: '[0-9]+'\n", "b.yaml:8: steps[1]: pattern needs a capture group"},
		{"  - extract: result.price\n", "b.yaml:8: steps[1]: extract needs into: NAME"},
		{"  - extract: result.price\n    into: p\n    attr: {href: x}\n", "extract's attr names one attribute"},
		{"  - assert: result.price\n    attr: href\n", "assert's attr is a map"},
		{"  - assert: result.rows\n", `b.yaml:8: steps[1]: element "result.rows" is a collection`},
		{"  - repeat:\n      while: more\n      steps:\n        - click: more\n", "b.yaml:8: steps[1]: repeat needs max: N"},
		{"  - repeat:\n      while: more\n      until: more\n      max: 3\n      steps: [{click: more}]\n", "repeat takes while or until, not both"},
		{"  - repeat:\n      while: more\n      max: 3\n      steps:\n        - click: nothere\n", `b.yaml:12: steps[1].repeat.steps[0]: element "nothere"`},
		{"  - in_frame: pay.frame\n    steps:\n      - fill: pay.card\n        value: ${param.x}\n", "b.yaml:10: steps[1].steps[0]: unknown parameter ${param.x}"},
		{"  - click: more\n    retry: {attempts: 50}\n", "b.yaml:8: steps[1].retry: attempts 50 is out of range"},
		{"  - click: more\n    into: x\n", "b.yaml:8: steps[1]: into does not go with click"},
		{"  - download: more\n    format: pdf\n    retry: {attempts: 2}\n", "retry does not go with download"},
		{"  - click: more\n    frame: nope\n", `b.yaml:8: steps[1].frame: element "nope"`},
		{"  - click: more\n    within: result.rows\n", `steps[1].within: element "result.rows" is a collection`},
		{"  - wait_idle: true\n    optional: true\n", "optional does not go with wait_idle"},
		{"  - fill: search.box\n    value: \"x${cred.password}\"\n", "a credential must fill a field whole"},
		{"  - press: Enter\n    bogus: 1\n", "line 9: field bogus not found"},
	} {
		_, err := Parse("b.yaml", []byte(head+tc.steps), langSel(t))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant an error with %q", tc.steps, err, tc.want)
		}
	}
}

func TestParamDeclarationsAreChecked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ params, want string }{
		{"  n: {type: integer}\n", `b.yaml:4: params.n: unknown type "integer"`},
		{"  n: {type: int, default: x}\n", `b.yaml:4: params.n.default: "x" is not an int`},
		{"  d: {type: date, default: tomorrow}\n", `params.d.default: "tomorrow" is not a date`},
		{"  e: {type: enum}\n", "params.e: an enum needs values"},
		{"  e: {type: enum, values: [a, b], default: c}\n", `"c" is not one of a, b`},
		{"  s: {type: string, values: [a]}\n", "values lists an enum's choices"},
		{"  s: {type: string, required: true, default: a}\n", "a required parameter has no default"},
		{"  9x: {type: string}\n", "params.9x: a parameter name is a letter"},
		{"  m: {type: decimal, default: 1e5}\n", `"1e5" is not a decimal`},
	} {
		src := "bot: b\nsite: shop\nparams:\n" + tc.params + "steps:\n  - open: \"${site.url}/\"\n"
		_, err := Parse("b.yaml", []byte(src), langSel(t))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant an error with %q", tc.params, err, tc.want)
		}
	}
}

func TestResolveParams(t *testing.T) {
	t.Parallel()
	src := `bot: b
site: shop
params:
  days: {type: int, default: 7}
  since: {type: date, default: yesterday}
  status: {type: enum, values: [open, paid]}
  amount: {type: decimal}
  all: {type: bool, default: false}
  query: {type: string, required: true, description: what to search}
steps:
  - open: "${site.url}/"
`
	s, err := Parse("b.yaml", []byte(src), langSel(t))
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 11, 1, 0, 30, 0, 0, loc)
	got, err := s.ResolveParams(map[string]string{"query": "ink", "days": "007", "amount": "1250.50", "all": "TRUE"}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"query": "ink", "days": "7", "amount": "1250.50", "all": "true", "since": "2026-10-31"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	// Resolving what was resolved changes nothing: the runner and the
	// engine may both resolve.
	again, err := s.ResolveParams(got, now.Add(72*time.Hour))
	if err != nil || again["since"] != "2026-10-31" || again["days"] != "7" {
		t.Fatalf("again: %v, %v", again, err)
	}
	_, err = s.ResolveParams(map[string]string{"days": "a week", "status": "closed", "since": "2026-13-01", "amount": "1,5", "colour": "red"}, now)
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, want := range []string{
		`parameter "days" (int): "a week" is not an int`,
		`parameter "status" (enum): "closed" is not one of open, paid`,
		`parameter "since" (date): "2026-13-01" is not a date`,
		`parameter "amount" (decimal): "1,5" is not a decimal`,
		`unknown parameter "colour" (the bot declares: all, amount, days, query, since, status)`,
		`parameter "query" is required (what to search): give it with --param query=VALUE`,
		"scripts: bot b:",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	got, err := ParseKeys("Tab  Shift+Tab Control+a Control++ + Enter")
	if err != nil {
		t.Fatal(err)
	}
	want := []KeyCombo{{Key: "Tab"}, {Modifiers: []string{"Shift"}, Key: "Tab"}, {Modifiers: []string{"Control"}, Key: "a"},
		{Modifiers: []string{"Control"}, Key: "+"}, {Key: "+"}, {Key: "Enter"}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].Key != want[i].Key || strings.Join(got[i].Modifiers, "+") != strings.Join(want[i].Modifiers, "+") {
			t.Errorf("key %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"", "Enterr", "Control+", "Hyper+a", "é"} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
}

// The demobank script still parses and its element uses, including the
// new scope keys, keep their lines.
func TestElementRefsSeeNewKeys(t *testing.T) {
	t.Parallel()
	src := "bot: b\nsite: shop\nparams:\n  within: {type: string}\nsteps:\n  - press: Enter\n    on: search.box\n    within: search.form\n  - repeat:\n      until: more\n      max: 2\n      steps:\n        - assert: result.price\n"
	refs, err := ElementRefs("b.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refs {
		got = append(got, fmt.Sprintf("%s@%d", r.Name, r.Line))
	}
	if strings.Join(got, " ") != "search.box@7 search.form@8 more@10 result.price@13" {
		t.Fatalf("refs %v", got)
	}
}

// The complete example of the language reference parses.
func TestReferenceExampleParses(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/scripts.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## A complete example")
	_, rest, ok2 := strings.Cut(rest, "```yaml\n")
	src, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("docs/scripts.md has no complete example")
	}
	refs, err := ElementRefs("example", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	// A selector file with every element the example names.
	sel := "site: shop\nversion: 1\nelements:\n"
	seen := map[string]bool{}
	for _, r := range refs {
		if !seen[r.Name] {
			seen[r.Name] = true
			sel += fmt.Sprintf("  %s:\n    ways: [{css: \"#%s\"}]\n", r.Name, strings.ReplaceAll(r.Name, ".", "-"))
		}
	}
	f, err := selectors.Parse("shop.yaml", []byte(sel))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse("docs/scripts.md", []byte(src), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Steps) < 15 || len(seen) < 12 {
		t.Fatalf("example has %d steps and %d elements", len(s.Steps), len(seen))
	}
}

func TestParseParamArgs(t *testing.T) {
	t.Parallel()
	got, err := ParseParamArgs([]string{"days=30", "q=a=b", "empty="})
	if err != nil || len(got) != 3 || got["days"] != "30" || got["q"] != "a=b" || got["empty"] != "" {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range [][]string{{"days"}, {"=5"}, {"a=1", "a=2"}} {
		if _, err := ParseParamArgs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
