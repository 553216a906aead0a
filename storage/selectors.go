package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ferry-rpa/ferry"
)

// SelectorVersion is one stored content of a site's selector file.
type SelectorVersion struct {
	Site      string
	Seq       int // 1, 2, 3… per site
	Version   string
	SHA256    string
	Content   string
	Author    string
	Message   string
	CreatedAt time.Time
}

// ErrNoSelectorVersion reports an unknown version.
var ErrNoSelectorVersion = errors.New("no such selector version")

// RecordSelectorVersion stores content as the site's newest version unless
// the newest already has it. It returns the version's number and whether
// it is new.
func (d *DB) RecordSelectorVersion(ctx context.Context, site, version string, content []byte, author, message string) (seq int, added bool, err error) {
	sum := ferry.SHA256Hex(content)
	err = d.Tx(ctx, func(tx *sql.Tx) error {
		var last int
		var lastSum string
		err := tx.QueryRowContext(ctx, `SELECT seq, sha256 FROM selector_versions WHERE site = ? ORDER BY seq DESC LIMIT 1`, site).Scan(&last, &lastSum)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if lastSum == sum {
			seq = last
			return nil
		}
		seq, added = last+1, true
		_, err = tx.ExecContext(ctx, `INSERT INTO selector_versions (site, seq, version, sha256, content, author, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			site, seq, version, sum, string(content), author, message, d.ts(d.now()))
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("storage: selector version: %w", err)
	}
	return seq, added, nil
}

// SelectorVersions lists a site's versions, oldest first.
func (d *DB) SelectorVersions(ctx context.Context, site string) ([]SelectorVersion, error) {
	rows, err := d.SQL.QueryContext(ctx, `SELECT site, seq, version, sha256, content, author, message, created_at FROM selector_versions WHERE site = ? ORDER BY seq`, site)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SelectorVersion
	for rows.Next() {
		var v SelectorVersion
		var at string
		if err := rows.Scan(&v.Site, &v.Seq, &v.Version, &v.SHA256, &v.Content, &v.Author, &v.Message, &at); err != nil {
			return nil, err
		}
		v.CreatedAt = parseTS(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// SelectorVersionAt returns version seq of a site.
func (d *DB) SelectorVersionAt(ctx context.Context, site string, seq int) (SelectorVersion, error) {
	var v SelectorVersion
	var at string
	err := d.SQL.QueryRowContext(ctx, `SELECT site, seq, version, sha256, content, author, message, created_at FROM selector_versions WHERE site = ? AND seq = ?`, site, seq).
		Scan(&v.Site, &v.Seq, &v.Version, &v.SHA256, &v.Content, &v.Author, &v.Message, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("storage: site %s version %d: %w", site, seq, ErrNoSelectorVersion)
	}
	v.CreatedAt = parseTS(at)
	return v, err
}
