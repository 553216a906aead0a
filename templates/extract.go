package templates

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/dlclark/regexp2"
	"github.com/shopspring/decimal"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
	"gopkg.in/yaml.v3"
)

// Result is what a template extracted: field name to value. Values are
// strings, decimal numbers (json.Number when marshalled), int64, dates (as
// YYYY-MM-DD strings), lists of those, and lines as a list of maps.
type Result map[string]any

// pyReplacement turns a Python re.sub replacement (\1, \g<name>) into
// regexp2's ($1, ${name}).
func pyReplacement(s string) string {
	s = strings.ReplaceAll(s, "$", "$$")
	s = regexp.MustCompile(`\\g<(\w+)>`).ReplaceAllString(s, "$${$1}")
	return regexp.MustCompile(`\\(\d+)`).ReplaceAllString(s, "$${$1}")
}

// prepare applies the template's options to the text, as invoice2data does
// before matching and extracting.
func (t *Template) prepare(text string) string {
	o := t.Options
	if o.RemoveWhitespace {
		text = regexp.MustCompile(` +`).ReplaceAllString(text, "")
	}
	if o.RemoveAccents {
		if s, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), text); err == nil {
			text = s
		}
	}
	if o.Lowercase {
		text = strings.ToLower(text)
	}
	for _, r := range o.Replace {
		re, err := compile(r[0], false)
		if err != nil {
			continue
		}
		if s, err := re.Replace(text, pyReplacement(r[1]), -1, -1); err == nil {
			text = s
		}
	}
	return text
}

// findAll is Python's re.findall: whole matches without groups, the group
// with one, the first group with several (invoice2data keeps the first).
func findAll(re *regexp2.Regexp, text string) ([]string, error) {
	var out []string
	m, err := re.FindStringMatch(text)
	for m != nil && err == nil {
		gs := m.Groups()
		v := m.String()
		if len(gs) > 1 {
			v = gs[1].String()
		}
		out = append(out, v)
		m, err = re.FindNextMatch(m)
	}
	return out, err
}

// Extract applies the template to text. An error names the template and
// field; missing required fields are an error too.
func (t *Template) Extract(text string) (Result, error) {
	text = t.prepare(text)
	out := Result{"issuer": t.Issuer}
	for _, f := range t.Fields {
		v, err := t.field(f, text)
		if err != nil {
			return nil, fmt.Errorf("template %s: field %s: %w", t.Path, f.Name, err)
		}
		switch {
		case v == nil:
		case strings.HasPrefix(f.Name, "static_"):
			out[strings.TrimPrefix(f.Name, "static_")] = v
		default:
			out[f.Name] = v
		}
	}
	if t.Lines != nil {
		lines, err := t.lines(t.Lines, text)
		if err != nil {
			return nil, fmt.Errorf("template %s: lines: %w", t.Path, err)
		}
		if lines != nil {
			out["lines"] = lines
		}
	}
	for i, tb := range t.Tables {
		if err := t.table(tb, text, out); err != nil {
			return nil, fmt.Errorf("template %s: table %d: %w", t.Path, i+1, err)
		}
	}
	// The option is the fallback: a currency a field extracted wins.
	if _, ok := out["currency"]; !ok && t.Options.Currency != "" {
		out["currency"] = t.Options.Currency
	}
	uneceCodes(out)
	required := t.RequiredFields
	if required == nil {
		required = []string{"date", "amount", "invoice_number", "issuer"}
	}
	var missing []string
	for _, r := range required {
		if _, ok := out[r]; !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return out, fmt.Errorf("template %s: required fields not found: %s", t.Path, strings.Join(missing, ", "))
	}
	out["desc"] = "Invoice from " + t.Issuer
	return out, nil
}

func isLinesField(n *yaml.Node) bool {
	p := mapGet(n, "parser")
	return p != nil && p.Value == "lines"
}

// field extracts one entry of fields.
func (t *Template) field(f Field, text string) (any, error) {
	def := f.Def
	if def.Kind == yaml.MappingNode {
		parser := mapGet(def, "parser")
		switch {
		case parser == nil:
			return nil, fmt.Errorf("no parser")
		case parser.Value == "static":
			v := mapGet(def, "value")
			if v == nil {
				return nil, fmt.Errorf("static parser without value")
			}
			return t.coerceScalar(v)
		case parser.Value == "lines":
			return t.lines(def, text)
		case parser.Value == "regex":
			typ := ""
			if ty := mapGet(def, "type"); ty != nil {
				typ = ty.Value
			}
			group := ""
			if g := mapGet(def, "group"); g != nil {
				group = g.Value
			}
			repl, err := replacePairs(mapGet(def, "replace"))
			if err != nil {
				return nil, err
			}
			return t.regexField(scalarList(mapGet(def, "regex")), typ, group, text, repl...)
		default:
			return nil, fmt.Errorf("unknown parser %q", parser.Value)
		}
	}
	// Legacy form: a regex or a list of them; the name implies the type.
	if strings.HasPrefix(f.Name, "static_") {
		return t.coerceScalar(def)
	}
	typ, group := "", ""
	switch {
	case strings.HasPrefix(f.Name, "sum_amount"):
		typ, group = "float", "sum"
	case strings.HasPrefix(f.Name, "date") || strings.HasSuffix(f.Name, "date"):
		typ = "date"
	case strings.HasPrefix(f.Name, "amount"):
		typ = "float"
	}
	v, err := t.regexField(scalarList(def), typ, group, text)
	// Legacy date and amount fields take the first match.
	if list, ok := v.([]any); ok && typ != "" && group == "" {
		v = list[0]
	}
	return v, err
}

func (t *Template) coerceScalar(n *yaml.Node) (any, error) {
	switch n.Tag {
	case "!!int":
		var i int64
		fmt.Sscan(n.Value, &i)
		return i, nil
	case "!!float":
		d, err := decimal.NewFromString(n.Value)
		return d, err
	}
	return n.Value, nil
}

func (t *Template) regexField(regexes []string, typ, group, text string, repl ...[2]string) (any, error) {
	var raw []string
	for _, expr := range regexes {
		re, err := compile(expr, false)
		if err != nil {
			return nil, fmt.Errorf("regex %q: %w", expr, err)
		}
		m, err := findAll(re, text)
		if err != nil {
			return nil, fmt.Errorf("regex %q: %w", expr, err)
		}
		raw = append(raw, m...)
	}
	if len(raw) == 0 {
		return nil, nil
	}
	vals := make([]any, 0, len(raw))
	for _, s := range raw {
		s, err := replaceValue(s, repl)
		if err != nil {
			return nil, err
		}
		v, err := t.coerce(s, typ)
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
	}
	return groupValues(vals, group)
}

func groupValues(vals []any, group string) (any, error) {
	switch group {
	case "sum":
		var sum decimal.Decimal
		var isInt = true
		for _, v := range vals {
			switch x := v.(type) {
			case decimal.Decimal:
				sum, isInt = sum.Add(x), false
			case int64:
				sum = sum.Add(decimal.NewFromInt(x))
			default:
				return nil, fmt.Errorf("cannot sum %v", v)
			}
		}
		if isInt {
			return sum.IntPart(), nil
		}
		return sum, nil
	case "min", "max":
		best := vals[0]
		for _, v := range vals[1:] {
			if less(v, best) == (group == "min") {
				best = v
			}
		}
		return best, nil
	case "first":
		return vals[0], nil
	case "last":
		return vals[len(vals)-1], nil
	case "join":
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprint(v)
		}
		return strings.Join(parts, " "), nil
	case "":
		// Duplicates removed, order kept; one value stands alone.
		seen := map[string]bool{}
		var uniq []any
		for _, v := range vals {
			k := fmt.Sprint(v)
			if !seen[k] {
				seen[k] = true
				uniq = append(uniq, v)
			}
		}
		if len(uniq) == 1 {
			return uniq[0], nil
		}
		return uniq, nil
	}
	return nil, fmt.Errorf("unknown group %q", group)
}

// less orders numbers numerically and anything else (ISO dates) as text.
func less(a, b any) bool {
	da, aok := a.(decimal.Decimal)
	db, bok := b.(decimal.Decimal)
	if aok && bok {
		return da.LessThan(db)
	}
	ia, aok := a.(int64)
	ib, bok := b.(int64)
	if aok && bok {
		return ia < ib
	}
	return fmt.Sprint(a) < fmt.Sprint(b)
}

// coerce converts a matched string to the field's type.
func (t *Template) coerce(s, typ string) (any, error) {
	switch typ {
	case "", "str", "string":
		return strings.TrimSpace(s), nil
	case "float":
		return t.parseNumber(s)
	case "int":
		d, err := t.parseNumber(s)
		if err != nil {
			return nil, err
		}
		return d.IntPart(), nil
	case "date":
		d, err := t.parseDate(s)
		if err != nil {
			return nil, err
		}
		return d.String(), nil
	}
	return nil, fmt.Errorf("unknown type %q", typ)
}

var thousands = regexp.MustCompile(`[.,'\s]`)

// parseNumber reads an amount as invoice2data does: the decimal separator
// from the options, every other separator dropped. It stays decimal.
func (t *Template) parseNumber(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	sep := t.Options.DecimalSeparator
	if strings.Count(s, sep) > 1 {
		return decimal.Zero, fmt.Errorf("%q has the decimal separator %q more than once", s, sep)
	}
	s = strings.ReplaceAll(s, sep, "|")
	s = thousands.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "|", ".")
	d, err := decimal.NewFromString(s)
	if err != nil {
		return d, fmt.Errorf("not a number: %q", s)
	}
	return d, nil
}

// ToJSON renders a result with numbers as JSON numbers, never via float.
func (r Result) ToJSON() ([]byte, error) {
	return json.Marshal(jsonable(map[string]any(r)))
}

func jsonable(v any) any {
	switch x := v.(type) {
	case decimal.Decimal:
		return json.Number(x.String())
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	}
	return v
}
