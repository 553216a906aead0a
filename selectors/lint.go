package selectors

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Problem is one lint finding, at a file and line.
type Problem struct {
	Path    string
	Line    int
	Element string
	Message string
}

func (p Problem) String() string {
	loc := p.Path
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", p.Path, p.Line)
	}
	if p.Element != "" {
		return fmt.Sprintf("%s: %s: %s", loc, p.Element, p.Message)
	}
	return fmt.Sprintf("%s: %s", loc, p.Message)
}

// Use is a script's use of an element, for lint.
type Use struct {
	Name string
	Path string
	Line int
}

var (
	nthChild      = regexp.MustCompile(`:nth-(child|of-type|last-child|last-of-type)\(`)
	generatedID   = regexp.MustCompile(`#[A-Za-z_-]*?(\d{3,}|[0-9a-f]{8,})\b|\[id\s*[*^$]?=\s*['"]?[A-Za-z_-]*\d{3,}`)
	xpathPosition = regexp.MustCompile(`\[\d+\]`)
)

// Lint checks a selector file against the scripts that use it: elements no
// script uses, elements a script uses that the file lacks, and brittle
// ways (long nth-child chains, generated ids, absolute or positional XPath,
// deep CSS chains).
func Lint(f *File, uses []Use) []Problem {
	var out []Problem
	used := map[string]bool{}
	for _, d := range f.Dismiss {
		used[d] = true
	}
	for _, u := range uses {
		used[u.Name] = true
		if _, ok := f.Elements[u.Name]; !ok {
			out = append(out, Problem{Path: u.Path, Line: u.Line, Element: u.Name,
				Message: fmt.Sprintf("the script uses it but %s has no such element", f.Path)})
		}
	}
	names := make([]string, 0, len(f.Elements))
	for n := range f.Elements {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		el := f.Elements[n]
		if !used[n] {
			out = append(out, Problem{Path: f.Path, Line: el.Line, Element: n, Message: "no script uses it"})
		}
		check := func(variant string, ways []Way) {
			where := ""
			if variant != "" {
				where = " (variant " + variant + ")"
			}
			for _, w := range ways {
				if msg := brittle(w); msg != "" {
					out = append(out, Problem{Path: f.Path, Line: w.Line, Element: n, Message: fmt.Sprintf("brittle way%s %s: %s", where, w, msg)})
				}
			}
			if len(ways) == 1 {
				out = append(out, Problem{Path: f.Path, Line: el.Line, Element: n, Message: fmt.Sprintf("only one way%s: a single change to the page breaks it", where)})
			}
		}
		check("", el.Ways)
		vnames := make([]string, 0, len(el.Variants))
		for v := range el.Variants {
			vnames = append(vnames, v)
		}
		sort.Strings(vnames)
		for _, v := range vnames {
			check(v, el.Variants[v])
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Line < out[j].Line
	})
	return out
}

// brittle says why a way is likely to break at the next release, or "".
func brittle(w Way) string {
	switch w.Kind {
	case ByCSS:
		if len(nthChild.FindAllString(w.Value, -1)) >= 2 {
			return "a chain of positional :nth-* selectors"
		}
		if generatedID.MatchString(w.Value) {
			return "an id that looks generated (digits or a hash)"
		}
		if strings.Count(strings.TrimSpace(w.Value), " ")+strings.Count(w.Value, ">") >= 5 {
			return "a long descendant chain that mirrors the page's structure"
		}
	case ByXPath:
		v := strings.TrimSpace(w.Value)
		if strings.HasPrefix(v, "/html") || strings.HasPrefix(v, "/body") || (strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//")) {
			return "an absolute XPath"
		}
		if len(xpathPosition.FindAllString(v, -1)) >= 2 {
			return "positional XPath steps"
		}
		if generatedID.MatchString(strings.ReplaceAll(v, "@id='", "#")) {
			return "an id that looks generated (digits or a hash)"
		}
	}
	return ""
}
