package service

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// The files of a data directory.
const (
	DatabaseFile = "ferry.db"
	ArtifactsDir = "artifacts"
	LockFile     = "runner.lock"
	RecordsFile  = "records.jsonl" // the JSON Lines sink's default file
)

// DataDir is a data directory: the one place every file Ferry writes
// derives from (the database, artifacts, the runner lock, the default
// records file).
type DataDir string

// Database is the SQLite file's path.
func (d DataDir) Database() string { return filepath.Join(string(d), DatabaseFile) }

// Artifacts is the artifact directory's path.
func (d DataDir) Artifacts() string { return filepath.Join(string(d), ArtifactsDir) }

// Lock is the runner lock's path.
func (d DataDir) Lock() string { return filepath.Join(string(d), LockFile) }

// Records is the default JSON Lines sink's path.
func (d DataDir) Records() string { return filepath.Join(string(d), RecordsFile) }

// CheckExists returns a *NoDatabaseError when the directory has no
// database yet, so that a read-only command can say so without opening (and
// so creating) one. It creates nothing. Other errors (permissions) are
// returned wrapped.
func (d DataDir) CheckExists() error {
	_, err := os.Stat(d.Database())
	if errors.Is(err, fs.ErrNotExist) {
		return &NoDatabaseError{Path: d.Database()}
	}
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}

// CheckFree returns a *BusyError naming the holder when another process
// holds the directory's runner lock, so a command that would start a
// runner fails at once with a hint instead of after launching a browser.
// It creates nothing: a directory without a lock file is free. The answer
// can be outdated by the time the runner takes the lock, which then fails
// on its own.
func (d DataDir) CheckFree() error {
	f, err := os.OpenFile(d.Lock(), os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("data directory: runner lock: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return &BusyError{Dir: string(d), Holder: lockHolder(d.Lock())}
		}
		return fmt.Errorf("data directory: runner lock: %w", err)
	}
	// Closing the file releases the probe's lock.
	return nil
}

// Locked wraps err in a *LockedError naming the holder when it is the
// database's "locked" error, and returns it unchanged otherwise.
func (d DataDir) Locked(err error) error {
	if err == nil || !IsDatabaseLocked(err) {
		return err
	}
	var le *LockedError
	if errors.As(err, &le) {
		return err
	}
	h := lockHolder(d.Database())
	if h.PID == 0 {
		h = lockHolder(d.Database() + "-shm")
	}
	return &LockedError{Path: d.Database(), Holder: h, Err: err}
}
