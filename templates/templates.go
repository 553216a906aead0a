// Package templates extracts fields from documents of any issuer with
// invoice2data-format templates (YAML or JSON), so that community templates
// work unchanged: keywords and exclude_keywords pick the template, fields
// are regex, static or lines parsers with types and groups, lines and tables
// read repeating rows, options prepare the text. Regular expressions are
// Python-flavoured (named groups, lookarounds), run by regexp2.
package templates

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dlclark/regexp2"
	"gopkg.in/yaml.v3"
)

// Template is one invoice2data template.
type Template struct {
	Issuer          string
	Keywords        []string
	ExcludeKeywords []string
	Priority        int
	Fields          []Field
	Lines           *yaml.Node // top-level lines (legacy)
	Tables          []*yaml.Node
	Options         Options
	RequiredFields  []string
	Path            string
}

// Field is one entry of fields: name and its raw definition.
type Field struct {
	Name string
	Def  *yaml.Node
}

// Options are a template's text and value options.
type Options struct {
	Currency         string
	DateFormats      []string
	DecimalSeparator string
	RemoveWhitespace bool
	RemoveAccents    bool
	Lowercase        bool
	Replace          [][2]string
	Languages        []string
}

// regexTimeout bounds every match: a template's regex may backtrack badly.
const regexTimeout = 2 * time.Second

func compile(expr string, multiline bool) (*regexp2.Regexp, error) {
	opt := regexp2.RegexOptions(regexp2.RE2)
	if multiline {
		opt |= regexp2.Multiline
	}
	re, err := regexp2.Compile(pythonQuantifiers(expr), opt)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = regexTimeout
	return re, nil
}

// pythonQuantifiers rewrites Python's {,n} (zero to n) as {0,n}; .NET
// and RE2 syntax read "{,n}" as literal text, which silently changes what
// a template matches.
func pythonQuantifiers(expr string) string {
	if !strings.Contains(expr, "{,") {
		return expr
	}
	var sb strings.Builder
	inClass := false
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case c == '\\' && i+1 < len(expr):
			sb.WriteByte(c)
			i++
			sb.WriteByte(expr[i])
			continue
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		case c == '{' && !inClass && i+2 < len(expr) && expr[i+1] == ',':
			j := i + 2
			for j < len(expr) && expr[j] >= '0' && expr[j] <= '9' {
				j++
			}
			if j > i+2 && j < len(expr) && expr[j] == '}' {
				sb.WriteString("{0")
				continue
			}
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

func scalarList(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	var out []string
	for _, c := range n.Content {
		if c.Kind == yaml.ScalarNode {
			out = append(out, c.Value)
		}
	}
	return out
}

func mapGet(n *yaml.Node, key string) *yaml.Node {
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

// Parse reads a template (YAML or JSON: JSON is YAML).
func Parse(path string, data []byte) ([]*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("template %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("template %s: empty", path)
	}
	root := doc.Content[0]
	var nodes []*yaml.Node
	if root.Kind == yaml.SequenceNode { // JSON templates are often a list
		nodes = root.Content
	} else {
		nodes = []*yaml.Node{root}
	}
	var out []*Template
	for _, n := range nodes {
		t := &Template{Path: path}
		t.Keywords = scalarList(mapGet(n, "keywords"))
		if len(t.Keywords) == 0 {
			return nil, fmt.Errorf("template %s: no keywords", path)
		}
		// Without an issuer invoice2data names the template by its first
		// keyword.
		if iss := mapGet(n, "issuer"); iss != nil && iss.Value != "" {
			t.Issuer = iss.Value
		} else {
			t.Issuer = t.Keywords[0]
		}
		t.ExcludeKeywords = scalarList(mapGet(n, "exclude_keywords"))
		if p := mapGet(n, "priority"); p != nil {
			fmt.Sscan(p.Value, &t.Priority)
		} else {
			t.Priority = 5
		}
		if f := mapGet(n, "fields"); f != nil {
			for i := 0; i+1 < len(f.Content); i += 2 {
				t.Fields = append(t.Fields, Field{Name: f.Content[i].Value, Def: f.Content[i+1]})
			}
		}
		t.Lines = mapGet(n, "lines")
		if tb := mapGet(n, "tables"); tb != nil {
			if tb.Kind == yaml.SequenceNode {
				t.Tables = tb.Content
			} else {
				t.Tables = []*yaml.Node{tb}
			}
		}
		t.RequiredFields = scalarList(mapGet(n, "required_fields"))
		if err := t.parseOptions(mapGet(n, "options")); err != nil {
			return nil, fmt.Errorf("template %s: %w", path, err)
		}
		for _, k := range append(append([]string{}, t.Keywords...), t.ExcludeKeywords...) {
			if _, err := compile(k, true); err != nil {
				return nil, fmt.Errorf("template %s: keyword %q: %w", path, k, err)
			}
		}
		out = append(out, t)
	}
	return out, nil
}

func (t *Template) parseOptions(n *yaml.Node) error {
	o := Options{DecimalSeparator: "."}
	if n != nil {
		if v := mapGet(n, "currency"); v != nil {
			o.Currency = v.Value
		}
		o.DateFormats = scalarList(mapGet(n, "date_formats"))
		if v := mapGet(n, "decimal_separator"); v != nil && v.Value != "" {
			o.DecimalSeparator = v.Value
		}
		o.RemoveWhitespace = mapGet(n, "remove_whitespace") != nil && mapGet(n, "remove_whitespace").Value == "true"
		o.RemoveAccents = mapGet(n, "remove_accents") != nil && mapGet(n, "remove_accents").Value == "true"
		o.Lowercase = mapGet(n, "lowercase") != nil && mapGet(n, "lowercase").Value == "true"
		o.Languages = scalarList(mapGet(n, "languages"))
		if r := mapGet(n, "replace"); r != nil {
			for _, pair := range r.Content {
				p := scalarList(pair)
				if len(p) != 2 {
					return errors.New("options.replace wants [pattern, replacement] pairs")
				}
				o.Replace = append(o.Replace, [2]string{p[0], p[1]})
			}
		}
	}
	t.Options = o
	return nil
}

// LoadDir reads every .yml, .yaml and .json template below dir. A template
// that does not load is skipped and reported in problems; err is for the
// directory itself.
func LoadDir(dir string) (ts []*Template, problems []error, err error) {
	var out []*Template
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yml", ".yaml", ".json":
		default:
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		ts, perr := Parse(p, b)
		if perr != nil {
			problems = append(problems, perr)
			return nil
		}
		out = append(out, ts...)
		return nil
	})
	return out, problems, err
}

// Match returns the templates whose keywords all occur in text and whose
// exclude_keywords do not, highest priority first.
func Match(ts []*Template, text string) []*Template {
	var out []*Template
	for _, t := range ts {
		prepared := t.prepare(text)
		ok := true
		kw := func(k string) string {
			// The text lost its spaces; so do the keywords.
			if t.Options.RemoveWhitespace {
				return strings.ReplaceAll(k, " ", "")
			}
			return k
		}
		for _, k := range t.Keywords {
			if re, err := compile(kw(k), true); err != nil || !found(re, prepared) {
				ok = false
				break
			}
		}
		for _, k := range t.ExcludeKeywords {
			if re, err := compile(kw(k), true); err == nil && found(re, prepared) {
				ok = false
			}
		}
		if ok {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority > out[j].Priority })
	return out
}

func found(re *regexp2.Regexp, s string) bool {
	m, err := re.FindStringMatch(s)
	return err == nil && m != nil
}
