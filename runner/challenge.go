package runner

// A run that waits for a person. The engine's challenge step asks through
// the runner's Asker: the challenge is stored (the run reads as
// waiting_for_input), a webhook is told, and the run waits, with its
// browser context and its lease, for an answer that any process records in
// the store (`ferry runs answer`, the HTTP handler, an SMS gateway's
// webhook, a polled URL). Answers are sealed to a key this process holds
// in memory only.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/rs/zerolog"
)

// ChallengeConfig says how runs wait for a person.
type ChallengeConfig struct {
	// MaxWait caps the wait for one answer below the portal's deadline (0:
	// the portal's deadline alone). A bot's River job timeout (BotTimeouts,
	// RunTimeout) must cover its waits.
	MaxWait time.Duration
	// Poll is how often a waiting run looks in the store for an answer
	// another process recorded (default 100 ms). Answers recorded through
	// this runner (Runner.Wake) are seen at once.
	Poll time.Duration
	// NotifyURL, when set, is POSTed a JSON notice each time a run starts
	// waiting: run, bot, kind, prompt, masked destination, deadline,
	// attempts left. Never the code.
	NotifyURL string
	// PollURL, when set, is fetched every PollEvery (default 5 s) while a
	// run waits for a typed code (an SMS gateway's inbox); the first match
	// of CodePattern's first group in the body answers, unless this run
	// already tried that code.
	PollURL   string
	PollEvery time.Duration
	// CodePattern extracts a code from a polled body (default
	// DefaultCodePattern).
	CodePattern *regexp.Regexp
	// OnAsk, when set, is told each challenge as its run starts waiting
	// (an interactive `ferry run` prompts for it).
	OnAsk func(ferry.Challenge)
	// Client sends the notices and polls (default: 10 s timeout).
	Client *http.Client
}

// DefaultCodePattern finds a 4 to 8 digit code in a text message.
var DefaultCodePattern = regexp.MustCompile(`(?:^|\D)(\d{4,8})(?:\D|$)`)

// WaitNotice is the body of the webhook sent when a run starts waiting.
type WaitNotice struct {
	Event        string    `json:"event"` // "waiting_for_input"
	RunID        int64     `json:"run"`
	Bot          string    `json:"bot"`
	Challenge    int64     `json:"challenge"`
	Kind         string    `json:"kind"`
	Prompt       string    `json:"prompt"`
	Destination  string    `json:"destination,omitempty"`
	Deadline     time.Time `json:"deadline"`
	AttemptsLeft int       `json:"attempts_left"`
	Message      string    `json:"message,omitempty"`
}

// waiters are the challenges this runner's runs wait on, by id: Wake
// reaches them at once.
type waiters struct {
	mu sync.Mutex
	m  map[int64]chan struct{}
}

func (w *waiters) add(id int64) chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[int64]chan struct{}{}
	}
	ch := make(chan struct{}, 1)
	w.m[id] = ch
	return ch
}

func (w *waiters) remove(id int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.m, id)
}

func (w *waiters) wake(id int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch, ok := w.m[id]
	if ok {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	return ok
}

// Wake tells a run of this runner that challenge id was answered in the
// store, so that it does not wait for its next look; it reports whether
// one of this runner's runs waits on it.
func (r *Runner) Wake(id int64) bool { return r.waiting.wake(id) }

// asker returns the Asker of one attempt of run; tried collects the codes
// the attempt submitted, so that a polled URL never answers one twice.
func (r *Runner) asker(log zerolog.Logger, run ferry.RunRecord) ferry.Asker {
	tried := map[string]bool{}
	var mu sync.Mutex
	return func(ctx context.Context, c ferry.Challenge) (ferry.Question, error) {
		key, err := ferry.NewChallengeKey()
		if err != nil {
			return nil, ferry.Errorf(ferry.ClassInternal, "challenge", "%v", err)
		}
		c.RunID, c.Bot, c.Key = run.ID, run.Bot, key.Public()
		if r.cfg.Challenges.MaxWait > 0 {
			if limit := time.Now().Add(r.cfg.Challenges.MaxWait); limit.Before(c.Deadline) {
				c.Deadline = limit
			}
		}
		c, err = r.cfg.DB.OpenChallenge(ctx, c)
		if err != nil {
			return nil, ferry.Errorf(ferry.ClassInternal, "challenge", "%v", err)
		}
		q := &question{r: r, log: log.With().Int64("challenge", c.ID).Logger(), key: key, c: c, wake: r.waiting.add(c.ID), tried: tried, mu: &mu, since: time.Now()}
		q.log.Info().Str("kind", string(c.Kind)).Str("destination", c.Destination).Time("deadline", c.Deadline).Int("attempts_left", c.AttemptsLeft).
			Msg("waiting_for_input")
		r.notify(ctx, q.log, c)
		if r.cfg.Challenges.OnAsk != nil {
			r.cfg.Challenges.OnAsk(c)
		}
		return q, nil
	}
}

// notify POSTs the wait notice, best effort: a notice that cannot be sent
// is logged and the run waits all the same.
func (r *Runner) notify(ctx context.Context, log zerolog.Logger, c ferry.Challenge) {
	u := r.cfg.Challenges.NotifyURL
	if u == "" {
		return
	}
	body, _ := json.Marshal(WaitNotice{Event: string(ferry.RunWaiting), RunID: c.RunID, Bot: c.Bot, Challenge: c.ID, Kind: string(c.Kind),
		Prompt: c.Prompt, Destination: c.Destination, Deadline: c.Deadline.UTC(), AttemptsLeft: c.AttemptsLeft, Message: c.Message})
	go func() {
		nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(nctx, http.MethodPost, u, bytes.NewReader(body))
		if err != nil {
			log.Warn().Err(err).Msg("wait notice not sent")
			return
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := r.httpClient().Do(req)
		if err != nil {
			log.Warn().Err(err).Msg("wait notice not sent")
			return
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			log.Warn().Int("status", resp.StatusCode).Msg("wait notice refused")
		}
	}()
}

func (r *Runner) httpClient() *http.Client {
	if r.cfg.Challenges.Client != nil {
		return r.cfg.Challenges.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// question is an open challenge of a run of this runner.
type question struct {
	r     *Runner
	log   zerolog.Logger
	key   *ferry.ChallengeKey
	c     ferry.Challenge
	wake  chan struct{}
	tried map[string]bool
	mu    *sync.Mutex
	since time.Time
	once  sync.Once
}

func (q *question) Challenge() ferry.Challenge { return q.c }

// Answer waits for the answer in the store until the deadline.
func (q *question) Answer(ctx context.Context) (string, error) {
	every := q.r.cfg.Challenges.Poll
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	deadline := time.NewTimer(time.Until(q.c.Deadline))
	defer deadline.Stop()
	look := time.NewTicker(every)
	defer look.Stop()
	var polled <-chan time.Time
	if q.r.cfg.Challenges.PollURL != "" && q.c.Kind.Typed() {
		pe := q.r.cfg.Challenges.PollEvery
		if pe <= 0 {
			pe = 5 * time.Second
		}
		t := time.NewTicker(pe)
		defer t.Stop()
		polled = t.C
		q.pollURL(ctx)
	}
	for {
		code, ok, err := q.take(ctx)
		if err != nil || ok {
			return code, err
		}
		select {
		case <-ctx.Done():
			q.Close(ferry.ChallengeCancelled)
			return "", ferry.Errorf(ferry.ClassInternal, "challenge", "stopped waiting for the %s: %w", q.c.Kind, ctx.Err())
		case <-deadline.C:
			closed, err := q.r.cfg.DB.CloseChallenge(context.WithoutCancel(ctx), q.c.ID, ferry.ChallengeExpired)
			if err == nil && !closed {
				// Answered at the last moment: take it.
				if code, ok, err := q.take(ctx); err != nil || ok {
					return code, err
				}
			}
			q.r.waiting.remove(q.c.ID)
			q.log.Warn().Msg("input_timeout: nobody answered before the deadline")
			return "", ferry.Errorf(ferry.ClassInputTimeout, "challenge", "nobody answered the %s (challenge %d, %s) before %s",
				q.c.Kind, q.c.ID, q.c.Destination, q.c.Deadline.UTC().Format(time.RFC3339))
		case <-q.wake:
		case <-look.C:
		case <-polled:
			q.pollURL(ctx)
		}
	}
}

// take reads the challenge and opens its answer if there is one.
func (q *question) take(ctx context.Context) (string, bool, error) {
	c, err := q.r.cfg.DB.Challenge(ctx, q.c.ID)
	if err != nil {
		if ctx.Err() != nil {
			return "", false, nil // the select sees ctx end
		}
		return "", false, ferry.Errorf(ferry.ClassInternal, "challenge", "%v", err)
	}
	switch c.State {
	case ferry.ChallengePending:
		return "", false, nil
	case ferry.ChallengeAnswered:
		code, err := q.key.Open(c.Sealed)
		if err != nil {
			q.Close(ferry.ChallengeCancelled)
			return "", false, ferry.Errorf(ferry.ClassInternal, "challenge", "challenge %d: %v", c.ID, err)
		}
		q.mu.Lock()
		q.tried[code] = true
		q.mu.Unlock()
		// resumed_after: from the answer's commit to the run taking it.
		q.log.Info().Str("answered_by", c.AnsweredBy).Dur("waited", time.Since(q.since)).Dur("resumed_after", time.Since(c.AnsweredAt)).Msg("answered")
		return code, true, nil
	}
	return "", false, ferry.Errorf(ferry.ClassInputTimeout, "challenge", "challenge %d was %s", c.ID, c.State)
}

// pollURL fetches the configured URL and answers with the code in it.
func (q *question) pollURL(ctx context.Context) {
	cfg := q.r.cfg.Challenges
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, cfg.PollURL, nil)
	if err != nil {
		q.log.Warn().Err(err).Msg("poll for the code")
		return
	}
	resp, err := q.r.httpClient().Do(req)
	if err != nil {
		q.log.Debug().Err(err).Msg("poll for the code")
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return
	}
	re := cfg.CodePattern
	if re == nil {
		re = DefaultCodePattern
	}
	m := re.FindSubmatch(body)
	if m == nil || len(m) < 2 {
		return
	}
	code := string(m[1])
	q.mu.Lock()
	seen := q.tried[code]
	q.mu.Unlock()
	if seen {
		return // a code this run submitted already: the portal wants a new one
	}
	if _, err := AnswerChallenge(ctx, q.r.cfg.DB, q.c, code, "poll"); err != nil {
		q.log.Warn().Err(err).Msg("polled code not recorded")
		return
	}
	q.r.waiting.wake(q.c.ID)
}

// Close ends the challenge once.
func (q *question) Close(state ferry.ChallengeState) {
	q.once.Do(func() {
		q.r.waiting.remove(q.c.ID)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := q.r.cfg.DB.CloseChallenge(ctx, q.c.ID, state); err != nil {
			q.log.Error().Err(err).Msg("could not close the challenge")
		}
	})
}

// AnswerChallenge seals answer to challenge c and records it: the one way
// every answerer (CLI, HTTP, webhook, poll, prompt) writes an answer. It
// reports whether this was the first answer; see
// ferry.ChallengeStore.AnswerChallenge for the errors. The answer is never
// in an error.
func AnswerChallenge(ctx context.Context, db ferry.ChallengeStore, c ferry.Challenge, answer, by string) (bool, error) {
	if answer == "" {
		return false, errors.New("answer: empty")
	}
	sealed, err := ferry.SealAnswer(c.Key, answer)
	if err != nil {
		return false, fmt.Errorf("answer run %d: %w", c.RunID, err)
	}
	return db.AnswerChallenge(ctx, c.ID, sealed, ferry.AnswerDigest(c.Key, answer), by, time.Now())
}

// closeOpen cancels a challenge the run left open (it ended while
// waiting): no answer is taken for a run that no longer waits.
func (r *Runner) closeOpen(ctx context.Context, log zerolog.Logger, runID int64) {
	c, err := r.cfg.DB.LatestChallenge(ctx, runID)
	if err != nil || !c.State.Open() {
		return
	}
	r.waiting.remove(c.ID)
	if _, err := r.cfg.DB.CloseChallenge(ctx, c.ID, ferry.ChallengeCancelled); err != nil {
		log.Error().Err(err).Int64("challenge", c.ID).Msg("could not cancel the open challenge")
	}
}
