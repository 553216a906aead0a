package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/selectors"
	"golang.org/x/net/websocket"
)

// waitEval polls a JavaScript condition until it is true, or fails after
// 20 s.
func (d *devtools) waitEval(what, expr string) {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if v, ok := d.evalTry(expr); ok && v == true {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("waiting for %s (%s)", what, expr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// frameDocument returns the DOM (as the protocol's JSON) of the frame
// whose URL holds urlPart once it holds want, reading it in the page
// itself or, for an out-of-process frame, through its own target; it
// fails after 20 s.
func (d *devtools) frameDocument(urlPart, want string) string {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if s := string(d.call("DOM.getDocument", map[string]any{"depth": -1, "pierce": true})); strings.Contains(s, want) {
			return s
		}
		resp, err := http.Get("http://" + d.host + "/json/list")
		if err != nil {
			d.t.Fatal(err)
		}
		var targets []struct{ Type, URL, WebSocketDebuggerURL string }
		err = json.NewDecoder(resp.Body).Decode(&targets)
		resp.Body.Close()
		if err != nil {
			d.t.Fatal(err)
		}
		for _, tg := range targets {
			if tg.Type != "iframe" || !strings.Contains(tg.URL, urlPart) || tg.WebSocketDebuggerURL == "" {
				continue
			}
			ws, err := websocket.Dial(tg.WebSocketDebuggerURL, "", "http://"+d.host+"/")
			if err != nil {
				d.t.Fatal(err)
			}
			ws.MaxPayloadBytes = 64 << 20
			fd := &devtools{t: d.t, ws: ws, host: d.host}
			s := string(fd.call("DOM.getDocument", map[string]any{"depth": -1, "pierce": true}))
			ws.Close()
			if strings.Contains(s, want) {
				return s
			}
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("no frame at %s shows %q", urlPart, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestChromiumOps drives the finance and ops pages in Chromium: a run's
// steps arrive live over the event stream (no reload) and the finished
// run shows; records and their download links; the failed run's
// evidence, whose captured DOM holds a script that must not run, in the
// console's page or in its frame; a heal accepted from the page changes
// the selector file; a parked delivery retried. Every page is shot at a
// desktop and a phone width.
func TestChromiumOps(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := chromium(t)
	d.call("Page.enable", map[string]any{})
	d.call("DOM.enable", map[string]any{})
	sizes := [][2]int{{1280, 800}, {390, 844}}
	shoot := func(name string) {
		for _, s := range sizes {
			d.screenshot(name, s[0], s[1])
		}
	}
	login := func(role ferry.Role) {
		d.open(e.ts.URL + "/login")
		d.waitFor("/login", "Password")
		d.submit("form[action='/login']", map[string]string{"name": string(role), "password": password + " " + string(role)})
		d.waitFor("/runs", fmt.Sprintf("%s (%s)", role, role))
	}

	// Finance: a live run.
	login(ferry.RoleFinance)
	id, err := e.db.NewRun(ctx, ferry.Run{Bot: "statements", Login: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/runs/%d", id)
	d.open(e.ts.URL + path)
	d.waitFor(path, "queued")
	d.eval(`window.ferryLoaded = 1`)
	if err := e.db.StartRun(ctx, id, 1, "v1"); err != nil {
		t.Fatal(err)
	}
	d.waitFor(path, "running")
	if err := e.db.AddSteps(ctx, id, 1, []ferry.Step{{Seq: 1, Action: "open", Status: ferry.StepOK}, {Seq: 2, Action: "fill", Element: "<script>alert('el')</script>", Status: ferry.StepOK}}); err != nil {
		t.Fatal(err)
	}
	d.waitFor(path, "<script>alert('el')</script>")
	if d.eval(`window.ferryLoaded === 1 && document.querySelectorAll("#steps tr").length === 2`) != true {
		t.Error("the steps did not arrive over the event stream (the page reloaded or lacks rows)")
	}
	if n := d.eval(`document.querySelectorAll("script").length`); n != float64(1) {
		t.Errorf("a step's element became script (%v script elements)", n)
	}
	shoot("run-live")
	if err := e.db.FinishRun(ctx, id, ferry.RunSucceeded, "", "", "1 statement, 1 line"); err != nil {
		t.Fatal(err)
	}
	d.waitFor(path, "1 statement, 1 line")
	d.waitEval("the page to reload at the end", `window.ferryLoaded === undefined && document.readyState === "complete"`)

	d.open(fmt.Sprintf("%s/runs/%d", e.ts.URL, e.ops.doneID))
	d.waitFor(fmt.Sprintf("/runs/%d", e.ops.doneID), "balances reconcile")
	shoot("run-statements")
	d.open(e.ts.URL + "/records")
	d.waitFor("/records", "<script>alert('cp')</script>")
	if n := d.eval(`document.querySelectorAll("a[href^='/records/export?format=']").length`); n != float64(2) {
		t.Errorf("records page has %v download links, want CSV and XLSX", n)
	}
	shoot("records")
	d.submit("form[action='/logout']", nil)
	d.waitFor("/login", "Password")

	// Ops: the failed run's evidence.
	login(ferry.RoleOps)
	d.open(e.ts.URL + "/failures")
	d.waitFor("/failures", "site_changed")
	shoot("failures")
	evidence := fmt.Sprintf("/runs/%d/evidence", e.runID)
	d.open(e.ts.URL + evidence)
	d.waitFor(evidence, "Ways tried")
	d.waitEval("the screenshot to load", `document.querySelector("img.shot").complete && document.querySelector("img.shot").naturalWidth === 40`)
	// The frame's document loads but its script never ran: its title is
	// still the bank's, and the console's page is untouched. Chromium
	// puts a sandboxed frame in a process of its own (an out-of-process
	// frame, a target of its own), so it is read through that target.
	frameDoc := d.frameDocument("/dom/", "captured bank page")
	if strings.Contains(frameDoc, `"nodeValue":"pwned"`) || !strings.Contains(frameDoc, `"nodeValue":"Bank"`) {
		t.Error("the captured DOM's script ran in its frame")
	}
	if d.eval(`document.title.indexOf("pwned") < 0 && !document.body.hasAttribute("data-pwned")`) != true {
		t.Error("the captured DOM's script reached the console's page")
	}
	if d.eval(`document.querySelector("iframe.dom").getAttribute("sandbox") === ""`) != true {
		t.Error("the frame is not fully sandboxed")
	}
	shoot("evidence")

	// Ops: accept the heal.
	d.open(e.ts.URL + "/heals")
	d.waitFor("/heals", "#sign-in-v2")
	d.waitEval("the before and after shots to load", `Array.from(document.querySelectorAll(".shots img")).every(i => i.complete && i.naturalWidth === 40)`)
	shoot("heals")
	d.submit(fmt.Sprintf("#heal-%d form:first-of-type", e.ops.healID), nil)
	d.waitFor("/heals", fmt.Sprintf("heal %d accepted", e.ops.healID))
	f, err := selectors.Load(e.ops.selDir, "demobank")
	if err != nil {
		t.Fatal(err)
	}
	if ways := f.Elements["login.submit"].Ways; len(ways) == 0 || ways[0].Value != "#sign-in-v2" {
		t.Errorf("after accepting in the page, login.submit's first way is %v", ways)
	}

	// Ops: the selector file, its history and a diff.
	d.open(e.ts.URL + "/selectors/demobank")
	d.waitFor("/selectors/demobank", fmt.Sprintf("heal %d accepted", e.ops.healID))
	shoot("selector")
	d.open(e.ts.URL + "/selectors/demobank/diff?a=1&b=1")
	d.waitFor("/selectors/demobank/diff", "The versions are the same")

	// Ops: retry the parked delivery.
	d.open(e.ts.URL + "/deliveries")
	d.waitFor("/deliveries", "HTTP 500 from the ERP")
	shoot("deliveries")
	d.submit("#parked form", nil)
	d.waitFor("/deliveries", "queued 1 again")
	if dl, err := e.db.Delivery(ctx, e.ops.parkedID); err != nil || dl.Status != "pending" {
		t.Errorf("the retried delivery: %+v %v", dl, err)
	}
}
