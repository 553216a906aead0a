package console

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/service"
)

// register adds every route; each must have an entry in Matrix.
func (s *Server) register() {
	assets, _ := fs.Sub(assetFS, "assets")
	files := http.StripPrefix("/assets/", http.FileServerFS(assets))
	s.handle("GET /assets/", func(w http.ResponseWriter, r *http.Request, _ *identity) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
	s.handle("GET /healthz", func(w http.ResponseWriter, r *http.Request, _ *identity) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.handle("GET /login", s.loginPage)
	s.handle("POST /login", s.loginPost)
	s.handle("POST /logout", s.logout)
	s.handle("GET /{$}", func(w http.ResponseWriter, r *http.Request, _ *identity) {
		http.Redirect(w, r, "/runs", http.StatusSeeOther)
	})
	s.handle("GET /runs", s.runsPage)
	s.handle("GET /runs/{id}", s.runPage)
	s.handle("POST /runs", s.startRunPage)
	s.handle("GET /users", s.usersPage)
	s.handle("POST /users", s.addUserPage)
	s.handle("POST /users/{id}", s.changeUserPage)
	s.handle("GET /audit", s.auditPage)
	s.handle("GET /audit/export", s.auditExport)
	s.handle("GET /api/runs", s.apiRuns)
	s.handle("GET /api/runs/{id}", s.apiRun)
	s.handle("POST /api/runs", s.apiStartRun)
	s.handle("GET /api/audit", s.auditExport)
	s.registerOps()
}

// pageData is what every page template gets.
type pageData struct {
	Title  string
	User   string
	Role   ferry.Role
	CSRF   string
	Nav    map[string]bool // which navigation links the role may follow
	Notice string
	Error  string
	Data   any
	// Refresh, when set, reloads the page every this many seconds in a
	// browser without JavaScript (a live run without its event stream).
	Refresh int
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, who *identity, code int, page string, d pageData) {
	if who != nil {
		d.User, d.Role, d.CSRF = who.user.Name, who.role, who.csrf
		d.Nav = map[string]bool{}
		for link, route := range map[string]string{"runs": "GET /runs", "start": "POST /runs", "users": "GET /users", "audit": "GET /audit",
			"records": "GET /records", "failures": "GET /failures", "deliveries": "GET /deliveries", "heals": "GET /heals", "selectors": "GET /selectors", "evidence": "GET /runs/{id}/evidence",
			"artifacts": "GET /runs/{id}/artifacts/{aid}", "statements": "GET /statements", "invoices": "GET /invoices", "answer": "POST /runs/{id}/answer", "canary": "POST /selectors/{site}/canary",
			"credentials": "GET /credentials", "schedules": "GET /schedules", "sinks": "GET /sinks", "river": "GET /admin/river/"} {
			d.Nav[link] = s.matrix[route].allows(who.role)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := s.pages[page].ExecuteTemplate(w, "layout", d); err != nil {
		s.cfg.Logger.Error().Err(err).Str("page", page).Msg("console: render")
	}
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, k kind, err error) {
	s.cfg.Logger.Error().Err(err).Str("path", r.URL.Path).Msg("console")
	s.fail(w, r, k, http.StatusInternalServerError, "internal error")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, _ *identity) {
	s.render(w, r, nil, http.StatusOK, "login", pageData{Title: "Log in", Data: s.loginOptions()})
}

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request, _ *identity) {
	name, password := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	addr := clientAddr(r)
	u, ok, err := s.login(r.Context(), name, password, addr)
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	if !ok {
		s.cfg.Logger.Info().Str("addr", addr).Msg("console: login refused")
		s.render(w, r, nil, http.StatusUnauthorized, "login", pageData{Title: "Log in", Error: errLogin, Data: s.loginOptions()})
		return
	}
	token, hash, err := NewToken()
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	err = ferry.Audited(r.Context(), s.cfg.Store, s.cfg.Store, ferry.Change{Actor: u.Name, Address: addr, Action: "session.login", Target: "user:" + u.Name},
		func(ctx context.Context) (any, error) {
			id, err := s.cfg.Store.AddSession(ctx, ferry.Session{TokenHash: hash, UserID: u.ID, Address: addr})
			return map[string]any{"session": id}, err
		})
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	// Expired sessions are swept at each login: no timer to run, and the
	// table stays as small as the number of live sessions.
	now := s.cfg.Now()
	if _, err := s.cfg.Store.DeleteSessionsBefore(r.Context(), now.Add(-s.cfg.MaxSessionAge), now.Add(-s.cfg.IdleTimeout)); err != nil {
		s.cfg.Logger.Warn().Err(err).Msg("console: sweeping expired sessions")
	}
	s.setCookie(w, r, token)
	http.Redirect(w, r, "/runs", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, who *identity) {
	err := ferry.Audited(r.Context(), s.cfg.Store, s.cfg.Store, ferry.Change{Actor: who.actor(), Address: who.addr, Action: "session.logout", Target: "user:" + who.user.Name,
		Before: map[string]any{"session": who.session}}, func(ctx context.Context) (any, error) {
		return nil, s.cfg.Store.DeleteSession(ctx, who.session)
	})
	if err != nil && !errors.Is(err, ferry.ErrNotFound) {
		s.internal(w, r, pageRoute, err)
		return
	}
	s.clearCookie(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// runView is a run as pages and the API show it.
type runView struct {
	ID         int64           `json:"id"`
	Bot        string          `json:"bot"`
	Login      string          `json:"login"`
	Site       string          `json:"site,omitempty"`
	Schedule   string          `json:"schedule,omitempty"`
	Params     ferry.RunParams `json:"params"`
	Status     string          `json:"status"`
	Class      string          `json:"class,omitempty"`
	Error      string          `json:"error,omitempty"`
	Summary    string          `json:"summary,omitempty"`
	Attempt    int             `json:"attempt"`
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  time.Time       `json:"started_at,omitzero"`
	FinishedAt time.Time       `json:"finished_at,omitzero"`
	// Waiting is the challenge a listed run waits on (nil when none).
	Waiting *challengeView `json:"waiting,omitempty"`
}

func viewRun(r ferry.RunRecord) runView {
	return runView{ID: r.ID, Bot: r.Bot, Login: r.Login, Site: r.Site, Schedule: r.Schedule, Params: r.Params, Status: string(r.Status),
		Class: string(r.Class), Error: r.Error, Summary: r.Summary, Attempt: r.Attempt, CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
}

// stepView is a step as the run page and the API show it.
type stepView struct {
	Attempt  int    `json:"attempt"`
	Seq      int    `json:"seq"`
	Action   string `json:"action"`
	Element  string `json:"element,omitempty"`
	Way      string `json:"way,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Status   string `json:"status"`
	Duration string `json:"duration"`
}

// runDetail is a run with its steps and artifacts.
type runDetail struct {
	Run       runView          `json:"run"`
	Steps     []stepView       `json:"steps"`
	Artifacts []ferry.Artifact `json:"artifacts"`
	// Statements are the run's statements with their checks: accepted,
	// or held with the problem found.
	Statements []ferry.StatementRow `json:"statements"`
	// Challenge is the run's latest challenge, nil when it never asked.
	Challenge *challengeView `json:"challenge,omitempty"`
}

// statementStore is what a run's statements are read from. *storage.DB
// is one.
type statementStore interface {
	Statements(ctx context.Context, runID int64) ([]ferry.StatementRow, error)
}

func (s *Server) runDetail(ctx context.Context, id int64) (runDetail, error) {
	run, err := s.cfg.Store.Run(ctx, id)
	if err != nil {
		return runDetail{}, err
	}
	steps, attempts, err := s.cfg.Store.Steps(ctx, id)
	if err != nil {
		return runDetail{}, err
	}
	arts, err := s.cfg.Store.Artifacts(ctx, id)
	if err != nil {
		return runDetail{}, err
	}
	d := runDetail{Run: viewRun(run), Steps: []stepView{}, Artifacts: arts}
	if d.Run.Status, d.Challenge, err = s.waitingState(ctx, id, d.Run.Status); err != nil {
		return runDetail{}, err
	}
	for i, st := range steps {
		d.Steps = append(d.Steps, stepView{Attempt: attempts[i], Seq: st.Seq, Action: st.Action, Element: st.Element, Way: st.Way, Detail: st.Detail,
			Status: string(st.Status), Duration: st.Duration.Round(time.Millisecond).String()})
	}
	if d.Artifacts == nil {
		d.Artifacts = []ferry.Artifact{}
	}
	d.Statements = []ferry.StatementRow{}
	if ss, ok := s.cfg.Store.(statementStore); ok {
		st, err := ss.Statements(ctx, id)
		if err != nil {
			return runDetail{}, err
		}
		d.Statements = append(d.Statements, st...)
	}
	return d, nil
}

func (s *Server) listRuns(ctx context.Context) ([]runView, error) {
	runs, err := s.cfg.Store.Runs(ctx, 100)
	if err != nil {
		return nil, err
	}
	out := []runView{}
	for _, r := range runs {
		v := viewRun(r)
		v.Status, v.Waiting = s.shownStatus(ctx, r)
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) runsPage(w http.ResponseWriter, r *http.Request, who *identity) {
	runs, err := s.listRuns(r.Context())
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	s.render(w, r, who, http.StatusOK, "runs", pageData{Title: "Runs", Notice: r.URL.Query().Get("notice"), Data: runs})
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// runFromPath reads the run the path's {id} names; when there is none (or
// the store fails) it has answered the request itself and says false.
func (s *Server) runFromPath(w http.ResponseWriter, r *http.Request, route kind) (int64, runDetail, bool) {
	id, ok := pathID(r)
	if !ok {
		s.fail(w, r, route, http.StatusNotFound, "no such run")
		return 0, runDetail{}, false
	}
	d, err := s.runDetail(r.Context(), id)
	if errors.Is(err, ferry.ErrNotFound) {
		s.fail(w, r, route, http.StatusNotFound, "no such run")
		return 0, runDetail{}, false
	}
	if err != nil {
		s.internal(w, r, route, err)
		return 0, runDetail{}, false
	}
	return id, d, true
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request, who *identity) {
	id, d, ok := s.runFromPath(w, r, pageRoute)
	if !ok {
		return
	}
	pd := pageData{Title: fmt.Sprintf("Run %d", id), Data: d}
	if !service.Ended(ferry.RunStatus(d.Run.Status)) {
		pd.Refresh = 5
	}
	s.render(w, r, who, http.StatusOK, "run", pd)
}

// runForm is an ad-hoc run as the form and the API send it.
type runForm struct {
	Bot    string            `json:"bot"`
	Login  string            `json:"login"`
	From   string            `json:"from"`
	To     string            `json:"to"`
	Params map[string]string `json:"params"`
	// Accounts limits the run to these accounts (all when empty).
	Accounts []string `json:"accounts"`
}

// request checks the form and makes the service's request; errors name
// the field.
func (f runForm) request() (service.RunRequest, error) {
	req := service.RunRequest{Bot: strings.TrimSpace(f.Bot), Login: strings.TrimSpace(f.Login), Params: ferry.RunParams{Values: f.Params, Accounts: f.Accounts}}
	if req.Bot == "" {
		return req, errors.New("bot: required")
	}
	var err error
	if f.From != "" {
		if req.Params.From, err = ferry.ParseDate(f.From); err != nil {
			return req, fmt.Errorf("from: %w", err)
		}
	}
	if f.To != "" {
		if req.Params.To, err = ferry.ParseDate(f.To); err != nil {
			return req, fmt.Errorf("to: %w", err)
		}
	}
	return req, nil
}

// startRun starts a run for who, audited in the run's transaction. A bad
// request is *service.InvalidError.
func (s *Server) startRun(ctx context.Context, who *identity, f runForm) (int64, error) {
	req, err := f.request()
	if err != nil {
		return 0, &service.InvalidError{Err: err}
	}
	if s.cfg.Starter == nil {
		return 0, errNoRunner
	}
	var id int64
	err = ferry.Audited(ctx, s.cfg.Store, s.cfg.Store, ferry.Change{Actor: who.actor(), Address: who.addr, Action: "run.start"},
		func(ctx context.Context) (any, error) {
			var err error
			if id, err = s.cfg.Starter.StartRun(ctx, req); err != nil {
				return nil, err
			}
			return map[string]any{"run": id, "bot": req.Bot, "login": req.Login, "params": req.Params}, nil
		})
	return id, err
}

var errNoRunner = errors.New("this console has no runner: start runs from ferry serve")

func (s *Server) startRunPage(w http.ResponseWriter, r *http.Request, who *identity) {
	f := runForm{Bot: r.PostFormValue("bot"), Login: r.PostFormValue("login"), From: r.PostFormValue("from"), To: r.PostFormValue("to")}
	id, err := s.startRun(r.Context(), who, f)
	var inv *service.InvalidError
	switch {
	case errors.As(err, &inv) || errors.Is(err, errNoRunner):
		runs, lerr := s.listRuns(r.Context())
		if lerr != nil {
			s.internal(w, r, pageRoute, lerr)
			return
		}
		code := http.StatusBadRequest
		if errors.Is(err, errNoRunner) {
			code = http.StatusServiceUnavailable
		}
		s.render(w, r, who, code, "runs", pageData{Title: "Runs", Error: err.Error(), Data: runs})
	case err != nil:
		s.internal(w, r, pageRoute, err)
	default:
		http.Redirect(w, r, fmt.Sprintf("/runs/%d", id), http.StatusSeeOther)
	}
}

func (s *Server) apiRuns(w http.ResponseWriter, r *http.Request, who *identity) {
	runs, err := s.listRuns(r.Context())
	if err != nil {
		s.internal(w, r, apiRoute, err)
		return
	}
	writeJSON(w, http.StatusOK, runs)
}

func (s *Server) apiRun(w http.ResponseWriter, r *http.Request, who *identity) {
	_, d, ok := s.runFromPath(w, r, apiRoute)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiStartRun(w http.ResponseWriter, r *http.Request, who *identity) {
	var f runForm
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		s.fail(w, r, apiRoute, http.StatusBadRequest, "request body: "+err.Error())
		return
	}
	id, err := s.startRun(r.Context(), who, f)
	var inv *service.InvalidError
	switch {
	case errors.As(err, &inv):
		s.fail(w, r, apiRoute, http.StatusBadRequest, err.Error())
	case errors.Is(err, errNoRunner):
		s.fail(w, r, apiRoute, http.StatusServiceUnavailable, err.Error())
	case err != nil:
		s.internal(w, r, apiRoute, err)
	default:
		writeJSON(w, http.StatusCreated, map[string]int64{"run": id})
	}
}

// userView is a user as the users page shows it: never its hash.
type userView struct {
	ID       int64
	Name     string
	Role     ferry.Role
	Disabled bool
	Locked   bool
	Created  time.Time
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, who *identity) {
	s.showUsers(w, r, who, http.StatusOK, r.URL.Query().Get("notice"), "")
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, who *identity, code int, notice, problem string) {
	users, err := s.cfg.Store.Users(r.Context())
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	now := s.cfg.Now()
	views := []userView{}
	for _, u := range users {
		views = append(views, userView{ID: u.ID, Name: u.Name, Role: u.Role, Disabled: u.Disabled, Locked: now.Before(u.LockedUntil), Created: u.CreatedAt})
	}
	s.render(w, r, who, code, "users", pageData{Title: "Users", Notice: notice, Error: problem, Data: map[string]any{"Users": views, "Roles": ferry.Roles()}})
}

// AddUser adds a user with an argon2id hash of password, audited as
// actor from addr: the console's users page and `ferry users add` both
// add users through it. Errors: ErrWeakPassword, ferry.ErrUserExists,
// ferry.ErrBadRole, the store's.
func AddUser(ctx context.Context, store ferry.ConsoleStore, actor, addr, name string, role ferry.Role, password string) (int64, error) {
	if _, err := ferry.ParseRole(string(role)); err != nil {
		return 0, err
	}
	if strings.TrimSpace(name) == "" || strings.ContainsAny(name, " \t\r\n") || len(name) > 64 {
		return 0, fmt.Errorf("user name %q: 1 to 64 characters without spaces", name)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return 0, err
	}
	var id int64
	err = ferry.Audited(ctx, store, store, ferry.Change{Actor: actor, Address: addr, Action: "user.add", Target: "user:" + name},
		func(ctx context.Context) (any, error) {
			var err error
			id, err = store.AddUser(ctx, ferry.User{Name: name, Role: role, PasswordHash: hash})
			return map[string]any{"id": id, "name": name, "role": role, "disabled": false}, err
		})
	return id, err
}

func (s *Server) addUserPage(w http.ResponseWriter, r *http.Request, who *identity) {
	name, role := strings.TrimSpace(r.PostFormValue("name")), ferry.Role(r.PostFormValue("role"))
	_, err := AddUser(r.Context(), s.cfg.Store, who.actor(), who.addr, name, role, r.PostFormValue("password"))
	switch {
	case err == nil:
		http.Redirect(w, r, "/users?notice="+url.QueryEscape("added "+name), http.StatusSeeOther)
	case errors.Is(err, ErrWeakPassword), errors.Is(err, ferry.ErrUserExists), errors.Is(err, ferry.ErrBadRole), strings.HasPrefix(err.Error(), "user name"):
		s.showUsers(w, r, who, http.StatusBadRequest, "", err.Error())
	default:
		s.internal(w, r, pageRoute, err)
	}
}

// ChangeUser disables, enables or changes the role of user name, audited,
// and ends its sessions when disabled or demoted. op is "disable",
// "enable" or "role"; role is used by "role". Errors: ferry.ErrNoUser,
// ferry.ErrBadRole, an unknown op, the store's.
func ChangeUser(ctx context.Context, store ferry.ConsoleStore, actor, addr string, u ferry.User, op string, role ferry.Role) error {
	before := map[string]any{"name": u.Name, "role": u.Role, "disabled": u.Disabled}
	after := map[string]any{"name": u.Name, "role": u.Role, "disabled": u.Disabled}
	return ferry.Audited(ctx, store, store, ferry.Change{Actor: actor, Address: addr, Action: "user." + op, Target: "user:" + u.Name, Before: before, After: after},
		func(ctx context.Context) (any, error) {
			switch op {
			case "disable", "enable":
				after["disabled"] = op == "disable"
				if err := store.SetUserDisabled(ctx, u.ID, op == "disable"); err != nil {
					return nil, err
				}
				if op == "disable" {
					if _, err := store.DeleteUserSessions(ctx, u.ID); err != nil {
						return nil, err
					}
				}
			case "role":
				if _, err := ferry.ParseRole(string(role)); err != nil {
					return nil, err
				}
				after["role"] = role
				if err := store.SetUserRole(ctx, u.ID, role); err != nil {
					return nil, err
				}
				if role.Rank() < u.Role.Rank() {
					if _, err := store.DeleteUserSessions(ctx, u.ID); err != nil {
						return nil, err
					}
				}
			default:
				return nil, fmt.Errorf("unknown change %q (disable, enable or role)", op)
			}
			return after, nil
		})
}

func (s *Server) changeUserPage(w http.ResponseWriter, r *http.Request, who *identity) {
	id, ok := pathID(r)
	if !ok {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such user")
		return
	}
	u, err := s.cfg.Store.UserByID(r.Context(), id)
	if errors.Is(err, ferry.ErrNotFound) {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such user")
		return
	}
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	op := r.PostFormValue("op")
	if u.ID == who.user.ID && op != "enable" {
		s.showUsers(w, r, who, http.StatusBadRequest, "", "you cannot disable or change your own account here")
		return
	}
	err = ChangeUser(r.Context(), s.cfg.Store, who.actor(), who.addr, u, op, ferry.Role(r.PostFormValue("role")))
	switch {
	case err == nil:
		http.Redirect(w, r, "/users?notice="+url.QueryEscape(op+" "+u.Name), http.StatusSeeOther)
	case errors.Is(err, ferry.ErrBadRole), strings.HasPrefix(err.Error(), "unknown change"):
		s.showUsers(w, r, who, http.StatusBadRequest, "", err.Error())
	default:
		s.internal(w, r, pageRoute, err)
	}
}

func (s *Server) auditQuery(r *http.Request) (ferry.AuditQuery, error) {
	q := ferry.AuditQuery{Actor: r.URL.Query().Get("actor"), Action: r.URL.Query().Get("action"), Limit: 500}
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return q, fmt.Errorf("since: %q is not an RFC 3339 time", v)
		}
		q.Since = t
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return q, fmt.Errorf("limit: %q is not a count", v)
		}
		q.Limit = n
	}
	return q, nil
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, who *identity) {
	q, err := s.auditQuery(r)
	if err != nil {
		s.fail(w, r, pageRoute, http.StatusBadRequest, err.Error())
		return
	}
	entries, err := s.cfg.Store.Audit(r.Context(), q)
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	s.render(w, r, who, http.StatusOK, "audit", pageData{Title: "Audit log", Data: map[string]any{"Entries": entries, "Query": q}})
}

// auditJSON is an audit entry in the JSON export.
type auditJSON struct {
	ID      int64           `json:"id"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Address string          `json:"address,omitempty"`
	Action  string          `json:"action"`
	Target  string          `json:"target,omitempty"`
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
}

// auditExport answers the audit log as JSON (default, and the API) or
// CSV (?format=csv).
func (s *Server) auditExport(w http.ResponseWriter, r *http.Request, who *identity) {
	k := pageRoute
	if strings.HasPrefix(r.URL.Path, "/api/") {
		k = apiRoute
	}
	q, err := s.auditQuery(r)
	if err != nil {
		s.fail(w, r, k, http.StatusBadRequest, err.Error())
		return
	}
	q.Limit = 0
	if v := r.URL.Query().Get("limit"); v != "" {
		q.Limit, _ = strconv.Atoi(v)
	}
	entries, err := s.cfg.Store.Audit(r.Context(), q)
	if err != nil {
		s.internal(w, r, k, err)
		return
	}
	if r.URL.Query().Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="ferry-audit.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"id", "at", "actor", "address", "action", "target", "before", "after"})
		for _, e := range entries {
			_ = cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), csvSafe(e.Actor), e.Address, csvSafe(e.Action), csvSafe(e.Target), e.Before, e.After})
		}
		cw.Flush()
		return
	}
	out := []auditJSON{}
	for _, e := range entries {
		out = append(out, auditJSON{ID: e.ID, At: e.At, Actor: e.Actor, Address: e.Address, Action: e.Action, Target: e.Target, Before: rawOrNil(e.Before), After: rawOrNil(e.After)})
	}
	if k == pageRoute {
		w.Header().Set("Content-Disposition", `attachment; filename="ferry-audit.json"`)
	}
	writeJSON(w, http.StatusOK, out)
}

func rawOrNil(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// csvSafe defuses spreadsheet formulas in text a user chose (a name
// starting with =, +, - or @ would run as a formula when the export is
// opened in a spreadsheet).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// SetPassword replaces user name's password with an argon2id hash of
// password, ends the user's sessions and clears its lockout, audited (the
// hash never reaches the log). Errors: ErrWeakPassword, ferry.ErrNoUser,
// the store's.
func SetPassword(ctx context.Context, store ferry.ConsoleStore, actor, addr, name, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	u, err := store.UserByName(ctx, name)
	if err != nil {
		return err
	}
	return ferry.Audited(ctx, store, store, ferry.Change{Actor: actor, Address: addr, Action: "user.passwd", Target: "user:" + name},
		func(ctx context.Context) (any, error) {
			if err := store.SetUserPassword(ctx, u.ID, hash); err != nil {
				return nil, err
			}
			n, err := store.DeleteUserSessions(ctx, u.ID)
			return map[string]any{"name": name, "sessions_ended": n}, err
		})
}

// MakeToken makes an API token for user name scoped to role (the user's
// when empty), stores its hash, audited, and returns the token: the only
// time it is seen. Errors: ferry.ErrNoUser, ferry.ErrBadRole (a role above
// the user's), the store's.
func MakeToken(ctx context.Context, store ferry.ConsoleStore, actor, addr, name string, role ferry.Role, purpose string) (string, error) {
	u, err := store.UserByName(ctx, name)
	if err != nil {
		return "", err
	}
	if role == "" {
		role = u.Role
	}
	if _, err := ferry.ParseRole(string(role)); err != nil {
		return "", err
	}
	tok, hash, err := NewToken()
	if err != nil {
		return "", err
	}
	err = ferry.Audited(ctx, store, store, ferry.Change{Actor: actor, Address: addr, Action: "token.add", Target: "user:" + name},
		func(ctx context.Context) (any, error) {
			id, err := store.AddAPIToken(ctx, ferry.APIToken{UserID: u.ID, Name: purpose, Role: role, TokenHash: hash})
			return map[string]any{"id": id, "user": name, "role": role, "name": purpose}, err
		})
	if err != nil {
		return "", err
	}
	return tok, nil
}
