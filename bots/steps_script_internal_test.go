package bots

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/go-rod/rod/lib/proto"
	"github.com/rs/zerolog"
)

// The script step's handler is called directly here, on a run set up as
// Browser.Run sets one up (the step dispatch names it once it is wired).

const scriptSelectors = `site: js
version: 1
elements:
  box: {ways: [{css: "#box"}]}
  frame: {ways: [{css: "iframe#inner"}]}
  name: {ways: [{css: "#name"}]}
`

func scriptPage(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<!doctype html><title>Totals</title><h1>Outside 99</h1>
<div id="box"><span class="n">3</span><span class="n">4</span></div>
<input id="name"><iframe id="inner" src="/inner"></iframe>`))
	})
	mux.HandleFunc("/inner", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<!doctype html><p id="in">inside the frame</p>`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestScriptStepRunsTheReviewedSnippet(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	br, err := Launch(ctx, BrowserOptions{Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	inc, done, err := br.incognito(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	page, err := inc.Page(proto.TargetCreateTarget{URL: scriptPage(t)})
	if err != nil {
		t.Fatal(err)
	}
	page = page.Context(ctx)
	if err := page.WaitLoad(); err != nil {
		t.Fatal(err)
	}
	sel, err := selectors.Parse("js.yaml", []byte(scriptSelectors))
	if err != nil {
		t.Fatal(err)
	}
	const pw = "pa55-word"
	newRun := func() *run {
		return &run{job: Job{Selectors: sel, StepTimeout: 20 * time.Second, HealPolicy: HealOff,
			Credential: ferry.Credential{Name: "js", Fields: map[string]string{"password": pw}}},
			page: page, res: &Result{RowsSeen: map[string]int{}, Fingerprints: map[string]Fingerprint{}},
			vars: map[string]string{"cred.password": pw}, secret: map[string]bool{"cred.password": true}, log: zerolog.Nop()}
	}
	step := func(js, extra string) scripts.Step {
		src := "bot: js\nsite: js\nsteps:\n  - script: |\n"
		for _, l := range strings.Split(strings.TrimSuffix(js, "\n"), "\n") {
			src += "      " + l + "\n"
		}
		src += "    reviewed: " + scripts.Digest(js) + "\n" + extra
		s, err := scripts.Parse("js.yaml", []byte(src), sel)
		if err != nil {
			t.Fatal(err)
		}
		return s.Steps[0]
	}
	call := func(r *run, st scripts.Step) (stepOutcome, error) {
		sctx, cancel := context.WithTimeout(ctx, r.timeout(st))
		defer cancel()
		restore, err := r.enterScope(sctx, "steps[0]", st)
		defer restore()
		if err != nil {
			return stepOutcome{}, err
		}
		return r.script(ctx, sctx, "steps[0]", st)
	}

	// Within the box: this is the box; the result is kept, awaited.
	r := newRun()
	js := "// sum the box's numbers\nconst ns = [...this.querySelectorAll('.n')].map((e) => +e.textContent);\nawait new Promise((ok) => setTimeout(ok, 10));\nreturn ns.reduce((a, b) => a + b, 0);\n"
	out, err := call(r, step(js, "    within: box\n    into: total\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.vars["var.total"] != "7" {
		t.Fatalf("var.total = %q, want 7 (the box's numbers, not the page's)", r.vars["var.total"])
	}
	if !strings.Contains(out.detail, scripts.Digest(js)) || !strings.Contains(out.detail, `"// sum the box's numbers"`) || out.way != "script within box" {
		t.Fatalf("trace way %q, detail %q: want the digest and the first line", out.way, out.detail)
	}

	// In the frame, a string is kept as is; an object as JSON.
	r = newRun()
	if _, err := call(r, step("return document.getElementById('in').textContent;\n", "    frame: frame\n    into: inner\n")); err != nil || r.vars["var.inner"] != "inside the frame" {
		t.Fatalf("frame: %q, %v", r.vars["var.inner"], err)
	}
	if _, err := call(r, step("return {title: document.title, n: 2};\n", "    into: obj\n")); err != nil || r.vars["var.obj"] != `{"title":"Totals","n":2}` {
		t.Fatalf("object: %q, %v", r.vars["var.obj"], err)
	}

	// A credential the page shows is masked in what the script returns.
	if _, err := call(r, step("document.getElementById('name').value = 'x';\nreturn 'typed pa55-word here';\n", "    into: leak\n")); err != nil || strings.Contains(r.vars["var.leak"], pw) {
		t.Fatalf("leak: %q, %v", r.vars["var.leak"], err)
	}

	// A throw is site_changed naming the snippet; a hang ends at the
	// step's deadline.
	_, err = call(newRun(), step("throw new Error('no export button');\n", ""))
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || !strings.Contains(err.Error(), "no export button") || !strings.Contains(err.Error(), "sha256:") {
		t.Fatalf("throw: %v", err)
	}
	_, err = call(newRun(), step("await new Promise(() => {});\n", "    timeout: 1s\n"))
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || !strings.Contains(err.Error(), "did not finish within the step's 1s") {
		t.Fatalf("hang: %v", err)
	}

	// An edited snippet is refused even if it reached the engine.
	st := step("return 1;\n", "")
	st.Script = "return 2;\n"
	if _, err := call(newRun(), st); err == nil || !strings.Contains(err.Error(), "not the reviewed one") {
		t.Fatalf("edited: %v", err)
	}
}
