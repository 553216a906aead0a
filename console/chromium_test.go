package console_test

// The end-to-end test drives Debian's Chromium over the DevTools protocol
// from this file: go-rod may be imported only by bots (imports_test.go),
// and bots offers no page automation of its own, so a small protocol
// client here (golang.org/x/net/websocket) sends the few commands needed.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"golang.org/x/net/websocket"
)

// devtools is one page of a headless Chromium, driven over the protocol.
type devtools struct {
	t    *testing.T
	ws   *websocket.Conn
	next int
}

var listening = regexp.MustCompile(`DevTools listening on ws://([^/\s]+)/`)

// chromium starts a headless Chromium for t and returns its first page.
func chromium(t *testing.T) *devtools {
	t.Helper()
	bin := testenv.Tool(t, "chromium", "chromium")
	ctx, cancel := context.WithCancel(context.Background())
	args := []string{"--headless=new", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage", "--disable-background-networking",
		"--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir=" + t.TempDir(), "about:blank"}
	if os.Geteuid() == 0 {
		args = append(args, "--no-sandbox")
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	host := ""
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			host = m[1]
			break
		}
	}
	if host == "" {
		t.Fatal("chromium did not say where DevTools listens")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	resp, err := http.Get("http://" + host + "/json/list")
	if err != nil {
		t.Fatal(err)
	}
	var targets []struct{ Type, WebSocketDebuggerURL string }
	err = json.NewDecoder(resp.Body).Decode(&targets)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		if tg.Type == "page" {
			ws, err := websocket.Dial(tg.WebSocketDebuggerURL, "", "http://"+host+"/")
			if err != nil {
				t.Fatal(err)
			}
			ws.MaxPayloadBytes = 64 << 20
			t.Cleanup(func() { ws.Close() })
			return &devtools{t: t, ws: ws}
		}
	}
	t.Fatal("chromium has no page")
	return nil
}

// call sends a protocol command and returns its result, skipping events.
func (d *devtools) call(method string, params any) json.RawMessage {
	d.t.Helper()
	d.next++
	id := d.next
	if err := websocket.JSON.Send(d.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		d.t.Fatalf("%s: %v", method, err)
	}
	d.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		var msg struct {
			ID     int
			Result json.RawMessage
			Error  *struct{ Message string }
		}
		if err := websocket.JSON.Receive(d.ws, &msg); err != nil {
			d.t.Fatalf("%s: %v", method, err)
		}
		if msg.ID != id {
			continue
		}
		if msg.Error != nil {
			d.t.Fatalf("%s: %s", method, msg.Error.Message)
		}
		return msg.Result
	}
}

// eval runs a JavaScript expression in the page and returns its value.
func (d *devtools) eval(expr string) any {
	d.t.Helper()
	var r struct {
		Result           struct{ Value any }
		ExceptionDetails *struct{ Text string }
	}
	json.Unmarshal(d.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}), &r)
	if r.ExceptionDetails != nil {
		d.t.Fatalf("%s: %s", expr, r.ExceptionDetails.Text)
	}
	return r.Result.Value
}

// waitFor polls until the page is loaded at path and its text holds
// want, or fails after 20 s: the page reloads on its own (console.js)
// or after a submit, so there is nothing to wait on but its state.
func (d *devtools) waitFor(path, want string) string {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, _ := d.eval(`document.readyState === "complete" ? location.pathname + "\n" + document.body.innerText : ""`).(string)
		got, text, _ := strings.Cut(v, "\n")
		if (got == path || (strings.HasSuffix(path, "/*") && strings.HasPrefix(got, strings.TrimSuffix(path, "*")))) && strings.Contains(text, want) {
			return got
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("waiting for %s with %q; at %s:\n%s", path, want, got, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *devtools) open(url string) {
	d.t.Helper()
	d.call("Page.navigate", map[string]any{"url": url})
}

// submit fills the form matched by sel with values and submits it as a
// person would (requestSubmit: the form's own checks and handlers run).
func (d *devtools) submit(sel string, values map[string]string) {
	d.t.Helper()
	v, _ := json.Marshal(values)
	s, _ := json.Marshal(sel)
	d.eval(fmt.Sprintf(`(function(){
		const f = document.querySelector(%s), v = %s;
		for (const k in v) { f.querySelector("[name='" + k + "']").value = v[k]; }
		f.requestSubmit(); return true; })()`, s, v))
}

// screenshot captures the page at width×height and checks the PNG.
func (d *devtools) screenshot(name string, width, height int) {
	d.t.Helper()
	d.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
	// Nothing wider than the window: tables scroll inside themselves.
	if wide := d.eval(`document.documentElement.scrollWidth > window.innerWidth`); wide != false {
		d.t.Errorf("%s at %dx%d is wider than the window", name, width, height)
	}
	var r struct{ Data string }
	json.Unmarshal(d.call("Page.captureScreenshot", map[string]any{"format": "png"}), &r)
	b, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		d.t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		d.t.Fatalf("%s: %v", name, err)
	}
	if got := img.Bounds().Size(); got.X != width || got.Y != height {
		d.t.Errorf("screenshot %s is %v, want %dx%d", name, got, width, height)
	}
	// A page that rendered is not one colour: the header's border, text.
	first := img.At(0, 0)
	varied := false
	for y := 0; y < height && !varied; y += 7 {
		for x := 0; x < width; x += 7 {
			if img.At(x, y) != first {
				varied = true
				break
			}
		}
	}
	if !varied {
		d.t.Errorf("screenshot %s is blank", name)
	}
	if dir := os.Getenv("FERRY_SCREENSHOTS"); dir != "" {
		os.WriteFile(fmt.Sprintf("%s/%s-%dx%d.png", dir, name, width, height), b, 0o600)
	}
}

// TestChromiumEndToEnd: an admin adds a finance user in the browser; the
// finance user logs in, starts a run and sees it succeed (the page
// follows the run by itself); a bot name with <script> stays text; pages
// render at a desktop and a phone width; the audit log has it all.
func TestChromiumEndToEnd(t *testing.T) {
	e := newEnv(t)
	d := chromium(t)
	d.call("Page.enable", map[string]any{})
	sizes := [][2]int{{1280, 800}, {390, 844}}
	shoot := func(name string) {
		for _, s := range sizes {
			d.screenshot(name, s[0], s[1])
		}
	}

	d.open(e.ts.URL + "/runs")
	d.waitFor("/login", "Password")
	shoot("login")
	d.submit("form[action='/login']", map[string]string{"name": "admin", "password": password + " admin"})
	d.waitFor("/runs", "admin (admin)")

	d.open(e.ts.URL + "/users")
	d.waitFor("/users", "Add a user")
	d.submit("form[action='/users']", map[string]string{"name": "fiona", "role": "finance", "password": "fionas long password"})
	d.waitFor("/users", "added fiona")
	shoot("users")
	d.open(e.ts.URL + "/audit")
	d.waitFor("/audit", "user.add")
	shoot("audit")
	d.submit("form[action='/logout']", nil)
	d.waitFor("/login", "Password")

	d.submit("form[action='/login']", map[string]string{"name": "fiona", "password": "fionas long password"})
	d.waitFor("/runs", "fiona (finance)")
	d.eval(`document.querySelector("#start-run").open = true`)
	shoot("runs")
	d.submit("#start-run form", map[string]string{"bot": "statements", "login": "acme", "from": "2026-03-01", "to": "2026-03-13"})
	path := d.waitFor("/runs/*", "queued")
	var id int64
	fmt.Sscanf(path, "/runs/%d", &id)
	run, err := e.db.Run(context.Background(), id)
	if err != nil || run.Bot != "statements" || run.Params.From.String() != "2026-03-01" {
		t.Fatalf("the started run: %+v, %v", run, err)
	}
	// The runner's part: the run starts and succeeds; the page, left
	// alone, shows it.
	ctx := context.Background()
	if err := e.db.StartRun(ctx, id, 1, "v1"); err != nil {
		t.Fatal(err)
	}
	if err := e.db.FinishRun(ctx, id, ferry.RunSucceeded, "", "", "2 statements, 40 lines"); err != nil {
		t.Fatal(err)
	}
	d.waitFor(path, "succeeded")
	d.waitFor(path, "2 statements, 40 lines")
	shoot("run")

	d.open(fmt.Sprintf("%s/runs/%d", e.ts.URL, e.runID))
	d.waitFor(fmt.Sprintf("/runs/%d", e.runID), "<script>alert('bot')</script>")
	if n := d.eval(`document.querySelectorAll("script").length`); n != float64(1) {
		t.Errorf("the run page has %v script elements, want only console.js", n)
	}
	if n := d.eval(`document.querySelectorAll("img").length`); n != float64(0) {
		t.Errorf("a login name's <img> became an element (%v)", n)
	}

	var actions []string
	entries, _ := e.db.Audit(ctx, ferry.AuditQuery{})
	for _, en := range entries {
		actions = append(actions, en.Actor+":"+en.Action)
	}
	for _, want := range []string{"admin:user.add", "admin:session.logout", "fiona:session.login", "fiona:run.start"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit log lacks %s: %v", want, actions)
		}
	}
}
