package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ferry-rpa/ferry"
)

// cookieName is the session cookie's name.
const cookieName = "ferry_session"

// identity is who a request acts as.
type identity struct {
	user ferry.User
	role ferry.Role // the user's, or the API token's (never higher)
	// session is the browser session (0 for API tokens); csrf its token.
	session int64
	csrf    string
	addr    string
}

// actor is how the audit log names who acted.
func (who *identity) actor() string {
	if who.session == 0 {
		return who.user.Name + " (API token)"
	}
	return who.user.Name
}

// session returns the identity of the request's session cookie, or nil
// when there is none, it expired or its user is disabled (the cookie is
// then cleared). Errors are the store's.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (*identity, error) {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	ctx := r.Context()
	sess, err := s.cfg.Store.SessionByHash(ctx, HashToken(c.Value))
	if errors.Is(err, ferry.ErrNotFound) {
		s.clearCookie(w, r)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	if now.Sub(sess.CreatedAt) > s.cfg.MaxSessionAge || now.Sub(sess.LastSeen) > s.cfg.IdleTimeout {
		if err := s.cfg.Store.DeleteSession(ctx, sess.ID); err != nil && !errors.Is(err, ferry.ErrNotFound) {
			return nil, err
		}
		s.clearCookie(w, r)
		return nil, nil
	}
	u, err := s.cfg.Store.UserByID(ctx, sess.UserID)
	if errors.Is(err, ferry.ErrNotFound) || (err == nil && u.Disabled) {
		_ = s.cfg.Store.DeleteSession(ctx, sess.ID)
		s.clearCookie(w, r)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.TouchSession(ctx, sess.ID); err != nil && !errors.Is(err, ferry.ErrNotFound) {
		return nil, err
	}
	return &identity{user: u, role: u.Role, session: sess.ID, csrf: csrfFor(c.Value), addr: clientAddr(r)}, nil
}

// bearer returns the identity of the request's API token, or nil when it
// has none, or an unknown one, or its user is disabled.
func (s *Server) bearer(r *http.Request) (*identity, error) {
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return nil, nil
	}
	ctx := r.Context()
	t, err := s.cfg.Store.APITokenByHash(ctx, HashToken(strings.TrimSpace(tok)))
	if errors.Is(err, ferry.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := s.cfg.Store.UserByID(ctx, t.UserID)
	if errors.Is(err, ferry.ErrNotFound) || (err == nil && u.Disabled) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	role := t.Role
	if role.Rank() > u.Role.Rank() {
		// The user was demoted after the token was made.
		role = u.Role
	}
	return &identity{user: u, role: role, addr: clientAddr(r)}, nil
}

func (s *Server) secure(r *http.Request) bool { return r.TLS != nil || s.cfg.SecureCookies }

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.secure(r), MaxAge: int(s.cfg.MaxSessionAge.Seconds())})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r), MaxAge: -1})
}

// errLogin is the one answer to every refused login: the same for an
// unknown user, a wrong password, a disabled or locked user, so that
// nobody learns which names exist.
const errLogin = "wrong name or password, or too many attempts: try again later"

// login checks a name and password and returns the user, or errLogin's
// case as (zero, false). Per-user and per-address failures are counted;
// an unknown user costs the same hashing as a known one.
func (s *Server) login(ctx context.Context, name, password, addr string) (ferry.User, bool, error) {
	now := s.cfg.Now()
	if s.limiter.locked(addr, now) {
		// Still hash: a locked address learns nothing from timing either.
		_, _ = VerifyPassword(s.dummyHash, password)
		return ferry.User{}, false, nil
	}
	u, err := s.cfg.Store.UserByName(ctx, name)
	if err != nil && !errors.Is(err, ferry.ErrNotFound) {
		return u, false, err
	}
	known := err == nil
	hash := s.dummyHash
	if known {
		hash = u.PasswordHash
	}
	ok, verr := VerifyPassword(hash, password)
	if verr != nil {
		return u, false, fmt.Errorf("console: user %s: %w", name, verr)
	}
	if !known {
		s.limiter.failed(addr, now, 4*s.cfg.MaxFailures, s.cfg.LockFor)
		return ferry.User{}, false, nil
	}
	if u.Disabled || now.Before(u.LockedUntil) {
		return ferry.User{}, false, nil
	}
	if !ok {
		s.limiter.failed(addr, now, 4*s.cfg.MaxFailures, s.cfg.LockFor)
		until, err := s.cfg.Store.LoginFailed(ctx, u.ID, s.cfg.MaxFailures, s.cfg.LockFor)
		if err != nil {
			return ferry.User{}, false, err
		}
		if !until.IsZero() {
			s.cfg.Logger.Warn().Str("user", u.Name).Str("addr", addr).Time("until", until).Msg("console: user locked after failed logins")
		}
		return ferry.User{}, false, nil
	}
	if u.FailedLogins > 0 {
		if err := s.cfg.Store.LoginSucceeded(ctx, u.ID); err != nil {
			return u, false, err
		}
	}
	s.limiter.succeeded(addr)
	return u, true, nil
}
