package sandbox_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/sandbox"
	"golang.org/x/text/encoding/simplifiedchinese"
)

type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, bank *sandbox.Bank) *client {
	t.Helper()
	u, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: u, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (c *client) get(path string) (int, string, http.Header) {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([0-9a-f]+)"`)

func (c *client) login(user, pw string) (int, string) {
	c.t.Helper()
	_, page, _ := c.get("/login")
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatal("no CSRF token on the login page")
	}
	resp, err := c.http.PostForm(c.base+"/login", url.Values{"csrf_token": {m[1]}, "user_id": {user}, "password": {pw}})
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestLoginCSRFAndLockout(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 1})
	c := newClient(t, bank)
	resp, err := c.http.PostForm(c.base+"/login", url.Values{"user_id": {"zhangwei"}, "password": {"Ferry#Demo2026"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("login without CSRF token: got %d, want 403", resp.StatusCode)
	}
	for i, want := range []string{"2 attempts left", "1 attempts left"} {
		_, page := c.login("zhangwei", "wrong")
		if !strings.Contains(page, want) || !strings.Contains(page, `id="login-error"`) {
			t.Fatalf("wrong password %d: page lacks %q", i+1, want)
		}
	}
	if code, page := c.login("zhangwei", "wrong"); code != http.StatusForbidden || !strings.Contains(page, "Account locked") {
		t.Fatalf("third wrong password: got %d, want the lockout page", code)
	}
	if _, page := c.login("zhangwei", "Ferry#Demo2026"); !strings.Contains(page, "Account locked") {
		t.Fatal("the right password after lockout got in")
	}
}

func TestTOTPAndIdleExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	clock := &now
	bank := sandbox.New(sandbox.Options{Seed: 1, Now: func() time.Time { return *clock }})
	bank.Set(func(s *sandbox.Switches) { s.IdleExpiry = time.Minute })
	c := newClient(t, bank)
	if _, page := c.login("lina", "Ferry#Totp2026"); !strings.Contains(page, "otp-code") {
		t.Fatal("TOTP user not asked for a code")
	}
	if code, _, _ := c.get("/accounts"); code != http.StatusOK {
		t.Fatalf("accounts before TOTP: %d", code)
	}
	if _, page, _ := c.get("/accounts"); strings.Contains(page, "6222021000020004") {
		t.Fatal("accounts visible before the second step")
	}
	post := func(code string) string {
		resp, err := c.http.PostForm(c.base+"/login/otp", url.Values{"otp": {code}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if page := post("000000"); !strings.Contains(page, "Wrong one-time code") {
		t.Fatal("wrong code accepted")
	}
	code, _ := sandbox.TOTPCode(sandbox.DemoTOTPSecret, now)
	if page := post(code); !strings.Contains(page, "6222021000020004") {
		t.Fatal("right code did not reach the accounts")
	}
	*clock = now.Add(2 * time.Minute)
	if _, page, _ := c.get("/accounts"); !strings.Contains(page, "session has expired") {
		t.Fatal("idle session not expired")
	}
}

func TestDownloadsAnd503Burst(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 1})
	c := newClient(t, bank)
	c.login("zhangwei", "Ferry#Demo2026")
	q := "from=2026-10-01&to=2026-10-31&account="
	_, body, h := c.get("/download?format=csv&" + q + "6222021000010001")
	if !strings.Contains(h.Get("Content-Disposition"), "attachment") || strings.Contains(body, "交易日期") {
		t.Fatalf("CSV: disposition %q; want an attachment in GB18030", h.Get("Content-Disposition"))
	}
	utf, _ := simplifiedchinese.GB18030.NewDecoder().String(body)
	if !strings.Contains(utf, "交易日期 Booking Date") {
		t.Fatal("CSV does not decode from GB18030")
	}
	_, _, h = c.get("/download?format=pdf&" + q + "6222021000010002")
	if !strings.HasPrefix(h.Get("Content-Disposition"), "inline") || h.Get("Content-Type") != "application/pdf" {
		t.Fatalf("account 0002's PDF: %q %q, want inline application/pdf", h.Get("Content-Disposition"), h.Get("Content-Type"))
	}
	if code, _, _ := c.get("/download?format=pdf&" + q + "6222021000020004"); code != http.StatusNotFound {
		t.Fatalf("another user's account: got %d, want 404", code)
	}
	bank.Set(func(s *sandbox.Switches) { s.Unavailable503 = 2 })
	for i := 0; i < 2; i++ {
		if code, _, h := c.get("/accounts"); code != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
			t.Fatalf("burst request %d: %d", i+1, code)
		}
	}
	if code, _, _ := c.get("/accounts"); code != http.StatusOK {
		t.Fatalf("after the burst: %d, want 200", code)
	}
}

func TestStatementsReconcileAndAreDeterministic(t *testing.T) {
	t.Parallel()
	a, b := sandbox.New(sandbox.Options{Seed: 9}), sandbox.New(sandbox.Options{Seed: 9})
	for _, acc := range a.Accounts() {
		s1, err := a.Statement(acc.ID, ferry.NewDate(2026, 1, 1), ferry.NewDate(2026, 3, 31))
		if err != nil {
			t.Fatal(err)
		}
		s2, _ := b.Statement(acc.ID, ferry.NewDate(2026, 1, 1), ferry.NewDate(2026, 3, 31))
		if err := s1.Reconcile(); err != nil {
			t.Fatal(err)
		}
		if len(s1.Lines) == 0 || len(s1.Lines) != len(s2.Lines) || !s1.Closing.Equal(s2.Closing) {
			t.Fatalf("%s: not deterministic or empty", acc.ID)
		}
		// The next period opens where this one closed.
		s3, _ := a.Statement(acc.ID, ferry.NewDate(2026, 4, 1), ferry.NewDate(2026, 4, 30))
		if !s3.Opening.Equal(s1.Closing) {
			t.Fatalf("%s: April opens at %s, March closed at %s", acc.ID, s3.Opening, s1.Closing)
		}
	}
}
