package sandbox

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"sort"
	"strings"
)

// Event is one click, input or change the pages saw, by the oracle name of
// the element it hit ("" when it hit none). Values are never recorded.
type Event struct {
	Type   string  `json:"type"`
	Oracle string  `json:"oracle"`
	Page   string  `json:"page"`
	At     float64 `json:"at"` // ms since the epoch, in the browser
	Seq    int     `json:"seq"`
}

const maxEvents = 100_000

func (b *Bank) recordEvent(w http.ResponseWriter, r *http.Request) {
	var e Event
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&e); err != nil {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	if len(b.events) < maxEvents {
		b.events = append(b.events, e)
	}
	b.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Events returns what the pages recorded, in the browser's time order.
func (b *Bank) Events() []Event {
	b.mu.Lock()
	out := append([]Event(nil), b.events...)
	b.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// ResetEvents forgets the recorded events.
func (b *Bank) ResetEvents() {
	b.mu.Lock()
	b.events = nil
	b.mu.Unlock()
}

// Actions condenses events to the elements acted on, in order: a run of
// inputs into one field counts once, and a change that follows input into
// the same field is part of it.
func Actions(events []Event) []string {
	var out []string
	for _, e := range events {
		kind := "click"
		if e.Type == "input" || e.Type == "change" {
			kind = "type"
		}
		a := kind + " " + e.Oracle
		if len(out) > 0 && out[len(out)-1] == a && kind == "type" {
			continue
		}
		out = append(out, a)
	}
	return out
}

// MutationKind is one kind of small page change.
type MutationKind string

// The kinds of mutation the mutation test applies, one at a time.
const (
	MutRenameID     MutationKind = "rename-id"
	MutRenameClass  MutationKind = "rename-class"
	MutWrap         MutationKind = "wrap"
	MutChangeText   MutationKind = "change-text"
	MutReorder      MutationKind = "reorder-siblings"
	MutRemoveAttr   MutationKind = "remove-attribute"
	MutRemoveTestID MutationKind = "remove-testid"
)

// Mutation is one small change to the element with the oracle name Target
// (or, for text changes of a form field, to its label).
type Mutation struct {
	Kind   MutationKind
	Target string
	Attr   string // for remove-attribute
}

func (m Mutation) String() string {
	if m.Attr != "" {
		return fmt.Sprintf("%s %s [%s]", m.Kind, m.Target, m.Attr)
	}
	return fmt.Sprintf("%s %s", m.Kind, m.Target)
}

// script is the page script that applies the mutation when the element is
// on the page. The pages' own scripts find elements by oracle name, so the
// site keeps working, as a real site does after its own change.
func (m *Mutation) script() template.JS {
	target, _ := json.Marshal(m.Target)
	attr, _ := json.Marshal(m.Attr)
	var body string
	switch m.Kind {
	case MutRenameID:
		body = `if (el.id) { var old = el.id; el.id = old + '-r7'; document.querySelectorAll('label[for="' + old + '"]').forEach(function(l){ l.htmlFor = el.id; }); }`
	case MutRenameClass:
		body = `if (el.className) el.className = el.className.split(/\s+/).map(function(c){ return c ? 'x-' + c : c; }).join(' ');`
	case MutWrap:
		body = `var w = document.createElement('div'); w.className = 'mut-wrap'; el.parentNode.insertBefore(w, el); w.appendChild(el);`
	case MutChangeText:
		body = `var lab = el.labels && el.labels[0]; var t = lab || el; if (t.children.length === 0) t.textContent = t.textContent.trim() + ' »'; else { var n = [].slice.call(t.childNodes).filter(function(x){ return x.nodeType === 3 && x.textContent.trim(); })[0]; if (n) n.textContent = n.textContent.trim() + ' »'; }`
	case MutReorder:
		// Move the element (or its closest ancestor that has siblings) to
		// the other end of its parent.
		body = `var n = el; while (n.parentNode && n.parentNode.children.length < 2 && n.parentNode !== document.body) n = n.parentNode; var p = n.parentNode; if (p.firstElementChild !== n) p.insertBefore(n, p.firstElementChild); else p.appendChild(n);`
	case MutRemoveAttr:
		body = `el.removeAttribute(attr);`
	case MutRemoveTestID:
		body = `el.removeAttribute('data-testid');`
	}
	js := strings.Join([]string{
		"(function(){ var target = ", string(target), ", attr = ", string(attr), ";",
		"var el = document.querySelector('[data-oracle=\"' + target + '\"]'); if (!el) return;",
		body, "})();",
	}, "")
	return template.JS(js)
}

// Mutations returns every single mutation that changes something on the
// version-1 pages for the named elements: ids renamed, classes renamed,
// wrappers added, texts changed, siblings reordered, test ids and other
// attributes removed.
func Mutations(names []string) []Mutation {
	var out []Mutation
	for _, n := range names {
		if uiV1.ID[n] != "" {
			out = append(out, Mutation{Kind: MutRenameID, Target: n})
		}
		if uiV1.Class[n] != "" {
			out = append(out, Mutation{Kind: MutRenameClass, Target: n})
		}
		out = append(out, Mutation{Kind: MutWrap, Target: n}, Mutation{Kind: MutReorder, Target: n})
		if uiV1.Text[n] != "" {
			out = append(out, Mutation{Kind: MutChangeText, Target: n})
		}
		if uiV1.TestID[n] != "" {
			out = append(out, Mutation{Kind: MutRemoveTestID, Target: n})
		}
		if a := removableAttr[n]; a != "" {
			out = append(out, Mutation{Kind: MutRemoveAttr, Target: n, Attr: a})
		}
	}
	return out
}

// removableAttr is an attribute each element can lose without the site
// itself breaking.
var removableAttr = map[string]string{
	"login.user": "autocomplete", "login.password": "autocomplete", "statement.from": "placeholder", "statement.to": "placeholder",
	"statement.spinner": "role", "statement.search": "type", "login.submit": "type",
}
