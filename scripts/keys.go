package scripts

import (
	"fmt"
	"slices"
	"strings"
)

// KeyCombo is one key of a press step, with the modifiers held with it.
type KeyCombo struct {
	Modifiers []string // Control, Shift, Alt, Meta
	Key       string   // a name from KeyNames, or one printable ASCII character
}

// KeyNames lists the named keys a press step may use.
func KeyNames() []string {
	return []string{"Enter", "Tab", "Escape", "Backspace", "Delete", "Space", "Insert",
		"ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown",
		"F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12"}
}

// Modifiers lists the modifier keys a combination may hold.
func Modifiers() []string { return []string{"Control", "Shift", "Alt", "Meta"} }

// ParseKeys reads a press step's keys: combinations separated by spaces,
// each modifiers joined to a key by "+": "Enter", "Tab Tab Enter",
// "Control+a", "Shift+Tab".
func ParseKeys(s string) ([]KeyCombo, error) {
	var out []KeyCombo
	for _, tok := range strings.Fields(s) {
		var c KeyCombo
		parts := []string{tok}
		if tok != "+" {
			parts = strings.Split(tok, "+")
			if strings.HasSuffix(tok, "++") { // Control++ holds Control and types "+"
				parts = append(strings.Split(strings.TrimSuffix(tok, "++"), "+"), "+")
			}
		}
		for _, m := range parts[:len(parts)-1] {
			if !slices.Contains(Modifiers(), m) {
				return nil, fmt.Errorf("key %q: %q is not a modifier (want %s)", tok, m, strings.Join(Modifiers(), ", "))
			}
			c.Modifiers = append(c.Modifiers, m)
		}
		k := parts[len(parts)-1]
		switch {
		case slices.Contains(KeyNames(), k):
		case len(k) == 1 && k[0] > ' ' && k[0] < 0x7f:
		default:
			return nil, fmt.Errorf("key %q: unknown key %q (want one character or one of %s)", tok, k, strings.Join(KeyNames(), ", "))
		}
		c.Key = k
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("press needs keys")
	}
	return out, nil
}
