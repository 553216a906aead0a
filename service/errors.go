package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// BusyError says that another Ferry process (serve, or a run) is using the
// data directory: it holds the directory's runner lock.
type BusyError struct {
	Dir    string // the data directory
	Holder Holder // who holds it, when the system tells (zero otherwise)
}

// Error says which directory is in use.
func (e *BusyError) Error() string {
	return fmt.Sprintf("the data directory %s is in use by another Ferry process", e.Dir)
}

// Hint says what holds the directory and what to do.
func (e *BusyError) Hint() string {
	who := "another Ferry process"
	if e.Holder.PID != 0 {
		who = e.Holder.String()
	}
	return fmt.Sprintf("%s holds %s; stop it or wait for it to finish, or use another data directory (--data)", who, filepath.Join(e.Dir, LockFile))
}

// LockedError says that another process holds the database's write lock
// beyond the wait Ferry allows (a long transaction, a hung process, a
// sqlite3 shell with an open transaction).
type LockedError struct {
	Path   string // the database file
	Holder Holder // who holds a lock on it, when the system tells
	Err    error  // the database's error
}

// Error says which database is locked and the driver's words.
func (e *LockedError) Error() string {
	return fmt.Sprintf("the database %s is locked by another process: %v", e.Path, e.Err)
}

// Unwrap returns the database's error.
func (e *LockedError) Unwrap() error { return e.Err }

// Hint says what holds the database and what to do.
func (e *LockedError) Hint() string {
	who := "another process"
	if e.Holder.PID != 0 {
		who = e.Holder.String()
	}
	return fmt.Sprintf("%s holds a lock on %s; end its transaction or stop it, then try again", who, e.Path)
}

// NoDatabaseError says that the data directory has no database yet: nothing
// has run with it. Read-only commands answer this instead of creating one.
type NoDatabaseError struct {
	Path string
}

// Error says where the database would be and what to check.
func (e *NoDatabaseError) Error() string {
	return fmt.Sprintf("no database yet at %s: nothing has run with this data directory (check --data or data_dir in the config)", e.Path)
}

// IsDatabaseLocked reports whether err is SQLite's "database is locked" or
// "database table is locked" (SQLITE_BUSY, SQLITE_LOCKED), as the driver
// returns them once its busy timeout has passed.
func IsDatabaseLocked(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	return err != nil && strings.Contains(err.Error(), "database is locked")
}

// Holder is a process that holds a lock.
type Holder struct {
	PID     int
	Command string // its command line, as ps shows it
}

// String names the process by pid and command line.
func (h Holder) String() string {
	if h.Command == "" {
		return fmt.Sprintf("process %d", h.PID)
	}
	return fmt.Sprintf("process %d (%s)", h.PID, h.Command)
}

// lockHolder finds, in /proc/locks, a process other than this one holding
// a lock on the file at path. It returns the zero Holder when there is none
// or the system does not say (not Linux, no /proc).
func lockHolder(path string) Holder {
	st, err := os.Stat(path)
	if err != nil {
		return Holder{}
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return Holder{}
	}
	data, err := os.ReadFile("/proc/locks")
	if err != nil {
		return Holder{}
	}
	// /proc/locks prints the device as major:minor in hex and the inode in
	// decimal: "1: FLOCK ADVISORY WRITE 1234 fe:00:5678 0 EOF".
	dev := uint64(sys.Dev)
	major, minor := (dev>>8)&0xfff|(dev>>32)&^0xfff, dev&0xff|(dev>>12)&^0xff
	want := fmt.Sprintf("%02x:%02x:%d", major, minor, sys.Ino)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[1] == "->" {
			continue
		}
		if f[5] != want {
			continue
		}
		pid, err := strconv.Atoi(f[4])
		if err != nil || pid == os.Getpid() {
			continue
		}
		h := Holder{PID: pid}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
			h.Command = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
		}
		return h
	}
	return Holder{}
}
