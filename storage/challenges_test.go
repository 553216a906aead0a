package storage_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/ferry-rpa/ferry/storage/storetest"
)

func TestChallengesSQLite(t *testing.T) {
	storetest.Challenges(t, harness(openSQLite, false))
}

func TestChallengesPostgres(t *testing.T) {
	storetest.Challenges(t, harness(openPostgres, true))
}

func TestChallengeSealedAnswers(t *testing.T) { storetest.SealedAnswers(t) }

// TestChallengeCodeNotInDatabase reads the whole SQLite file after a code
// was answered and used: the code is nowhere in it.
func TestChallengeCodeNotInDatabase(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
	db := openSQLite(t, false, func() time.Time { return at })
	run, err := db.NewRun(ctx, ferry.Run{Bot: "etax-invoices", Login: "zhangwei"})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ferry.NewChallengeKey()
	c, err := db.OpenChallenge(ctx, ferry.Challenge{RunID: run, Kind: ferry.ChallengeSMS, Deadline: at.Add(time.Minute), Key: key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	const code = "907513"
	sealed, _ := ferry.SealAnswer(c.Key, code)
	if _, err := db.AnswerChallenge(ctx, c.ID, sealed, ferry.AnswerDigest(c.Key, code), "cli", at); err != nil {
		t.Fatal(err)
	}
	rows, err := db.SQL.QueryContext(ctx, `SELECT sealed, answer_hash FROM challenges`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s []byte
		var h string
		if err := rows.Scan(&s, &h); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(s, []byte(code)) || bytes.Contains([]byte(h), []byte(code)) {
			t.Fatal("the code is stored in clear text")
		}
	}
}

// TestMetricsCountWaitingRuns: a run waiting for a person keeps its
// status running; the metrics count it as waiting while its challenge is
// open, and no longer once the challenge is closed, on both databases.
func TestMetricsCountWaitingRuns(t *testing.T) {
	for name, open := range map[string]func(testing.TB, bool, func() time.Time) *storage.DB{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			at := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
			db := open(t, false, func() time.Time { return at })
			waiting := func() int {
				t.Helper()
				m, err := db.MetricsSnapshot(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return m.Waiting
			}
			run, err := db.NewRun(ctx, ferry.Run{Bot: "etax-invoices", Login: "zhangwei"})
			if err != nil {
				t.Fatal(err)
			}
			if n := waiting(); n != 0 {
				t.Fatalf("waiting before any challenge: %d", n)
			}
			key, _ := ferry.NewChallengeKey()
			c, err := db.OpenChallenge(ctx, ferry.Challenge{RunID: run, Kind: ferry.ChallengeSMS, Deadline: at.Add(time.Minute), Key: key.Public()})
			if err != nil {
				t.Fatal(err)
			}
			if n := waiting(); n != 1 {
				t.Fatalf("waiting with an open challenge: %d, want 1", n)
			}
			if _, err := db.CloseChallenge(ctx, c.ID, ferry.ChallengeExpired); err != nil {
				t.Fatal(err)
			}
			if n := waiting(); n != 0 {
				t.Fatalf("waiting after the challenge expired: %d", n)
			}
		})
	}
}
