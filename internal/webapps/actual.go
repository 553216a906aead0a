package webapps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/internal/testenv"
)

// ActualVersion is the @actual-app/sync-server version hack/webapps.sh
// installs (it serves the matching @actual-app/web client).
const ActualVersion = "26.9.0"

// Actual is a running Actual Budget sync server: a single-page web client
// (client-side routing, the budget kept in the browser) behind a password
// login.
type Actual struct {
	// URL is the base URL, http://127.0.0.1:PORT, without a trailing slash.
	URL string
	// Password is the server password the bootstrap set.
	Password string
}

// ActualServer returns the path of the installed sync server's entry
// point, or "" when hack/webapps.sh has not installed it.
func ActualServer() string {
	p := filepath.Join(CacheDir(), "actual", "node_modules", "@actual-app", "sync-server", "build", "bin", "actual-server.js")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// StartActual starts Actual's sync server with its data in a temporary
// directory of tb, sets its password (the first-run bootstrap a person
// does in the browser) and stops it when tb ends. It skips tb (fails it
// under CI) when node or the npm package is missing.
func StartActual(tb testing.TB) *Actual {
	tb.Helper()
	node := testenv.Tool(tb, "node", "nodejs")
	server := ActualServer()
	if server == "" {
		testenv.Missing(tb, "@actual-app/sync-server not installed under %s (hack/webapps.sh installs it with npm)", CacheDir())
		return nil
	}
	dir := tb.TempDir()
	n, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(node, server)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ACTUAL_PORT="+port(n), "ACTUAL_HOSTNAME=127.0.0.1", "ACTUAL_DATA_DIR="+dir,
		"ACTUAL_SERVER_FILES="+filepath.Join(dir, "server-files"), "ACTUAL_USER_FILES="+filepath.Join(dir, "user-files"),
		"ACTUAL_LOGIN_METHOD=password", "NODE_ENV=production")
	p, err := start("actual-server", cmd, filepath.Join(dir, "actual.log"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.stop(10 * time.Second) })
	a := &Actual{URL: "http://127.0.0.1:" + port(n), Password: "Ferry#Actual2026"}
	if err := p.waitHTTP(a.URL + "/account/needs-bootstrap"); err != nil {
		tb.Fatal(err)
	}
	var boot struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	if err := a.post("/account/bootstrap", map[string]string{"password": a.Password}, &boot); err != nil {
		tb.Fatal(err)
	}
	if boot.Status != "ok" {
		tb.Fatalf("webapps: actual bootstrap: %s (%s)", boot.Status, boot.Reason)
	}
	return a
}

// Login logs in with password and returns the session token, or an error
// with the server's reason.
func (a *Actual) Login(password string) (string, error) {
	var out struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
		Data   struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	if err := a.post("/account/login", map[string]string{"loginMethod": "password", "password": password}, &out); err != nil {
		return "", err
	}
	if out.Status != "ok" || out.Data.Token == "" {
		return "", fmt.Errorf("webapps: actual login: %s (%s)", out.Status, out.Reason)
	}
	return out.Data.Token, nil
}

// post sends body as JSON to path and decodes the answer into out.
func (a *Actual) post(path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Post(a.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("webapps: actual %s: %w", path, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("webapps: actual %s: %s: %w", path, resp.Status, err)
	}
	return nil
}
