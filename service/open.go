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
	if dsn == "" {
		dsn = dir.Database()
	}
	db, err := storage.OpenWith(ctx, storage.Options{DSN: dsn, ArtifactsDir: dir.Artifacts(), Existing: true})
	if errors.Is(err, storage.ErrNoDatabase) {
		return nil, &NoDatabaseError{Path: dsn}
	}
	return db, dir.Locked(err)
}
