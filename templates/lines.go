package templates

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

func str(n *yaml.Node, key string) string {
	if v := mapGet(n, key); v != nil {
		return v.Value
	}
	return ""
}

// section cuts text between the first match of start and the first match
// of end after it.
func section(text, start, end string) (string, bool, error) {
	sre, err := compile(start, false)
	if err != nil {
		return "", false, fmt.Errorf("start %q: %w", start, err)
	}
	ere, err := compile(end, false)
	if err != nil {
		return "", false, fmt.Errorf("end %q: %w", end, err)
	}
	sm, err := sre.FindStringMatch(text)
	if err != nil || sm == nil {
		return "", false, err
	}
	from := sm.Index + sm.Length
	rest := text[runeOffset(text, from):]
	em, err := ere.FindStringMatch(rest)
	if err != nil || em == nil {
		return "", false, err
	}
	return rest[:runeOffset(rest, em.Index)], true, nil
}

// runeOffset converts regexp2's rune index into a byte offset.
func runeOffset(s string, runes int) int {
	i := 0
	for b := range s {
		if i == runes {
			return b
		}
		i++
	}
	return len(s)
}

// namedGroups returns the named groups of a match that took part.
func namedGroups(re *regexp2Regexp, line string) (map[string]string, bool, error) {
	m, err := re.FindStringMatch(line)
	if err != nil || m == nil {
		return nil, false, err
	}
	out := map[string]string{}
	for _, name := range re.GetGroupNames() {
		if _, err := fmt.Sscan(name, new(int)); err == nil {
			continue // numbered group
		}
		if g := m.GroupByName(name); g != nil {
			out[name] = strings.TrimSpace(g.String())
		}
	}
	return out, true, nil
}

// sections cuts every block of text between a match of start and the next
// match of end, in order.
func sections(text, start, end string) ([]string, error) {
	var out []string
	for {
		body, ok, err := section(text, start, end)
		if err != nil || !ok {
			return out, err
		}
		out = append(out, body)
		// Continue after this block's end.
		sre, _ := compile(start, false)
		sm, _ := sre.FindStringMatch(text)
		rest := text[runeOffset(text, sm.Index+sm.Length)+len(body):]
		ere, _ := compile(end, false)
		em, _ := ere.FindStringMatch(rest)
		if em == nil {
			return out, nil
		}
		text = rest[runeOffset(rest, em.Index+em.Length):]
	}
}

// lines reads repeating rows: with rules, each rule in turn; otherwise the
// definition itself is the rule.
func (t *Template) lines(def *yaml.Node, text string) (any, error) {
	rules := []*yaml.Node{def}
	if r := mapGet(def, "rules"); r != nil {
		rules = r.Content
	}
	var all []any
	for i, rule := range rules {
		rows, err := t.linesRule(rule, text)
		if err != nil {
			return nil, fmt.Errorf("rule %d: %w", i+1, err)
		}
		all = append(all, rows...)
	}
	if len(all) == 0 {
		return nil, nil
	}
	return all, nil
}

// linesRule reads rows between start and end (every such block): first_line
// opens a row, line adds to it (or is a row by itself when there is no
// first_line), last_line closes it, skip_line lines are ignored.
func (t *Template) linesRule(def *yaml.Node, text string) ([]any, error) {
	bodies, err := sections(text, str(def, "start"), str(def, "end"))
	if err != nil || len(bodies) == 0 {
		return nil, err
	}
	sep := str(def, "line_separator")
	if sep == "" {
		sep = `\n`
	}
	compileList := func(key string) ([]*regexp2Regexp, error) {
		var out []*regexp2Regexp
		for _, s := range scalarList(mapGet(def, key)) {
			re, err := compile(s, false)
			if err != nil {
				return nil, fmt.Errorf("%s %q: %w", key, s, err)
			}
			out = append(out, re)
		}
		return out, nil
	}
	first, err := compileList("first_line")
	if err != nil {
		return nil, err
	}
	last, err := compileList("last_line")
	if err != nil {
		return nil, err
	}
	line, err := compileList("line")
	if err != nil {
		return nil, err
	}
	if len(line) == 0 {
		return nil, fmt.Errorf("lines without a line pattern")
	}
	skips, err := compileList("skip_line")
	if err != nil {
		return nil, err
	}
	matchAny := func(res []*regexp2Regexp, l string) (map[string]string, bool, error) {
		for _, re := range res {
			if g, ok, err := namedGroups(re, l); err != nil || ok {
				return g, ok, err
			}
		}
		return nil, false, nil
	}
	types := mapGet(def, "types")
	var rows []map[string]any
	var cur map[string]any
	add := func(g map[string]string) {
		if cur == nil {
			cur = map[string]any{}
		}
		for k, v := range g {
			if old, ok := cur[k].(string); ok && old != "" {
				cur[k] = old + "\n" + v
			} else {
				cur[k] = v
			}
		}
	}
	flush := func() {
		if len(cur) > 0 {
			rows = append(rows, cur)
		}
		cur = nil
	}
	sepRe := regexp.MustCompile(sep)
	for _, body := range bodies {
	outer:
		for _, l := range sepRe.Split(body, -1) {
			if strings.TrimSpace(l) == "" {
				continue
			}
			for _, s := range skips {
				if found(s, l) {
					continue outer
				}
			}
			if g, ok, err := matchAny(first, l); err != nil {
				return nil, err
			} else if ok {
				flush()
				add(g)
				continue
			}
			if g, ok, err := matchAny(last, l); err != nil {
				return nil, err
			} else if ok {
				add(g)
				flush()
				continue
			}
			if g, ok, err := matchAny(line, l); err != nil {
				return nil, err
			} else if ok {
				add(g)
				if len(first) == 0 {
					flush()
				}
			}
		}
		flush()
	}
	out := make([]any, len(rows))
	for i, r := range rows {
		for k, v := range r {
			if ty := str(types, k); ty != "" && v.(string) != "" {
				c, err := t.coerce(v.(string), ty)
				if err != nil {
					return nil, fmt.Errorf("line %d field %s: %w", i+1, k, err)
				}
				r[k] = c
			}
		}
		out[i] = r
	}
	return out, nil
}

// table reads rows matching body between start and end into fields of the
// output: one value stands alone, several make a list, unless the table's
// fields say how to group them.
func (t *Template) table(def *yaml.Node, text string, out Result) error {
	body, ok, err := section(text, str(def, "start"), str(def, "end"))
	if err != nil || !ok {
		return err
	}
	re, err := compile(str(def, "body"), false)
	if err != nil {
		return fmt.Errorf("body %q: %w", str(def, "body"), err)
	}
	types := mapGet(def, "types")
	fields := mapGet(def, "fields")
	vals := map[string][]any{}
	var order []string
	for _, l := range strings.Split(body, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		g, ok, err := namedGroups(re, l)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		for _, name := range re.GetGroupNames() {
			v, ok := g[name]
			if !ok {
				continue
			}
			typ := str(types, name)
			if typ == "" {
				switch {
				case strings.HasPrefix(name, "date"):
					typ = "date"
				case strings.HasPrefix(name, "amount"):
					typ = "float"
				}
			}
			c, err := t.coerce(v, typ)
			if err != nil {
				return fmt.Errorf("field %s: %w", name, err)
			}
			if _, seen := vals[name]; !seen {
				order = append(order, name)
			}
			vals[name] = append(vals[name], c)
		}
	}
	for _, name := range order {
		group := str(mapGet(fields, name), "group")
		v, err := groupValues(vals[name], group)
		if err != nil {
			return fmt.Errorf("field %s: %w", name, err)
		}
		if group == "" {
			// A table's repeated values stay a list even when equal.
			if len(vals[name]) > 1 {
				v = vals[name]
			}
		}
		out[name] = v
	}
	return nil
}
