package bots

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

// A heal's screenshot is taken mid-run: the page it masks is put back as
// it was (the same DOM, the same text nodes, the field's value), and the
// picture is taken while the secret is painted over.
func TestMaskedScreenshotPutsThePageBack(t *testing.T) {
	r := internalRun(t, `<p id="t">before Hunter2-Xyzzy after</p><p id="s"><span>Hunter2</span><span>-Xyzzy</span></p>
<input id="f" style="width: 400px"><p id="plain" style="color: red">not secret</p>
<script>document.getElementById('f').value = 'Hunter2-Xyzzy'; window.keep = document.getElementById('t').firstChild;</script>`, nil)
	r.vars["cred.password"], r.secret["cred.password"] = "Hunter2-Xyzzy", true
	state := func() string {
		obj, err := r.page.Eval(`() => document.body.innerHTML + '|' + document.getElementById('f').value + '|' + (window.keep === document.getElementById('t').firstChild) + '|' + document.getElementById('t').childNodes.length`)
		if err != nil {
			t.Fatal(err)
		}
		return obj.Value.Str()
	}
	before := state()
	shot := r.screenshot()
	if _, err := png.Decode(bytes.NewReader(shot)); err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if after := state(); after != before {
		t.Fatalf("the page was not put back:\nbefore %s\nafter  %s", before, after)
	}
	// While masked: every place is painted (the text node's secret, the
	// split one's paragraph, the field), the rest untouched.
	obj, err := r.page.Eval(`(s, k) => { const n = (`+maskPixelsJS+`)(s, k); const painted = document.querySelectorAll('[style*="#000 !important"]').length; const plain = document.getElementById('plain').getAttribute('style'); globalThis[k](); return n + ' ' + painted + ' ' + plain; }`, r.secretForms(), unmaskKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := obj.Value.Str(); !strings.HasPrefix(got, "5 5 color: red") {
		t.Fatalf("masked places, painted elements, plain style: %q; want 5 and 5: the text node (one span), the split paragraph and its 2 spans, the field", got)
	}
	if after := state(); after != before {
		t.Fatalf("the page was not put back:\nbefore %s\nafter  %s", before, after)
	}
}
