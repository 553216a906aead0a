package console

// A run waiting for a person (issue 12) in the console: the run page shows
// the challenge (prompt, masked destination, deadline, attempts left, the
// relayed QR code), and a finance user types the code there.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/service"
)

// challengeView is a run's latest challenge as the run page shows it.
type challengeView struct {
	service.ChallengeView
	// Open: the run waits for this answer (pending), or holds it and has
	// not taken it yet (answered).
	Open bool `json:"open"`
	// Typed: answered by typing a code (else on the phone).
	Typed bool `json:"typed"`
}

// challengeStore is the challenges' store, when the console's store keeps
// them (*storage.DB does).
func (s *Server) challengeStore() (ferry.ChallengeStore, bool) {
	cs, ok := s.cfg.Store.(ferry.ChallengeStore)
	return cs, ok
}

// waitingState is what the run pages show of a run's challenge: its
// status (waiting_for_input while it has an open challenge, else status)
// and the latest challenge, nil when it never asked.
func (s *Server) waitingState(ctx context.Context, id int64, status string) (string, *challengeView, error) {
	cs, ok := s.challengeStore()
	if !ok {
		return status, nil, nil
	}
	c, err := cs.LatestChallenge(ctx, id)
	if errors.Is(err, ferry.ErrNotFound) {
		return status, nil, nil
	}
	if err != nil {
		return status, nil, fmt.Errorf("console: run %d's challenge: %w", id, err)
	}
	v := &challengeView{ChallengeView: service.ViewChallenge(c), Open: c.State.Open(), Typed: c.Kind.Typed()}
	if v.Open && status == string(ferry.RunRunning) {
		status = string(ferry.RunWaiting)
	}
	return status, v, nil
}

// shownStatus is a listed run's status, waiting_for_input for a running
// run with an open challenge, with that challenge (one query per running
// run: a list holds few).
func (s *Server) shownStatus(ctx context.Context, r ferry.RunRecord) (string, *challengeView) {
	if r.Status != ferry.RunRunning {
		return string(r.Status), nil
	}
	st, c, err := s.waitingState(ctx, r.ID, string(r.Status))
	if err != nil {
		s.cfg.Logger.Warn().Err(err).Int64("run", r.ID).Msg("console: runs list")
		return string(r.Status), nil
	}
	if st != string(ferry.RunWaiting) {
		c = nil
	}
	return st, c
}

// answerChallenge takes a finance user's code for the path's run. The
// audit entry names the run, the challenge and whether the answer was
// new, never the code; answering twice with the same code is no error;
// a late or different answer is refused with the reason (409).
func (s *Server) answerChallenge(w http.ResponseWriter, r *http.Request, who *identity) {
	id, ok := pathID(r)
	if !ok {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such run")
		return
	}
	cs, ok := s.challengeStore()
	if !ok {
		s.fail(w, r, pageRoute, http.StatusNotImplemented, "this store keeps no challenges")
		return
	}
	value := strings.TrimSpace(r.PostFormValue("code"))
	if value == "" {
		s.answerRefused(w, r, who, http.StatusBadRequest, id, "type the code the portal sent")
		return
	}
	var res service.AnswerResult
	err := ferry.Audited(r.Context(), s.cfg.Store, s.cfg.Store, ferry.Change{Actor: who.actor(), Address: who.addr, Action: "run.answer", Target: fmt.Sprintf("run:%d", id)},
		func(ctx context.Context) (any, error) {
			var err error
			res, err = service.Answer(ctx, cs, id, value, "console:"+who.user.Name)
			if err != nil {
				return nil, err
			}
			return map[string]any{"run": id, "challenge": res.ChallengeID, "kind": res.Kind, "first": res.First}, nil
		})
	switch {
	case errors.Is(err, ferry.ErrNotFound):
		s.answerRefused(w, r, who, http.StatusNotFound, id, "this run asked for no code")
	case errors.Is(err, ferry.ErrChallengeClosed), errors.Is(err, ferry.ErrAnswerConflict), errors.Is(err, service.ErrNotTyped):
		// The service's errors name the run, the challenge, its state and
		// since when; never the value.
		s.answerRefused(w, r, who, http.StatusConflict, id, "answer refused: "+err.Error())
	case err != nil:
		s.internal(w, r, pageRoute, err)
	default:
		msg := "code sent: the run resumes"
		if !res.First {
			msg = "this code was already sent: nothing changed"
		}
		http.Redirect(w, r, fmt.Sprintf("/runs/%d?notice=%s", id, url.QueryEscape(msg)), http.StatusSeeOther)
	}
}

// answerRefused shows the run page again with why the answer was refused.
func (s *Server) answerRefused(w http.ResponseWriter, r *http.Request, who *identity, code int, id int64, msg string) {
	d, err := s.runDetail(r.Context(), id)
	if errors.Is(err, ferry.ErrNotFound) {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such run")
		return
	}
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	s.render(w, r, who, code, "run", pageData{Title: fmt.Sprintf("Run %d", id), Error: msg, Data: d})
}

// challengeImage sends the QR code the portal showed, relayed by the run.
func (s *Server) challengeImage(w http.ResponseWriter, r *http.Request, who *identity) {
	id, ok := pathID(r)
	cs, has := s.challengeStore()
	if !ok || !has {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such run")
		return
	}
	c, err := cs.LatestChallenge(r.Context(), id)
	if errors.Is(err, ferry.ErrNotFound) || err == nil && len(c.Screenshot) == 0 {
		s.fail(w, r, pageRoute, http.StatusNotFound, "this run shows no QR code")
		return
	}
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Disposition", "inline")
	_, _ = w.Write(c.Screenshot)
}
