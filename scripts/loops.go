package scripts

// The loops of a result list: for_each_row (each row of a paged list once,
// by a key), for_each_range (a date range split where the site says it
// has too many results), named blocks run by call:, and a loop's relogin
// handler. General constructs: nothing here knows a particular site.

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Rows runs Steps once for each row of a result list: the elements Rows
// (declared many: true) finds, in page order, page after page through
// Next. Inside, lookups are scoped to the row and Values are read from
// elements within it into ${var.NAME}. Key (text with those variables)
// names the row: a row whose key this loop has already done (on an
// earlier page, before a restart or a relogin) is skipped, so nothing is
// downloaded twice.
type Rows struct {
	// Rows is the collection element: one match per row.
	Rows string `yaml:"rows"`
	// Values read the text of an element within the row into ${var.NAME},
	// by NAME, before the row's steps run.
	Values map[string]string `yaml:"values,omitempty"`
	// Key is the row's stable identity, e.g. "${var.code}-${var.number}".
	Key string `yaml:"key"`
	// Next is the pager's next control. With Total, paging ends once the
	// rows seen reach the total; without it, when Next is disabled. A
	// Next that no way finds while rows are missing is site_changed.
	Next string `yaml:"next,omitempty"`
	// Total is the element whose text holds the result's total row count.
	// It is read on every page: a total that changed (a row added or
	// removed under the loop) starts the list over from its first page.
	Total string `yaml:"total,omitempty"`
	// Restarts bounds the start-overs for a changed total (default 3).
	Restarts int `yaml:"restarts,omitempty"`
	// Max bounds the rows the loop visits, skipped ones included.
	Max int `yaml:"max"`
	// Relogin says how to log in again when the site ends the session
	// mid-loop; the loop then goes back to its list and carries on.
	Relogin *Relogin `yaml:"relogin,omitempty"`
	Steps   []Step   `yaml:"steps"`
}

// Relogin is a loop's handler for a session the site ended: when a step
// fails and When shows (on the page, or once the page is loaded again),
// the block Call runs, and the loop resumes. At most Max times a loop
// (default 2).
type Relogin struct {
	When string `yaml:"when"`
	Call string `yaml:"call"`
	Max  int    `yaml:"max,omitempty"`
	Line int    `yaml:"-"`
}

// Ranges runs Steps over the sub-ranges of a date range, ${from} and
// ${to} set to each in turn, oldest first. For each, Query runs (it asks
// the site), then the loop waits for TooMany or Ready: TooMany halves the
// sub-range and asks again; Ready runs Steps. A sub-range of MinDays days
// still too wide is an error, as is asking more than Max times.
type Ranges struct {
	// From and To are the whole range: dates or variables (default
	// ${from} and ${to}).
	From    string `yaml:"from,omitempty"`
	To      string `yaml:"to,omitempty"`
	Query   []Step `yaml:"query"`
	TooMany string `yaml:"too_many"`
	Ready   string `yaml:"ready"`
	MinDays int    `yaml:"min_days,omitempty"`
	Max     int    `yaml:"max"`
	Steps   []Step `yaml:"steps"`
}

// Defaults and bounds of the loops.
const (
	DefaultRestarts = 3
	maxRestarts     = 10
	DefaultRelogins = 2
	maxRelogins     = 5
	maxRanges       = 1024
)

func (r *Rows) target() string {
	if r == nil {
		return ""
	}
	return r.Rows
}

func (r *Ranges) target() string {
	if r == nil {
		return ""
	}
	return r.TooMany
}

// RestartLimit is Restarts or its default.
func (r Rows) RestartLimit() int {
	if r.Restarts == 0 {
		return DefaultRestarts
	}
	return r.Restarts
}

// Limit is Max or its default.
func (r Relogin) Limit() int {
	if r.Max == 0 {
		return DefaultRelogins
	}
	return r.Max
}

// Days is MinDays or its default, one day.
func (r Ranges) Days() int {
	if r.MinDays == 0 {
		return 1
	}
	return r.MinDays
}

// ValueNames returns the names of Values, sorted.
func (r Rows) ValueNames() []string {
	out := make([]string, 0, len(r.Values))
	for k := range r.Values {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// loopChildren adds the step lists of the loops to Children's.
func loopChildren(s Step, suffixes []string, lists [][]Step) ([]string, [][]Step) {
	if s.ForEachRow != nil {
		suffixes, lists = append(suffixes, ".for_each_row.steps"), append(lists, s.ForEachRow.Steps)
	}
	if s.ForEachRange != nil {
		suffixes, lists = append(suffixes, ".for_each_range.query", ".for_each_range.steps"), append(lists, s.ForEachRange.Query, s.ForEachRange.Steps)
	}
	if s.Call != "" && s.Called != nil {
		suffixes, lists = append(suffixes, ".call."+s.Call), append(lists, s.Called)
	}
	return suffixes, lists
}

// resolveCalls points every call: step of steps, at any depth, at the
// block it names (a block's own calls are refused by the check, so this
// never loops).
func resolveCalls(steps []Step, blocks map[string][]Step) {
	for i := range steps {
		if steps[i].Call != "" {
			steps[i].Called = blocks[steps[i].Call]
			continue
		}
		_, lists := steps[i].Children()
		for _, l := range lists {
			resolveCalls(l, blocks)
		}
	}
}

// loopLines sets the lines of the steps inside loops and blocks, which
// setLines does not reach.
func loopLines(s *Script, root *yaml.Node) {
	if b := mapValue(root, "blocks"); b != nil {
		for name, steps := range s.Blocks {
			n := mapValue(b, name)
			stepLines(steps, n)
			loopStepLines(steps, n)
		}
	}
	loopStepLines(s.Steps, mapValue(root, "steps"))
}

// loopStepLines walks steps alongside their YAML sequence and sets the
// lines of every loop's nested steps, at any depth.
func loopStepLines(steps []Step, seq *yaml.Node) {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return
	}
	for i := range steps {
		if i >= len(seq.Content) {
			return
		}
		n, st := seq.Content[i], &steps[i]
		if st.ForEachRow != nil {
			body := mapValue(n, "for_each_row")
			ss := mapValue(body, "steps")
			stepLines(st.ForEachRow.Steps, ss)
			loopStepLines(st.ForEachRow.Steps, ss)
			if rl := mapValue(body, "relogin"); rl != nil && st.ForEachRow.Relogin != nil {
				st.ForEachRow.Relogin.Line = rl.Line
			}
		}
		if st.ForEachRange != nil {
			body := mapValue(n, "for_each_range")
			for _, part := range []struct {
				key   string
				steps []Step
			}{{"query", st.ForEachRange.Query}, {"steps", st.ForEachRange.Steps}} {
				ss := mapValue(body, part.key)
				stepLines(part.steps, ss)
				loopStepLines(part.steps, ss)
			}
		}
		// Loops nested in the other blocks.
		if b := mapValue(n, "branch"); b != nil && b.Kind == yaml.SequenceNode {
			for j := range st.Branch {
				if j < len(b.Content) {
					loopStepLines(st.Branch[j].Steps, mapValue(b.Content[j], "steps"))
				}
			}
		}
		if st.ForEachAccount != nil {
			loopStepLines(st.ForEachAccount.Steps, mapValue(mapValue(n, "for_each_account"), "steps"))
		}
		if st.ForEachPage != nil {
			loopStepLines(st.ForEachPage.Steps, mapValue(mapValue(n, "for_each_page"), "steps"))
		}
		if st.Repeat != nil {
			loopStepLines(st.Repeat.Steps, mapValue(mapValue(n, "repeat"), "steps"))
		}
		loopStepLines(st.Steps, mapValue(n, "steps"))
	}
}

// blockName is what a block may be called.
var blockName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// checkLoops checks the loops, the blocks and the calls, and the steps
// inside loops and blocks (check does not descend into them).
func (c *checker) checkLoops() {
	s := c.script
	names := make([]string, 0, len(s.Blocks))
	for n := range s.Blocks {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		where := "blocks." + n
		if !blockName.MatchString(n) {
			c.bad(0, where, "a block name is a lower-case letter then lower-case letters, digits or _")
		}
		if len(s.Blocks[n]) == 0 {
			c.bad(0, where, "a block needs steps")
		}
		c.steps(where, s.Blocks[n], false)
		c.loopSteps(where, s.Blocks[n], false, n)
	}
	c.loopSteps("steps", s.Steps, false, "")
}

// loopSteps finds the loops and calls in steps, at any depth, and checks
// them; inBlock is the block being checked ("" outside one): a block's
// steps call no block, so calls never nest or loop.
func (c *checker) loopSteps(prefix string, steps []Step, inLoop bool, inBlock string) {
	for i := range steps {
		st := steps[i]
		where := fmt.Sprintf("%s[%d]", prefix, i)
		switch {
		case st.ForEachRow != nil:
			c.rows(where, st)
			inner := where + ".for_each_row.steps"
			c.steps(inner, st.ForEachRow.Steps, inLoop)
			c.loopSteps(inner, st.ForEachRow.Steps, inLoop, inBlock)
		case st.ForEachRange != nil:
			c.ranges(where, st)
			for _, part := range []struct {
				name  string
				steps []Step
			}{{"query", st.ForEachRange.Query}, {"steps", st.ForEachRange.Steps}} {
				inner := where + ".for_each_range." + part.name
				c.steps(inner, part.steps, inLoop)
				c.loopSteps(inner, part.steps, inLoop, inBlock)
			}
		case st.Call != "":
			c.call(st.Line, where, st.Call, inBlock)
		}
		if st.ForEachRow != nil || st.ForEachRange != nil || st.Call != "" {
			continue
		}
		suffixes, lists := st.Children()
		for j, l := range lists {
			c.loopSteps(where+suffixes[j], l, inLoop || st.ForEachAccount != nil, inBlock)
		}
	}
}

func (c *checker) call(line int, where, name, inBlock string) {
	if inBlock != "" {
		c.bad(line, where, "call %q inside block %q: a block does not call blocks", name, inBlock)
		return
	}
	if _, ok := c.script.Blocks[name]; !ok {
		c.bad(line, where, "call %q: no such block under blocks: (declared: %s)", name, c.blockNames())
	}
}

func (c *checker) blockNames() string {
	if len(c.script.Blocks) == 0 {
		return "none"
	}
	var out []string
	for n := range c.script.Blocks {
		out = append(out, n)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

func (c *checker) rows(where string, st Step) {
	r, line := st.ForEachRow, st.Line
	where += ".for_each_row"
	if r.Rows == "" {
		c.bad(line, where, "for_each_row needs rows: ELEMENT (declared many: true)")
	} else {
		c.element(line, where+".rows", r.Rows, true)
		c.rowWays(line, where+".rows", r.Rows)
	}
	for _, name := range r.ValueNames() {
		if !varName.MatchString(name) {
			c.bad(line, where+".values", "%q: a value's name is a letter then letters, digits or _, used as ${var.NAME}", name)
			continue
		}
		c.element(line, where+".values."+name, r.Values[name], false)
		c.set[name] = true
	}
	if strings.TrimSpace(r.Key) == "" {
		c.bad(line, where, "for_each_row needs key: the row's stable identity, from its values (e.g. \"${var.number}\")")
	} else {
		vars := Vars(r.Key)
		if len(vars) == 0 {
			c.bad(line, where+".key", "key %q uses no variable: every row would have the same key", r.Key)
		}
		for _, v := range vars {
			c.variable(line, where+".key", "key", v, false)
		}
	}
	if r.Next != "" {
		c.element(line, where+".next", r.Next, false)
	}
	if r.Total != "" {
		c.element(line, where+".total", r.Total, false)
	}
	if r.Restarts < 0 || r.Restarts > maxRestarts {
		c.bad(line, where, "restarts %d is out of range (0 for the default %d, up to %d)", r.Restarts, DefaultRestarts, maxRestarts)
	}
	if r.Max < 1 || r.Max > maxRepeat {
		c.bad(line, where, "for_each_row needs max: N, 1 to %d (a loop is always bounded)", maxRepeat)
	}
	if len(r.Steps) == 0 {
		c.bad(line, where, "for_each_row needs steps")
	}
	if rl := r.Relogin; rl != nil {
		l := rl.Line
		if l == 0 {
			l = line
		}
		if rl.When == "" || rl.Call == "" {
			c.bad(l, where+".relogin", "relogin needs when: ELEMENT (what the site shows once the session ended) and call: BLOCK")
		}
		if rl.When != "" {
			c.element(l, where+".relogin.when", rl.When, false)
		}
		if rl.Call != "" {
			c.call(l, where+".relogin", rl.Call, "")
		}
		if rl.Max < 0 || rl.Max > maxRelogins {
			c.bad(l, where+".relogin", "max %d is out of range (0 for the default %d, up to %d)", rl.Max, DefaultRelogins, maxRelogins)
		}
	}
}

// rowWays checks that the rows element's ways can list rows one by one:
// css, xpath or testid.
func (c *checker) rowWays(line int, where, name string) {
	if c.sel == nil {
		return
	}
	el, ok := c.sel.Elements[name]
	if !ok {
		return
	}
	check := func(kind string) {
		switch kind {
		case "css", "xpath", "testid":
		default:
			c.bad(line, where, "element %q: a way of kind %s cannot list rows (use css, xpath or testid)", name, kind)
		}
	}
	for _, w := range el.Ways {
		check(string(w.Kind))
	}
	for _, ways := range el.Variants {
		for _, w := range ways {
			check(string(w.Kind))
		}
	}
}

func (c *checker) ranges(where string, st Step) {
	r, line := st.ForEachRange, st.Line
	where += ".for_each_range"
	for _, f := range []struct{ name, v string }{{"from", r.From}, {"to", r.To}} {
		if f.v == "" {
			continue
		}
		vars := Vars(f.v)
		if len(vars) == 0 {
			if _, err := RelativeDate(f.v, time.Now()); err != nil {
				c.bad(line, where+"."+f.name, "%v", err)
			}
			continue
		}
		if !isWholeVar(f.v) {
			c.bad(line, where+"."+f.name, "%s is a date or one variable, not %q", f.name, f.v)
		}
		for _, v := range vars {
			c.variable(line, where+"."+f.name, f.name, v, false)
		}
	}
	if len(r.Query) == 0 {
		c.bad(line, where, "for_each_range needs query: the steps that ask the site for ${from} to ${to}")
	}
	if r.TooMany == "" || r.Ready == "" {
		c.bad(line, where, "for_each_range needs too_many: ELEMENT (the site's too-many-results message) and ready: ELEMENT (a result is shown)")
	}
	if r.TooMany != "" {
		c.element(line, where+".too_many", r.TooMany, false)
	}
	if r.Ready != "" {
		c.element(line, where+".ready", r.Ready, false)
	}
	if r.MinDays < 0 || r.MinDays > 366 {
		c.bad(line, where, "min_days %d is out of range (0 for one day, up to 366)", r.MinDays)
	}
	if r.Max < 1 || r.Max > maxRanges {
		c.bad(line, where, "for_each_range needs max: N, the most sub-ranges asked, 1 to %d (a loop is always bounded)", maxRanges)
	}
	if len(r.Steps) == 0 {
		c.bad(line, where, "for_each_range needs steps")
	}
}
