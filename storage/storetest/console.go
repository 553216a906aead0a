package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
)

// ConsoleHarness makes the stores Console tests.
type ConsoleHarness struct {
	// New returns a fresh, empty store for t, closed when t ends, whose
	// clock is now (time.Now when nil).
	New func(t *testing.T, now func() time.Time) ferry.ConsoleStore
	// Exec runs a statement, written with ? placeholders, on s's database
	// and returns its error: to prove the audit log refuses changes.
	Exec func(t *testing.T, s ferry.ConsoleStore, query string, args ...any) error
}

// Console checks the console's stores: users, API tokens, sessions and the
// audit log.
func Console(t *testing.T, h ConsoleHarness) {
	t.Run("Users", func(t *testing.T) { t.Parallel(); consoleUsers(t, h) })
	t.Run("Lockout", func(t *testing.T) { t.Parallel(); consoleLockout(t, h) })
	t.Run("Tokens", func(t *testing.T) { t.Parallel(); consoleTokens(t, h) })
	t.Run("Sessions", func(t *testing.T) { t.Parallel(); consoleSessions(t, h) })
	t.Run("Audit", func(t *testing.T) { t.Parallel(); consoleAudit(t, h) })
}

func addUser(t *testing.T, s ferry.ConsoleStore, name string, role ferry.Role) int64 {
	t.Helper()
	id, err := s.AddUser(ctx, ferry.User{Name: name, Role: role, PasswordHash: "$argon2id$fake$" + name})
	if err != nil {
		t.Fatalf("AddUser(%s): %v", name, err)
	}
	return id
}

func consoleUsers(t *testing.T, h ConsoleHarness) {
	s := h.New(t, nil)
	id := addUser(t, s, "alice", ferry.RoleFinance)
	if _, err := s.AddUser(ctx, ferry.User{Name: "alice", Role: ferry.RoleAdmin, PasswordHash: "x"}); !errors.Is(err, ferry.ErrUserExists) {
		t.Fatalf("second alice: %v, want ErrUserExists", err)
	}
	if _, err := s.AddUser(ctx, ferry.User{Name: "bob", Role: "root", PasswordHash: "x"}); !errors.Is(err, ferry.ErrBadRole) {
		t.Fatalf("role root: %v, want ErrBadRole", err)
	}
	if _, err := s.AddUser(ctx, ferry.User{Name: "carol", Role: ferry.RoleViewer}); err == nil {
		t.Fatal("a user without a password hash was stored")
	}
	u, err := s.UserByName(ctx, "alice")
	if err != nil || u.ID != id || u.Role != ferry.RoleFinance || u.Disabled || u.CreatedAt.IsZero() || u.PasswordHash != "$argon2id$fake$alice" {
		t.Fatalf("UserByName: %+v, %v", u, err)
	}
	if _, err := s.UserByName(ctx, "nobody"); !errors.Is(err, ferry.ErrNoUser) || !errors.Is(err, ferry.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if _, err := s.UserByID(ctx, id+100); !errors.Is(err, ferry.ErrNoUser) {
		t.Fatalf("unknown id: %v", err)
	}
	addUser(t, s, "aaron", ferry.RoleAdmin)
	if us, err := s.Users(ctx); err != nil || len(us) != 2 || us[0].Name != "aaron" || us[1].Name != "alice" {
		t.Fatalf("Users: %+v, %v", us, err)
	}
	if err := s.SetUserDisabled(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserRole(ctx, id, ferry.RoleOps); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserRole(ctx, id, "root"); !errors.Is(err, ferry.ErrBadRole) {
		t.Fatalf("SetUserRole(root): %v", err)
	}
	if err := s.SetUserPassword(ctx, id, "$argon2id$new"); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.UserByID(ctx, id); !u.Disabled || u.Role != ferry.RoleOps || u.PasswordHash != "$argon2id$new" {
		t.Fatalf("after the changes: %+v", u)
	}
	for name, err := range map[string]error{
		"disable":  s.SetUserDisabled(ctx, id+100, true),
		"password": s.SetUserPassword(ctx, id+100, "x"),
		"role":     s.SetUserRole(ctx, id+100, ferry.RoleAdmin),
	} {
		if !errors.Is(err, ferry.ErrNoUser) {
			t.Errorf("%s of an unknown user: %v", name, err)
		}
	}
}

func consoleLockout(t *testing.T, h ConsoleHarness) {
	c := &clock{t: slot}
	s := h.New(t, c.now)
	id := addUser(t, s, "alice", ferry.RoleViewer)
	for i := 1; i < 3; i++ {
		if until, err := s.LoginFailed(ctx, id, 3, time.Minute); err != nil || !until.IsZero() {
			t.Fatalf("failure %d: locked until %v, %v", i, until, err)
		}
	}
	until, err := s.LoginFailed(ctx, id, 3, time.Minute)
	if err != nil || !until.Equal(slot.Add(time.Minute)) {
		t.Fatalf("third failure: locked until %v, %v", until, err)
	}
	if u, _ := s.UserByID(ctx, id); !u.LockedUntil.Equal(slot.Add(time.Minute)) || u.FailedLogins != 0 {
		t.Fatalf("locked user: %+v", u)
	}
	if _, err := s.LoginFailed(ctx, id, 3, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.LoginSucceeded(ctx, id); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.UserByID(ctx, id); u.FailedLogins != 0 {
		t.Fatalf("after a good login: %+v", u)
	}
	if _, err := s.LoginFailed(ctx, id+100, 3, time.Minute); !errors.Is(err, ferry.ErrNoUser) {
		t.Fatalf("unknown user: %v", err)
	}
	// Concurrent failures are all counted: 10 at max 10 lock exactly once.
	id2 := addUser(t, s, "bob", ferry.RoleViewer)
	locks := make(chan bool, 10)
	for range 10 {
		go func() {
			until, err := s.LoginFailed(context.Background(), id2, 10, time.Minute)
			if err != nil {
				t.Error(err)
			}
			locks <- !until.IsZero()
		}()
	}
	n := 0
	for range 10 {
		if <-locks {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("10 concurrent failures at max 10 locked %d times, want 1", n)
	}
}

func consoleTokens(t *testing.T, h ConsoleHarness) {
	s := h.New(t, nil)
	id := addUser(t, s, "ops", ferry.RoleOps)
	tid, err := s.AddAPIToken(ctx, ferry.APIToken{UserID: id, Name: "ci", Role: ferry.RoleViewer, TokenHash: "h1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddAPIToken(ctx, ferry.APIToken{UserID: id, Role: ferry.RoleAdmin, TokenHash: "h2"}); !errors.Is(err, ferry.ErrBadRole) {
		t.Fatalf("an admin token for an ops user: %v", err)
	}
	if _, err := s.AddAPIToken(ctx, ferry.APIToken{UserID: id + 100, Role: ferry.RoleViewer, TokenHash: "h3"}); !errors.Is(err, ferry.ErrNoUser) {
		t.Fatalf("token of an unknown user: %v", err)
	}
	tok, err := s.APITokenByHash(ctx, "h1")
	if err != nil || tok.ID != tid || tok.Role != ferry.RoleViewer || tok.UserID != id || tok.Name != "ci" || tok.LastUsed.IsZero() {
		t.Fatalf("APITokenByHash: %+v, %v", tok, err)
	}
	if _, err := s.APITokenByHash(ctx, "h2"); !errors.Is(err, ferry.ErrNoToken) {
		t.Fatalf("unknown token: %v", err)
	}
	if ts, err := s.APITokens(ctx, id); err != nil || len(ts) != 1 {
		t.Fatalf("APITokens: %+v, %v", ts, err)
	}
	if err := s.RevokeAPIToken(ctx, tid); err != nil {
		t.Fatal(err)
	}
	if _, err := s.APITokenByHash(ctx, "h1"); !errors.Is(err, ferry.ErrNoToken) {
		t.Fatalf("revoked token: %v", err)
	}
	if err := s.RevokeAPIToken(ctx, tid); !errors.Is(err, ferry.ErrNoToken) {
		t.Fatalf("revoked twice: %v", err)
	}
}

func consoleSessions(t *testing.T, h ConsoleHarness) {
	c := &clock{t: slot}
	s := h.New(t, c.now)
	id := addUser(t, s, "alice", ferry.RoleViewer)
	sid, err := s.AddSession(ctx, ferry.Session{TokenHash: "s1", UserID: id, Address: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSession(ctx, ferry.Session{TokenHash: "s1", UserID: id}); err == nil {
		t.Fatal("a second session under one token hash")
	}
	if _, err := s.AddSession(ctx, ferry.Session{TokenHash: "s9", UserID: id + 100}); !errors.Is(err, ferry.ErrNoUser) {
		t.Fatalf("session of an unknown user: %v", err)
	}
	got, err := s.SessionByHash(ctx, "s1")
	if err != nil || got.ID != sid || got.UserID != id || got.Address != "192.0.2.1" || !got.CreatedAt.Equal(slot) || !got.LastSeen.Equal(slot) {
		t.Fatalf("SessionByHash: %+v, %v", got, err)
	}
	c.advance(time.Hour)
	if err := s.TouchSession(ctx, sid); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SessionByHash(ctx, "s1"); !got.LastSeen.Equal(slot.Add(time.Hour)) || !got.CreatedAt.Equal(slot) {
		t.Fatalf("touched: %+v", got)
	}
	old, _ := s.AddSession(ctx, ferry.Session{TokenHash: "s2", UserID: id})
	_ = old
	c.advance(2 * time.Hour)
	if _, err := s.AddSession(ctx, ferry.Session{TokenHash: "s3", UserID: id}); err != nil {
		t.Fatal(err)
	}
	// Created before slot+30m (s1) or last seen before slot+2h (s2): two.
	if n, err := s.DeleteSessionsBefore(ctx, slot.Add(30*time.Minute), slot.Add(2*time.Hour)); err != nil || n != 2 {
		t.Fatalf("DeleteSessionsBefore: %d, %v; want 2", n, err)
	}
	if _, err := s.SessionByHash(ctx, "s1"); !errors.Is(err, ferry.ErrNoSession) {
		t.Fatalf("expired session: %v", err)
	}
	s3, err := s.SessionByHash(ctx, "s3")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, s3.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, s3.ID); !errors.Is(err, ferry.ErrNoSession) {
		t.Fatalf("deleted twice: %v", err)
	}
	if err := s.TouchSession(ctx, s3.ID); !errors.Is(err, ferry.ErrNoSession) {
		t.Fatalf("touch deleted: %v", err)
	}
	s.AddSession(ctx, ferry.Session{TokenHash: "s4", UserID: id})
	s.AddSession(ctx, ferry.Session{TokenHash: "s5", UserID: id})
	if n, err := s.DeleteUserSessions(ctx, id); err != nil || n != 2 {
		t.Fatalf("DeleteUserSessions: %d, %v", n, err)
	}
}

func consoleAudit(t *testing.T, h ConsoleHarness) {
	c := &clock{t: slot}
	s := h.New(t, c.now)
	if _, err := s.AppendAudit(ctx, ferry.AuditEntry{Action: "x"}); err == nil {
		t.Fatal("an entry without an actor was stored")
	}
	// Audited: the change and its entry commit together, or neither.
	var uid int64
	err := ferry.Audited(ctx, s, s, ferry.Change{Actor: "root", Address: "192.0.2.9", Action: "user.add", Target: "user:alice"},
		func(ctx context.Context) (any, error) {
			var err error
			uid, err = s.AddUser(ctx, ferry.User{Name: "alice", Role: ferry.RoleAdmin, PasswordHash: "$argon2id$secret"})
			return map[string]any{"name": "alice", "role": "admin", "password_hash": "$argon2id$secret"}, err
		})
	if err != nil {
		t.Fatal(err)
	}
	failed := errors.New("refused")
	err = ferry.Audited(ctx, s, s, ferry.Change{Actor: "root", Action: "user.add", Target: "user:bob"},
		func(ctx context.Context) (any, error) {
			if _, err := s.AddUser(ctx, ferry.User{Name: "bob", Role: ferry.RoleAdmin, PasswordHash: "x"}); err != nil {
				return nil, err
			}
			return nil, failed
		})
	if !errors.Is(err, failed) {
		t.Fatalf("failed change: %v", err)
	}
	if _, err := s.UserByName(ctx, "bob"); !errors.Is(err, ferry.ErrNoUser) {
		t.Fatalf("the failed change was kept: %v", err)
	}
	c.advance(time.Minute)
	if _, err := s.AppendAudit(ctx, ferry.AuditEntry{Actor: "alice", Action: "run.start", Target: "run:1"}); err != nil {
		t.Fatal(err)
	}
	all, err := s.Audit(ctx, ferry.AuditQuery{})
	if err != nil || len(all) != 2 {
		t.Fatalf("Audit: %+v, %v", all, err)
	}
	if all[0].Action != "run.start" || all[1].Action != "user.add" || !all[1].At.Equal(slot) || all[1].Address != "192.0.2.9" || all[1].Target != "user:alice" {
		t.Fatalf("entries: %+v", all)
	}
	if want := `{"name":"alice","password_hash":"` + ferry.Masked + `","role":"admin"}`; all[1].After != want || all[1].Before != "" {
		t.Fatalf("after %s, want %s (secrets masked)", all[1].After, want)
	}
	if got, _ := s.Audit(ctx, ferry.AuditQuery{Actor: "alice"}); len(got) != 1 || got[0].Action != "run.start" {
		t.Fatalf("by actor: %+v", got)
	}
	if got, _ := s.Audit(ctx, ferry.AuditQuery{Action: "user.add", Since: slot}); len(got) != 1 {
		t.Fatalf("by action: %+v", got)
	}
	if got, _ := s.Audit(ctx, ferry.AuditQuery{Since: slot.Add(30 * time.Second)}); len(got) != 1 {
		t.Fatalf("since: %+v", got)
	}
	if got, _ := s.Audit(ctx, ferry.AuditQuery{Limit: 1}); len(got) != 1 || got[0].Action != "run.start" {
		t.Fatalf("limit: %+v", got)
	}
	// Append-only: the database refuses changes and deletions.
	if err := h.Exec(t, s, `UPDATE audit_log SET actor = 'mallory'`); err == nil {
		t.Error("the audit log accepted an UPDATE")
	}
	if err := h.Exec(t, s, `DELETE FROM audit_log`); err == nil {
		t.Error("the audit log accepted a DELETE")
	}
	if got, _ := s.Audit(ctx, ferry.AuditQuery{}); len(got) != 2 || got[1].Actor != "root" {
		t.Fatalf("after the refused changes: %+v", got)
	}
	_ = uid
}
