package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/ferry-rpa/ferry/service"
)

// versionStore is what the selector pages read the history from.
// *storage.DB is one.
type versionStore interface {
	SelectorVersions(ctx context.Context, site string) ([]ferry.SelectorVersion, error)
	SelectorVersionAt(ctx context.Context, site string, seq int) (ferry.SelectorVersion, error)
}

// maxSelectorFile bounds an edited selector file (real ones are a few
// kilobytes).
const maxSelectorFile = 1 << 20

func (s *Server) selectorsReady(w http.ResponseWriter, r *http.Request) (versionStore, bool) {
	vs, ok := s.cfg.Store.(versionStore)
	if s.cfg.Ops == nil || !ok {
		s.fail(w, r, pageRoute, http.StatusServiceUnavailable, "this console has no selector files")
		return nil, false
	}
	return vs, true
}

func (s *Server) selectorsPage(w http.ResponseWriter, r *http.Request, who *identity) {
	if _, ok := s.selectorsReady(w, r); !ok {
		return
	}
	s.render(w, r, who, http.StatusOK, "selectors", pageData{Title: "Selector files", Data: s.cfg.Ops.SelectorSites()})
}

// selectorView is what a site's selector page shows.
type selectorView struct {
	Site     string
	Path     string
	Content  string
	Problems []string
	Versions []ferry.SelectorVersion
}

func (s *Server) selectorPage(w http.ResponseWriter, r *http.Request, who *identity) {
	s.showSelector(w, r, who, http.StatusOK, r.URL.Query().Get("notice"), "", "")
}

// showSelector renders a site's page; draft, when set, is an edit that
// was refused, shown again for fixing.
func (s *Server) showSelector(w http.ResponseWriter, r *http.Request, who *identity, code int, notice, problem, draft string) {
	vs, ok := s.selectorsReady(w, r)
	if !ok {
		return
	}
	site := r.PathValue("site")
	f, err := s.cfg.Ops.CurrentSelectors(site)
	if errors.Is(err, service.ErrUnknownSite) {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such site")
		return
	}
	v := selectorView{Site: site}
	if err != nil {
		// A broken file on disk is shown, so that it can be fixed here.
		v.Problems = append(v.Problems, err.Error())
	} else {
		v.Path, v.Content = f.Path, string(f.Source)
		problems, err := s.cfg.Ops.LintSelectors(site, f.Source)
		if err != nil {
			v.Problems = append(v.Problems, err.Error())
		}
		for _, p := range problems {
			v.Problems = append(v.Problems, p.String())
		}
	}
	if draft != "" {
		v.Content = draft
	}
	if v.Versions, err = vs.SelectorVersions(r.Context(), site); err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	// Newest first on the page.
	for i, j := 0, len(v.Versions)-1; i < j; i, j = i+1, j-1 {
		v.Versions[i], v.Versions[j] = v.Versions[j], v.Versions[i]
	}
	s.render(w, r, who, code, "selector", pageData{Title: "Selectors: " + site, Notice: notice, Error: problem, Data: v})
}

func (s *Server) saveSelectors(w http.ResponseWriter, r *http.Request, who *identity) {
	if _, ok := s.selectorsReady(w, r); !ok {
		return
	}
	site := r.PathValue("site")
	content := strings.ReplaceAll(r.PostFormValue("content"), "\r\n", "\n")
	if len(content) > maxSelectorFile {
		s.showSelector(w, r, who, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("the file is over %d bytes", maxSelectorFile), "")
		return
	}
	message := strings.TrimSpace(r.PostFormValue("message"))
	var change service.SelectorChange
	var problems []selectors.Problem
	err := ferry.Audited(r.Context(), s.cfg.Store, s.cfg.Store, ferry.Change{Actor: who.actor(), Address: who.addr, Action: "selectors.edit", Target: "selectors:" + site},
		func(ctx context.Context) (any, error) {
			var err error
			change, problems, err = s.cfg.Ops.SaveSelectors(ctx, site, []byte(content), who.actor(), message)
			return map[string]any{"site": site, "version": change.Version, "added": change.Added, "message": message}, err
		})
	switch {
	case errors.Is(err, service.ErrUnknownSite):
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such site")
	case errors.Is(err, service.ErrNoSelectorsDir):
		s.showSelector(w, r, who, http.StatusConflict, "", err.Error(), content)
	case errors.As(err, new(*service.InvalidError)):
		// The parse error names the line: the edit is shown again.
		s.showSelector(w, r, who, http.StatusBadRequest, "", err.Error(), content)
	case err != nil:
		s.internal(w, r, pageRoute, err)
	default:
		msg := fmt.Sprintf("saved as version %d", change.Version)
		if !change.Added {
			msg = fmt.Sprintf("unchanged: version %d already has this content", change.Version)
		}
		if len(problems) > 0 {
			msg += fmt.Sprintf(" (%d lint findings below)", len(problems))
		}
		http.Redirect(w, r, "/selectors/"+url.PathEscape(site)+"?notice="+url.QueryEscape(msg), http.StatusSeeOther)
	}
}

func (s *Server) selectorDiff(w http.ResponseWriter, r *http.Request, who *identity) {
	vs, ok := s.selectorsReady(w, r)
	if !ok {
		return
	}
	site := r.PathValue("site")
	a, errA := strconv.Atoi(r.URL.Query().Get("a"))
	b, errB := strconv.Atoi(r.URL.Query().Get("b"))
	if errA != nil || errB != nil {
		s.fail(w, r, pageRoute, http.StatusBadRequest, "a and b: two version numbers")
		return
	}
	va, err := vs.SelectorVersionAt(r.Context(), site, a)
	if err == nil {
		var vb ferry.SelectorVersion
		if vb, err = vs.SelectorVersionAt(r.Context(), site, b); err == nil {
			d := selectors.Diff(fmt.Sprintf("%s v%d", site, a), fmt.Sprintf("%s v%d", site, b), va.Content, vb.Content)
			s.render(w, r, who, http.StatusOK, "selectordiff", pageData{Title: fmt.Sprintf("Selectors: %s v%d → v%d", site, a, b), Data: map[string]any{"Site": site, "Diff": d}})
			return
		}
	}
	if errors.Is(err, ferry.ErrNotFound) {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such version")
		return
	}
	s.internal(w, r, pageRoute, err)
}

func (s *Server) rollbackSelectors(w http.ResponseWriter, r *http.Request, who *identity) {
	if _, ok := s.selectorsReady(w, r); !ok {
		return
	}
	site := r.PathValue("site")
	if err := s.cfg.Ops.CheckSite(site); err != nil {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such site")
		return
	}
	seq, err := strconv.Atoi(r.PostFormValue("seq"))
	if err != nil || seq <= 0 {
		s.showSelector(w, r, who, http.StatusBadRequest, "", fmt.Sprintf("seq: %q is not a version number", r.PostFormValue("seq")), "")
		return
	}
	var change service.SelectorChange
	err = ferry.Audited(r.Context(), s.cfg.Store, s.cfg.Store, ferry.Change{Actor: who.actor(), Address: who.addr, Action: "selectors.rollback", Target: "selectors:" + site,
		Before: map[string]any{"to": seq}}, func(ctx context.Context) (any, error) {
		var err error
		change, err = s.cfg.Ops.RollbackSelectors(ctx, site, seq, who.actor(), "")
		return map[string]any{"site": site, "version": change.Version, "from": seq}, err
	})
	switch {
	case errors.Is(err, ferry.ErrNotFound):
		s.showSelector(w, r, who, http.StatusNotFound, "", fmt.Sprintf("%s has no version %d", site, seq), "")
	case errors.Is(err, service.ErrNoSelectorsDir):
		s.showSelector(w, r, who, http.StatusConflict, "", err.Error(), "")
	case err != nil:
		s.internal(w, r, pageRoute, err)
	default:
		http.Redirect(w, r, "/selectors/"+url.PathEscape(site)+"?notice="+url.QueryEscape(fmt.Sprintf("rolled back to version %d, saved as version %d", seq, change.Version)), http.StatusSeeOther)
	}
}
