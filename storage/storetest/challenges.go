package storetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
)

// Challenges checks ferry.ChallengeStore: the stores h makes must
// implement it.
func Challenges(t *testing.T, h Harness) {
	open := func(t *testing.T, now func() time.Time) (Store, ferry.ChallengeStore) {
		s := h.New(t, now)
		cs, ok := s.(ferry.ChallengeStore)
		if !ok {
			t.Fatalf("%T is no ferry.ChallengeStore", s)
		}
		return s, cs
	}
	ctx := context.Background()
	at := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
	ask := func(t *testing.T, cs ferry.ChallengeStore, run int64, key *ferry.ChallengeKey) ferry.Challenge {
		t.Helper()
		c, err := cs.OpenChallenge(ctx, ferry.Challenge{RunID: run, Kind: ferry.ChallengeSMS, Prompt: "短信验证码", Destination: "138****8000",
			Deadline: at.Add(5 * time.Minute), AttemptsLeft: 5, Key: key.Public()})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	newKey := func(t *testing.T) *ferry.ChallengeKey {
		k, err := ferry.NewChallengeKey()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	answer := func(t *testing.T, c ferry.Challenge, code string) ([]byte, string) {
		t.Helper()
		sealed, err := ferry.SealAnswer(c.Key, code)
		if err != nil {
			t.Fatal(err)
		}
		return sealed, ferry.AnswerDigest(c.Key, code)
	}

	t.Run("OpenAnswerUseOnce", func(t *testing.T) {
		s, cs := open(t, func() time.Time { return at })
		run := newRun(t, s, ferry.Run{Bot: "etax-invoices", Login: "zhangwei"})
		key := newKey(t)
		c := ask(t, cs, run, key)
		if c.ID == 0 || c.Seq != 1 || c.State != ferry.ChallengePending || c.Bot != "etax-invoices" || !c.CreatedAt.Equal(at) {
			t.Fatalf("opened %+v", c)
		}
		sealed, digest := answer(t, c, "123456")
		if bytes.Contains(sealed, []byte("123456")) {
			t.Fatal("the sealed answer holds the code")
		}
		first, err := cs.AnswerChallenge(ctx, c.ID, sealed, digest, "cli", at.Add(time.Minute))
		if err != nil || !first {
			t.Fatalf("answer: %v %v", first, err)
		}
		// The same answer again: idempotent.
		sealed2, _ := answer(t, c, "123456")
		if first, err := cs.AnswerChallenge(ctx, c.ID, sealed2, digest, "http:ops", at.Add(time.Minute)); err != nil || first {
			t.Fatalf("same answer again: %v %v", first, err)
		}
		// Another answer: refused, the first stands.
		other, otherDigest := answer(t, c, "654321")
		if _, err := cs.AnswerChallenge(ctx, c.ID, other, otherDigest, "cli", at.Add(time.Minute)); !errors.Is(err, ferry.ErrAnswerConflict) {
			t.Fatalf("other answer: %v, want ErrAnswerConflict", err)
		}
		got, err := cs.Challenge(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != ferry.ChallengeAnswered || got.AnsweredBy != "cli" || !got.AnsweredAt.Equal(at.Add(time.Minute)) || got.Destination != "138****8000" || got.AttemptsLeft != 5 {
			t.Fatalf("answered: %+v", got)
		}
		code, err := key.Open(got.Sealed)
		if err != nil || code != "123456" {
			t.Fatalf("open: %q %v", code, err)
		}
		if closed, err := cs.CloseChallenge(ctx, c.ID, ferry.ChallengeUsed); err != nil || !closed {
			t.Fatalf("use: %v %v", closed, err)
		}
		if closed, err := cs.CloseChallenge(ctx, c.ID, ferry.ChallengeUsed); err != nil || closed {
			t.Fatalf("use twice: %v %v", closed, err)
		}
		got, _ = cs.Challenge(ctx, c.ID)
		if got.State != ferry.ChallengeUsed || got.Sealed != nil || got.ClosedAt.IsZero() {
			t.Fatalf("used: %+v", got)
		}
		// The same answer after use: still idempotent; another is late.
		if first, err := cs.AnswerChallenge(ctx, c.ID, sealed2, digest, "cli", at.Add(2*time.Minute)); err != nil || first {
			t.Fatalf("same answer after use: %v %v", first, err)
		}
		var ce *ferry.ClosedError
		if _, err := cs.AnswerChallenge(ctx, c.ID, other, otherDigest, "cli", at.Add(2*time.Minute)); !errors.As(err, &ce) || ce.State != ferry.ChallengeUsed || !errors.Is(err, ferry.ErrChallengeClosed) {
			t.Fatalf("late answer: %v", err)
		}
	})

	t.Run("LateAnswerRefused", func(t *testing.T) {
		s, cs := open(t, func() time.Time { return at })
		run := newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		c := ask(t, cs, run, newKey(t))
		sealed, digest := answer(t, c, "111111")
		var ce *ferry.ClosedError
		_, err := cs.AnswerChallenge(ctx, c.ID, sealed, digest, "cli", at.Add(6*time.Minute))
		if !errors.As(err, &ce) || ce.State != ferry.ChallengeExpired || !ce.At.Equal(c.Deadline) {
			t.Fatalf("past the deadline: %v", err)
		}
		got, _ := cs.Challenge(ctx, c.ID)
		if got.State != ferry.ChallengeExpired {
			t.Fatalf("state %s, want expired", got.State)
		}
		open, err := cs.OpenChallenges(ctx)
		if err != nil || len(open) != 0 {
			t.Fatalf("open challenges: %v %v", open, err)
		}
	})

	t.Run("AskAgainCancelsTheOpenOne", func(t *testing.T) {
		s, cs := open(t, func() time.Time { return at })
		run := newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		first := ask(t, cs, run, newKey(t))
		second := ask(t, cs, run, newKey(t))
		if second.Seq != 2 {
			t.Fatalf("seq %d, want 2", second.Seq)
		}
		all, err := cs.Challenges(ctx, run)
		if err != nil || len(all) != 2 || all[0].ID != first.ID || all[0].State != ferry.ChallengeCancelled || all[1].State != ferry.ChallengePending {
			t.Fatalf("challenges: %+v %v", all, err)
		}
		latest, err := cs.LatestChallenge(ctx, run)
		if err != nil || latest.ID != second.ID {
			t.Fatalf("latest: %+v %v", latest, err)
		}
		open, err := cs.OpenChallenges(ctx)
		if err != nil || len(open) != 1 || open[0].ID != second.ID {
			t.Fatalf("open: %+v %v", open, err)
		}
	})

	t.Run("Screenshot", func(t *testing.T) {
		s, cs := open(t, func() time.Time { return at })
		run := newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		png := []byte("\x89PNG\r\n\x1a\n\x00\x01qr")
		c, err := cs.OpenChallenge(ctx, ferry.Challenge{RunID: run, Kind: ferry.ChallengeQR, Deadline: at.Add(2 * time.Minute), AttemptsLeft: -1,
			Screenshot: png, Key: newKey(t).Public()})
		if err != nil {
			t.Fatal(err)
		}
		got, err := cs.Challenge(ctx, c.ID)
		if err != nil || !bytes.Equal(got.Screenshot, png) || got.Kind != ferry.ChallengeQR || got.AttemptsLeft != -1 {
			t.Fatalf("qr challenge: %+v %v", got, err)
		}
	})

	t.Run("Unknown", func(t *testing.T) {
		s, cs := open(t, nil)
		if _, err := cs.Challenge(ctx, 999); !errors.Is(err, ferry.ErrNoChallenge) || !errors.Is(err, ferry.ErrNotFound) {
			t.Fatalf("unknown challenge: %v", err)
		}
		run := newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		if _, err := cs.LatestChallenge(ctx, run); !errors.Is(err, ferry.ErrNoChallenge) {
			t.Fatalf("run without challenges: %v", err)
		}
		if _, err := cs.OpenChallenge(ctx, ferry.Challenge{RunID: 999, Kind: ferry.ChallengeSMS, Deadline: at, Key: []byte("k")}); !errors.Is(err, ferry.ErrNotFound) {
			t.Fatalf("unknown run: %v", err)
		}
		if _, err := cs.OpenChallenge(ctx, ferry.Challenge{RunID: run, Kind: "carrier_pigeon", Deadline: at, Key: []byte("k")}); err == nil {
			t.Fatal("unknown kind accepted")
		}
		if _, err := cs.CloseChallenge(ctx, 999, ferry.ChallengeUsed); !errors.Is(err, ferry.ErrNoChallenge) {
			t.Fatalf("close unknown: %v", err)
		}
	})

	t.Run("ConcurrentAnswersOneWins", func(t *testing.T) {
		s, cs := open(t, func() time.Time { return at })
		run := newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
		c := ask(t, cs, run, newKey(t))
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code := string(rune('0'+i)) + "00000"
				sealed, digest := answer(t, c, code)
				first, err := cs.AnswerChallenge(ctx, c.ID, sealed, digest, "cli", at.Add(time.Second))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && first:
					wins++
				case errors.Is(err, ferry.ErrAnswerConflict):
					conflicts++
				default:
					t.Errorf("answer %d: %v %v", i, first, err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || conflicts != 7 {
			t.Fatalf("%d wins, %d conflicts; want 1 and 7", wins, conflicts)
		}
	})
}

// SealedAnswers checks the sealing of answers: only the challenge's key
// opens them, and an altered one is refused.
func SealedAnswers(t *testing.T) {
	k, _ := ferry.NewChallengeKey()
	other, _ := ferry.NewChallengeKey()
	sealed, err := ferry.SealAnswer(k.Public(), "482913")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.Open(sealed); err != nil || got != "482913" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := other.Open(sealed); err == nil {
		t.Fatal("another key opened the answer")
	}
	sealed[len(sealed)-1] ^= 1
	if got, err := k.Open(sealed); err == nil || bytes.Contains([]byte(err.Error()), []byte("482913")) {
		t.Fatalf("altered answer: %q %v", got, err)
	}
	if ferry.AnswerDigest(k.Public(), "1") == ferry.AnswerDigest(other.Public(), "1") {
		t.Fatal("digests of two challenges agree")
	}
}
