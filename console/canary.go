package console

// The canary from the selectors page: ops start `ferry selectors check
// SITE` and see how each selector resolved on the live pages.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/service"
)

// CanaryChecker runs a site's canary (*service.Canary).
type CanaryChecker interface {
	// Check runs site's canary over from..to. The run's own failure is in
	// the report; the error says why it could not start: an unknown site
	// (service.ErrUnknownSite), no bot (service.ErrNoCanaryBot), a bad
	// script or login (*service.InvalidError), no browser.
	Check(ctx context.Context, site string, from, to ferry.Date) (service.CanaryReport, error)
}

// canaryWindow is the period a canary searches when the form gives none:
// the 31 days up to yesterday, as `ferry selectors check` does.
func canaryWindow(today ferry.Date) (from, to ferry.Date) {
	return today.AddDays(-31), today.AddDays(-1)
}

// canaryView is what the canary page shows.
type canaryView struct {
	Site   string
	Report service.CanaryReport
	Passed bool
}

// runCanary runs the path's site's canary (audited with its outcome) and
// shows the result per selector.
func (s *Server) runCanary(w http.ResponseWriter, r *http.Request, who *identity) {
	site := r.PathValue("site")
	if s.cfg.Canary == nil || s.cfg.Ops == nil {
		s.fail(w, r, pageRoute, http.StatusServiceUnavailable, "this console cannot run canaries: start it from ferry serve")
		return
	}
	if err := s.cfg.Ops.CheckSite(site); err != nil {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such site")
		return
	}
	from, to := canaryWindow(ferry.DateOf(s.cfg.Now()))
	if f, t := strings.TrimSpace(r.PostFormValue("from")), strings.TrimSpace(r.PostFormValue("to")); f != "" || t != "" {
		var err error
		if from, err = ferry.ParseDate(f); err != nil {
			s.fail(w, r, pageRoute, http.StatusBadRequest, fmt.Sprintf("from: %v (give from and to together)", err))
			return
		}
		if to, err = ferry.ParseDate(t); err != nil {
			s.fail(w, r, pageRoute, http.StatusBadRequest, fmt.Sprintf("to: %v (give from and to together)", err))
			return
		}
	}
	// The browser run is outside the audit's transaction: a canary takes
	// seconds to minutes and must not hold the database meanwhile. A canary
	// that could not start changed nothing and is not audited.
	rep, err := s.cfg.Canary.Check(r.Context(), site, from, to)
	if err == nil {
		err = ferry.Audited(r.Context(), s.cfg.Store, s.cfg.Store, ferry.Change{Actor: who.actor(), Address: who.addr, Action: "selectors.canary", Target: "site:" + site,
			Before: map[string]any{"from": from.String(), "to": to.String()}}, func(ctx context.Context) (any, error) {
			return map[string]any{"bot": rep.Bot, "version": rep.Version, "login": rep.Login, "completed": rep.Completed, "ambiguous": rep.Ambiguous,
				"error": rep.Error, "took_ms": rep.Took.Milliseconds()}, nil
		})
	}
	var inv *service.InvalidError
	switch {
	case errors.Is(err, service.ErrUnknownSite), errors.Is(err, service.ErrNoCanaryBot):
		s.fail(w, r, pageRoute, http.StatusNotFound, err.Error())
		return
	case errors.As(err, &inv):
		s.fail(w, r, pageRoute, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		s.internal(w, r, pageRoute, err)
		return
	}
	pd := pageData{Title: "Canary: " + site, Data: canaryView{Site: site, Report: rep, Passed: rep.Passed()}}
	if rep.Passed() {
		pd.Notice = rep.Summary()
	} else {
		pd.Error = rep.Summary()
	}
	s.render(w, r, who, http.StatusOK, "canary", pd)
}
