package storage

// Artifacts, content-addressed: their bytes stored once under their
// SHA-256, on local disk (the default) or, with a PostgreSQL database that
// several machines share, in the database itself.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ferry-rpa/ferry"
)

// blobStore keeps artifact bytes under their SHA-256.
type blobStore interface {
	// put stores r's bytes (in the transaction ctx carries, for a database
	// store) and returns their SHA-256 and size; equal bytes are kept
	// once. An error reading r stores nothing.
	put(ctx context.Context, r io.Reader) (sha string, size int64, err error)
	// open returns the bytes stored under sha, or ErrNotFound.
	open(ctx context.Context, sha string) (io.ReadCloser, error)
}

// validSHA reports a lower-case hex SHA-256: artifact names are never
// paths a caller chose.
func validSHA(sha string) bool {
	if len(sha) != 64 {
		return false
	}
	for _, c := range sha {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ArtifactPath is where the file with this SHA-256 lives in the on-disk
// store.
func (d *DB) ArtifactPath(sha string) string {
	return filepath.Join(d.ArtifactsDir, sha[:2], sha)
}

// PutArtifact stores data once under its SHA-256 and records it for the
// run (see ferry.ArtifactStore).
func (d *DB) PutArtifact(ctx context.Context, a ferry.Artifact, data []byte) (ferry.Artifact, error) {
	return d.PutArtifactFrom(ctx, a, bytes.NewReader(data))
}

// PutArtifactFrom is PutArtifact for bytes read from r as they are
// stored, so that a large file is never held in memory.
func (d *DB) PutArtifactFrom(ctx context.Context, a ferry.Artifact, r io.Reader) (ferry.Artifact, error) {
	if a.Captured.IsZero() {
		a.Captured = d.now()
	}
	err := d.InTx(ctx, func(ctx context.Context) error {
		var err error
		if a.SHA256, a.Size, err = d.blobs.put(ctx, r); err != nil {
			return fmt.Errorf("storage: artifact %s: %w", a.Name, err)
		}
		err = d.conn(ctx).QueryRowContext(ctx, `INSERT INTO artifacts (run_id, kind, name, sha256, size, mime, account, format, captured_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.RunID, a.Kind, a.Name, a.SHA256, a.Size, a.MIME, a.Account, a.Format, d.ts(a.Captured)).Scan(&a.ID)
		if err != nil {
			return fmt.Errorf("storage: record artifact %s: %w", a.Name, err)
		}
		return nil
	})
	return a, err
}

// OpenArtifact opens the bytes stored under sha (see ferry.ArtifactStore).
func (d *DB) OpenArtifact(ctx context.Context, sha string) (io.ReadCloser, error) {
	if !validSHA(sha) {
		return nil, fmt.Errorf("storage: artifact %q: not a SHA-256: %w", sha, ErrNotFound)
	}
	return d.blobs.open(ctx, sha)
}

// Artifacts lists a run's artifacts.
func (d *DB) Artifacts(ctx context.Context, runID int64) ([]ferry.Artifact, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT id, run_id, kind, name, sha256, size, mime, account, format, captured_at FROM artifacts WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("storage: artifacts of run %d: %w", runID, err)
	}
	defer rows.Close()
	var out []ferry.Artifact
	for rows.Next() {
		var a ferry.Artifact
		var captured string
		if err := rows.Scan(&a.ID, &a.RunID, &a.Kind, &a.Name, &a.SHA256, &a.Size, &a.MIME, &a.Account, &a.Format, &captured); err != nil {
			return nil, fmt.Errorf("storage: artifacts of run %d: %w", runID, err)
		}
		a.Captured = parseTS(captured)
		out = append(out, a)
	}
	return out, rows.Err()
}

// diskBlobs keeps artifact bytes as files named by their SHA-256, in
// directories by its first two digits.
type diskBlobs struct{ d *DB }

// put copies r to a temporary file while hashing it, then renames it to
// its SHA-256 (or drops it when that file exists already): a file under a
// SHA-256 name is always whole.
func (b diskBlobs) put(ctx context.Context, r io.Reader) (string, int64, error) {
	dir := b.d.ArtifactsDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("artifact dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*") // 0600
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name()) // once renamed, a no-op
	h := sha256.New()
	n, werr := io.Copy(io.MultiWriter(tmp, h), r)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return "", 0, fmt.Errorf("write: %w", err)
	}
	sha := hex.EncodeToString(h.Sum(nil))
	p := b.d.ArtifactPath(sha)
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return "", 0, fmt.Errorf("artifact dir: %w", err)
		}
		if err := os.Rename(tmp.Name(), p); err != nil {
			return "", 0, err
		}
	}
	return sha, n, nil
}

func (b diskBlobs) open(ctx context.Context, sha string) (io.ReadCloser, error) {
	f, err := os.Open(b.d.ArtifactPath(sha))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("storage: artifact %s: %w", sha, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: artifact %s: %w", sha, err)
	}
	return f, nil
}

// chunkSize is how much of an artifact one database row holds: rows of a
// bounded size are written and read one at a time, so that an artifact is
// never held in memory whole.
const chunkSize = 1 << 20

// dbBlobs keeps artifact bytes in the database (artifact_blobs and
// artifact_chunks), for machines that share a PostgreSQL database and no
// directory.
type dbBlobs struct{ d *DB }

// put writes r's chunks under a provisional name, then, knowing their
// SHA-256, renames them to it, or drops them when another put stored those
// bytes first (the blob row's primary key decides between concurrent
// puts). It runs in one transaction.
func (b dbBlobs) put(ctx context.Context, r io.Reader) (sha string, size int64, err error) {
	var tmpName [16]byte
	_, _ = rand.Read(tmpName[:])
	tmp := "tmp-" + hex.EncodeToString(tmpName[:])
	err = b.d.InTx(ctx, func(ctx context.Context) error {
		q := b.d.conn(ctx)
		h := sha256.New()
		buf := make([]byte, chunkSize)
		chunks := 0
		for {
			n, rerr := io.ReadFull(r, buf)
			if n > 0 {
				h.Write(buf[:n])
				size += int64(n)
				if _, err := q.ExecContext(ctx, `INSERT INTO artifact_chunks (blob, n, data) VALUES (?, ?, ?)`, tmp, chunks, buf[:n]); err != nil {
					return fmt.Errorf("store chunk %d: %w", chunks, err)
				}
				chunks++
			}
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				break
			}
			if rerr != nil {
				return fmt.Errorf("read: %w", rerr)
			}
		}
		sha = hex.EncodeToString(h.Sum(nil))
		res, err := q.ExecContext(ctx, `INSERT INTO artifact_blobs (sha256, size, chunks) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING`, sha, size, chunks)
		if err != nil {
			return fmt.Errorf("store blob %s: %w", sha, err)
		}
		stmt := `DELETE FROM artifact_chunks WHERE blob = ?`
		args := []any{tmp}
		if n, _ := res.RowsAffected(); n == 1 {
			stmt, args = `UPDATE artifact_chunks SET blob = ? WHERE blob = ?`, []any{sha, tmp}
		}
		if _, err := q.ExecContext(ctx, stmt, args...); err != nil {
			return fmt.Errorf("store blob %s: %w", sha, err)
		}
		return nil
	})
	return sha, size, err
}

func (b dbBlobs) open(ctx context.Context, sha string) (io.ReadCloser, error) {
	var chunks int
	err := b.d.conn(ctx).QueryRowContext(ctx, `SELECT chunks FROM artifact_blobs WHERE sha256 = ?`, sha).Scan(&chunks)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage: artifact %s: %w", sha, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: artifact %s: %w", sha, err)
	}
	return &chunkReader{ctx: ctx, d: b.d, sha: sha, chunks: chunks}, nil
}

// chunkReader reads a blob's chunks one query at a time.
type chunkReader struct {
	ctx       context.Context
	d         *DB
	sha       string
	chunks, n int
	buf       []byte
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.n == c.chunks {
			return 0, io.EOF
		}
		if err := c.d.conn(c.ctx).QueryRowContext(c.ctx, `SELECT data FROM artifact_chunks WHERE blob = ? AND n = ?`, c.sha, c.n).Scan(&c.buf); err != nil {
			return 0, fmt.Errorf("storage: artifact %s chunk %d: %w", c.sha, c.n, err)
		}
		c.n++
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func (c *chunkReader) Close() error { return nil }
