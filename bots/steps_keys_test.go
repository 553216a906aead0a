package bots

import (
	"testing"

	"github.com/ferry-rpa/ferry/scripts"
)

// Every key a script may name maps to a key rod can send.
func TestEveryScriptKeyMaps(t *testing.T) {
	t.Parallel()
	names := append(scripts.KeyNames(), scripts.Modifiers()...)
	for c := byte('!'); c < 0x7f; c++ {
		names = append(names, string(c))
	}
	for _, n := range names {
		k, ok := keyOf(n)
		if !ok {
			t.Errorf("key %q has no rod key", n)
			continue
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("key %q: rod does not know it: %v", n, p)
				}
			}()
			_ = k.Info()
		}()
	}
	for _, n := range []string{"F0", "F13", "F01", "Enterr", "é", ""} {
		if _, ok := keyOf(n); ok {
			t.Errorf("keyOf(%q) accepted", n)
		}
	}
}
