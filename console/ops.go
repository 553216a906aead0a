package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/metrics"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
)

// Ops is what the ops pages change through: *service.Service, the
// business logic the CLI shares.
type Ops interface {
	// AcceptHeal applies heal id to its selector file and marks it
	// accepted. Errors: an unknown heal, service.ErrHealDecided, a
	// proposal that no longer applies, a write or database error.
	AcceptHeal(ctx context.Context, id int64, author string) (service.HealDecision, error)
	// RejectHeal marks heal id rejected. Errors: an unknown heal,
	// service.ErrHealDecided, a database error.
	RejectHeal(ctx context.Context, id int64, author string) (service.HealDecision, error)
	// RetryDeliveries queues parked deliveries again: ids, or all.
	// Errors: service.ErrRetryWhich, the database's.
	RetryDeliveries(ctx context.Context, ids []int64, all bool) (int, error)
	// SelectorSites lists the sites with a selector file.
	SelectorSites() []string
	// CheckSite returns service.ErrUnknownSite (wrapped) for a site not
	// in SelectorSites.
	CheckSite(site string) error
	// CurrentSelectors loads a site's selector file as serve reads it.
	// Errors: service.ErrUnknownSite, the file's parse error.
	CurrentSelectors(site string) (*selectors.File, error)
	// LintSelectors parses content as site's file (a
	// *service.InvalidError names the line) and returns its lint findings.
	LintSelectors(site string, content []byte) ([]selectors.Problem, error)
	// SaveSelectors checks, writes and records content as site's file.
	// Errors: service.ErrUnknownSite, *service.InvalidError (nothing written),
	// service.ErrNoSelectorsDir, a write or database error.
	SaveSelectors(ctx context.Context, site string, content []byte, author, message string) (service.SelectorChange, []selectors.Problem, error)
	// RollbackSelectors puts version seq back and records it as new.
	// Errors: an unknown version, service.ErrNoSelectorsDir, a write or
	// database error.
	RollbackSelectors(ctx context.Context, site string, seq int, author, message string) (service.SelectorChange, error)
}

// readiness is what /readyz asks the store, when it can answer.
type readiness interface {
	Ready(ctx context.Context, timeout time.Duration) error
}

// registerOps adds the live run, download, ops and operations routes.
func (s *Server) registerOps() {
	s.handle("GET /readyz", s.readyz)
	if src, ok := s.cfg.Store.(metrics.Source); ok {
		h := metrics.Handler(src)
		s.handle("GET /metrics", func(w http.ResponseWriter, r *http.Request, _ *identity) { h.ServeHTTP(w, r) })
	}
	s.handle("GET /runs/{id}/events", s.runEvents)
	s.handle("GET /runs/{id}/artifacts/{aid}", s.artifact)
	s.handle("GET /runs/{id}/dom/{aid}", s.inertDOM)
	s.handle("GET /runs/{id}/evidence", s.evidencePage)
	s.handle("POST /runs/{id}/bundle-test", s.bundleTest)
	s.handle("GET /records", s.recordsPage)
	s.handle("GET /records/export", s.recordsExport)
	s.handle("GET /failures", s.failuresPage)
	s.handle("GET /deliveries", s.deliveriesPage)
	s.handle("POST /deliveries/retry", s.retryDeliveries)
	s.handle("GET /heals", s.healsPage)
	s.handle("POST /heals/{id}", s.decideHeal)
	s.handle("GET /selectors", s.selectorsPage)
	s.handle("GET /selectors/{site}", s.selectorPage)
	s.handle("POST /selectors/{site}", s.saveSelectors)
	s.handle("GET /selectors/{site}/diff", s.selectorDiff)
	s.handle("POST /selectors/{site}/rollback", s.rollbackSelectors)
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ *identity) {
	rd, ok := s.cfg.Store.(readiness)
	if !ok {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		return
	}
	if err := rd.Ready(r.Context(), 5*time.Second); err != nil {
		// The reason goes to the log; the answer says only "not ready"
		// (the endpoint is public).
		s.cfg.Logger.Warn().Err(err).Msg("console: not ready")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// streamLimit ends an event stream after this long; the browser's
// EventSource reconnects on its own, so no connection outlives a
// shutdown's grace by much.
const streamLimit = 5 * time.Minute

// runEvents streams a run's new steps and status changes as server-sent
// events until the run ends: "step" (a stepView), "run" (a runView) and
// "end". The store is polled: steps are written by whichever node runs
// the bot, and the database is the only thing every node shares.
func (s *Server) runEvents(w http.ResponseWriter, r *http.Request, who *identity) {
	id, d, ok := s.runFromPath(w, r, pageRoute)
	if !ok {
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// Steps the client has: Last-Event-ID on a reconnect, else none.
	sent, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
	last := ""
	ctx, cancel := context.WithTimeout(r.Context(), streamLimit)
	defer cancel()
	tick := time.NewTicker(s.cfg.PollInterval)
	defer tick.Stop()
	for {
		for i := sent; i < len(d.Steps); i++ {
			if err := sse(w, "step", strconv.Itoa(i+1), d.Steps[i]); err != nil {
				return
			}
		}
		if sent < len(d.Steps) {
			sent = len(d.Steps)
		}
		// The run is sent again when what the page shows of it changed.
		if k := fmt.Sprint(d.Run.Status, d.Run.Class, d.Run.Error, d.Run.Summary, d.Run.Attempt, d.Run.StartedAt, d.Run.FinishedAt); k != last {
			last = k
			if err := sse(w, "run", "", d.Run); err != nil {
				return
			}
		}
		if service.Ended(ferry.RunStatus(d.Run.Status)) {
			_ = sse(w, "end", "", d.Run.Status)
			_ = rc.Flush()
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-s.streams:
			return
		case <-tick.C:
		}
		var err error
		if d, err = s.runDetail(ctx, id); err != nil {
			if ctx.Err() == nil {
				s.cfg.Logger.Error().Err(err).Int64("run", id).Msg("console: run events")
			}
			return
		}
	}
}

// sse writes one server-sent event with v as JSON data.
func sse(w io.Writer, event, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if id != "" {
		if _, err := fmt.Fprintf(w, "id: %s\n", id); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
	return err
}

// runArtifact finds artifact aid of run id from the path.
func (s *Server) runArtifact(w http.ResponseWriter, r *http.Request) (ferry.Artifact, bool) {
	id, ok := pathID(r)
	aid, err := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	if !ok || err != nil {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such artifact")
		return ferry.Artifact{}, false
	}
	arts, err := s.cfg.Store.Artifacts(r.Context(), id)
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return ferry.Artifact{}, false
	}
	for _, a := range arts {
		if a.ID == aid {
			return a, true
		}
	}
	s.fail(w, r, pageRoute, http.StatusNotFound, "no such artifact")
	return ferry.Artifact{}, false
}

// artifact sends an artifact's bytes as a download. Images are shown
// inline (evidence screenshots, heal shots); everything else, HTML above
// all, is an attachment under the console's CSP, never rendered here.
func (s *Server) artifact(w http.ResponseWriter, r *http.Request, who *identity) {
	a, ok := s.runArtifact(w, r)
	if !ok {
		return
	}
	rc, err := s.cfg.Store.OpenArtifact(r.Context(), a.SHA256)
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	defer rc.Close()
	ctype, disp := "application/octet-stream", "attachment"
	if a.MIME == "image/png" {
		ctype, disp = "image/png", "inline"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", disp+`; filename="`+safeFileName(a.Name)+`"`)
	w.Header().Set("Content-Length", strconv.FormatInt(a.Size, 10))
	w.Header().Set("Cache-Control", "private, max-age=3600")
	if _, err := io.Copy(w, rc); err != nil {
		s.cfg.Logger.Warn().Err(err).Int64("artifact", a.ID).Msg("console: artifact download")
	}
}

// safeFileName keeps a download's name to characters that cannot break
// the header.
func safeFileName(n string) string {
	var b strings.Builder
	for _, c := range n {
		if c == '.' || c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "artifact"
	}
	return b.String()
}

// domCSP is what captured DOM is served under: a sandbox (a unique
// origin, no scripts, no forms, no popups), nothing loaded from anywhere
// (no script, no frame, no request to the bank), and framable only by
// the console's own evidence page.
const domCSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'; form-action 'none'; base-uri 'none'"

// inertDOM serves a captured page for the evidence page's sandboxed
// frame. The CSP's sandbox holds even when the URL is opened directly.
func (s *Server) inertDOM(w http.ResponseWriter, r *http.Request, who *identity) {
	a, ok := s.runArtifact(w, r)
	if !ok {
		return
	}
	if a.Format != "html" {
		s.fail(w, r, pageRoute, http.StatusNotFound, "not a captured page")
		return
	}
	rc, err := s.cfg.Store.OpenArtifact(r.Context(), a.SHA256)
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Security-Policy", domCSP)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Disposition", "inline")
	_, _ = io.Copy(w, rc)
}

// evidenceReport is the engine's failure report (bots.Evidence as JSON):
// the parts the evidence page shows.
type evidenceReport struct {
	URL             string `json:"url"`
	Title           string `json:"title"`
	Step            string `json:"step"`
	Selector        string `json:"selector"`
	Variant         string `json:"variant"`
	CoveredBy       string `json:"covered_by"`
	SelectorFile    string `json:"selector_file"`
	SelectorVersion string `json:"selector_version"`
	Error           string `json:"error"`
	Class           string `json:"class"`
	Ways            []struct {
		Way   string `json:"way"`
		Count int    `json:"count"`
		Error string `json:"error"`
	} `json:"ways"`
	Trace []struct {
		Seq                                int
		Path, Action, Element, Way, Detail string
		Status                             string
		Duration                           time.Duration
	} `json:"trace"`
}

// evidenceView is what the evidence page shows.
type evidenceView struct {
	Run        runView
	Report     *evidenceReport
	ReportErr  string
	Screenshot int64 // artifact id, 0 when none
	DOM        int64
	Steps      []stepView
	Heals      []healView
}

func (s *Server) evidencePage(w http.ResponseWriter, r *http.Request, who *identity) {
	id, d, ok := s.runFromPath(w, r, pageRoute)
	if !ok {
		return
	}
	v := evidenceView{Run: d.Run, Steps: d.Steps}
	for _, a := range d.Artifacts {
		if a.Kind != "evidence" {
			continue
		}
		switch a.Name {
		case "screenshot.png":
			v.Screenshot = a.ID
		case "page.html":
			v.DOM = a.ID
		case "evidence.json":
			rep, err := s.readReport(r.Context(), a)
			if err != nil {
				v.ReportErr = fmt.Sprintf("the report (artifact %d) does not read: %v", a.ID, err)
			} else {
				v.Report = rep
			}
		}
	}
	if hs, ok := s.cfg.Store.(healStore); ok {
		all, err := hs.Heals(r.Context(), "", "")
		if err != nil {
			s.internal(w, r, pageRoute, err)
			return
		}
		for _, h := range all {
			if h.RunID == id {
				v.Heals = append(v.Heals, viewHeal(h))
			}
		}
	}
	// The page frames the captured DOM from this origin: its CSP adds
	// frame-src 'self' to the console's.
	w.Header().Set("Content-Security-Policy", strings.Replace(pageCSP, "frame-ancestors", "frame-src 'self'; frame-ancestors", 1))
	s.render(w, r, who, http.StatusOK, "evidence", pageData{Title: fmt.Sprintf("Run %d: evidence", id), Data: v})
}

func (s *Server) readReport(ctx context.Context, a ferry.Artifact) (*evidenceReport, error) {
	rc, err := s.cfg.Store.OpenArtifact(ctx, a.SHA256)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var rep evidenceReport
	if err := json.NewDecoder(io.LimitReader(rc, 8<<20)).Decode(&rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// failuresPage lists failed runs, newest first, with links to their
// evidence.
func (s *Server) failuresPage(w http.ResponseWriter, r *http.Request, who *identity) {
	runs, err := s.cfg.Store.Runs(r.Context(), 500)
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	out := []runView{}
	for _, run := range runs {
		if run.Status == ferry.RunFailed || run.Status == ferry.RunInterrupted {
			out = append(out, viewRun(run))
		}
	}
	s.render(w, r, who, http.StatusOK, "failures", pageData{Title: "Failed runs", Data: out})
}

// deliveryStore is what the deliveries page reads. *storage.DB is one.
type deliveryStore interface {
	Deliveries(ctx context.Context, status, sink string, limit int) ([]ferry.Delivery, error)
}

// deliveryView is a delivery as the page shows it: never its payload
// (records may carry names and references finance does not share with
// every ops user; the CLI shows it).
type deliveryView struct {
	ID          int64
	Sink        string
	DedupKey    string
	Status      string
	Attempts    int
	LastError   string
	NextAttempt time.Time
}

func (s *Server) deliveriesPage(w http.ResponseWriter, r *http.Request, who *identity) {
	s.showDeliveries(w, r, who, http.StatusOK, r.URL.Query().Get("notice"), "")
}

func (s *Server) showDeliveries(w http.ResponseWriter, r *http.Request, who *identity, code int, notice, problem string) {
	ds, ok := s.cfg.Store.(deliveryStore)
	if !ok {
		s.fail(w, r, pageRoute, http.StatusNotImplemented, "this store keeps no deliveries")
		return
	}
	lists := map[string][]deliveryView{}
	for _, st := range []string{"pending", "parked"} {
		items, err := ds.Deliveries(r.Context(), st, "", 200)
		if err != nil {
			s.internal(w, r, pageRoute, err)
			return
		}
		lists[st] = []deliveryView{}
		for _, d := range items {
			lists[st] = append(lists[st], deliveryView{ID: d.ID, Sink: d.Sink, DedupKey: d.DedupKey, Status: d.Status, Attempts: d.Attempts, LastError: d.LastError, NextAttempt: d.NextAttempt})
		}
	}
	s.render(w, r, who, code, "deliveries", pageData{Title: "Deliveries", Notice: notice, Error: problem, Data: lists})
}

func (s *Server) retryDeliveries(w http.ResponseWriter, r *http.Request, who *identity) {
	if s.cfg.Ops == nil {
		s.showDeliveries(w, r, who, http.StatusServiceUnavailable, "", "this console cannot change deliveries")
		return
	}
	all := r.PostFormValue("all") == "1"
	var ids []int64
	for _, v := range r.PostForm["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			s.showDeliveries(w, r, who, http.StatusBadRequest, "", fmt.Sprintf("id: %q is not a delivery id", v))
			return
		}
		ids = append(ids, id)
	}
	var n int
	err := ferry.Audited(r.Context(), s.cfg.Store, s.cfg.Store, ferry.Change{Actor: who.actor(), Address: who.addr, Action: "delivery.retry", Target: "outbox",
		Before: map[string]any{"ids": ids, "all": all}}, func(ctx context.Context) (any, error) {
		var err error
		n, err = s.cfg.Ops.RetryDeliveries(ctx, ids, all)
		return map[string]any{"queued": n}, err
	})
	switch {
	case errors.Is(err, service.ErrRetryWhich):
		s.showDeliveries(w, r, who, http.StatusBadRequest, "", err.Error())
	case err != nil:
		s.internal(w, r, pageRoute, err)
	default:
		http.Redirect(w, r, "/deliveries?notice="+url.QueryEscape(fmt.Sprintf("queued %d again", n)), http.StatusSeeOther)
	}
}

// healStore is what the heals pages read. *storage.DB is one.
type healStore interface {
	Heals(ctx context.Context, site, status string) ([]ferry.HealRecord, error)
}

// healView is a heal proposal as the pages show it.
type healView struct {
	ID                int64
	Site, Element     string
	Variant           string
	RunID             int64
	Page              string
	Way               string
	Score, RunnerUp   string
	Diff              string
	Before, After     int64
	Status, DecidedBy string
	Created           time.Time
}

func viewHeal(h ferry.HealRecord) healView {
	return healView{ID: h.ID, Site: h.Site, Element: h.Element, Variant: h.Variant, RunID: h.RunID, Page: h.Page, Way: service.ProposedWay(h),
		Score: strconv.FormatFloat(h.Score, 'f', 2, 64), RunnerUp: strconv.FormatFloat(h.RunnerUp, 'f', 2, 64), Diff: h.Diff,
		Before: h.BeforeArtifact, After: h.AfterArtifact, Status: h.Status, DecidedBy: h.DecidedBy, Created: h.CreatedAt}
}

func (s *Server) healsPage(w http.ResponseWriter, r *http.Request, who *identity) {
	s.showHeals(w, r, who, http.StatusOK, r.URL.Query().Get("notice"), "")
}

func (s *Server) showHeals(w http.ResponseWriter, r *http.Request, who *identity, code int, notice, problem string) {
	hs, ok := s.cfg.Store.(healStore)
	if !ok {
		s.fail(w, r, pageRoute, http.StatusNotImplemented, "this store keeps no heals")
		return
	}
	all, err := hs.Heals(r.Context(), "", r.URL.Query().Get("status"))
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	out := []healView{}
	for _, h := range all {
		out = append(out, viewHeal(h))
	}
	s.render(w, r, who, code, "heals", pageData{Title: "Heal proposals", Notice: notice, Error: problem, Data: out})
}

func (s *Server) decideHeal(w http.ResponseWriter, r *http.Request, who *identity) {
	id, ok := pathID(r)
	if !ok {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such heal")
		return
	}
	if s.cfg.Ops == nil {
		s.showHeals(w, r, who, http.StatusServiceUnavailable, "", "this console cannot decide heals")
		return
	}
	op := r.PostFormValue("op")
	if op != "accept" && op != "reject" {
		s.showHeals(w, r, who, http.StatusBadRequest, "", fmt.Sprintf("op: %q is neither accept nor reject", op))
		return
	}
	var dec service.HealDecision
	err := ferry.Audited(r.Context(), s.cfg.Store, s.cfg.Store, ferry.Change{Actor: who.actor(), Address: who.addr, Action: "heal." + op, Target: fmt.Sprintf("heal:%d", id),
		Before: map[string]any{"heal": id, "status": "proposed"}}, func(ctx context.Context) (any, error) {
		var err error
		if op == "accept" {
			dec, err = s.cfg.Ops.AcceptHeal(ctx, id, who.actor())
		} else {
			dec, err = s.cfg.Ops.RejectHeal(ctx, id, who.actor())
		}
		return dec, err
	})
	switch {
	case errors.Is(err, storage.ErrNoHeal):
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such heal")
	case errors.Is(err, service.ErrHealDecided):
		s.showHeals(w, r, who, http.StatusConflict, "", err.Error())
	case err != nil && strings.Contains(err.Error(), "does not apply"):
		s.showHeals(w, r, who, http.StatusConflict, "", err.Error())
	case err != nil:
		s.internal(w, r, pageRoute, err)
	default:
		msg := fmt.Sprintf("heal %d %s", id, dec.Status)
		if dec.Version > 0 {
			msg += fmt.Sprintf(": %s version %d, %s now tried first as %s", dec.Site, dec.Version, dec.Element, dec.Way)
		}
		http.Redirect(w, r, "/heals?notice="+url.QueryEscape(msg), http.StatusSeeOther)
	}
}
