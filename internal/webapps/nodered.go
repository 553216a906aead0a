package webapps

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/internal/testenv"
)

// NodeREDVersion is the node-red version hack/webapps.sh installs with
// npm: plain JavaScript (bcryptjs, no native build), about a minute to
// install from nothing. 4.1 is the last line that runs on Debian 12's
// Node 20 (5.x needs Node 22).
const NodeREDVersion = "4.1.8"

// NodeRED is a running Node-RED: a single-page editor (jQuery, client-side
// routes #flow/ID, dialogs, a sidebar) behind a login dialog that trades
// the password for a bearer token kept in the browser's localStorage.
//
// It is seeded with two flows. "Ledger" serves Ledger() as a CSV
// attachment at LedgerPath (an http in, a template and an http response
// node), and its description, shown in the editor's Info sidebar when the
// flow's tab is open, links to it: the export a person clicks. "Overview"
// is the first tab, so that reaching the ledger is a client-side route
// change.
type NodeRED struct {
	// URL is the base URL, http://127.0.0.1:PORT, without a trailing slash.
	URL string
	// User and Password log into the editor.
	User, Password string
	// LedgerFlow is the id of the ledger's flow (the editor's #flow/ID).
	LedgerFlow string
	// LedgerPath is the path of the CSV export, LedgerFile its file name.
	LedgerPath, LedgerFile string
	// Rows are the rows of the export.
	Rows []Row
}

// NodeREDMain returns the path of the installed node-red's entry point, or
// "" when hack/webapps.sh has not installed it.
func NodeREDMain() string {
	p := filepath.Join(CacheDir(), "node-red", "node_modules", "node-red", "red.js")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// StartNodeRED starts Node-RED with its user directory (settings, flows)
// in a temporary directory of tb and stops it when tb ends. It skips tb
// (fails it under CI) when node or the npm package is missing.
func StartNodeRED(tb testing.TB) *NodeRED {
	tb.Helper()
	node := testenv.Tool(tb, "node", "nodejs")
	main := NodeREDMain()
	if main == "" {
		testenv.Missing(tb, "node-red not installed under %s (hack/webapps.sh installs it with npm)", CacheDir())
		return nil
	}
	dir := tb.TempDir()
	n, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	a := &NodeRED{URL: "http://127.0.0.1:" + port(n), User: "ferry", Password: "Ferry#NodeRED2026",
		LedgerFlow: "a1f0ledger000001", LedgerPath: "/ledger/transactions.csv", LedgerFile: "transactions.csv", Rows: Ledger()}
	if err := a.writeUserDir(dir, n, filepath.Dir(filepath.Dir(main))); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(node, main, "--settings", filepath.Join(dir, "settings.js"), "--userDir", dir)
	cmd.Dir = dir
	// The password reaches settings.js through the environment, never a
	// file; settings.js hashes it with bcryptjs as Node-RED's adminAuth wants.
	cmd.Env = append(os.Environ(), "FERRY_NODERED_PASSWORD="+a.Password, "NODE_ENV=production")
	p, err := start("node-red", cmd, filepath.Join(dir, "node-red.log"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.stop(10 * time.Second) })
	// The flows start after the editor's routes: wait for the export too.
	for _, path := range []string{"/auth/login", a.LedgerPath} {
		if err := p.waitHTTP(a.URL + path); err != nil {
			tb.Fatal(err)
		}
	}
	return a
}

// writeUserDir writes settings.js and flows.json into dir. modules is the
// node_modules directory node-red was installed into (for bcryptjs).
func (a *NodeRED) writeUserDir(dir string, port int, modules string) error {
	bcrypt, err := json.Marshal(filepath.Join(modules, "bcryptjs"))
	if err != nil {
		return err
	}
	settings := fmt.Sprintf(`// Written by internal/webapps for one test: loopback only, no tours,
// no telemetry, no palette catalogue (no network), one admin user.
const bcrypt = require(%s);
module.exports = {
  uiHost: "127.0.0.1",
  uiPort: %d,
  flowFile: "flows.json",
  credentialSecret: false,
  adminAuth: {
    type: "credentials",
    users: [{ username: %q, password: bcrypt.hashSync(process.env.FERRY_NODERED_PASSWORD, 8), permissions: "*" }],
  },
  diagnostics: { enabled: false },
  telemetry: { enabled: false },
  externalModules: { palette: { allowInstall: false } },
  editorTheme: {
    tours: false,
    projects: { enabled: false },
    palette: { catalogues: [] },
  },
  logging: { console: { level: "info", metrics: false, audit: false } },
};
`, bcrypt, port, a.User)
	if err := os.WriteFile(filepath.Join(dir, "settings.js"), []byte(settings), 0o600); err != nil {
		return fmt.Errorf("webapps: node-red settings: %w", err)
	}
	var csv strings.Builder
	csv.WriteString("Date,Description,Amount,Currency,id\n")
	for i, r := range a.Rows {
		fmt.Fprintf(&csv, "%s,%s,%s,%s,%d\n", r.Date, r.Description, r.Amount, r.Currency, i+1)
	}
	z := a.LedgerFlow
	flows := []map[string]any{
		{"id": "a1f0overview0001", "type": "tab", "label": "Overview", "disabled": false,
			"info": "Flows of the finance team. The ledger export is on the **Ledger** tab."},
		{"id": z, "type": "tab", "label": "Ledger", "disabled": false,
			"info": "Bank transactions of October 2026, exported for the accounting system.\n\n" +
				"[Download transactions.csv](" + strings.TrimPrefix(a.LedgerPath, "/") + ")"},
		{"id": "a1f0comment00001", "type": "comment", "z": "a1f0overview0001", "name": "Nothing to see here", "info": "", "x": 160, "y": 60, "wires": []any{}},
		{"id": "a1f0httpin000001", "type": "http in", "z": z, "name": "GET " + a.LedgerPath, "url": a.LedgerPath, "method": "get",
			"upload": false, "swaggerDoc": "", "x": 170, "y": 80, "wires": []any{[]any{"a1f0template0001"}}},
		{"id": "a1f0template0001", "type": "template", "z": z, "name": "ledger CSV", "field": "payload", "fieldType": "msg",
			"format": "text", "syntax": "plain", "template": csv.String(), "output": "str", "x": 380, "y": 80, "wires": []any{[]any{"a1f0response0001"}}},
		{"id": "a1f0response0001", "type": "http response", "z": z, "name": "attachment", "statusCode": "200",
			"headers": map[string]string{"content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="` + a.LedgerFile + `"`},
			"x":       570, "y": 80, "wires": []any{}},
	}
	b, err := json.MarshalIndent(flows, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "flows.json"), b, 0o600); err != nil {
		return fmt.Errorf("webapps: node-red flows: %w", err)
	}
	return nil
}

// Login trades user and password for the editor's bearer token, as the
// login dialog does, or returns an error with the server's status.
func (a *NodeRED) Login(user, password string) (string, error) {
	form := url.Values{"client_id": {"node-red-editor"}, "grant_type": {"password"}, "scope": {""},
		"username": {user}, "password": {password}}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.PostForm(a.URL+"/auth/token", form)
	if err != nil {
		return "", fmt.Errorf("webapps: node-red login: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("webapps: node-red login: %s", resp.Status)
	}
	var out struct {
		Token string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("webapps: node-red login: no token (%v)", err)
	}
	return out.Token, nil
}
