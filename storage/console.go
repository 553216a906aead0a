package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
)

// The console's stores (ferry.UserStore, SessionStore, AuditStore) on
// both databases. Tokens and passwords arrive hashed; nothing here sees
// them in clear.

var _ ferry.ConsoleStore = (*DB)(nil)

const userCols = `id, name, role, password_hash, disabled, failed_logins, locked_until, created_at`

func scanUser(row interface{ Scan(...any) error }) (ferry.User, error) {
	var u ferry.User
	var role, locked, created string
	var disabled int
	if err := row.Scan(&u.ID, &u.Name, &role, &u.PasswordHash, &disabled, &u.FailedLogins, &locked, &created); err != nil {
		return u, err
	}
	u.Role, u.Disabled, u.LockedUntil, u.CreatedAt = ferry.Role(role), disabled != 0, parseTS(locked), parseTS(created)
	return u, nil
}

// AddUser stores a console user (see ferry.UserStore).
func (d *DB) AddUser(ctx context.Context, u ferry.User) (int64, error) {
	if strings.TrimSpace(u.Name) == "" || u.PasswordHash == "" {
		return 0, fmt.Errorf("storage: add user %q: a name and a password hash are needed", u.Name)
	}
	if _, err := ferry.ParseRole(string(u.Role)); err != nil {
		return 0, fmt.Errorf("storage: add user %s: %w", u.Name, err)
	}
	var id int64
	err := d.conn(ctx).QueryRowContext(ctx, `INSERT INTO console_users (name, role, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		u.Name, string(u.Role), u.PasswordHash, boolInt(u.Disabled), d.ts(d.now())).Scan(&id)
	if err != nil {
		if isUniqueViolation(err) {
			return 0, fmt.Errorf("storage: add user %s: %w", u.Name, ferry.ErrUserExists)
		}
		return 0, fmt.Errorf("storage: add user %s: %w", u.Name, err)
	}
	return id, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// UserByName returns a user by name (see ferry.UserStore).
func (d *DB) UserByName(ctx context.Context, name string) (ferry.User, error) {
	u, err := scanUser(d.conn(ctx).QueryRowContext(ctx, `SELECT `+userCols+` FROM console_users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("storage: user %q: %w", name, ferry.ErrNoUser)
	}
	if err != nil {
		return u, fmt.Errorf("storage: user %q: %w", name, err)
	}
	return u, nil
}

// UserByID returns a user by id (see ferry.UserStore).
func (d *DB) UserByID(ctx context.Context, id int64) (ferry.User, error) {
	u, err := scanUser(d.conn(ctx).QueryRowContext(ctx, `SELECT `+userCols+` FROM console_users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("storage: user %d: %w", id, ferry.ErrNoUser)
	}
	if err != nil {
		return u, fmt.Errorf("storage: user %d: %w", id, err)
	}
	return u, nil
}

// Users lists every user by name (see ferry.UserStore).
func (d *DB) Users(ctx context.Context) ([]ferry.User, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT `+userCols+` FROM console_users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("storage: users: %w", err)
	}
	defer rows.Close()
	var out []ferry.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: users: %w", err)
	}
	return out, nil
}

// updateOne runs an UPDATE or DELETE that must touch one row; none is
// notFound.
func (d *DB) updateOne(ctx context.Context, what string, notFound error, query string, args ...any) error {
	res, err := d.conn(ctx).ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("storage: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("storage: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("storage: %s: %w", what, notFound)
	}
	return nil
}

// SetUserDisabled disables or enables a user (see ferry.UserStore).
func (d *DB) SetUserDisabled(ctx context.Context, id int64, disabled bool) error {
	return d.updateOne(ctx, fmt.Sprintf("disable user %d", id), ferry.ErrNoUser, `UPDATE console_users SET disabled = ? WHERE id = ?`, boolInt(disabled), id)
}

// SetUserPassword replaces a user's password hash and clears its lockout
// (see ferry.UserStore).
func (d *DB) SetUserPassword(ctx context.Context, id int64, hash string) error {
	if hash == "" {
		return fmt.Errorf("storage: password of user %d: empty hash", id)
	}
	return d.updateOne(ctx, fmt.Sprintf("password of user %d", id), ferry.ErrNoUser, `UPDATE console_users SET password_hash = ?, failed_logins = 0, locked_until = '' WHERE id = ?`, hash, id)
}

// SetUserRole changes a user's role (see ferry.UserStore).
func (d *DB) SetUserRole(ctx context.Context, id int64, role ferry.Role) error {
	if _, err := ferry.ParseRole(string(role)); err != nil {
		return fmt.Errorf("storage: role of user %d: %w", id, err)
	}
	return d.updateOne(ctx, fmt.Sprintf("role of user %d", id), ferry.ErrNoUser, `UPDATE console_users SET role = ? WHERE id = ?`, string(role), id)
}

// LoginFailed counts a failed login and locks the user at the max-th (see
// ferry.UserStore). The increment is one UPDATE … RETURNING, atomic on
// both databases.
func (d *DB) LoginFailed(ctx context.Context, id int64, max int, lockFor time.Duration) (time.Time, error) {
	var until time.Time
	err := d.tx(ctx, func(tx txer) error {
		var n int
		err := tx.QueryRowContext(ctx, `UPDATE console_users SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins`, id).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return ferry.ErrNoUser
		}
		if err != nil {
			return err
		}
		if max > 0 && n >= max {
			until = d.now().Add(lockFor)
			_, err = tx.ExecContext(ctx, `UPDATE console_users SET failed_logins = 0, locked_until = ? WHERE id = ?`, d.ts(until), id)
		}
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("storage: failed login of user %d: %w", id, err)
	}
	return until, nil
}

// LoginSucceeded clears a user's failed logins (see ferry.UserStore).
func (d *DB) LoginSucceeded(ctx context.Context, id int64) error {
	return d.updateOne(ctx, fmt.Sprintf("login of user %d", id), ferry.ErrNoUser, `UPDATE console_users SET failed_logins = 0 WHERE id = ?`, id)
}

// AddAPIToken stores an API token's hash (see ferry.UserStore).
func (d *DB) AddAPIToken(ctx context.Context, t ferry.APIToken) (int64, error) {
	var id int64
	err := d.tx(ctx, func(tx txer) error {
		var role string
		if err := tx.QueryRowContext(ctx, `SELECT role FROM console_users WHERE id = ?`, t.UserID).Scan(&role); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ferry.ErrNoUser
			}
			return err
		}
		if t.Role.Rank() == 0 || t.Role.Rank() > ferry.Role(role).Rank() {
			return fmt.Errorf("token role %q for a user with role %s: %w", t.Role, role, ferry.ErrBadRole)
		}
		if t.TokenHash == "" {
			return errors.New("empty token hash")
		}
		return tx.QueryRowContext(ctx, `INSERT INTO console_tokens (user_id, name, role, token_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			t.UserID, t.Name, string(t.Role), t.TokenHash, d.ts(d.now())).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("storage: API token of user %d: %w", t.UserID, err)
	}
	return id, nil
}

const tokenCols = `id, user_id, name, role, token_hash, created_at, last_used`

func scanToken(row interface{ Scan(...any) error }) (ferry.APIToken, error) {
	var t ferry.APIToken
	var role, created, used string
	err := row.Scan(&t.ID, &t.UserID, &t.Name, &role, &t.TokenHash, &created, &used)
	t.Role, t.CreatedAt, t.LastUsed = ferry.Role(role), parseTS(created), parseTS(used)
	return t, err
}

// APITokenByHash finds a token by its hash and records its use (see
// ferry.UserStore).
func (d *DB) APITokenByHash(ctx context.Context, hash string) (ferry.APIToken, error) {
	now := d.now()
	t, err := scanToken(d.conn(ctx).QueryRowContext(ctx, `UPDATE console_tokens SET last_used = ? WHERE token_hash = ? RETURNING `+tokenCols, d.ts(now), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("storage: API token: %w", ferry.ErrNoToken)
	}
	if err != nil {
		return t, fmt.Errorf("storage: API token: %w", err)
	}
	return t, nil
}

// APITokens lists a user's tokens (see ferry.UserStore).
func (d *DB) APITokens(ctx context.Context, userID int64) ([]ferry.APIToken, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT `+tokenCols+` FROM console_tokens WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("storage: API tokens of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []ferry.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: API tokens of user %d: %w", userID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeAPIToken deletes a token (see ferry.UserStore).
func (d *DB) RevokeAPIToken(ctx context.Context, id int64) error {
	return d.updateOne(ctx, fmt.Sprintf("revoke API token %d", id), ferry.ErrNoToken, `DELETE FROM console_tokens WHERE id = ?`, id)
}

// AddSession stores a session's token hash (see ferry.SessionStore).
func (d *DB) AddSession(ctx context.Context, s ferry.Session) (int64, error) {
	if s.TokenHash == "" {
		return 0, fmt.Errorf("storage: session of user %d: empty token hash", s.UserID)
	}
	var id int64
	err := d.tx(ctx, func(tx txer) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM console_users WHERE id = ?`, s.UserID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ferry.ErrNoUser
		}
		now := d.ts(d.now())
		return tx.QueryRowContext(ctx, `INSERT INTO console_sessions (token_hash, user_id, address, created_at, last_seen) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			s.TokenHash, s.UserID, s.Address, now, now).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("storage: session of user %d: %w", s.UserID, err)
	}
	return id, nil
}

// SessionByHash returns a session by its token's hash (see
// ferry.SessionStore).
func (d *DB) SessionByHash(ctx context.Context, hash string) (ferry.Session, error) {
	var s ferry.Session
	var created, seen string
	err := d.conn(ctx).QueryRowContext(ctx, `SELECT id, token_hash, user_id, address, created_at, last_seen FROM console_sessions WHERE token_hash = ?`, hash).
		Scan(&s.ID, &s.TokenHash, &s.UserID, &s.Address, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("storage: session: %w", ferry.ErrNoSession)
	}
	if err != nil {
		return s, fmt.Errorf("storage: session: %w", err)
	}
	s.CreatedAt, s.LastSeen = parseTS(created), parseTS(seen)
	return s, nil
}

// TouchSession records a session's use (see ferry.SessionStore).
func (d *DB) TouchSession(ctx context.Context, id int64) error {
	return d.updateOne(ctx, fmt.Sprintf("session %d", id), ferry.ErrNoSession, `UPDATE console_sessions SET last_seen = ? WHERE id = ?`, d.ts(d.now()), id)
}

// DeleteSession deletes a session (see ferry.SessionStore).
func (d *DB) DeleteSession(ctx context.Context, id int64) error {
	return d.updateOne(ctx, fmt.Sprintf("delete session %d", id), ferry.ErrNoSession, `DELETE FROM console_sessions WHERE id = ?`, id)
}

// DeleteUserSessions deletes a user's sessions (see ferry.SessionStore).
func (d *DB) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	res, err := d.conn(ctx).ExecContext(ctx, `DELETE FROM console_sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("storage: sessions of user %d: %w", userID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DeleteSessionsBefore deletes expired sessions (see ferry.SessionStore).
func (d *DB) DeleteSessionsBefore(ctx context.Context, created, seen time.Time) (int, error) {
	res, err := d.conn(ctx).ExecContext(ctx, `DELETE FROM console_sessions WHERE created_at < ? OR last_seen < ?`, d.ts(created), d.ts(seen))
	if err != nil {
		return 0, fmt.Errorf("storage: expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// AppendAudit appends an audit entry (see ferry.AuditStore).
func (d *DB) AppendAudit(ctx context.Context, e ferry.AuditEntry) (int64, error) {
	if e.Actor == "" || e.Action == "" {
		return 0, fmt.Errorf("storage: audit entry without actor or action (%q, %q)", e.Actor, e.Action)
	}
	if e.At.IsZero() {
		e.At = d.now()
	}
	var id int64
	err := d.conn(ctx).QueryRowContext(ctx, `INSERT INTO audit_log (at, actor, address, action, target, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		d.ts(e.At), e.Actor, e.Address, e.Action, e.Target, e.Before, e.After).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("storage: audit %s %s: %w", e.Action, e.Target, err)
	}
	return id, nil
}

// Audit lists audit entries, newest first (see ferry.AuditStore).
func (d *DB) Audit(ctx context.Context, q ferry.AuditQuery) ([]ferry.AuditEntry, error) {
	query := `SELECT id, at, actor, address, action, target, before_json, after_json FROM audit_log WHERE 1 = 1`
	var args []any
	if q.Actor != "" {
		query += ` AND actor = ?`
		args = append(args, q.Actor)
	}
	if q.Action != "" {
		query += ` AND action = ?`
		args = append(args, q.Action)
	}
	if !q.Since.IsZero() {
		query += ` AND at >= ?`
		args = append(args, d.ts(q.Since))
	}
	query += ` ORDER BY id DESC`
	if q.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	rows, err := d.conn(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: audit log: %w", err)
	}
	defer rows.Close()
	var out []ferry.AuditEntry
	for rows.Next() {
		var e ferry.AuditEntry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Address, &e.Action, &e.Target, &e.Before, &e.After); err != nil {
			return nil, fmt.Errorf("storage: audit log: %w", err)
		}
		e.At = parseTS(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: audit log: %w", err)
	}
	return out, nil
}
