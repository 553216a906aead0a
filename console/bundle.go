package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/selectors"
)

// Resolver resolves selectors against a captured page offline: the
// offline bundle test. *bots.Browser is one.
type Resolver interface {
	// Resolve resolves every selector of sel against html in a fresh page
	// where scripts do not run and nothing is fetched. Errors: the
	// browser's.
	Resolve(ctx context.Context, html string, sel *selectors.File) ([]bots.Resolution, error)
}

// bundleView is the offline bundle test's result as the page shows it.
type bundleView struct {
	RunID    int64
	Site     string
	Failed   []string // the selectors the run broke on
	Passes   bool     // each of them now resolves, and nothing is ambiguous
	Results  []bots.Resolution
	Problems []string
}

// bundleTest resolves the site's current selector file against the page
// a failed run captured, offline: what `ferry selectors test --bundle`
// does, from the evidence page, to check an edit or a heal before the
// next run.
func (s *Server) bundleTest(w http.ResponseWriter, r *http.Request, who *identity) {
	id, ok := pathID(r)
	if !ok {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such run")
		return
	}
	if s.cfg.Resolver == nil || s.cfg.Ops == nil {
		s.fail(w, r, pageRoute, http.StatusServiceUnavailable, "this console has no browser for the offline test")
		return
	}
	arts, err := s.cfg.Store.Artifacts(r.Context(), id)
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	var html, report []byte
	for _, a := range arts {
		if a.Kind != "evidence" || (a.Name != "page.html" && a.Name != "evidence.json") {
			continue
		}
		rc, err := s.cfg.Store.OpenArtifact(r.Context(), a.SHA256)
		if err != nil {
			s.internal(w, r, pageRoute, err)
			return
		}
		b, err := io.ReadAll(io.LimitReader(rc, 32<<20))
		rc.Close()
		if err != nil {
			s.internal(w, r, pageRoute, err)
			return
		}
		if a.Name == "page.html" {
			html = b
		} else {
			report = b
		}
	}
	if html == nil || report == nil {
		s.fail(w, r, pageRoute, http.StatusNotFound, fmt.Sprintf("run %d has no evidence bundle with a captured page", id))
		return
	}
	failed, _, _, err := bots.EvidenceSelector(report)
	if err != nil {
		s.fail(w, r, pageRoute, http.StatusUnprocessableEntity, fmt.Sprintf("run %d's evidence report does not read: %v", id, err))
		return
	}
	var rep evidenceReport
	_ = json.Unmarshal(report, &rep)
	site := strings.TrimSuffix(path.Base(rep.SelectorFile), ".yaml")
	if err := s.cfg.Ops.CheckSite(site); err != nil {
		s.fail(w, r, pageRoute, http.StatusNotFound, fmt.Sprintf("run %d's evidence names no known selector file", id))
		return
	}
	sel, err := s.cfg.Ops.CurrentSelectors(site)
	if err != nil {
		s.fail(w, r, pageRoute, http.StatusConflict, err.Error())
		return
	}
	res, err := s.cfg.Resolver.Resolve(r.Context(), string(html), sel)
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	v := bundleView{RunID: id, Site: site, Failed: failed, Results: res}
	v.Problems = bundleProblems(res, failed, rep.CoveredBy, sel)
	v.Passes = len(v.Problems) == 0
	s.render(w, r, who, http.StatusOK, "bundle", pageData{Title: fmt.Sprintf("Run %d: offline selector test", id), Data: v})
}

// bundleProblems says why the offline test fails, as `ferry selectors
// test --bundle` judges it: a selector matching several elements; the
// selector the run broke on (any alternative of a branch) still finding
// no single element, as the file's last entry for it says; an overlay
// that covered the page and no dismiss element finding its button.
func bundleProblems(res []bots.Resolution, failed []string, covered string, sel *selectors.File) []string {
	var problems []string
	status := map[string]string{}
	for _, x := range res {
		status[x.Element] = x.Status
		if x.Status == "several" {
			problems = append(problems, x.Element+" matches several elements")
		}
	}
	if len(failed) > 0 && !slices.ContainsFunc(failed, func(f string) bool { return status[f] == "unique" || status[f] == "many" }) {
		problems = append(problems, strings.Join(failed, " | ")+", which the run failed on, still resolves to no single element")
	}
	if covered != "" && !slices.ContainsFunc(sel.Dismiss, func(d string) bool { return status[d] == "unique" }) {
		problems = append(problems, covered+" covered the page and no dismiss element finds its button")
	}
	return problems
}
