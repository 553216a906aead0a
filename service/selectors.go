package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferry-rpa/ferry/selectors"
)

// ErrNoSelectorsDir is returned by operations that write a selector file
// when the configuration names no selectors_dir.
var ErrNoSelectorsDir = errors.New("the config has no selectors_dir: set one so that serve reads the files ops edit")

// SelectorChange is a selector file written or recorded.
type SelectorChange struct {
	Site    string `json:"site"`
	Path    string `json:"path"`
	Version int    `json:"version"` // the newest version's number after the change
	Added   bool   `json:"added"`   // false when the content already was the newest version
	From    int    `json:"from,omitempty"`
}

// WriteSelectorFile replaces SITE.yaml in the selectors directory
// atomically, so a running serve never reads half a file. Content that does
// not parse is refused before anything is written. Errors: ErrNoSelectorsDir,
// the parse error, or the file system's.
func (s *Service) WriteSelectorFile(site string, content []byte) (string, error) {
	if s.SelectorsDir == "" {
		return "", ErrNoSelectorsDir
	}
	if _, err := selectors.Parse(site+".yaml", content); err != nil {
		return "", err
	}
	if err := os.MkdirAll(s.SelectorsDir, 0o755); err != nil {
		return "", fmt.Errorf("selectors: %w", err)
	}
	path := filepath.Join(s.SelectorsDir, site+".yaml")
	tmp, err := os.CreateTemp(s.SelectorsDir, "."+site+"-*.yaml")
	if err != nil {
		return "", fmt.Errorf("selectors: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return "", fmt.Errorf("selectors: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("selectors: write %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("selectors: %w", err)
	}
	return path, nil
}

// RollbackSelectors puts version seq of a site's selector file back in
// place and records it as a new version (serve picks the file up).
// message defaults to "rollback to vN", author to Author(). Errors: an
// unknown version, ErrNoSelectorsDir, a write or database error.
func (s *Service) RollbackSelectors(ctx context.Context, site string, seq int, author, message string) (SelectorChange, error) {
	v, err := s.Store.SelectorVersionAt(ctx, site, seq)
	if err != nil {
		return SelectorChange{}, fmt.Errorf("rollback %s to v%d: %w", site, seq, err)
	}
	path, err := s.WriteSelectorFile(site, []byte(v.Content))
	if err != nil {
		return SelectorChange{}, fmt.Errorf("rollback %s to v%d: %w", site, seq, err)
	}
	if message == "" {
		message = fmt.Sprintf("rollback to v%d", seq)
	}
	n, added, err := s.Store.RecordSelectorVersion(ctx, site, v.Version, []byte(v.Content), authorOr(author), message)
	if err != nil {
		return SelectorChange{}, fmt.Errorf("rollback %s to v%d: %w", site, seq, err)
	}
	return SelectorChange{Site: site, Path: path, Version: n, Added: added, From: seq}, nil
}

// RecordSelectors records a site's current selector file as a new version
// (unless it already is the newest). message defaults to "recorded from
// PATH", author to Author(). Errors: the file does not load, or the
// database write fails.
func (s *Service) RecordSelectors(ctx context.Context, site, author, message string) (SelectorChange, error) {
	f, err := selectors.Load(s.SelectorsDir, site)
	if err != nil {
		return SelectorChange{}, fmt.Errorf("record %s: %w", site, err)
	}
	if message == "" {
		message = "recorded from " + f.Path
	}
	n, added, err := s.Store.RecordSelectorVersion(ctx, f.Site, f.Version, f.Source, authorOr(author), message)
	if err != nil {
		return SelectorChange{}, fmt.Errorf("record %s: %w", site, err)
	}
	return SelectorChange{Site: f.Site, Path: f.Path, Version: n, Added: added}, nil
}
