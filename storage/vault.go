package storage

import (
	"context"
	"fmt"
	"sort"

	"github.com/ferry-rpa/ferry/vault"
)

// The credential vault's store (vault.Store) on both databases: sealed
// values only; nothing here sees a value in clear.

var _ vault.Store = (*DB)(nil)

// PutVaultEntry stores a sealed field, replacing the same credential's
// field (see vault.Store).
func (d *DB) PutVaultEntry(ctx context.Context, e vault.Entry) error {
	_, err := d.conn(ctx).ExecContext(ctx, `INSERT INTO vault_fields (credential, field, sealed, recipient, set_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (credential, field) DO UPDATE SET sealed = excluded.sealed, recipient = excluded.recipient, set_at = excluded.set_at`,
		e.Credential, e.Field, e.Sealed, e.Recipient, d.ts(e.SetAt))
	if err != nil {
		return fmt.Errorf("storage: vault: put %s %s: %w", e.Credential, e.Field, err)
	}
	return nil
}

// VaultEntries lists a credential's sealed fields, or every credential's
// when credential is "" (see vault.Store).
func (d *DB) VaultEntries(ctx context.Context, credential string) ([]vault.Entry, error) {
	q := `SELECT credential, field, sealed, recipient, set_at FROM vault_fields`
	var args []any
	if credential != "" {
		q += ` WHERE credential = ?`
		args = append(args, credential)
	}
	rows, err := d.conn(ctx).QueryContext(ctx, q+``, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: vault: entries: %w", err)
	}
	defer rows.Close()
	var out []vault.Entry
	for rows.Next() {
		var e vault.Entry
		var set string
		if err := rows.Scan(&e.Credential, &e.Field, &e.Sealed, &e.Recipient, &set); err != nil {
			return nil, fmt.Errorf("storage: vault: entries: %w", err)
		}
		e.SetAt = parseTS(set)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: vault: entries: %w", err)
	}
	// Byte order on both databases (PostgreSQL's ORDER BY follows the
	// database's collation).
	sort.Slice(out, func(i, j int) bool {
		if out[i].Credential != out[j].Credential {
			return out[i].Credential < out[j].Credential
		}
		return out[i].Field < out[j].Field
	})
	return out, nil
}

// DeleteVaultEntries removes a credential's field, or all its fields when
// field is "" (see vault.Store).
func (d *DB) DeleteVaultEntries(ctx context.Context, credential, field string) (int, error) {
	q, args := `DELETE FROM vault_fields WHERE credential = ?`, []any{credential}
	if field != "" {
		q += ` AND field = ?`
		args = append(args, field)
	}
	res, err := d.conn(ctx).ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("storage: vault: remove %s: %w", credential, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: vault: remove %s: %w", credential, err)
	}
	return int(n), nil
}
