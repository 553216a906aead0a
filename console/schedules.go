package console

// The schedules pages (admin): the schedules stored in the database, which
// every runner sharing it fires and re-reads without a restart, listed,
// created, edited, paused, resumed and deleted, each change audited with
// its before and after; the configuration file's schedules beside them,
// read-only (they change by editing ferry.yaml and restarting).

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ferry-rpa/ferry"
)

// ScheduleAdmin checks stored schedules as the runner fires them and lists
// the configuration file's. *runner.Runner is one.
type ScheduleAdmin interface {
	// CheckSchedule returns nil when d can fire, else an error whose
	// message starts with the bad field ("cron: ...", "bot: ...").
	CheckSchedule(d ferry.ScheduleDef) error
	// FileSchedules lists the configuration file's schedules, by id.
	FileSchedules() []ferry.ScheduleDef
}

// scheduleID is what a stored schedule's id may be: it names the schedule
// in runs, URLs and the audit log.
var scheduleID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// InvalidScheduleError is a schedule refused before anything was stored;
// its message starts with the bad field.
type InvalidScheduleError struct{ Msg string }

func (e *InvalidScheduleError) Error() string { return e.Msg }

// SaveSchedule creates (version 0) or edits (at d.Version) a stored
// schedule after admin checked it, audited as actor from addr, and returns
// it as stored. Errors: *InvalidScheduleError (naming the field),
// ferry.ErrScheduleExists, ferry.ErrScheduleChanged, ferry.ErrNoSchedule,
// the store's.
func SaveSchedule(ctx context.Context, store ferry.ConsoleStore, sched ferry.ScheduleStore, admin ScheduleAdmin, actor, addr string, d ferry.ScheduleDef) (ferry.ScheduleDef, error) {
	if !scheduleID.MatchString(d.ID) {
		return d, &InvalidScheduleError{fmt.Sprintf("id: %q must be 1 to 64 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit", d.ID)}
	}
	if admin != nil {
		for _, f := range admin.FileSchedules() {
			if f.ID == d.ID {
				return d, &InvalidScheduleError{fmt.Sprintf("id: %q is a schedule of the configuration file", d.ID)}
			}
		}
		if err := admin.CheckSchedule(d); err != nil {
			return d, &InvalidScheduleError{err.Error()}
		}
	}
	d.UpdatedBy = actor
	action, before := "schedule.create", any(nil)
	if d.Version > 0 {
		action = "schedule.edit"
		old, err := sched.ScheduleDef(ctx, d.ID)
		if err != nil {
			return d, err
		}
		before = old
	}
	var out ferry.ScheduleDef
	err := ferry.Audited(ctx, store, store, ferry.Change{Actor: actor, Address: addr, Action: action, Target: "schedule:" + d.ID, Before: before},
		func(ctx context.Context) (any, error) {
			var err error
			if d.Version == 0 {
				out, err = sched.AddScheduleDef(ctx, d)
			} else {
				out, err = sched.UpdateScheduleDef(ctx, d)
			}
			return out, err
		})
	return out, err
}

// ChangeSchedule pauses ("pause"), resumes ("resume") or deletes
// ("delete") a stored schedule, audited as actor from addr: the console
// and `ferry schedules` both change schedules through it. Errors:
// ferry.ErrNoSchedule, an unknown op, the store's.
func ChangeSchedule(ctx context.Context, store ferry.ConsoleStore, sched ferry.ScheduleStore, actor, addr, id, op string) (ferry.ScheduleDef, error) {
	if op != "pause" && op != "resume" && op != "delete" {
		return ferry.ScheduleDef{}, fmt.Errorf("unknown change %q (pause, resume or delete)", op)
	}
	old, err := sched.ScheduleDef(ctx, id)
	if err != nil {
		return old, err
	}
	var out ferry.ScheduleDef
	err = ferry.Audited(ctx, store, store, ferry.Change{Actor: actor, Address: addr, Action: "schedule." + op, Target: "schedule:" + id, Before: old},
		func(ctx context.Context) (any, error) {
			var err error
			switch op {
			case "delete":
				out, err = sched.DeleteScheduleDef(ctx, id)
				return map[string]any{"deleted": true}, err
			default:
				out, err = sched.SetScheduleDefPaused(ctx, id, op == "pause", actor)
				return out, err
			}
		})
	return out, err
}

// ParseParams reads a schedule's parameters written one name=value a
// line (blank lines and lines starting with # skipped); the error names
// the line.
func ParseParams(text string) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, &InvalidScheduleError{fmt.Sprintf("params: line %d: want name=value, got %q", i+1, line)}
		}
		if _, dup := out[k]; dup {
			return nil, &InvalidScheduleError{fmt.Sprintf("params: line %d: %s given twice", i+1, k)}
		}
		out[k] = strings.TrimSpace(v)
	}
	return out, nil
}

// formatParams writes params as ParseParams reads them, sorted.
func formatParams(p map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(p)) {
		b.WriteString(k + "=" + p[k] + "\n")
	}
	return b.String()
}

// scheduleView is a schedule as the pages show it.
type scheduleView struct {
	ferry.ScheduleDef
	ParamsText string
	File       bool // from the configuration file: read-only
}

// schedulesData is the schedules page's data.
type schedulesData struct {
	Stored, File []scheduleView
	// Form is the new schedule's form as sent (after an error), or empty.
	Form scheduleView
	// CanChange is false when this console has no runner to check
	// schedules with: the page is read-only.
	CanChange bool
}

func (s *Server) registerSchedules() {
	s.handle("GET /schedules", s.schedulesPage)
	s.handle("POST /schedules", s.createSchedule)
	s.handle("GET /schedules/{id}", s.schedulePage)
	s.handle("POST /schedules/{id}", s.changeSchedule)
	s.handle("GET /sinks", s.sinksPage)
	s.registerRiver()
}

// scheduleStore is the console's store as a schedule store, if it is one.
func (s *Server) scheduleStore() (ferry.ScheduleStore, bool) {
	st, ok := s.cfg.Store.(ferry.ScheduleStore)
	return st, ok
}

func (s *Server) schedulesPage(w http.ResponseWriter, r *http.Request, who *identity) {
	s.showSchedules(w, r, who, http.StatusOK, r.URL.Query().Get("notice"), "", scheduleView{})
}

func (s *Server) showSchedules(w http.ResponseWriter, r *http.Request, who *identity, code int, notice, problem string, form scheduleView) {
	st, ok := s.scheduleStore()
	if !ok {
		s.fail(w, r, pageRoute, http.StatusNotImplemented, "this store keeps no schedules")
		return
	}
	defs, err := st.ScheduleDefs(r.Context())
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	data := schedulesData{Stored: []scheduleView{}, File: []scheduleView{}, Form: form, CanChange: s.cfg.Schedules != nil}
	for _, d := range defs {
		data.Stored = append(data.Stored, scheduleView{ScheduleDef: d, ParamsText: formatParams(d.Params)})
	}
	if s.cfg.Schedules != nil {
		for _, d := range s.cfg.Schedules.FileSchedules() {
			data.File = append(data.File, scheduleView{ScheduleDef: d, ParamsText: formatParams(d.Params), File: true})
		}
	}
	s.render(w, r, who, code, "schedules", pageData{Title: "Schedules", Notice: notice, Error: problem, Data: data})
}

// scheduleForm reads a schedule's form.
func scheduleForm(r *http.Request, id string) (ferry.ScheduleDef, string, error) {
	text := r.PostFormValue("params")
	d := ferry.ScheduleDef{ID: id, Bot: strings.TrimSpace(r.PostFormValue("bot")), Login: strings.TrimSpace(r.PostFormValue("login")),
		Site: strings.TrimSpace(r.PostFormValue("site")), Cron: strings.TrimSpace(r.PostFormValue("cron")), Zone: strings.TrimSpace(r.PostFormValue("zone"))}
	if v := r.PostFormValue("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return d, text, &InvalidScheduleError{fmt.Sprintf("version: %q is not a version", v)}
		}
		d.Version = n
	}
	for _, f := range []struct{ name, v string }{{"bot", d.Bot}, {"login", d.Login}, {"cron", d.Cron}} {
		if f.v == "" {
			return d, text, &InvalidScheduleError{f.name + ": required"}
		}
	}
	p, err := ParseParams(text)
	if err != nil {
		return d, text, err
	}
	d.Params = p
	return d, text, nil
}

func (s *Server) createSchedule(w http.ResponseWriter, r *http.Request, who *identity) {
	st, ok := s.scheduleStore()
	if !ok || s.cfg.Schedules == nil {
		s.showSchedules(w, r, who, http.StatusServiceUnavailable, "", "this console cannot change schedules (no runner to check them)", scheduleView{})
		return
	}
	d, text, err := scheduleForm(r, strings.TrimSpace(r.PostFormValue("id")))
	d.Version = 0
	if err == nil {
		_, err = SaveSchedule(r.Context(), s.cfg.Store, st, s.cfg.Schedules, who.actor(), who.addr, d)
	}
	var inv *InvalidScheduleError
	switch {
	case err == nil:
		http.Redirect(w, r, "/schedules?notice="+url.QueryEscape("created "+d.ID), http.StatusSeeOther)
	case errors.As(err, &inv), errors.Is(err, ferry.ErrScheduleExists):
		msg := err.Error()
		if errors.Is(err, ferry.ErrScheduleExists) {
			msg = fmt.Sprintf("id: %q is taken", d.ID)
		}
		s.showSchedules(w, r, who, http.StatusBadRequest, "", msg, scheduleView{ScheduleDef: d, ParamsText: text})
	default:
		s.internal(w, r, pageRoute, err)
	}
}

// scheduleData is the edit page's data.
type scheduleData struct {
	Schedule  scheduleView
	CanChange bool
}

func (s *Server) schedulePage(w http.ResponseWriter, r *http.Request, who *identity) {
	st, ok := s.scheduleStore()
	if !ok {
		s.fail(w, r, pageRoute, http.StatusNotImplemented, "this store keeps no schedules")
		return
	}
	d, err := st.ScheduleDef(r.Context(), r.PathValue("id"))
	if errors.Is(err, ferry.ErrNotFound) {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such schedule")
		return
	}
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	s.showSchedule(w, r, who, http.StatusOK, "", scheduleView{ScheduleDef: d, ParamsText: formatParams(d.Params)})
}

func (s *Server) showSchedule(w http.ResponseWriter, r *http.Request, who *identity, code int, problem string, v scheduleView) {
	s.render(w, r, who, code, "schedule", pageData{Title: "Schedule " + v.ID, Error: problem, Data: scheduleData{Schedule: v, CanChange: s.cfg.Schedules != nil}})
}

func (s *Server) changeSchedule(w http.ResponseWriter, r *http.Request, who *identity) {
	st, ok := s.scheduleStore()
	if !ok || s.cfg.Schedules == nil {
		s.showSchedules(w, r, who, http.StatusServiceUnavailable, "", "this console cannot change schedules (no runner to check them)", scheduleView{})
		return
	}
	id, op := r.PathValue("id"), r.PostFormValue("op")
	var err error
	notice := op + " " + id
	if op == "save" {
		var d ferry.ScheduleDef
		var text string
		d, text, err = scheduleForm(r, id)
		if err == nil && d.Version == 0 {
			err = &InvalidScheduleError{"version: required to edit"}
		}
		if err == nil {
			_, err = SaveSchedule(r.Context(), s.cfg.Store, st, s.cfg.Schedules, who.actor(), who.addr, d)
		}
		var inv *InvalidScheduleError
		switch {
		case errors.As(err, &inv):
			s.showSchedule(w, r, who, http.StatusBadRequest, err.Error(), scheduleView{ScheduleDef: d, ParamsText: text})
			return
		case errors.Is(err, ferry.ErrScheduleChanged):
			s.showSchedule(w, r, who, http.StatusConflict, "someone else changed this schedule meanwhile: reload it and edit again", scheduleView{ScheduleDef: d, ParamsText: text})
			return
		}
		notice = "saved " + id
	} else {
		_, err = ChangeSchedule(r.Context(), s.cfg.Store, st, who.actor(), who.addr, id, op)
	}
	switch {
	case err == nil:
		http.Redirect(w, r, "/schedules?notice="+url.QueryEscape(notice), http.StatusSeeOther)
	case errors.Is(err, ferry.ErrNotFound):
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such schedule")
	case strings.HasPrefix(err.Error(), "unknown change"):
		s.showSchedules(w, r, who, http.StatusBadRequest, "", err.Error(), scheduleView{})
	default:
		s.internal(w, r, pageRoute, err)
	}
}
