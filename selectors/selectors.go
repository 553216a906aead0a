// Package selectors loads, validates and versions selector files: per site,
// YAML, every element a bot touches by name with an ordered list of ways to
// find it. It never imports a browser: it hands bots/ the candidate lookups.
package selectors

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
	ByCSS         WayKind = "css"
	ByXPath       WayKind = "xpath"
)

// Way is one way to find an element.
type Way struct {
	Kind  WayKind `json:"kind"`
	Value string  `json:"value"`
	Name  string  `json:"name,omitempty"` // accessible name, for ByRole
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
}

// File is one site's selector file.
type File struct {
	Site     string
	Version  string // the file's declared version plus a digest of its content
	Path     string // where it was loaded from ("embedded:demobank.yaml" for defaults)
	Elements map[string]Element
}

type rawWay map[string]string

type rawElement struct {
	Many bool     `yaml:"many"`
	Ways []rawWay `yaml:"ways"`
}

type rawFile struct {
	Site     string                `yaml:"site"`
	Version  yaml.Node             `yaml:"version"`
	Elements map[string]rawElement `yaml:"elements"`
}

// Parse reads a selector file. path names it in errors.
func Parse(path string, data []byte) (*File, error) {
	var raw rawFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("selectors: %s: %w", path, err)
	}
	if raw.Site == "" {
		return nil, fmt.Errorf("selectors: %s: no site name", path)
	}
	if raw.Version.Value == "" {
		return nil, fmt.Errorf("selectors: %s: no version", path)
	}
	if len(raw.Elements) == 0 {
		return nil, fmt.Errorf("selectors: %s: no elements", path)
	}
	f := &File{Site: raw.Site, Path: path, Elements: map[string]Element{},
		Version: raw.Version.Value + "+" + ferry.SHA256Hex(data)[:12]}
	var errs []error
	for name, re := range raw.Elements {
		el := Element{Name: name, Many: re.Many}
		if len(re.Ways) == 0 {
			errs = append(errs, fmt.Errorf("selectors: %s: element %q has no ways", path, name))
		}
		for i, rw := range re.Ways {
			w, err := parseWay(rw)
			if err != nil {
				errs = append(errs, fmt.Errorf("selectors: %s: element %q way %d: %w", path, name, i+1, err))
				continue
			}
			el.Ways = append(el.Ways, w)
		}
		f.Elements[name] = el
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return nil, errors.Join(errs...)
	}
	return f, nil
}

func parseWay(rw rawWay) (Way, error) {
	var w Way
	for k, v := range rw {
		switch WayKind(k) {
		case ByRole, ByLabel, ByText, ByTestID, ByPlaceholder, ByCSS, ByXPath:
			if w.Kind != "" {
				return w, fmt.Errorf("two kinds (%s and %s) in one way; give each its own list item", w.Kind, k)
			}
			w.Kind, w.Value = WayKind(k), v
		case "name":
			w.Name = v
		default:
			return w, fmt.Errorf("unknown key %q (want role, label, text, testid, placeholder, css or xpath)", k)
		}
	}
	switch {
	case w.Kind == "":
		return w, errors.New("no way given")
	case strings.TrimSpace(w.Value) == "":
		return w, fmt.Errorf("empty %s", w.Kind)
	case w.Name != "" && w.Kind != ByRole:
		return w, fmt.Errorf("name only goes with role")
	}
	return w, nil
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
