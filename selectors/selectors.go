// Package selectors loads, validates and versions selector files: per site,
// YAML, every element a bot touches by name with an ordered list of ways to
// find it. It never imports a browser: it hands bots/ the candidate lookups.
package selectors

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ferry-rpa/ferry"
	"gopkg.in/yaml.v3"
)

//go:embed *.yaml
var embedded embed.FS

// WayKind is how a way finds an element.
type WayKind string

// The kinds of way, in the order a file usually lists them: the ones a
// redesign is least likely to break first.
const (
	ByRole        WayKind = "role"        // ARIA role, with an accessible name (Name)
	ByLabel       WayKind = "label"       // the text of the form control's label
	ByText        WayKind = "text"        // the element's own visible text
	ByTestID      WayKind = "testid"      // data-testid attribute
	ByPlaceholder WayKind = "placeholder" // placeholder attribute
	ByNear        WayKind = "near"        // the control next to an anchor element with this text
	ByCSS         WayKind = "css"
	ByXPath       WayKind = "xpath"
)

var wayKinds = []WayKind{ByRole, ByLabel, ByText, ByTestID, ByPlaceholder, ByNear, ByCSS, ByXPath}

// Way is one way to find an element.
type Way struct {
	Kind  WayKind `json:"kind"`
	Value string  `json:"value"`
	Name  string  `json:"name,omitempty"` // accessible name, for ByRole
	Line  int     `json:"-"`              // where the file gives it
}

// String renders the way as the file writes it, for messages.
func (w Way) String() string {
	if w.Kind == ByRole && w.Name != "" {
		return fmt.Sprintf("role=%s name=%q", w.Value, w.Name)
	}
	return fmt.Sprintf("%s=%q", w.Kind, w.Value)
}

// Element is one named element of a site.
type Element struct {
	Name string
	// Many marks a collection (table rows): several matches are expected.
	// For every other element a lookup must match exactly one.
	Many bool
	Ways []Way
	// Variants holds the ways for UI versions that differ from the
	// default, by variant name.
	Variants map[string][]Way
	// Settle asks the engine to wait for the page to settle (its network
	// and DOM quiet) before every lookup of the element, not only after a
	// navigation: for pages whose scripts re-render after the load.
	Settle bool
	// Last, on a pager's next control, names the element whose presence
	// says the page is the last (or only) one: the next control is then
	// absent by design. Without it, a next control no way finds is a
	// changed site.
	Last string
	Line int
}

// WaysFor returns the ways to use under a variant ("" for the default).
func (e Element) WaysFor(variant string) []Way {
	if w, ok := e.Variants[variant]; ok && variant != "" {
		return w
	}
	return e.Ways
}

// Fingerprint tells a UI variant apart on a page: every part given must
// hold.
type Fingerprint struct {
	Meta   [2]string `json:"meta,omitempty"`   // a <meta name content> pair
	URL    string    `json:"url,omitempty"`    // a regular expression on the page's path
	Marker *Way      `json:"marker,omitempty"` // a way that must match at least one visible element
}

// Variant is one UI version of a site.
type Variant struct {
	Name        string
	Fingerprint Fingerprint
	Line        int
}

// File is one site's selector file.
type File struct {
	Site     string
	Version  string // the file's declared version plus a digest of its content
	Path     string // where it was loaded from ("embedded:demobank.yaml" for defaults)
	Elements map[string]Element
	// Variants are tried in order on each page; the first whose
	// fingerprint holds is the page's variant.
	Variants []Variant
	// Dismiss names elements (cookie banners, pop-ups) clicked away
	// whenever one is present before the bot acts on a page.
	Dismiss []string
	// Settle lists the pages (the part of element names before the first
	// dot: "login" for login.user) and elements whose lookups wait for
	// the page to settle first (see Element.Settle).
	Settle []string
	// Source is the file's text.
	Source []byte
}

// Parse reads a selector file. path names it in errors, with line numbers.
func Parse(path string, data []byte) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("selectors: %s: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("selectors: %s: not a mapping of site, version and elements", path)
	}
	f := &File{Path: path, Elements: map[string]Element{}, Source: data}
	var errs []error
	bad := func(n *yaml.Node, format string, args ...any) {
		errs = append(errs, fmt.Errorf("selectors: %s:%d: %s", path, n.Line, fmt.Sprintf(format, args...)))
	}
	root := doc.Content[0]
	var version string
	var elements, variants, settle *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "site":
			f.Site = v.Value
		case "version":
			version = v.Value
		case "elements":
			elements = v
		case "variants":
			variants = v
		case "dismiss":
			for _, d := range v.Content {
				f.Dismiss = append(f.Dismiss, d.Value)
			}
		case "settle":
			settle = v
			if v.Kind != yaml.SequenceNode {
				bad(v, "settle: want a list of pages (login) and elements (login.user)")
				continue
			}
			for _, d := range v.Content {
				if d.Kind != yaml.ScalarNode || d.Value == "" {
					bad(d, "settle: want a page or element name")
					continue
				}
				f.Settle = append(f.Settle, d.Value)
			}
		default:
			bad(k, "unknown key %q (want site, version, variants, dismiss, settle or elements)", k.Value)
		}
	}
	if f.Site == "" {
		return nil, fmt.Errorf("selectors: %s: no site name", path)
	}
	if version == "" {
		return nil, fmt.Errorf("selectors: %s: no version", path)
	}
	if elements == nil || elements.Kind != yaml.MappingNode || len(elements.Content) == 0 {
		return nil, fmt.Errorf("selectors: %s: no elements", path)
	}
	f.Version = version + "+" + ferry.SHA256Hex(data)[:12]
	known := map[string]bool{}
	if variants != nil {
		if variants.Kind != yaml.MappingNode {
			bad(variants, "variants: want a mapping of variant name to fingerprint")
		}
		for i := 0; i+1 < len(variants.Content); i += 2 {
			k, v := variants.Content[i], variants.Content[i+1]
			vr, err := parseVariant(k.Value, v)
			if err != nil {
				bad(k, "variant %q: %v", k.Value, err)
				continue
			}
			vr.Line = k.Line
			f.Variants = append(f.Variants, vr)
			known[k.Value] = true
		}
	}
	for i := 0; i+1 < len(elements.Content); i += 2 {
		k, v := elements.Content[i], elements.Content[i+1]
		name := k.Value
		el := Element{Name: name, Line: k.Line}
		if v.Kind != yaml.MappingNode {
			bad(k, "element %q: want many, ways and variants", name)
			continue
		}
		for j := 0; j+1 < len(v.Content); j += 2 {
			ek, ev := v.Content[j], v.Content[j+1]
			switch ek.Value {
			case "many":
				el.Many = ev.Value == "true"
			case "settle":
				if ev.Kind != yaml.ScalarNode || (ev.Value != "true" && ev.Value != "false") {
					bad(ev, "element %q: settle: want true or false", name)
				}
				el.Settle = ev.Value == "true"
			case "last":
				if ev.Kind != yaml.ScalarNode || ev.Value == "" {
					bad(ev, "element %q: last: want the name of the element that marks the last page", name)
				}
				el.Last = ev.Value
			case "ways":
				el.Ways = parseWays(ev, func(n *yaml.Node, i int, err error) { bad(n, "element %q way %d: %v", name, i, err) })
				if len(el.Ways) == 0 && len(ev.Content) == 0 {
					bad(ek, "element %q has no ways", name)
				}
			case "variants":
				el.Variants = map[string][]Way{}
				for m := 0; m+1 < len(ev.Content); m += 2 {
					vk, vv := ev.Content[m], ev.Content[m+1]
					if !known[vk.Value] {
						bad(vk, "element %q: variant %q is not declared under variants", name, vk.Value)
						continue
					}
					ways := parseWays(vv, func(n *yaml.Node, i int, err error) {
						bad(n, "element %q variant %q way %d: %v", name, vk.Value, i, err)
					})
					if len(vv.Content) == 0 {
						bad(vk, "element %q variant %q has no ways", name, vk.Value)
					}
					el.Variants[vk.Value] = ways
				}
			default:
				bad(ek, "element %q: unknown key %q (want many, ways, variants, settle or last)", name, ek.Value)
			}
		}
		if el.Ways == nil && !hasKey(v, "ways") {
			bad(k, "element %q has no ways", name)
		}
		f.Elements[name] = el
	}
	for _, d := range f.Dismiss {
		if _, ok := f.Elements[d]; !ok {
			errs = append(errs, fmt.Errorf("selectors: %s: dismiss names %q, which is not an element", path, d))
		}
	}
	for i, d := range f.Settle {
		if _, ok := f.Elements[d]; ok {
			continue
		}
		if !slices.ContainsFunc(slices.Collect(maps.Keys(f.Elements)), func(e string) bool { return strings.HasPrefix(e, d+".") }) {
			bad(settle.Content[i], "settle names %q, which is neither an element nor a page (no element is named %s.*)", d, d)
		}
	}
	for _, el := range f.Elements {
		if el.Last == "" {
			continue
		}
		if el.Last == el.Name {
			errs = append(errs, fmt.Errorf("selectors: %s:%d: element %q: last names the element itself (it marks the last page by being there, the next control by being absent)", path, el.Line, el.Name))
		} else if _, ok := f.Elements[el.Last]; !ok {
			errs = append(errs, fmt.Errorf("selectors: %s:%d: element %q: last names %q, which is not an element", path, el.Line, el.Name, el.Last))
		}
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return nil, errors.Join(errs...)
	}
	return f, nil
}

func hasKey(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

func parseWays(n *yaml.Node, bad func(*yaml.Node, int, error)) []Way {
	var out []Way
	if n.Kind != yaml.SequenceNode {
		bad(n, 0, errors.New("want a list of ways"))
		return nil
	}
	for i, item := range n.Content {
		w, err := parseWay(item)
		if err != nil {
			bad(item, i+1, err)
			continue
		}
		out = append(out, w)
	}
	return out
}

func parseWay(n *yaml.Node) (Way, error) {
	w := Way{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return w, errors.New("want a mapping such as css: \"#id\"")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1].Value
		switch {
		case slices.Contains(wayKinds, WayKind(k)):
			if w.Kind != "" {
				return w, fmt.Errorf("two kinds (%s and %s) in one way; give each its own list item", w.Kind, k)
			}
			w.Kind, w.Value = WayKind(k), v
		case k == "name":
			w.Name = v
		default:
			return w, fmt.Errorf("unknown key %q (want role, label, text, testid, placeholder, near, css or xpath)", k)
		}
	}
	switch {
	case w.Kind == "":
		return w, errors.New("no way given")
	case strings.TrimSpace(w.Value) == "":
		return w, fmt.Errorf("empty %s", w.Kind)
	case w.Name != "" && w.Kind != ByRole:
		return w, fmt.Errorf("name only goes with role")
	case w.Kind == ByCSS || w.Kind == ByXPath:
		if strings.Contains(w.Value, "data-oracle") {
			return w, fmt.Errorf("data-oracle is the sandbox's test oracle, not part of the site")
		}
	}
	return w, nil
}

func parseVariant(name string, n *yaml.Node) (Variant, error) {
	v := Variant{Name: name}
	if n.Kind != yaml.MappingNode || !hasKey(n, "fingerprint") {
		return v, errors.New("want fingerprint: {meta, url or marker}")
	}
	var fp *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "fingerprint" {
			fp = n.Content[i+1]
		} else {
			return v, fmt.Errorf("unknown key %q (want fingerprint)", n.Content[i].Value)
		}
	}
	if fp.Kind != yaml.MappingNode || len(fp.Content) == 0 {
		return v, errors.New("fingerprint: want meta, url or marker")
	}
	for i := 0; i+1 < len(fp.Content); i += 2 {
		k, val := fp.Content[i], fp.Content[i+1]
		switch k.Value {
		case "meta":
			var name, content string
			for j := 0; j+1 < len(val.Content); j += 2 {
				switch val.Content[j].Value {
				case "name":
					name = val.Content[j+1].Value
				case "content":
					content = val.Content[j+1].Value
				default:
					return v, fmt.Errorf("meta: unknown key %q (want name and content)", val.Content[j].Value)
				}
			}
			if name == "" {
				return v, errors.New("meta: no name")
			}
			v.Fingerprint.Meta = [2]string{name, content}
		case "url":
			if _, err := regexp.Compile(val.Value); err != nil {
				return v, fmt.Errorf("url: %v", err)
			}
			v.Fingerprint.URL = val.Value
		case "marker":
			w, err := parseWay(val)
			if err != nil {
				return v, fmt.Errorf("marker: %v", err)
			}
			v.Fingerprint.Marker = &w
		default:
			return v, fmt.Errorf("fingerprint: unknown key %q (want meta, url or marker)", k.Value)
		}
	}
	return v, nil
}

// SettleBefore tells whether lookups of the named element wait for the
// page to settle first: the element says so, or the file's settle list
// names it or its page.
func (f *File) SettleBefore(name string) bool {
	if el, ok := f.Elements[name]; ok && el.Settle {
		return true
	}
	for _, s := range f.Settle {
		if s == name || strings.HasPrefix(name, s+".") {
			return true
		}
	}
	return false
}

// Element returns the named element, or an error naming the file.
func (f *File) Element(name string) (Element, error) {
	el, ok := f.Elements[name]
	if !ok {
		return Element{}, fmt.Errorf("selectors: %s: no element %q", f.Path, name)
	}
	return el, nil
}

// Load returns the selector file for site: from dir when dir is set and
// holds SITE.yaml, else the embedded default.
func Load(dir, site string) (*File, error) {
	name := site + ".yaml"
	if dir != "" {
		p := filepath.Join(dir, name)
		data, err := os.ReadFile(p)
		if err == nil {
			return Parse(p, data)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("selectors: %w", err)
		}
	}
	data, err := embedded.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("selectors: no selector file for site %q (looked in %q and the embedded defaults)", site, dir)
	}
	return Parse("embedded:"+name, data)
}
