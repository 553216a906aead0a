package service

// Answers to runs that wait for a person: from `ferry runs answer`, the
// interactive `ferry run` prompt, an authenticated HTTP call (the console
// mounts ChallengeHandler), and an SMS gateway's webhook.

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
)

// ErrNotTyped reports an answer to a challenge that is not answered by
// typing (a QR scan, an app approval: the person confirms on the phone).
var ErrNotTyped = errors.New("this challenge is answered on the phone, not with a value")

// AnswerResult says what an answer did.
type AnswerResult struct {
	RunID       int64  `json:"run"`
	ChallengeID int64  `json:"challenge"`
	Kind        string `json:"kind"`
	// First is false when the same answer had been given before: nothing
	// changed (answering is idempotent).
	First bool `json:"first"`
	// Resend is true when the answer asked for a new code (Resend).
	Resend bool `json:"resend,omitempty"`
}

// Answer answers the challenge run runID waits on with value, recorded as
// given by by ("cli", "prompt", "http:NAME", "webhook"). The same answer
// twice is no error (First false); a different one to an answered
// challenge is ferry.ErrAnswerConflict; a run that no longer waits is a
// *ferry.ClosedError (ferry.ErrChallengeClosed) saying since when; a run
// that never asked is ferry.ErrNoChallenge. value is never in an error.
func Answer(ctx context.Context, db ferry.ChallengeStore, runID int64, value, by string) (AnswerResult, error) {
	value = strings.TrimSpace(value)
	res := AnswerResult{RunID: runID}
	if value == "" {
		return res, fmt.Errorf("answer run %d: the answer is empty", runID)
	}
	if strings.ContainsRune(value, 0) {
		// ferry.ResendRequest is Resend's to give.
		return res, fmt.Errorf("answer run %d: the answer holds a NUL byte", runID)
	}
	return answer(ctx, db, runID, value, by)
}

// Resend asks, through the run runID waits on, for a new code: the code
// expired or never arrived. The run clicks the portal's resend control
// (within the portal's cooldown and the script's bound) and asks again
// with a new challenge. Asking twice for the same challenge is no error
// (First false); the errors are Answer's.
func Resend(ctx context.Context, db ferry.ChallengeStore, runID int64, by string) (AnswerResult, error) {
	res, err := answer(ctx, db, runID, ferry.ResendRequest, by)
	res.Resend = true
	if errors.Is(err, ferry.ErrAnswerConflict) {
		return res, fmt.Errorf("resend run %d: challenge %d was already answered with a code: %w", runID, res.ChallengeID, err)
	}
	return res, err
}

func answer(ctx context.Context, db ferry.ChallengeStore, runID int64, value, by string) (AnswerResult, error) {
	res := AnswerResult{RunID: runID}
	c, err := db.LatestChallenge(ctx, runID)
	if err != nil {
		return res, fmt.Errorf("answer run %d: %w", runID, err)
	}
	res.ChallengeID, res.Kind = c.ID, string(c.Kind)
	if !c.Kind.Typed() {
		return res, fmt.Errorf("answer run %d: challenge %d is a %s: %w", runID, c.ID, c.Kind, ErrNotTyped)
	}
	first, err := runner.AnswerChallenge(ctx, db, c, value, by)
	if err != nil {
		return res, fmt.Errorf("answer run %d: %w", runID, err)
	}
	res.First = first
	return res, nil
}

// RunState is the run's status as people see it: a running run with an
// open challenge is ferry.RunWaiting.
func RunState(ctx context.Context, db ferry.ChallengeStore, run ferry.RunRecord) ferry.RunStatus {
	if run.Status != ferry.RunRunning {
		return run.Status
	}
	if c, err := db.LatestChallenge(ctx, run.ID); err == nil && c.State.Open() {
		return ferry.RunWaiting
	}
	return run.Status
}

// ChallengeView is a challenge as the HTTP API shows it: never its key,
// its sealed answer or the answer's digest.
type ChallengeView struct {
	ID           int64     `json:"id"`
	RunID        int64     `json:"run"`
	Seq          int       `json:"seq"`
	Bot          string    `json:"bot"`
	Kind         string    `json:"kind"`
	Prompt       string    `json:"prompt"`
	Destination  string    `json:"destination,omitempty"`
	Deadline     time.Time `json:"deadline"`
	AttemptsLeft int       `json:"attempts_left"`
	Message      string    `json:"message,omitempty"`
	State        string    `json:"state"`
	AnsweredBy   string    `json:"answered_by,omitempty"`
	HasImage     bool      `json:"has_image"`
}

// ViewChallenge is c for people.
func ViewChallenge(c ferry.Challenge) ChallengeView {
	return ChallengeView{ID: c.ID, RunID: c.RunID, Seq: c.Seq, Bot: c.Bot, Kind: string(c.Kind), Prompt: c.Prompt, Destination: c.Destination,
		Deadline: c.Deadline, AttemptsLeft: c.AttemptsLeft, Message: c.Message, State: string(c.State), AnsweredBy: c.AnsweredBy, HasImage: len(c.Screenshot) > 0}
}

// TokenStore finds the console's API tokens by their hash (storage.DB).
type TokenStore interface {
	// APITokenByHash returns the token with this SHA-256 (hex); an
	// unknown one is ferry.ErrNoToken.
	APITokenByHash(ctx context.Context, hash string) (ferry.APIToken, error)
}

// ChallengeHTTP configures ChallengeHandler.
type ChallengeHTTP struct {
	Store ferry.ChallengeStore
	// Tokens, when set, admits the console's API tokens of role ops or
	// admin (Authorization: Bearer TOKEN).
	Tokens TokenStore
	// Secret, when set, admits a bearer token equal to it (an SMS gateway
	// has no console user): from the configuration, never logged.
	Secret string
	// Wake, when set, tells a run of this process at once that its
	// challenge was answered (runner.Runner.Wake).
	Wake func(challengeID int64) bool
	// CodePattern extracts the code from an SMS text (default
	// runner.DefaultCodePattern).
	CodePattern *regexp.Regexp
}

// ChallengeHandler serves answers over HTTP, for the console to mount
// (paths are relative to where it is mounted):
//
//	GET  /runs/{id}/challenge         the run's latest challenge (JSON)
//	GET  /runs/{id}/challenge/image   its QR code (PNG)
//	POST /runs/{id}/answer            answer it: {"value": "123456"} or value=123456
//	POST /runs/{id}/resend            ask for a new code instead (expired, never arrived)
//	POST /sms                         an SMS gateway's webhook: {"to": "+8613812345678", "text": "…验证码为123456…"}
//
// Every request needs Authorization: Bearer TOKEN (see ChallengeHTTP).
// Answers are 200 (first or repeated), 409 for a late or conflicting
// answer, 404 when the run asked nothing; errors are JSON {"error": …}
// and never echo the code.
func ChallengeHandler(cfg ChallengeHTTP) http.Handler {
	m := http.NewServeMux()
	h := &challengeHandler{cfg: cfg}
	m.HandleFunc("GET /runs/{id}/challenge", h.auth(h.show))
	m.HandleFunc("GET /runs/{id}/challenge/image", h.auth(h.image))
	m.HandleFunc("POST /runs/{id}/answer", h.auth(h.answer))
	m.HandleFunc("POST /runs/{id}/resend", h.auth(h.resend))
	m.HandleFunc("POST /sms", h.auth(h.sms))
	return m
}

type challengeHandler struct{ cfg ChallengeHTTP }

type whoKey struct{}

func (h *challengeHandler) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		tok = strings.TrimSpace(tok)
		who := ""
		switch {
		case !ok || tok == "":
		case h.cfg.Secret != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(h.cfg.Secret)) == 1:
			who = "secret"
		case h.cfg.Tokens != nil:
			sum := sha256.Sum256([]byte(tok))
			t, err := h.cfg.Tokens.APITokenByHash(r.Context(), hex.EncodeToString(sum[:]))
			if err == nil && (t.Role == ferry.RoleOps || t.Role == ferry.RoleAdmin) {
				who = "token:" + t.Name
			}
		}
		if who == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ferry"`)
			writeErr(w, http.StatusUnauthorized, "a bearer token of role ops or admin, or the configured secret, is required")
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), whoKey{}, who)))
	}
}

func writeJSONBody(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSONBody(w, status, map[string]string{"error": msg})
}

func runIDOf(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeErr(w, http.StatusBadRequest, fmt.Sprintf("run id %q is not a number", r.PathValue("id")))
		return 0, false
	}
	return id, true
}

// statusOf maps an answer's error to its HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ferry.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ferry.ErrChallengeClosed), errors.Is(err, ferry.ErrAnswerConflict), errors.Is(err, ErrNotTyped):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// latest reads the latest challenge of the path's run; when there is none
// it has answered the request itself and says false.
func (h *challengeHandler) latest(w http.ResponseWriter, r *http.Request) (int64, ferry.Challenge, bool) {
	id, ok := runIDOf(w, r)
	if !ok {
		return 0, ferry.Challenge{}, false
	}
	c, err := h.cfg.Store.LatestChallenge(r.Context(), id)
	if err != nil {
		writeErr(w, statusOf(err), err.Error())
		return 0, ferry.Challenge{}, false
	}
	return id, c, true
}

func (h *challengeHandler) show(w http.ResponseWriter, r *http.Request) {
	if _, c, ok := h.latest(w, r); ok {
		writeJSONBody(w, http.StatusOK, ViewChallenge(c))
	}
}

func (h *challengeHandler) image(w http.ResponseWriter, r *http.Request) {
	id, c, ok := h.latest(w, r)
	if !ok {
		return
	}
	if len(c.Screenshot) == 0 {
		writeErr(w, http.StatusNotFound, fmt.Sprintf("challenge %d of run %d has no image", c.ID, id))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(c.Screenshot)
}

// readValue reads {"value": …} or a form's value; the body is small.
func readValue(r *http.Request, field string) (string, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("reading the body: %w", err)
	}
	switch ct {
	case "application/json":
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			return "", errors.New("the body is not a JSON object")
		}
		s, _ := v[field].(string)
		return s, nil
	case "application/x-www-form-urlencoded":
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		if err := r.ParseForm(); err != nil {
			return "", errors.New("the body is not a form")
		}
		return r.PostForm.Get(field), nil
	}
	return string(body), nil
}

func (h *challengeHandler) answer(w http.ResponseWriter, r *http.Request) {
	id, ok := runIDOf(w, r)
	if !ok {
		return
	}
	value, err := readValue(r, "value")
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	if strings.TrimSpace(value) == "" {
		writeErr(w, http.StatusBadRequest, `no answer: send {"value": "…"}`)
		return
	}
	res, err := Answer(r.Context(), h.cfg.Store, id, value, "http:"+r.Context().Value(whoKey{}).(string))
	if err != nil {
		writeErr(w, statusOf(err), err.Error())
		return
	}
	if h.cfg.Wake != nil {
		h.cfg.Wake(res.ChallengeID)
	}
	writeJSONBody(w, http.StatusOK, res)
}

func (h *challengeHandler) resend(w http.ResponseWriter, r *http.Request) {
	id, ok := runIDOf(w, r)
	if !ok {
		return
	}
	res, err := Resend(r.Context(), h.cfg.Store, id, "http:"+r.Context().Value(whoKey{}).(string))
	if err != nil {
		writeErr(w, statusOf(err), err.Error())
		return
	}
	if h.cfg.Wake != nil {
		h.cfg.Wake(res.ChallengeID)
	}
	writeJSONBody(w, http.StatusOK, res)
}

// sms answers the one open code challenge the message is for: the one
// whose masked destination fits the message's recipient, or the only one
// open when the gateway does not say.
func (h *challengeHandler) sms(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	var msg struct{ To, Text string }
	switch ct {
	case "application/json":
		if err := json.Unmarshal(body, &msg); err != nil {
			writeErr(w, http.StatusBadRequest, "the body is not a JSON object with to and text")
			return
		}
	case "application/x-www-form-urlencoded":
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		_ = r.ParseForm()
		msg.To, msg.Text = r.PostForm.Get("to"), r.PostForm.Get("text")
	default:
		msg.Text = string(body)
	}
	re := h.cfg.CodePattern
	if re == nil {
		re = runner.DefaultCodePattern
	}
	m := re.FindStringSubmatch(msg.Text)
	if len(m) < 2 {
		writeErr(w, http.StatusUnprocessableEntity, "no code found in the message")
		return
	}
	open, err := h.cfg.Store.OpenChallenges(r.Context())
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err.Error())
		return
	}
	var fits []ferry.Challenge
	for _, c := range open {
		if c.Kind == ferry.ChallengeSMS && c.State == ferry.ChallengePending && (msg.To == "" || MaskFits(c.Destination, msg.To)) {
			fits = append(fits, c)
		}
	}
	if len(fits) != 1 {
		writeErr(w, http.StatusConflict, fmt.Sprintf("%d runs wait for an SMS code to this number; want exactly one", len(fits)))
		return
	}
	res, err := Answer(r.Context(), h.cfg.Store, fits[0].RunID, m[1], "webhook")
	if err != nil {
		writeErr(w, statusOf(err), err.Error())
		return
	}
	if h.cfg.Wake != nil {
		h.cfg.Wake(res.ChallengeID)
	}
	writeJSONBody(w, http.StatusOK, res)
}

// MaskFits reports whether a phone number fits a masked one as portals
// show it (138****5678): the same digits where the mask shows them, right
// aligned, with a country prefix (+86) allowed before.
func MaskFits(masked, phone string) bool {
	digits := func(s string, keepMask bool) string {
		var b strings.Builder
		for _, r := range s {
			if r >= '0' && r <= '9' || keepMask && r == '*' {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	m, p := digits(masked, true), digits(phone, false)
	if m == "" || len(p) < len(m) {
		return false
	}
	p = p[len(p)-len(m):]
	for i := range len(m) {
		if m[i] != '*' && m[i] != p[i] {
			return false
		}
	}
	return true
}
