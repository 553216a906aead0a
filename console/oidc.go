package console

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/ferry-rpa/ferry"
	"golang.org/x/oauth2"
)

// Single sign-on with OpenID Connect (authorization code flow with PKCE,
// state and nonce). A person the provider vouches for gets a console user
// named "oidc:<their name>" (never a local user's name, so the provider
// cannot take over a password account) with the role the provider's
// claims map to, and no usable password; a person no role maps to is
// refused.

// OIDCConfig configures single sign-on.
type OIDCConfig struct {
	// Issuer is the provider's URL, where discovery
	// (/.well-known/openid-configuration) is served.
	Issuer string
	// ClientID and ClientSecret are the console's registration at the
	// provider; the secret comes from the environment or a file.
	ClientID, ClientSecret string
	// RedirectURL is the console's callback as registered:
	// https://HOST/login/oidc/callback.
	RedirectURL string
	// Name is shown on the login page: "Sign in with Name" ("SSO" when
	// empty).
	Name string
	// RoleClaim names a claim that carries a Ferry role itself (viewer,
	// finance, ops, admin); "" for none.
	RoleClaim string
	// GroupsClaim names the claim listing the person's groups ("groups"
	// when empty); Groups maps a group to a role, the highest one matched
	// winning. RoleClaim, when set and present, comes first.
	GroupsClaim string
	Groups      map[string]ferry.Role
	// Scopes are asked for beside openid (profile and email when nil).
	Scopes []string
	// HTTPClient talks to the provider (http.DefaultClient when nil).
	HTTPClient *http.Client
	// Now is the clock ID tokens are checked against (time.Now when nil).
	Now func() time.Time
}

// OIDC is a configured provider, discovered.
type OIDC struct {
	cfg      OIDCConfig
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
	// ctx carries the HTTP client for the provider (the key set fetches
	// keys with it).
	ctx context.Context
}

// NewOIDC discovers the provider at cfg.Issuer. Errors name the issuer
// and what is missing, never the client secret.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("console: oidc: issuer, client_id and redirect_url are needed")
	}
	if cfg.RoleClaim == "" && len(cfg.Groups) == 0 {
		return nil, errors.New("console: oidc: role_claim or groups is needed (who gets which role)")
	}
	for g, r := range cfg.Groups {
		if _, err := ferry.ParseRole(string(r)); err != nil {
			return nil, fmt.Errorf("console: oidc: group %q: %w", g, err)
		}
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.Name == "" {
		cfg.Name = "SSO"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{"profile", "email"}
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	// The provider keeps this context to fetch its keys later: it must
	// outlive the caller's.
	pctx := oidc.ClientContext(context.WithoutCancel(ctx), hc)
	dctx, cancel := context.WithTimeout(pctx, 30*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("console: oidc: discovery at %s: %w", cfg.Issuer, err)
	}
	o := &OIDC{cfg: cfg, ctx: pctx}
	o.verifier = p.VerifierContext(pctx, &oidc.Config{ClientID: cfg.ClientID, Now: cfg.Now})
	o.oauth = oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: p.Endpoint(), RedirectURL: cfg.RedirectURL,
		Scopes: append([]string{oidc.ScopeOpenID}, cfg.Scopes...)}
	return o, nil
}

// Name is what the login page offers: "Sign in with Name".
func (o *OIDC) Name() string { return o.cfg.Name }

// loginData is the login page's data: the single sign-on offered, if any.
type loginData struct {
	SSO string
}

// loginOptions is what the login page offers beside a password.
func (s *Server) loginOptions() loginData {
	if s.cfg.OIDC == nil {
		return loginData{}
	}
	return loginData{SSO: s.cfg.OIDC.Name()}
}

// oidcCookie holds a sign-in under way: state, nonce and PKCE verifier,
// for the callback to check. SameSite Lax: the provider's redirect back
// is a cross-site navigation, which a Strict cookie would miss.
const oidcCookie = "ferry_oidc"

// oidcFlowAge bounds how long a sign-in may take at the provider.
const oidcFlowAge = 10 * time.Minute

func randomString() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("console: oidc: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request, _ *identity) {
	o := s.cfg.OIDC
	state, err := randomString()
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	nonce, err := randomString()
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	verifier := oauth2.GenerateVerifier()
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: state + "." + nonce + "." + verifier, Path: "/login/oidc", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(r), MaxAge: int(oidcFlowAge.Seconds())})
	http.Redirect(w, r, o.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
}

// errSSO is the one answer to a refused sign-in: the reason goes to the
// log and the audit log, not to the browser.
const errSSO = "single sign-on was refused: ask an admin, or log in with a password"

// oidcRefused answers a refused sign-in, logging and auditing why
// (reason never holds a token or code).
func (s *Server) oidcRefused(w http.ResponseWriter, r *http.Request, who, reason string) {
	addr := clientAddr(r)
	s.cfg.Logger.Warn().Str("addr", addr).Str("who", who).Str("reason", reason).Msg("console: single sign-on refused")
	if who == "" {
		who = "oidc:unknown"
	}
	err := ferry.Audited(r.Context(), s.cfg.Store, s.cfg.Store, ferry.Change{Actor: who, Address: addr, Action: "session.refused", Target: "oidc",
		After: map[string]any{"reason": reason}}, func(context.Context) (any, error) { return nil, nil })
	if err != nil {
		s.cfg.Logger.Error().Err(err).Msg("console: auditing a refused sign-in")
	}
	s.render(w, r, nil, http.StatusUnauthorized, "login", pageData{Title: "Log in", Error: errSSO, Data: s.loginOptions()})
}

func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request, _ *identity) {
	o := s.cfg.OIDC
	// The flow's cookie is spent whatever happens.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/login/oidc", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r), MaxAge: -1})
	c, err := r.Cookie(oidcCookie)
	if err != nil {
		s.oidcRefused(w, r, "", "no sign-in under way (cookie missing or expired)")
		return
	}
	parts := strings.Split(c.Value, ".")
	q := r.URL.Query()
	if len(parts) != 3 || q.Get("state") == "" || !sameToken(q.Get("state"), parts[0]) {
		s.oidcRefused(w, r, "", "state does not match")
		return
	}
	nonce, verifier := parts[1], parts[2]
	if e := q.Get("error"); e != "" {
		s.oidcRefused(w, r, "", "the provider answered "+truncate(e, 64))
		return
	}
	ctx, cancel := context.WithTimeout(o.ctx, 30*time.Second)
	defer cancel()
	tok, err := o.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		s.oidcRefused(w, r, "", "code exchange: "+exchangeError(err))
		return
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		s.oidcRefused(w, r, "", "no ID token in the provider's answer")
		return
	}
	idt, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		s.oidcRefused(w, r, "", "ID token: "+err.Error())
		return
	}
	if !sameToken(idt.Nonce, nonce) {
		s.oidcRefused(w, r, "oidc:"+idt.Subject, "nonce does not match")
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		s.oidcRefused(w, r, "oidc:"+idt.Subject, "claims: "+err.Error())
		return
	}
	name := oidcUserName(claims, idt.Subject)
	role, ok := o.role(claims)
	if !ok {
		s.oidcRefused(w, r, name, "no role maps to the person's claims")
		return
	}
	s.oidcLogin(w, r, name, role)
}

// exchangeError is what is said of a failed code exchange: the provider's
// error code, not its whole answer.
func exchangeError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode != "" {
			return truncate(re.ErrorCode, 64)
		}
		if re.Response != nil {
			return fmt.Sprintf("status %d", re.Response.StatusCode)
		}
	}
	return "the provider did not answer"
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// oidcUserName names the person's console user: oidc: and their
// preferred user name, else e-mail, else subject, without spaces and at
// most 64 characters.
func oidcUserName(claims map[string]any, sub string) string {
	n := sub
	for _, k := range []string{"preferred_username", "email"} {
		if v, ok := claims[k].(string); ok && strings.TrimSpace(v) != "" {
			n = v
			break
		}
	}
	n = strings.Join(strings.Fields(n), "_")
	return truncate("oidc:"+n, 64)
}

// role maps claims to a role: the role claim's value when it names one,
// else the highest role of the groups matched.
func (o *OIDC) role(claims map[string]any) (ferry.Role, bool) {
	if o.cfg.RoleClaim != "" {
		if v, ok := claims[o.cfg.RoleClaim].(string); ok {
			if r, err := ferry.ParseRole(v); err == nil {
				return r, true
			}
		}
	}
	var best ferry.Role
	found := false
	var groups []string
	switch g := claims[o.cfg.GroupsClaim].(type) {
	case []any:
		for _, x := range g {
			if s, ok := x.(string); ok {
				groups = append(groups, s)
			}
		}
	case string:
		groups = []string{g}
	}
	for _, g := range groups {
		if r, ok := o.cfg.Groups[g]; ok && (!found || r.Rank() > best.Rank()) {
			best, found = r, true
		}
	}
	return best, found
}

// oidcLogin starts a session for the person named name with role: their
// user is made on the first sign-in and given the provider's role at
// each; a disabled user stays out. Audited as session.login via oidc
// (and user.add or user.role when the user was made or changed).
func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request, name string, role ferry.Role) {
	ctx := r.Context()
	addr := clientAddr(r)
	u, err := s.cfg.Store.UserByName(ctx, name)
	switch {
	case errors.Is(err, ferry.ErrNotFound):
		// No usable password: a random one nobody ever sees.
		pw, _, terr := NewToken()
		if terr != nil {
			s.internal(w, r, pageRoute, terr)
			return
		}
		if _, err := AddUser(ctx, s.cfg.Store, name, addr, name, role, pw); err != nil {
			s.internal(w, r, pageRoute, err)
			return
		}
		if u, err = s.cfg.Store.UserByName(ctx, name); err != nil {
			s.internal(w, r, pageRoute, err)
			return
		}
	case err != nil:
		s.internal(w, r, pageRoute, err)
		return
	case u.Disabled:
		s.oidcRefused(w, r, name, "the user is disabled")
		return
	case u.Role != role:
		if err := ChangeUser(ctx, s.cfg.Store, name, addr, u, "role", role); err != nil {
			s.internal(w, r, pageRoute, err)
			return
		}
		u.Role = role
	}
	token, hash, err := NewToken()
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	err = ferry.Audited(ctx, s.cfg.Store, s.cfg.Store, ferry.Change{Actor: u.Name, Address: addr, Action: "session.login", Target: "user:" + u.Name},
		func(ctx context.Context) (any, error) {
			id, err := s.cfg.Store.AddSession(ctx, ferry.Session{TokenHash: hash, UserID: u.ID, Address: addr})
			return map[string]any{"session": id, "via": "oidc", "role": role}, err
		})
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	s.setCookie(w, r, token)
	// A page that moves on by itself rather than a redirect: the session
	// cookie is SameSite Strict, and a redirect chain that began at the
	// provider is cross-site, so the browser would not send it to /runs.
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = signedInPage.Execute(w, u.Name)
}

var signedInPage = template.Must(template.New("signed-in").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="0;url=/runs"><title>Signed in · Ferry</title><link rel="stylesheet" href="/assets/console.css"></head>
<body><main><p>Signed in as {{.}}. <a href="/runs">Continue</a></p></main></body></html>`))
