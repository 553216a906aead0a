package storage

import (
	"context"
	"fmt"
)

// rowScanner is what a scan function reads a row from: *sql.Row or
// *sql.Rows.
type rowScanner = interface{ Scan(...any) error }

// queryAll runs query and scans every row with scan; errors say what was
// being read.
func queryAll[T any](ctx context.Context, d *DB, what string, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: %s: %w", what, err)
	}
	return out, nil
}
