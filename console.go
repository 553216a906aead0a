package ferry

// The console's stores: accounts, sessions, API tokens and the audit log.
// storage implements them on SQLite and PostgreSQL; storage/storetest's
// Console suite proves an implementation keeps these contracts.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors of the console's stores; callers test with errors.Is.
var (
	// ErrNoUser reports an unknown user (by name or id).
	ErrNoUser = fmt.Errorf("no such user: %w", ErrNotFound)
	// ErrUserExists reports a second user under a name already taken.
	ErrUserExists = errors.New("a user with this name exists")
	// ErrNoSession reports an unknown (or deleted) session.
	ErrNoSession = fmt.Errorf("no such session: %w", ErrNotFound)
	// ErrNoToken reports an unknown or revoked API token.
	ErrNoToken = fmt.Errorf("no such API token: %w", ErrNotFound)
	// ErrBadRole reports a role that is not one of Roles.
	ErrBadRole = errors.New("unknown role (viewer, finance, ops or admin)")
)

// Role is what a console user may do; each role may do what the roles
// before it in Roles may, and more.
type Role string

// The roles, least to most.
const (
	RoleViewer  Role = "viewer"
	RoleFinance Role = "finance"
	RoleOps     Role = "ops"
	RoleAdmin   Role = "admin"
)

// Roles lists every role, least to most.
func Roles() []Role { return []Role{RoleViewer, RoleFinance, RoleOps, RoleAdmin} }

// ParseRole returns the role named s, or an error wrapping ErrBadRole.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles() {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("role %q: %w", s, ErrBadRole)
}

// Rank orders roles: viewer 1 … admin 4, 0 for an unknown one.
func (r Role) Rank() int {
	for i, x := range Roles() {
		if x == r {
			return i + 1
		}
	}
	return 0
}

// User is a console account. PasswordHash is an encoded argon2id hash,
// never the password.
type User struct {
	ID           int64
	Name         string
	Role         Role
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
	// FailedLogins counts wrong passwords since the last good login or
	// lockout; LockedUntil refuses logins until then.
	FailedLogins int
	LockedUntil  time.Time
}

// Session is a logged-in browser. TokenHash is the SHA-256 (hex) of the
// cookie's random token: the token itself is never stored.
type Session struct {
	ID        int64
	TokenHash string
	UserID    int64
	Address   string // the client's address at login
	CreatedAt time.Time
	LastSeen  time.Time
}

// APIToken is a Bearer token of a user for the HTTP API, scoped to a role
// no higher than the user's. TokenHash is its SHA-256 (hex).
type APIToken struct {
	ID        int64
	UserID    int64
	Name      string
	Role      Role
	TokenHash string
	CreatedAt time.Time
	LastUsed  time.Time
}

// AuditEntry is one change: who did what, to what, when, from where, with
// the state before and after as JSON (secrets masked: see Audited).
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string // a user name, or "cli:<os user>"
	Address string // the client's address, "" from the command line
	Action  string // e.g. user.add, run.start
	Target  string // what it changed, e.g. user:alice, run:12
	Before  string // JSON, "" when nothing was before
	After   string // JSON, "" when nothing is after
}

// AuditQuery filters the audit log; zero fields do not filter.
type AuditQuery struct {
	Actor  string
	Action string
	Since  time.Time // At >= Since
	Limit  int       // 0: all
}

// UserStore keeps console users and their API tokens.
type UserStore interface {
	// AddUser stores u (ID and CreatedAt are set by the store) and returns
	// its id. A name already taken is ErrUserExists; an unknown role
	// ErrBadRole; an empty name or hash an error. Nothing is stored on
	// error.
	AddUser(ctx context.Context, u User) (int64, error)
	// UserByName returns the user named name; an unknown one is ErrNoUser.
	UserByName(ctx context.Context, name string) (User, error)
	// UserByID returns user id; an unknown one is ErrNoUser.
	UserByID(ctx context.Context, id int64) (User, error)
	// Users lists every user by name.
	Users(ctx context.Context) ([]User, error)
	// SetUserDisabled disables or enables user id; ErrNoUser if unknown.
	SetUserDisabled(ctx context.Context, id int64, disabled bool) error
	// SetUserPassword replaces user id's password hash and clears its
	// failed logins and lockout; ErrNoUser if unknown.
	SetUserPassword(ctx context.Context, id int64, hash string) error
	// SetUserRole changes user id's role; ErrNoUser if unknown, ErrBadRole
	// for an unknown role.
	SetUserRole(ctx context.Context, id int64, role Role) error
	// LoginFailed counts a wrong password for user id, atomically across
	// processes: at the max-th failure since the last reset the user is
	// locked until now+lockFor and the count starts again. It returns the
	// lock's end (zero when not locked). ErrNoUser if unknown.
	LoginFailed(ctx context.Context, id int64, max int, lockFor time.Duration) (time.Time, error)
	// LoginSucceeded clears user id's failed logins; ErrNoUser if unknown.
	LoginSucceeded(ctx context.Context, id int64) error
	// AddAPIToken stores t (ID and CreatedAt set by the store) and returns
	// its id; an unknown user is ErrNoUser, a role above the user's an
	// error wrapping ErrBadRole.
	AddAPIToken(ctx context.Context, t APIToken) (int64, error)
	// APITokenByHash returns the token whose hash is hash and records now
	// as its last use; unknown or revoked is ErrNoToken.
	APITokenByHash(ctx context.Context, hash string) (APIToken, error)
	// APITokens lists user id's tokens, oldest first.
	APITokens(ctx context.Context, userID int64) ([]APIToken, error)
	// RevokeAPIToken deletes token id; an unknown one is ErrNoToken.
	RevokeAPIToken(ctx context.Context, id int64) error
}

// SessionStore keeps console sessions.
type SessionStore interface {
	// AddSession stores s (ID, CreatedAt and LastSeen set by the store)
	// and returns its id. An unknown user is ErrNoUser; a TokenHash taken
	// an error.
	AddSession(ctx context.Context, s Session) (int64, error)
	// SessionByHash returns the session whose token hash is hash; an
	// unknown one is ErrNoSession.
	SessionByHash(ctx context.Context, hash string) (Session, error)
	// TouchSession records now as session id's last use; an unknown one is
	// ErrNoSession.
	TouchSession(ctx context.Context, id int64) error
	// DeleteSession deletes session id (logout); an unknown one is
	// ErrNoSession.
	DeleteSession(ctx context.Context, id int64) error
	// DeleteUserSessions deletes every session of user id (disabled,
	// password changed) and returns how many.
	DeleteUserSessions(ctx context.Context, userID int64) (int, error)
	// DeleteSessionsBefore deletes sessions created before created or
	// last seen before seen (expired) and returns how many.
	DeleteSessionsBefore(ctx context.Context, created, seen time.Time) (int, error)
}

// AuditStore keeps the audit log, append-only: no method changes or
// deletes an entry, and the database refuses updates and deletes.
type AuditStore interface {
	// AppendAudit stores e (ID set by the store; At set to now when zero)
	// and returns its id. An empty Actor or Action is an error. Called in
	// a transaction (Transactor.InTx), the entry is stored only if the
	// transaction commits.
	AppendAudit(ctx context.Context, e AuditEntry) (int64, error)
	// Audit lists entries matching q, newest first.
	Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
}

// ConsoleStore is every store the console needs beside the run stores.
type ConsoleStore interface {
	Transactor
	UserStore
	SessionStore
	AuditStore
}

// Masked is what a secret's value is replaced with in the audit log.
const Masked = "********"

// secretKey reports whether a JSON key names a secret.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"password", "passwd", "secret", "token", "hash", "totp", "seed", "key", "otp", "pin"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// MaskJSON returns v as JSON with the value of every key naming a secret
// (password, token, hash, secret, TOTP seed, key, PIN …), at any depth,
// replaced by Masked. nil gives "".
func MaskJSON(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("audit: %w", err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return "", fmt.Errorf("audit: %w", err)
	}
	out, err := json.Marshal(mask(generic))
	if err != nil {
		return "", fmt.Errorf("audit: %w", err)
	}
	return string(out), nil
}

func mask(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if secretKey(k) {
				if val != nil && val != "" {
					x[k] = Masked
				}
				continue
			}
			x[k] = mask(val)
		}
	case []any:
		for i := range x {
			x[i] = mask(x[i])
		}
	}
	return v
}

// Change is one audited change as Audited records it.
type Change struct {
	Actor, Address, Action, Target string
	// Before and After are marshalled to JSON with secrets masked.
	Before, After any
}

// Audited is the one way a change is made: it runs fn and appends c to the
// audit log in one transaction, so that a change is never without its
// entry nor an entry without its change. fn must use the context it is
// given. When fn returns a non-nil after, it replaces c.After (for what
// only the change knows, such as a new id). Errors: fn's, unwrapped, or
// the audit log's (then nothing of fn is kept).
func Audited(ctx context.Context, tx Transactor, log AuditStore, c Change, fn func(ctx context.Context) (after any, err error)) error {
	return tx.InTx(ctx, func(ctx context.Context) error {
		after, err := fn(ctx)
		if err != nil {
			return err
		}
		if after != nil {
			c.After = after
		}
		before, err := MaskJSON(c.Before)
		if err != nil {
			return err
		}
		aft, err := MaskJSON(c.After)
		if err != nil {
			return err
		}
		if _, err := log.AppendAudit(ctx, AuditEntry{Actor: c.Actor, Address: c.Address, Action: c.Action, Target: c.Target, Before: before, After: aft}); err != nil {
			return fmt.Errorf("audit %s %s: %w", c.Action, c.Target, err)
		}
		return nil
	})
}
