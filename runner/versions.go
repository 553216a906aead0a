package runner

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/ferry-rpa/ferry/selectors"
)

// versionRecorder records each selector file the registry loads as a
// version in the database, off the loading goroutine. The registry loads
// a changed file from whichever goroutine asks for it first, under its own
// lock, and that goroutine may hold the database's only connection (on
// SQLite) in a transaction: the console starts a run inside the
// transaction that audits it. Recording there would wait for that very
// connection, and every run start, selector watch and run preparation
// with it. Loads are queued and recorded in order by one goroutine that
// holds nothing; a run records the version it uses before it begins
// (record), so the history never misses a version a run used.
type versionRecorder struct {
	db     Store
	author string
	log    zerolog.Logger

	mu      sync.Mutex
	queue   []*selectors.File
	running bool
	idle    sync.WaitGroup
}

// add queues f; it never blocks on the database.
func (v *versionRecorder) add(f *selectors.File) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.queue = append(v.queue, f)
	if !v.running {
		v.running = true
		v.idle.Add(1)
		go v.drain()
	}
}

func (v *versionRecorder) drain() {
	defer v.idle.Done()
	for {
		v.mu.Lock()
		if len(v.queue) == 0 {
			v.running = false
			v.mu.Unlock()
			return
		}
		f := v.queue[0]
		v.queue = v.queue[1:]
		v.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = v.record(ctx, f)
		cancel()
	}
}

// record records f now (nothing when it is already the site's newest
// version); its error is logged and returned.
func (v *versionRecorder) record(ctx context.Context, f *selectors.File) error {
	seq, added, err := v.db.RecordSelectorVersion(ctx, f.Site, f.Version, f.Source, v.author, "loaded from "+f.Path)
	switch {
	case err != nil:
		v.log.Error().Err(err).Str("site", f.Site).Msg("recording the selector version failed")
	case added:
		v.log.Info().Str("site", f.Site).Int("version", seq).Str("file", f.Path).Msg("selector file loaded as a new version")
	}
	return err
}

// wait returns when every queued load is recorded (or has failed).
func (v *versionRecorder) wait() { v.idle.Wait() }
