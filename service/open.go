package service

import (
	"context"
	"errors"

	"github.com/ferry-rpa/ferry/storage"
)

// OpenExisting opens the database dsn names (dir's SQLite file when dsn is
// "", else a postgres:// URL), with dir's artifact directory, only if it
// exists, creating no file or directory: for commands that only read, and
// for handing a run to a serve, which has created everything already.
// Errors: *NoDatabaseError when there is no SQLite file yet; *LockedError
// when another process holds its write lock too long; else the storage's.
func OpenExisting(ctx context.Context, dir DataDir, dsn string) (*storage.DB, error) {
	return OpenExistingWith(ctx, dir, storage.Options{DSN: dsn})
}

// OpenExistingWith is OpenExisting with the artifacts' place in o (the
// DSN too; o.ArtifactsDir defaults to dir's).
func OpenExistingWith(ctx context.Context, dir DataDir, o storage.Options) (*storage.DB, error) {
	if o.DSN == "" {
		o.DSN = dir.Database()
	}
	if o.ArtifactsDir == "" {
		o.ArtifactsDir = dir.Artifacts()
	}
	o.Existing = true
	db, err := storage.OpenWith(ctx, o)
	if errors.Is(err, storage.ErrNoDatabase) {
		return nil, &NoDatabaseError{Path: o.DSN}
	}
	return db, dir.Locked(err)
}
