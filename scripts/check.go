package scripts

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/selectors"
	"gopkg.in/yaml.v3"
)

// checker validates a decoded script against its selector file, each
// error with the file and line of the step.
type checker struct {
	path   string
	sel    *selectors.File
	script *Script
	errs   []error
	// set holds the ${var.NAME} an extract sets before this point of the
	// script, in document order.
	set map[string]bool
}

var (
	credField = regexp.MustCompile(`^[a-z0-9_]+$`)
	varName   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// Bounds on the loops and retries a script may ask for: a runaway script
// ends with an error rather than holding a browser all night.
const (
	maxRepeat      = 10000
	maxAttempts    = 10
	maxRetryDelay  = time.Minute
	maxStepTimeout = 30 * time.Minute
)

func (c *checker) bad(line int, where, format string, args ...any) {
	loc := c.path
	if line > 0 {
		loc = fmt.Sprintf("%s:%d", c.path, line)
	}
	c.errs = append(c.errs, fmt.Errorf("scripts: %s: %s: %s", loc, where, fmt.Sprintf(format, args...)))
}

func (c *checker) check() {
	s := c.script
	if s.Bot == "" || s.Site == "" {
		c.bad(0, "top", "bot and site are required")
	}
	if c.sel != nil && c.sel.Site != s.Site {
		c.bad(0, "top", "script is for site %q but the selector file is for %q", s.Site, c.sel.Site)
	}
	for _, k := range sortedKeys(s.Defaults) {
		if k != "from" && k != "to" {
			c.bad(0, "defaults", "unknown parameter %q (want from, to; declare others under params)", k)
		}
		if _, err := RelativeDate(s.Defaults[k], time.Now()); err != nil {
			c.bad(0, "defaults."+k, "%v", err)
		}
	}
	for _, name := range s.ParamNames() {
		c.param(name, s.Params[name])
	}
	c.steps("steps", s.Steps, false)
	if len(s.Steps) == 0 {
		c.bad(0, "steps", "no steps")
	}
}

func (c *checker) param(name string, p Param) {
	where := "params." + name
	if !paramName.MatchString(name) {
		c.bad(p.Line, where, "a parameter name is a letter then letters, digits or _")
	}
	switch p.Type {
	case ParamString, ParamInt, ParamDate, ParamBool, ParamDecimal:
		if len(p.Values) > 0 {
			c.bad(p.Line, where, "values lists an enum's choices; this parameter is a %s", p.Type)
		}
	case ParamEnum:
		if len(p.Values) == 0 {
			c.bad(p.Line, where, "an enum needs values: [...]")
		}
	default:
		c.bad(p.Line, where, "unknown type %q (want string, int, date, bool, decimal or enum)", p.Type)
		return
	}
	if p.Default != nil {
		if p.Required {
			c.bad(p.Line, where, "a required parameter has no default")
		}
		if _, err := p.Normalize(*p.Default, time.Now()); err != nil {
			c.bad(p.Line, where+".default", "%v", err)
		}
	}
}

// modifiers says which actions each qualifying field may go with.
func modifiers(st Step) []struct {
	name    string
	set     bool
	actions []string
} {
	elementSteps := []string{"fill", "click", "select", "wait", "wait_gone", "totp", "download", "count_rows", "press", "wait_text", "assert", "extract"}
	return []struct {
		name    string
		set     bool
		actions []string
	}{
		{"value", st.Value != "", []string{"fill", "select"}},
		{"secret", st.Secret != "", []string{"totp"}},
		{"format", st.Format != "", []string{"download"}},
		{"on", st.On != "", []string{"press"}},
		{"steps", st.Steps != nil, []string{"in_frame"}},
		{"text", st.Text != "", []string{"assert"}},
		{"matches", st.Matches != "", []string{"assert"}},
		{"attr", st.Attr != nil, []string{"assert", "extract"}},
		{"into", st.Into != "", []string{"extract"}},
		{"pattern", st.Pattern != "", []string{"extract"}},
		{"within", st.Within != "", elementSteps},
		{"optional", st.Optional, []string{"fill", "click", "select", "wait", "totp", "download", "press", "wait_text", "wait_url", "assert", "extract"}},
		{"retry", st.Retry != nil, []string{"open", "fill", "click", "select", "wait", "wait_gone", "press", "wait_idle", "wait_url", "wait_text", "assert", "extract"}},
		{"frame", st.Frame != "", []string{"fill", "click", "select", "wait", "wait_gone", "totp", "download", "count_rows", "press", "wait_text",
			"assert", "extract", "wait_idle", "branch", "for_each_page", "repeat"}},
	}
}

func (c *checker) steps(prefix string, steps []Step, inLoop bool) {
	for i, st := range steps {
		where := fmt.Sprintf("%s[%d]", prefix, i)
		line := st.Line
		n := 0
		for _, a := range st.actions() {
			if a.set {
				n++
			}
		}
		if n != 1 {
			c.bad(line, where, "a step needs exactly one action, found %d", n)
			continue
		}
		action, target := st.Action()
		if st.ReadOnly && action != "click" {
			c.bad(line, where, "read_only marks a click; %s steps are read-only or not by their nature", action)
		}
		for _, m := range modifiers(st) {
			if m.set && !slices.Contains(m.actions, action) {
				c.bad(line, where, "%s does not go with %s (it goes with %s)", m.name, action, strings.Join(m.actions, ", "))
			}
		}
		if st.Timeout < 0 || st.Timeout > maxStepTimeout {
			c.bad(line, where, "timeout %s is out of range (0 to %s)", st.Timeout, maxStepTimeout)
		}
		if st.Within != "" && action != "wait_text" && action != "press" {
			c.element(line, where+".within", st.Within, false)
		}
		if st.Frame != "" {
			c.element(line, where+".frame", st.Frame, false)
		}
		if r := st.Retry; r != nil {
			if r.Attempts < 2 || r.Attempts > maxAttempts {
				c.bad(line, where+".retry", "attempts %d is out of range (2 to %d: the first run counts)", r.Attempts, maxAttempts)
			}
			if r.Delay < 0 || r.Delay > maxRetryDelay {
				c.bad(line, where+".retry", "delay %s is out of range (0 to %s)", r.Delay, maxRetryDelay)
			}
		}
		c.stepVars(where, st, inLoop)
		switch action {
		case "open":
			if !strings.HasPrefix(target, "${site.url}") {
				c.bad(line, where, "open must start with ${site.url}: a script never hard-codes a host")
			}
		case "fill", "select":
			c.element(line, where, target, false)
			if st.Value == "" {
				c.bad(line, where, "%s needs a value", action)
			}
			if strings.Contains(st.Value, "${cred.") && !isWholeVar(st.Value) {
				c.bad(line, where, "a credential must fill a field whole")
			}
		case "click", "wait", "wait_gone":
			c.element(line, where, target, false)
		case "totp":
			c.element(line, where, target, false)
			if !strings.HasPrefix(st.Secret, "cred.") {
				c.bad(line, where, "totp needs secret: cred.FIELD")
			}
		case "download":
			c.element(line, where, target, false)
			switch st.Format {
			case "xlsx", "csv", "pdf":
			default:
				c.bad(line, where, "download format %q (want xlsx, csv or pdf)", st.Format)
			}
		case "count_rows":
			c.element(line, where, target, true)
		case "branch":
			if len(st.Branch) == 0 {
				c.bad(line, where, "branch has no cases")
			}
			for j, cs := range st.Branch {
				cw := fmt.Sprintf("%s.branch[%d]", where, j)
				cl := cs.Line
				if cl == 0 {
					cl = line
				}
				c.element(cl, cw, cs.When, false)
				if cs.Fail != "" {
					switch ferry.FailureClass(cs.Fail) {
					case ferry.ClassCredentialsRejected, ferry.ClassSiteUnavailable, ferry.ClassSessionExpired, ferry.ClassSiteChanged, ferry.ClassInputNeeded:
					default:
						c.bad(cl, cw, "unknown failure class %q", cs.Fail)
					}
					if len(cs.Steps) > 0 {
						c.bad(cl, cw, "a failing case has no steps")
					}
				}
				c.steps(cw+".steps", cs.Steps, inLoop)
			}
		case "for_each_account":
			c.element(line, where, target, false)
			c.steps(where+".steps", st.ForEachAccount.Steps, true)
		case "for_each_page":
			c.element(line, where, target, false)
			c.steps(where+".steps", st.ForEachPage.Steps, inLoop)
		case "press":
			if _, err := ParseKeys(st.Press); err != nil {
				c.bad(line, where, "%v", err)
			}
			if st.On != "" {
				c.element(line, where+".on", st.On, false)
			}
			if st.Within != "" {
				if st.On == "" {
					c.bad(line, where, "within scopes the element of on; press without on has nothing to look up")
				}
				c.element(line, where+".within", st.Within, false)
			}
		case "wait_idle":
		case "wait_url":
			c.regexp(line, where, "wait_url", st.WaitURL, 0)
		case "wait_text":
			if st.Within != "" {
				c.element(line, where+".within", st.Within, false)
			}
		case "in_frame":
			c.element(line, where, target, false)
			if len(st.Steps) == 0 {
				c.bad(line, where, "in_frame needs steps")
			}
			c.steps(where+".steps", st.Steps, inLoop)
		case "repeat":
			r := st.Repeat
			switch {
			case r.While != "" && r.Until != "":
				c.bad(line, where, "repeat takes while or until, not both")
			case r.While == "" && r.Until == "":
				c.bad(line, where, "repeat needs while: ELEMENT or until: ELEMENT")
			default:
				c.element(line, where, target, true, false)
			}
			if r.Max < 1 || r.Max > maxRepeat {
				c.bad(line, where, "repeat needs max: N, 1 to %d (a loop is always bounded)", maxRepeat)
			}
			if len(r.Steps) == 0 {
				c.bad(line, where, "repeat needs steps")
			}
			c.steps(where+".repeat.steps", r.Steps, inLoop)
		case "assert":
			c.element(line, where, target, false)
			if st.Attr != nil && st.Attr.Values == nil {
				c.bad(line, where, "assert's attr is a map of attribute names to the values they must have")
			}
			if st.Matches != "" {
				c.regexp(line, where, "matches", st.Matches, 0)
			}
		case "extract":
			c.element(line, where, target, false)
			if st.Attr != nil && st.Attr.Name == "" {
				c.bad(line, where, "extract's attr names one attribute to read")
			}
			if st.Pattern != "" {
				c.regexp(line, where, "pattern", st.Pattern, 1)
			}
			if !varName.MatchString(st.Into) {
				c.bad(line, where, "extract needs into: NAME (a letter then letters, digits or _), then used as ${var.NAME}")
			} else {
				c.set[st.Into] = true
			}
		}
	}
}

// isWholeVar tells whether text is exactly one variable.
func isWholeVar(text string) bool {
	m := varRef.FindStringIndex(text)
	return m != nil && m[0] == 0 && m[1] == len(text)
}

// element checks that name is in the selector file and is a single
// element, or a collection when many is true; with anyKind, either.
func (c *checker) element(line int, where, name string, many bool, anyKind ...bool) {
	if c.sel == nil {
		return
	}
	el, ok := c.sel.Elements[name]
	if !ok {
		c.bad(line, where, "element %q is not in %s", name, c.sel.Path)
		return
	}
	if len(anyKind) > 0 {
		return
	}
	if el.Many != many {
		if many {
			c.bad(line, where, "element %q must be declared many: true to count rows", name)
		} else {
			c.bad(line, where, "element %q is a collection (many: true); a step needs a single element", name)
		}
	}
}

// regexp checks a regular expression, with its variables standing for
// plain text, and that it has at least groups capture groups.
func (c *checker) regexp(line int, where, field, expr string, groups int) {
	re, err := regexp.Compile(varRef.ReplaceAllString(expr, "x"))
	if err != nil {
		c.bad(line, where, "%s is not a regular expression: %v", field, err)
		return
	}
	if re.NumSubexp() < groups {
		c.bad(line, where, "%s needs a capture group ( ... ) around the part to keep", field)
	}
}

// stepVars checks every variable a step uses.
func (c *checker) stepVars(where string, st Step, inLoop bool) {
	texts := st.Texts()
	for _, field := range sortedKeys(texts) {
		for _, name := range Vars(texts[field]) {
			c.variable(st.Line, where, field, name, inLoop)
		}
	}
}

func (c *checker) variable(line int, where, field, name string, inLoop bool) {
	switch {
	case name == "site.url" || name == "from" || name == "to":
	case name == "account":
		if !inLoop {
			c.bad(line, where, "${account} is only set inside for_each_account")
		}
	case strings.HasPrefix(name, "cred."):
		if !credField.MatchString(strings.TrimPrefix(name, "cred.")) {
			c.bad(line, where, "unknown variable ${%s} (a credential field is lower case letters, digits and _)", name)
		}
		if field != "value" {
			// Anywhere else it would show in traces, errors and evidence.
			c.bad(line, where, "${%s} in %s: a credential may only be the value of a fill or select", name, field)
		}
	case strings.HasPrefix(name, "param."):
		p := strings.TrimPrefix(name, "param.")
		if _, ok := c.script.Params[p]; !ok {
			declared := "none"
			if len(c.script.Params) > 0 {
				declared = strings.Join(c.script.ParamNames(), ", ")
			}
			c.bad(line, where, "unknown parameter ${%s} (params declares: %s)", name, declared)
		}
	case strings.HasPrefix(name, "var."):
		if !c.set[strings.TrimPrefix(name, "var.")] {
			c.bad(line, where, "variable ${%s} is not set by an extract before this step", name)
		}
	default:
		c.bad(line, where, "unknown variable ${%s} (want site.url, from, to, account, cred.FIELD, param.NAME or var.NAME)", name)
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// setLines records where each step, case and parameter starts, walking
// the document alongside what it decoded into.
func setLines(s *Script, root *yaml.Node) {
	if v := mapValue(root, "steps"); v != nil {
		stepLines(s.Steps, v)
	}
	if v := mapValue(root, "params"); v != nil && v.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(v.Content); i += 2 {
			k := v.Content[i]
			if p, ok := s.Params[k.Value]; ok {
				p.Line = k.Line
				s.Params[k.Value] = p
			}
		}
	}
}

func stepLines(steps []Step, seq *yaml.Node) {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return
	}
	for i := range steps {
		if i >= len(seq.Content) {
			return
		}
		n := seq.Content[i]
		st := &steps[i]
		st.Line = n.Line
		if b := mapValue(n, "branch"); b != nil && b.Kind == yaml.SequenceNode {
			for j := range st.Branch {
				if j < len(b.Content) {
					st.Branch[j].Line = b.Content[j].Line
					stepLines(st.Branch[j].Steps, mapValue(b.Content[j], "steps"))
				}
			}
		}
		if st.ForEachAccount != nil {
			stepLines(st.ForEachAccount.Steps, mapValue(mapValue(n, "for_each_account"), "steps"))
		}
		if st.ForEachPage != nil {
			stepLines(st.ForEachPage.Steps, mapValue(mapValue(n, "for_each_page"), "steps"))
		}
		if st.Repeat != nil {
			stepLines(st.Repeat.Steps, mapValue(mapValue(n, "repeat"), "steps"))
		}
		stepLines(st.Steps, mapValue(n, "steps"))
	}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
