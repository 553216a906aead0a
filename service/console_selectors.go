package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
)

// ErrUnknownSite is wrapped when a selector file is asked for a site no
// script uses and the selectors directory has no file for.
var ErrUnknownSite = errors.New("no script uses this site and the selectors directory has no file for it")

// SelectorSites lists the sites with a selector file: those the scripts
// name and those with a file in the selectors directory, sorted.
func (s *Service) SelectorSites() []string {
	seen := map[string]bool{}
	for _, bot := range scripts.Bots(s.ScriptsDir) {
		if sc, _, err := scripts.Load(s.ScriptsDir, s.SelectorsDir, bot); err == nil {
			seen[sc.Site] = true
		}
	}
	if s.SelectorsDir != "" {
		m, _ := filepath.Glob(filepath.Join(s.SelectorsDir, "*.yaml"))
		for _, p := range m {
			if b := filepath.Base(p); !strings.HasPrefix(b, ".") {
				seen[strings.TrimSuffix(b, ".yaml")] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// CheckSite returns ErrUnknownSite (wrapped, naming site) unless site is
// one of SelectorSites: a name from a request never becomes a path
// otherwise.
func (s *Service) CheckSite(site string) error {
	if !slices.Contains(s.SelectorSites(), site) {
		return fmt.Errorf("site %q: %w", site, ErrUnknownSite)
	}
	return nil
}

// CurrentSelectors loads site's selector file as serve reads it: the
// selectors directory's, else the embedded default. Errors: ErrUnknownSite,
// the file's parse error.
func (s *Service) CurrentSelectors(site string) (*selectors.File, error) {
	if err := s.CheckSite(site); err != nil {
		return nil, err
	}
	return selectors.Load(s.SelectorsDir, site)
}

// LintSelectors parses content as site's selector file and lints it
// against every script's use of the site. A file that does not parse is
// an *InvalidError naming the line; lint findings are returned, not
// errors.
func (s *Service) LintSelectors(site string, content []byte) ([]selectors.Problem, error) {
	f, err := selectors.Parse(site+".yaml", content)
	if err != nil {
		return nil, &InvalidError{Err: err}
	}
	refs, err := scripts.SiteRefs(s.ScriptsDir, site)
	if err != nil {
		return nil, fmt.Errorf("lint %s: %w", site, err)
	}
	uses := make([]selectors.Use, len(refs))
	for i, r := range refs {
		uses[i] = selectors.Use{Name: r.Name, Path: r.Path, Line: r.Line}
	}
	return selectors.Lint(f, uses), nil
}

// SaveSelectors checks content as site's selector file (it must parse),
// writes it atomically and records it as a new version by author with
// message, returning the change and the lint findings. Errors:
// ErrUnknownSite, *InvalidError for content that does not parse (nothing
// written), ErrNoSelectorsDir, a write or database error.
func (s *Service) SaveSelectors(ctx context.Context, site string, content []byte, author, message string) (SelectorChange, []selectors.Problem, error) {
	if err := s.CheckSite(site); err != nil {
		return SelectorChange{}, nil, err
	}
	problems, err := s.LintSelectors(site, content)
	if err != nil {
		return SelectorChange{}, nil, err
	}
	path, err := s.WriteSelectorFile(site, content)
	if err != nil {
		return SelectorChange{}, nil, err
	}
	f, err := selectors.Parse(path, content)
	if err != nil {
		return SelectorChange{}, nil, err
	}
	if message == "" {
		message = "edited in the console"
	}
	n, added, err := s.Store.RecordSelectorVersion(ctx, site, f.Version, content, authorOr(author), message)
	if err != nil {
		return SelectorChange{}, nil, fmt.Errorf("save %s: %w", site, err)
	}
	return SelectorChange{Site: site, Path: path, Version: n, Added: added}, problems, nil
}
