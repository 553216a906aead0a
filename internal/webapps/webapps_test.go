package webapps

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// hiddenInput matches a form's hidden inputs (phpMyAdmin writes name
// before value).
var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)

func client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	return string(b)
}

// pmaLogin logs into phpMyAdmin's cookie form the way a browser does: the
// CSRF token and the other hidden fields from the login page, then the
// credentials. It returns the page after login.
func pmaLogin(t *testing.T, c *http.Client, a *PhpMyAdmin, password string) string {
	t.Helper()
	page := get(t, c, a.URL+"/index.php")
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], m[2])
	}
	if form.Get("token") == "" {
		t.Fatalf("the login page has no CSRF token:\n%.2000s", page)
	}
	form.Set("pma_username", a.User)
	form.Set("pma_password", password)
	resp, err := c.PostForm(a.URL+"/index.php?route=/", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestPhpMyAdminLogin(t *testing.T) {
	a := StartPhpMyAdmin(t)
	c := client(t)
	if page := pmaLogin(t, c, a, "wrong-password"); !strings.Contains(page, "Access denied") && !strings.Contains(page, "Cannot log in") {
		t.Fatalf("a wrong password was not refused:\n%.3000s", page)
	}
	c = client(t)
	page := pmaLogin(t, c, a, a.Password)
	if !strings.Contains(page, "logout") && !strings.Contains(page, "Log out") {
		t.Fatalf("not logged in after the login form:\n%.3000s", page)
	}
	// The database tree lists the seeded database.
	nav := get(t, c, a.URL+"/index.php?route=/navigation&ajax_request=1")
	if !strings.Contains(nav, a.Database) {
		t.Fatalf("the navigation tree does not list %q:\n%.2000s", a.Database, nav)
	}
}

func TestNodeREDLogin(t *testing.T) {
	a := StartNodeRED(t)
	if _, err := a.Login(a.User, "wrong-password"); err == nil {
		t.Fatal("a wrong password was accepted")
	}
	token, err := a.Login(a.User, a.Password)
	if err != nil {
		t.Fatal(err)
	}
	// The admin API wants the token; the flows are the seeded ones.
	req, _ := http.NewRequest(http.MethodGet, a.URL+"/flows", nil)
	if resp, err := client(t).Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /flows without a token: %s, want 401", resp.Status)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), a.LedgerFlow) {
		t.Fatalf("GET /flows with the token: %s %.500s", resp.Status, b)
	}
	// The editor is one page; the export is an attachment of every row.
	if page := get(t, client(t), a.URL+"/"); !strings.Contains(page, "red/red") {
		t.Errorf("GET / is not the editor:\n%.500s", page)
	}
	resp, err = client(t).Get(a.URL + a.LedgerPath)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, a.LedgerFile) {
		t.Errorf("the export's Content-Disposition is %q", cd)
	}
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != len(a.Rows)+1 || lines[1] != "2026-10-01,"+a.Rows[0].Description+","+a.Rows[0].Amount+",CNY,1" {
		t.Errorf("the export:\n%s", b)
	}
}
