package selectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Registry serves each site's current selector file and picks up edits
// without a restart: every Get looks at the file on disk (one stat when it
// has not changed). An edited file that does not parse is rejected, its
// error reported once, and the previous good version keeps serving.
type Registry struct {
	dir string
	// OnReject is told about a file that was edited into an invalid state.
	OnReject func(site, path string, err error)
	// OnLoad is told each time a site's file is loaded or changes.
	OnLoad func(f *File)

	mu    sync.Mutex
	sites map[string]*regEntry
}

type regEntry struct {
	file     *File
	mod      time.Time
	size     int64
	rejected []byte // the content last rejected, so it is reported once
}

// NewRegistry serves files from dir (empty: only the embedded defaults).
func NewRegistry(dir string) *Registry {
	return &Registry{dir: dir, sites: map[string]*regEntry{}}
}

// Dir is the directory the registry reads.
func (r *Registry) Dir() string { return r.dir }

// Get returns the site's current selector file.
func (r *Registry) Get(site string) (*File, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.sites[site]
	if r.dir == "" {
		if e != nil {
			return e.file, nil
		}
		f, err := Load("", site)
		if err != nil {
			return nil, err
		}
		r.sites[site] = &regEntry{file: f}
		r.loaded(f)
		return f, nil
	}
	path := filepath.Join(r.dir, site+".yaml")
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if e != nil && e.file.Path == "embedded:"+site+".yaml" {
			return e.file, nil
		}
		f, err := Load("", site)
		if err != nil {
			return nil, err
		}
		r.sites[site] = &regEntry{file: f}
		r.loaded(f)
		return f, nil
	case err != nil:
		if e != nil {
			return e.file, nil
		}
		return nil, fmt.Errorf("selectors: %w", err)
	}
	if e != nil && st.ModTime().Equal(e.mod) && st.Size() == e.size {
		return e.file, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if e != nil {
			return e.file, nil
		}
		return nil, fmt.Errorf("selectors: %w", err)
	}
	if e != nil && bytes.Equal(data, e.file.Source) {
		e.mod, e.size = st.ModTime(), st.Size()
		return e.file, nil
	}
	f, perr := Parse(path, data)
	if perr != nil {
		if e == nil {
			return nil, perr // nothing good to fall back on
		}
		if !bytes.Equal(data, e.rejected) {
			e.rejected = data
			if r.OnReject != nil {
				r.OnReject(site, path, perr)
			}
		}
		return e.file, nil
	}
	r.sites[site] = &regEntry{file: f, mod: st.ModTime(), size: st.Size()}
	r.loaded(f)
	return f, nil
}

func (r *Registry) loaded(f *File) {
	if r.OnLoad != nil {
		r.OnLoad(f)
	}
}

// Watch re-reads every site already served every interval until ctx ends,
// so an edit is loaded (or rejected and reported) without waiting for a
// run to ask.
func (r *Registry) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		sites := make([]string, 0, len(r.sites))
		for s := range r.sites {
			sites = append(sites, s)
		}
		r.mu.Unlock()
		for _, s := range sites {
			_, _ = r.Get(s)
		}
	}
}
