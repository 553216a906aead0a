package service

import (
	"context"
	"os"
	"os/user"

	"github.com/ferry-rpa/ferry/storage"
)

// Store is what the shared operations need from Ferry's database.
// *storage.DB implements it.
type Store interface {
	// Heal returns one heal proposal, or an error when there is none with
	// that id or the database cannot be read.
	Heal(ctx context.Context, id int64) (storage.HealRecord, error)
	// DecideHeal marks a proposal accepted or rejected by someone; an
	// error when the id is unknown or the write fails.
	DecideHeal(ctx context.Context, id int64, status, by string) error
	// RecordSelectorVersion stores content as the site's newest selector
	// version unless it already is (added false), returning its number.
	// An error means nothing was recorded.
	RecordSelectorVersion(ctx context.Context, site, version string, content []byte, author, message string) (seq int, added bool, err error)
	// SelectorVersionAt returns version seq of a site's selector file, or
	// an error when there is no such version.
	SelectorVersionAt(ctx context.Context, site string, seq int) (storage.SelectorVersion, error)
	// RetryDeliveries puts parked deliveries back in the queue (all of
	// them when ids is empty) and says how many; an error means none was.
	RetryDeliveries(ctx context.Context, ids []int64) (int, error)
}

// Service runs the shared operations on one store and one configuration's
// directories.
type Service struct {
	Store Store
	// SelectorsDir is where ops edit selector files and serve reads them
	// (the config's selectors_dir); writing a file needs it.
	SelectorsDir string
	// ScriptsDir holds bot scripts ("" for the built-in ones).
	ScriptsDir string
}

// Author is who an operation is recorded as when the caller names no one:
// $FERRY_AUTHOR, else the OS user, else "ferry".
func Author() string {
	if a := os.Getenv("FERRY_AUTHOR"); a != "" {
		return a
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "ferry"
}

func authorOr(a string) string {
	if a == "" {
		return Author()
	}
	return a
}
