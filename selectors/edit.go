package selectors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Edits to a selector file's text that keep everything else as it is
// (comments, order, quoting): what a heal proposes, as a reviewable diff.

func yamlString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// wayLines renders a way as list-item lines at indent dash.
func wayLines(w Way, dash int) []string {
	pad := strings.Repeat(" ", dash)
	lines := []string{fmt.Sprintf("%s- %s: %s", pad, w.Kind, yamlString(w.Value))}
	if w.Kind == ByRole && w.Name != "" {
		lines = append(lines, fmt.Sprintf("%s  name: %s", pad, yamlString(w.Name)))
	}
	return lines
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func root(content []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("empty file")
	}
	return doc.Content[0], nil
}

func insertLines(content []byte, before int, lines []string) []byte {
	all := strings.Split(string(content), "\n")
	at := before - 1 // 1-based line number → index
	if at < 0 || at > len(all) {
		at = len(all)
	}
	out := append([]string{}, all[:at]...)
	out = append(out, lines...)
	out = append(out, all[at:]...)
	return []byte(strings.Join(out, "\n"))
}

// PrependWay puts w first in the element's ways (or its variant's ways),
// unless the list already has it. The result is checked by parsing it.
func PrependWay(content []byte, element, variant string, w Way) ([]byte, error) {
	r, err := root(content)
	if err != nil {
		return nil, err
	}
	el := mapValue(mapValue(r, "elements"), element)
	if el == nil {
		return nil, fmt.Errorf("no element %q", element)
	}
	ways := mapValue(el, "ways")
	if variant != "" {
		ways = mapValue(mapValue(el, "variants"), variant)
		if ways == nil {
			return nil, fmt.Errorf("element %q has no ways for variant %q", element, variant)
		}
	}
	if ways == nil || ways.Kind != yaml.SequenceNode || len(ways.Content) == 0 || ways.Style&yaml.FlowStyle != 0 {
		return nil, fmt.Errorf("element %q: ways is not a block list", element)
	}
	for _, item := range ways.Content {
		if have, err := parseWay(item); err == nil && have.Kind == w.Kind && have.Value == w.Value && have.Name == w.Name {
			return nil, fmt.Errorf("element %q already has %s", element, w)
		}
	}
	first := ways.Content[0]
	out := insertLines(content, first.Line, wayLines(w, first.Column-3))
	if _, err := Parse("edited", out); err != nil {
		return nil, fmt.Errorf("the edit would not parse: %w", err)
	}
	return out, nil
}

// AddDismiss adds an element with the given ways and lists it under
// dismiss, for an overlay that must be clicked away.
func AddDismiss(content []byte, element string, ways []Way) ([]byte, error) {
	if len(ways) == 0 {
		return nil, fmt.Errorf("no ways for %q", element)
	}
	r, err := root(content)
	if err != nil {
		return nil, err
	}
	elements := mapValue(r, "elements")
	if elements == nil || elements.Kind != yaml.MappingNode || len(elements.Content) == 0 {
		return nil, fmt.Errorf("no elements")
	}
	if mapValue(elements, element) != nil {
		return nil, fmt.Errorf("element %q exists", element)
	}
	key := elements.Content[0]
	indent := key.Column - 1
	wayIndent := indent + 4
	if w := mapValue(elements.Content[1], "ways"); w != nil && len(w.Content) > 0 {
		wayIndent = w.Content[0].Column - 3
	}
	lines := []string{fmt.Sprintf("%s%s:", strings.Repeat(" ", indent), element), fmt.Sprintf("%s  ways:", strings.Repeat(" ", indent))}
	for _, w := range ways {
		lines = append(lines, wayLines(w, wayIndent)...)
	}
	out := insertLines(content, key.Line, lines)
	// dismiss: extend the list, or add one before elements:
	r, _ = root(out)
	var elementsKey *yaml.Node
	for i := 0; i+1 < len(r.Content); i += 2 {
		if r.Content[i].Value == "elements" {
			elementsKey = r.Content[i]
		}
	}
	d := mapValue(r, "dismiss")
	switch {
	case d == nil:
		out = insertLines(out, elementsKey.Line, []string{"dismiss: [" + element + "]"})
	case d.Kind == yaml.SequenceNode && d.Style&yaml.FlowStyle != 0:
		all := strings.Split(string(out), "\n")
		line := all[d.Line-1]
		end := strings.LastIndex(line, "]")
		if end < 0 {
			return nil, fmt.Errorf("dismiss list on line %d is not on one line", d.Line)
		}
		sep := ", "
		if len(d.Content) == 0 {
			sep = ""
		}
		all[d.Line-1] = line[:end] + sep + element + line[end:]
		out = []byte(strings.Join(all, "\n"))
	case d.Kind == yaml.SequenceNode && len(d.Content) > 0:
		lastItem := d.Content[len(d.Content)-1]
		out = insertLines(out, lastItem.Line+1, []string{fmt.Sprintf("%s- %s", strings.Repeat(" ", lastItem.Column-3), element)})
	default:
		return nil, fmt.Errorf("dismiss is not a list")
	}
	if _, err := Parse("edited", out); err != nil {
		return nil, fmt.Errorf("the edit would not parse: %w", err)
	}
	return out, nil
}
