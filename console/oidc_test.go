package console_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/console"
	jose "github.com/go-jose/go-jose/v4"
)

// provider is a small OpenID provider for tests: discovery, its key set
// and a token endpoint that answers a code with the ID token the test
// set for it, signed with go-jose. It checks the client's secret and the
// PKCE verifier, as a real provider does.
type provider struct {
	t   *testing.T
	srv *httptest.Server
	// base is the provider's URL as http://localhost:PORT: another site
	// than the console's 127.0.0.1, as a real provider is.
	base   string
	key    *rsa.PrivateKey
	secret string

	mu    sync.Mutex
	codes map[string]grant
}

// grant is what the token endpoint answers a code with.
type grant struct {
	claims    map[string]any
	challenge string          // the PKCE challenge the code was issued for
	signWith  *rsa.PrivateKey // nil: the provider's key
}

const oidcClientSecret = "client-secret-of-ferry-0451"

func newProvider(t *testing.T) *provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{t: t, key: key, secret: oidcClientSecret, codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.base, "authorization_endpoint": p.base + "/authorize", "token_endpoint": p.base + "/token",
			"jwks_uri": p.base + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
		}
		p.mu.Lock()
		g, known := p.codes[r.PostFormValue("code")]
		delete(p.codes, r.PostFormValue("code"))
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		switch {
		case id != "ferry" || secret != p.secret:
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
			return
		case !known || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + r.PostFormValue("code"), "token_type": "Bearer", "expires_in": 300,
			"id_token": p.sign(g.claims, g.signWith)})
	})
	// The sign-in page, for a browser: it approves at once as alice of
	// finance-team and sends the browser back with a code.
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		claims := p.claims(q.Get("nonce"), time.Now())
		code := "code-" + q.Get("state")[:8]
		p.mu.Lock()
		p.codes[code] = grant{claims: claims, challenge: q.Get("code_challenge")}
		p.mu.Unlock()
		back, _ := url.Parse(q.Get("redirect_uri"))
		back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusSeeOther)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.base = strings.Replace(p.srv.URL, "127.0.0.1", "localhost", 1)
	return p
}

// claims are a good ID token's for alice of finance-team, issued at now.
func (p *provider) claims(nonce string, now time.Time) map[string]any {
	return map[string]any{"iss": p.base, "sub": "u-1", "aud": "ferry", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": nonce, "preferred_username": "alice", "groups": []string{"staff", "finance-team"}}
}

func (p *provider) sign(claims map[string]any, key *rsa.PrivateKey) string {
	p.t.Helper()
	if key == nil {
		key = p.key
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		p.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		p.t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// signIn goes through the console's sign-in: /login/oidc sends the
// browser to the provider, the provider (here, the test) issues code
// with the claims edit makes of good ones, and the browser comes back to
// the callback. It returns the callback's answer and the client.
func (p *provider) signIn(e *env, edit func(claims map[string]any, g *grant, state *string)) (*http.Response, *client) {
	p.t.Helper()
	c := e.anonymous()
	resp, err := c.Get(e.ts.URL + "/login/oidc")
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), p.base+"/authorize?") {
		p.t.Fatalf("/login/oidc: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("client_id") != "ferry" || q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") == "" || !strings.Contains(q.Get("scope"), "openid") {
		p.t.Fatalf("authorization request: %v", q)
	}
	claims := p.claims(q.Get("nonce"), e.clock.now())
	g := grant{claims: claims, challenge: q.Get("code_challenge")}
	state := q.Get("state")
	if edit != nil {
		edit(claims, &g, &state)
	}
	code := "code-" + q.Get("state")[:8]
	p.mu.Lock()
	p.codes[code] = g
	p.mu.Unlock()
	resp, err = c.Get(e.ts.URL + "/login/oidc/callback?" + url.Values{"code": {code}, "state": {state}}.Encode())
	if err != nil {
		p.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(string(b)))
	return resp, c
}

func oidcEnv(t *testing.T) (*env, *provider) {
	t.Helper()
	e := newEnv(t)
	p := newProvider(t)
	o, err := console.NewOIDC(context.Background(), console.OIDCConfig{Issuer: p.base, ClientID: "ferry", ClientSecret: oidcClientSecret,
		RedirectURL: "http://console.test/login/oidc/callback", Name: "Example ID", RoleClaim: "ferry_role",
		Groups: map[string]ferry.Role{"finance-team": ferry.RoleFinance, "it-ops": ferry.RoleOps}, Now: e.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	withVault(t, e, o)
	return e, p
}

func sessionOf(e *env, c *client) string {
	u, _ := url.Parse(e.ts.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "ferry_session" {
			return ck.Value
		}
	}
	return ""
}

func TestOIDCSignIn(t *testing.T) {
	e, p := oidcEnv(t)
	if code, body := e.anonymous().get("/login"); code != http.StatusOK || !strings.Contains(body, `<a href="/login/oidc">Sign in with Example ID</a>`) {
		t.Fatalf("login page: %d\n%s", code, body)
	}
	resp, c := p.signIn(e, nil)
	if resp.StatusCode != http.StatusOK || sessionOf(e, c) == "" {
		t.Fatalf("good sign-in: %d, session %v\n%s", resp.StatusCode, sessionOf(e, c) != "", e.log.String())
	}
	if code, body := c.get("/runs"); code != http.StatusOK || !strings.Contains(body, "oidc:alice (finance)") {
		t.Fatalf("runs after sign-in: %d\n%s", code, body)
	}
	if code, _ := c.get("/credentials"); code != http.StatusForbidden {
		t.Fatalf("a finance person on /credentials: %d", code)
	}
	// The role claim comes before groups; the role follows the provider.
	resp, c = p.signIn(e, func(cl map[string]any, _ *grant, _ *string) { cl["ferry_role"] = "ops" })
	if code, body := c.get("/runs"); resp.StatusCode != http.StatusOK || code != http.StatusOK || !strings.Contains(body, "oidc:alice (ops)") {
		t.Fatalf("role claim: %d %d\n%s", resp.StatusCode, code, body)
	}
	u, err := e.db.UserByName(context.Background(), "oidc:alice")
	if err != nil || u.Role != ferry.RoleOps {
		t.Fatalf("the user: %+v %v", u, err)
	}
	// Nobody logs in as oidc:alice with a password.
	if resp := e.anonymous().form("/login", url.Values{"name": {"oidc:alice"}, "password": {""}}, false); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("password login of an SSO user: %d", resp.StatusCode)
	}

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	refusals := map[string]func(map[string]any, *grant, *string){
		"wrong audience": func(cl map[string]any, _ *grant, _ *string) { cl["aud"] = "someone-else" },
		"bad signature":  func(_ map[string]any, g *grant, _ *string) { g.signWith = other },
		"expired":        func(cl map[string]any, _ *grant, _ *string) { cl["exp"] = e.clock.now().Add(-time.Minute).Unix() },
		"wrong issuer":   func(cl map[string]any, _ *grant, _ *string) { cl["iss"] = "https://evil.example" },
		"wrong nonce":    func(cl map[string]any, _ *grant, _ *string) { cl["nonce"] = "another-nonce" },
		"no nonce":       func(cl map[string]any, _ *grant, _ *string) { delete(cl, "nonce") },
		"wrong state":    func(_ map[string]any, _ *grant, s *string) { *s = "forged-state" },
		"no role": func(cl map[string]any, _ *grant, _ *string) {
			cl["groups"] = []string{"staff"}
		},
		"unknown role claim": func(cl map[string]any, _ *grant, _ *string) {
			cl["ferry_role"], cl["groups"] = "root", []string{}
		},
		"bad PKCE": func(_ map[string]any, g *grant, _ *string) { g.challenge = "not-the-challenge" },
	}
	for name, edit := range refusals {
		t.Run(name, func(t *testing.T) {
			before, _ := e.db.Audit(context.Background(), ferry.AuditQuery{Action: "session.refused"})
			resp, c := p.signIn(e, edit)
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusUnauthorized || sessionOf(e, c) != "" || !strings.Contains(string(b), "single sign-on was refused") {
				t.Fatalf("%s: %d, session %v", name, resp.StatusCode, sessionOf(e, c) != "")
			}
			if code, _ := c.get("/runs"); code != http.StatusSeeOther {
				t.Fatalf("%s: /runs answered %d", name, code)
			}
			after, _ := e.db.Audit(context.Background(), ferry.AuditQuery{Action: "session.refused"})
			if len(after) != len(before)+1 {
				t.Fatalf("%s: not audited", name)
			}
		})
	}
	// A callback without a sign-in under way (no cookie) is refused too.
	if code, _ := e.anonymous().get("/login/oidc/callback?code=x&state=y"); code != http.StatusUnauthorized {
		t.Fatalf("callback without a flow: %d", code)
	}
	// A disabled SSO user stays out.
	if err := e.db.SetUserDisabled(context.Background(), u.ID, true); err != nil {
		t.Fatal(err)
	}
	if resp, c := p.signIn(e, nil); resp.StatusCode != http.StatusUnauthorized || sessionOf(e, c) != "" {
		t.Fatalf("disabled user: %d", resp.StatusCode)
	}

	entries, _ := e.db.Audit(context.Background(), ferry.AuditQuery{})
	var all strings.Builder
	logins := 0
	for _, en := range entries {
		all.WriteString(en.Actor + " " + en.Action + " " + en.Before + en.After + "\n")
		if en.Action == "session.login" && strings.Contains(en.After, `"via":"oidc"`) {
			logins++
		}
	}
	if logins != 2 || !strings.Contains(all.String(), "oidc:alice user.add") || !strings.Contains(all.String(), "oidc:alice user.role") {
		t.Errorf("audit log:\n%s", all.String())
	}
	for where, text := range map[string]string{"the log": e.log.String(), "the audit log": all.String()} {
		if strings.Contains(text, oidcClientSecret) || strings.Contains(text, "code-") || strings.Contains(text, "eyJ") {
			t.Errorf("%s shows the client secret, a code or a token", where)
		}
	}
}
