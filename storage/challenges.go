package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ferry-rpa/ferry"
)

// Challenges (see ferry.ChallengeStore): one row per question a run asks
// a person. Answers are stored only sealed to the waiting run's key and as
// a salted digest; a closed challenge's sealed answer is wiped.

const challengeColumns = `id, run_id, seq, bot, kind, prompt, destination, deadline, attempts_left, message, screenshot, state, pub_key, sealed, answer_hash, answered_by, created_at, answered_at, closed_at`

func scanChallenge(sc interface{ Scan(...any) error }) (ferry.Challenge, error) {
	var c ferry.Challenge
	var kind, state, deadline, created, answered, closed string
	err := sc.Scan(&c.ID, &c.RunID, &c.Seq, &c.Bot, &kind, &c.Prompt, &c.Destination, &deadline, &c.AttemptsLeft, &c.Message,
		&c.Screenshot, &state, &c.Key, &c.Sealed, &c.AnswerHash, &c.AnsweredBy, &created, &answered, &closed)
	if err != nil {
		return c, err
	}
	c.Kind, c.State = ferry.ChallengeKind(kind), ferry.ChallengeState(state)
	c.Deadline, c.CreatedAt, c.AnsweredAt, c.ClosedAt = parseTS(deadline), parseTS(created), parseTS(answered), parseTS(closed)
	if len(c.Screenshot) == 0 {
		c.Screenshot = nil
	}
	if len(c.Sealed) == 0 {
		c.Sealed = nil
	}
	return c, nil
}

// nonNil keeps an empty byte slice from becoming NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// OpenChallenge stores a run's new pending challenge and cancels its other
// open ones (see ferry.ChallengeStore).
func (d *DB) OpenChallenge(ctx context.Context, c ferry.Challenge) (ferry.Challenge, error) {
	switch {
	case c.RunID == 0:
		return c, errors.New("storage: open challenge: no run")
	case !c.Kind.Valid():
		return c, fmt.Errorf("storage: open challenge of run %d: unknown kind %q", c.RunID, c.Kind)
	case len(c.Key) == 0:
		return c, fmt.Errorf("storage: open challenge of run %d: no key to seal answers to", c.RunID)
	case c.Deadline.IsZero():
		return c, fmt.Errorf("storage: open challenge of run %d: no deadline", c.RunID)
	}
	now := d.now()
	err := d.tx(ctx, func(tx txer) error {
		var bot string
		if err := tx.QueryRowContext(ctx, `SELECT bot FROM runs WHERE id = ?`, c.RunID).Scan(&bot); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("storage: open challenge: run %d: %w", c.RunID, ErrNotFound)
			}
			return fmt.Errorf("storage: open challenge of run %d: %w", c.RunID, err)
		}
		if c.Bot == "" {
			c.Bot = bot
		}
		if _, err := tx.ExecContext(ctx, `UPDATE challenges SET state = ?, sealed = ?, closed_at = ? WHERE run_id = ? AND state IN ('pending', 'answered')`,
			ferry.ChallengeCancelled, []byte{}, d.ts(now), c.RunID); err != nil {
			return fmt.Errorf("storage: open challenge of run %d: cancel the open one: %w", c.RunID, err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM challenges WHERE run_id = ?`, c.RunID).Scan(&c.Seq); err != nil {
			return fmt.Errorf("storage: open challenge of run %d: %w", c.RunID, err)
		}
		c.State, c.CreatedAt, c.Sealed, c.AnswerHash, c.AnsweredBy = ferry.ChallengePending, now, nil, "", ""
		err := tx.QueryRowContext(ctx, `INSERT INTO challenges (run_id, seq, bot, kind, prompt, destination, deadline, attempts_left, message, screenshot, state, pub_key, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.RunID, c.Seq, c.Bot, string(c.Kind), c.Prompt, c.Destination, d.ts(c.Deadline), c.AttemptsLeft, c.Message, nonNil(c.Screenshot),
			string(c.State), c.Key, d.ts(now)).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("storage: open challenge of run %d: %w", c.RunID, err)
		}
		return nil
	})
	return c, err
}

// AnswerChallenge records a sealed answer to a pending challenge before
// its deadline; the same answer again is a no-op (see
// ferry.ChallengeStore).
func (d *DB) AnswerChallenge(ctx context.Context, id int64, sealed []byte, digest, by string, now time.Time) (bool, error) {
	if len(sealed) == 0 || digest == "" {
		return false, fmt.Errorf("storage: answer challenge %d: no answer", id)
	}
	// One conditional update: of two answers at once, one wins.
	res, err := d.conn(ctx).ExecContext(ctx, `UPDATE challenges SET state = ?, sealed = ?, answer_hash = ?, answered_by = ?, answered_at = ?
		WHERE id = ? AND state = ? AND deadline > ?`,
		ferry.ChallengeAnswered, sealed, digest, by, d.ts(now), id, ferry.ChallengePending, d.ts(now))
	if err != nil {
		return false, fmt.Errorf("storage: answer challenge %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	c, err := d.Challenge(ctx, id)
	if err != nil {
		return false, err
	}
	switch {
	case (c.State == ferry.ChallengeAnswered || c.State == ferry.ChallengeUsed) && ferry.SameDigest(c.AnswerHash, digest):
		return false, nil
	case c.State == ferry.ChallengeAnswered:
		return false, fmt.Errorf("storage: run %d: challenge %d (answered at %s): %w", c.RunID, id, c.AnsweredAt.UTC().Format(time.RFC3339), ferry.ErrAnswerConflict)
	case c.State == ferry.ChallengePending:
		// Past its deadline: nobody may answer it any more.
		if _, err := d.CloseChallenge(ctx, id, ferry.ChallengeExpired); err != nil {
			return false, err
		}
		return false, &ferry.ClosedError{RunID: c.RunID, ChallengeID: id, State: ferry.ChallengeExpired, At: c.Deadline}
	}
	return false, &ferry.ClosedError{RunID: c.RunID, ChallengeID: id, State: c.State, At: c.ClosedAt}
}

// CloseChallenge ends an open challenge and wipes its sealed answer (see
// ferry.ChallengeStore).
func (d *DB) CloseChallenge(ctx context.Context, id int64, state ferry.ChallengeState) (bool, error) {
	if state.Open() || state == "" {
		return false, fmt.Errorf("storage: close challenge %d: %q is not a final state", id, state)
	}
	res, err := d.conn(ctx).ExecContext(ctx, `UPDATE challenges SET state = ?, sealed = ?, closed_at = ? WHERE id = ? AND state IN ('pending', 'answered')`,
		string(state), []byte{}, d.ts(d.now()), id)
	if err != nil {
		return false, fmt.Errorf("storage: close challenge %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	if _, err := d.Challenge(ctx, id); err != nil {
		return false, err
	}
	return false, nil
}

// Challenge returns one challenge.
func (d *DB) Challenge(ctx context.Context, id int64) (ferry.Challenge, error) {
	c, err := scanChallenge(d.conn(ctx).QueryRowContext(ctx, `SELECT `+challengeColumns+` FROM challenges WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("storage: challenge %d: %w", id, ferry.ErrNoChallenge)
	}
	if err != nil {
		return c, fmt.Errorf("storage: challenge %d: %w", id, err)
	}
	return c, nil
}

// LatestChallenge returns a run's newest challenge.
func (d *DB) LatestChallenge(ctx context.Context, runID int64) (ferry.Challenge, error) {
	c, err := scanChallenge(d.conn(ctx).QueryRowContext(ctx, `SELECT `+challengeColumns+` FROM challenges WHERE run_id = ? ORDER BY seq DESC LIMIT 1`, runID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("storage: run %d asked for no input: %w", runID, ferry.ErrNoChallenge)
	}
	if err != nil {
		return c, fmt.Errorf("storage: challenges of run %d: %w", runID, err)
	}
	return c, nil
}

// Challenges lists a run's challenges, oldest first.
func (d *DB) Challenges(ctx context.Context, runID int64) ([]ferry.Challenge, error) {
	return d.challenges(ctx, `WHERE run_id = ? ORDER BY seq`, runID)
}

// OpenChallenges lists every open challenge, oldest first.
func (d *DB) OpenChallenges(ctx context.Context) ([]ferry.Challenge, error) {
	return d.challenges(ctx, `WHERE state IN ('pending', 'answered') ORDER BY id`)
}

func (d *DB) challenges(ctx context.Context, where string, args ...any) ([]ferry.Challenge, error) {
	return queryAll(ctx, d, "challenges", scanChallenge,
		`SELECT `+challengeColumns+` FROM challenges `+where, args...)
}
