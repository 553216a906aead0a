package templates

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"
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
	return groups(re, line, strings.TrimSpace)
}

// groups returns a match's named groups, each passed through clean.
func groups(re *regexp2Regexp, line string, clean func(string) string) (map[string]string, bool, error) {
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
			out[name] = clean(g.String())
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
	// As invoice2data does: without first_line or last_line every line is
	// a row; otherwise line and last_line count only after a first_line
	// (text between a last_line and the next first_line, such as a page
	// header inside the table, is not part of any row).
	if len(first) == 0 && len(last) == 0 {
		first = line
	}
	sepRe := regexp.MustCompile(sep)
	for _, body := range bodies {
		open := false
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
				open = true
				continue
			}
			if !open {
				continue
			}
			if g, ok, err := matchAny(last, l); err != nil {
				return nil, err
			} else if ok {
				add(g)
				flush()
				open = false
				continue
			}
			if g, ok, err := matchAny(line, l); err != nil {
				return nil, err
			} else if ok {
				add(g)
			}
		}
		flush()
	}
	if err := lineReplace(mapGet(def, "replace"), rows); err != nil {
		return nil, err
	}
	out := make([]any, len(rows))
	for i, r := range rows {
		for k, v := range r {
			if ty := str(types, k); ty != "" {
				if v.(string) == "" && (ty == "float" || ty == "int") {
					r[k] = decimal.Zero // invoice2data: an empty number is 0
					continue
				}
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
		g, ok, err := groups(re, l, func(s string) string { return s })
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
				case strings.HasPrefix(name, "date") || strings.HasSuffix(name, "date"):
					typ = "date"
				case strings.HasPrefix(name, "amount"):
					typ = "float"
				}
			}
			// An untyped table value is kept as captured, spaces and all,
			// as invoice2data keeps it.
			var c any = v
			if typ != "" {
				var err error
				if c, err = t.coerce(v, typ); err != nil {
					return fmt.Errorf("field %s: %w", name, err)
				}
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

// replacePairs reads a field's replace setting: one [pattern, replacement]
// pair or a list of them.
func replacePairs(n *yaml.Node) ([][2]string, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("replace: want [pattern, replacement] or a list of them")
	}
	if len(n.Content) == 2 && n.Content[0].Kind == yaml.ScalarNode && n.Content[1].Kind == yaml.ScalarNode {
		return [][2]string{{n.Content[0].Value, n.Content[1].Value}}, nil
	}
	var out [][2]string
	for _, p := range n.Content {
		if p.Kind != yaml.SequenceNode || len(p.Content) != 2 {
			return nil, fmt.Errorf("replace: line %d: want a [pattern, replacement] pair", p.Line)
		}
		out = append(out, [2]string{p.Content[0].Value, p.Content[1].Value})
	}
	return out, nil
}

// replaceValue applies each substitution in turn, as Python's re.sub.
func replaceValue(s string, pairs [][2]string) (string, error) {
	for _, p := range pairs {
		re, err := compile(p[0], false)
		if err != nil {
			return "", fmt.Errorf("replace %q: %w", p[0], err)
		}
		if s, err = re.Replace(s, pyReplacement(p[1]), -1, -1); err != nil {
			return "", fmt.Errorf("replace %q: %w", p[0], err)
		}
	}
	return s, nil
}

// lineReplace applies a lines rule's per-field replace setting, a mapping
// {field: pairs} or a list of such one-key mappings, to every row.
func lineReplace(spec *yaml.Node, rows []map[string]any) error {
	if spec == nil {
		return nil
	}
	var maps []*yaml.Node
	switch spec.Kind {
	case yaml.MappingNode:
		maps = []*yaml.Node{spec}
	case yaml.SequenceNode:
		maps = spec.Content
	default:
		return fmt.Errorf("lines replace: want a mapping of field to replacements")
	}
	for _, m := range maps {
		if m.Kind != yaml.MappingNode {
			return fmt.Errorf("lines replace: line %d: want field: [pattern, replacement]", m.Line)
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			field := m.Content[i].Value
			pairs, err := replacePairs(m.Content[i+1])
			if err != nil {
				return fmt.Errorf("lines replace %s: %w", field, err)
			}
			for _, r := range rows {
				if v, ok := r[field].(string); ok {
					if r[field], err = replaceValue(v, pairs); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
