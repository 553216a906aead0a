package sandbox_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/sandbox"
)

// LateScript: the statements page asks for its script after its load
// event, and the bank answers that request late.
func TestLateScriptSwitch(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 1})
	c := newClient(t, bank)
	c.login("zhangwei", "Ferry#Demo2026")
	_, page, _ := c.get("/statements")
	if !strings.Contains(page, "bankInit();") || strings.Contains(page, "/__late.js") {
		t.Fatal("without the switch the page runs its script at once")
	}
	bank.Set(func(s *sandbox.Switches) { s.LateScript = 300 * time.Millisecond })
	_, page, _ = c.get("/statements")
	if !strings.Contains(page, "s.src = '/__late.js'") {
		t.Fatal("with LateScript the page does not load its script late")
	}
	started := time.Now()
	status, js, hdr := c.get("/__late.js")
	if status != 200 || !strings.Contains(js, "bankInit()") || !strings.Contains(hdr.Get("Content-Type"), "javascript") {
		t.Fatalf("late script: %d %q %q", status, hdr.Get("Content-Type"), js)
	}
	if took := time.Since(started); took < 300*time.Millisecond {
		t.Fatalf("late script came after %s, want >= 300ms", took)
	}
}

// Rerender: the pages carry the script that replaces a form field on its
// first focus.
func TestRerenderSwitch(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 1})
	c := newClient(t, bank)
	_, page, _ := c.get("/login")
	if strings.Contains(page, "data-rerendered") {
		t.Fatal("without the switch the page re-renders")
	}
	bank.Set(func(s *sandbox.Switches) { s.Rerender = true })
	_, page, _ = c.get("/login")
	if !strings.Contains(page, "data-rerendered") || !strings.Contains(page, "replaceWith") {
		t.Fatal("with Rerender the page does not re-render its fields")
	}
}
