package storage

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ferry-rpa/ferry"
)

var _ ferry.LoginStateStore = (*DB)(nil)

const loginStateCols = `login_key, site, credential, bot, sealed, seal_key, saved_at, run_id, second_factor_at, trust_declared, last_valid_at, observed_expiry`

// SaveLoginState implements ferry.LoginStateStore.
func (d *DB) SaveLoginState(ctx context.Context, s ferry.LoginState) error {
	if s.Key == "" {
		return fmt.Errorf("storage: save login state: empty login key")
	}
	sealed := s.Sealed
	if sealed == nil {
		sealed = []byte{}
	}
	_, err := d.conn(ctx).ExecContext(ctx, `INSERT INTO login_states (`+loginStateCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (login_key) DO UPDATE SET site = excluded.site, credential = excluded.credential, bot = excluded.bot,
		sealed = excluded.sealed, seal_key = excluded.seal_key, saved_at = excluded.saved_at, run_id = excluded.run_id,
		second_factor_at = excluded.second_factor_at, trust_declared = excluded.trust_declared,
		last_valid_at = excluded.last_valid_at, observed_expiry = excluded.observed_expiry`,
		s.Key, s.Site, s.Credential, s.Bot, sealed, s.SealKey, d.ts(s.SavedAt), s.RunID,
		d.ts(s.SecondFactorAt), int64(s.TrustDeclared), d.ts(s.LastValidAt), d.ts(s.ObservedExpiry))
	if err != nil {
		return fmt.Errorf("storage: save login state of %s on %s: %w", s.Credential, s.Site, err)
	}
	return nil
}

func scanLoginState(sc interface{ Scan(...any) error }) (ferry.LoginState, error) {
	var s ferry.LoginState
	var saved, second, valid, observed string
	var trust int64
	err := sc.Scan(&s.Key, &s.Site, &s.Credential, &s.Bot, &s.Sealed, &s.SealKey, &saved, &s.RunID, &second, &trust, &valid, &observed)
	s.SavedAt, s.SecondFactorAt, s.LastValidAt, s.ObservedExpiry = parseTS(saved), parseTS(second), parseTS(valid), parseTS(observed)
	s.TrustDeclared = time.Duration(trust)
	return s, err
}

// LoginState implements ferry.LoginStateStore.
func (d *DB) LoginState(ctx context.Context, key string) (ferry.LoginState, error) {
	s, err := scanLoginState(d.conn(ctx).QueryRowContext(ctx, `SELECT `+loginStateCols+` FROM login_states WHERE login_key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return ferry.LoginState{}, fmt.Errorf("storage: login %s: %w", key, ferry.ErrNoLoginState)
	}
	if err != nil {
		return ferry.LoginState{}, fmt.Errorf("storage: login state %s: %w", key, err)
	}
	return s, nil
}

// LoginStates implements ferry.LoginStateStore.
func (d *DB) LoginStates(ctx context.Context) ([]ferry.LoginState, error) {
	return queryAll(ctx, d, "list login states", scanLoginState,
		`SELECT `+loginStateCols+` FROM login_states ORDER BY site, credential, login_key`)
}

// ResealLoginState implements ferry.LoginStateStore. The comparison is on
// the bytes in the row, in one statement: a run's save in between wins.
func (d *DB) ResealLoginState(ctx context.Context, key string, old, sealed []byte, sealKey string) error {
	return d.tx(ctx, func(tx txer) error {
		var cur []byte
		err := tx.QueryRowContext(ctx, `SELECT sealed FROM login_states WHERE login_key = ?`, key).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("storage: reseal login %s: %w", key, ferry.ErrNoLoginState)
		}
		if err != nil {
			return fmt.Errorf("storage: reseal login %s: %w", key, err)
		}
		if !bytes.Equal(cur, old) {
			return fmt.Errorf("storage: reseal login %s: %w", key, ferry.ErrLoginStateChanged)
		}
		res, err := tx.ExecContext(ctx, `UPDATE login_states SET sealed = ?, seal_key = ? WHERE login_key = ? AND sealed = ?`, sealed, sealKey, key, old)
		if err != nil {
			return fmt.Errorf("storage: reseal login %s: %w", key, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("storage: reseal login %s: %w", key, ferry.ErrLoginStateChanged)
		}
		return nil
	})
}

// DeleteLoginState implements ferry.LoginStateStore.
func (d *DB) DeleteLoginState(ctx context.Context, key string) error {
	res, err := d.conn(ctx).ExecContext(ctx, `DELETE FROM login_states WHERE login_key = ?`, key)
	if err != nil {
		return fmt.Errorf("storage: delete login state %s: %w", key, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: delete login state %s: %w", key, ferry.ErrNoLoginState)
	}
	return nil
}
