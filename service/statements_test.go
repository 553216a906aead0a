package service

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// TestStatementsAcrossRuns: statements of several runs listed with
// filters (account, overlap with a period, accepted or held), one found
// by run and id, their checks, and bad filters named.
func TestStatementsAcrossRuns(t *testing.T) {
	_, db := newTestService(t)
	ctx := context.Background()
	d := func(s string) ferry.Date { v, _ := ferry.ParseDate(s); return v }
	save := func(account, from, to, problem string) int64 {
		t.Helper()
		run, err := db.NewRun(ctx, ferry.Run{Bot: "b", Login: "l"})
		if err != nil {
			t.Fatal(err)
		}
		a, err := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "s.csv", Format: "csv"}, []byte(account+from))
		if err != nil {
			t.Fatal(err)
		}
		st := ferry.Statement{Account: account, Currency: "EUR", From: d(from), To: d(to), Opening: decimal.RequireFromString("10.00"), Closing: decimal.RequireFromString("5.00"),
			Lines: []ferry.StatementLine{{Account: account, BookingDate: d(from), ValueDate: d(from), Amount: decimal.RequireFromString("-5.00"), Currency: "EUR", Description: "x " + account + from}}}
		if problem != "" {
			_, err = db.HoldStatement(ctx, run, a.ID, st, 1, problem)
		} else {
			_, err = db.SaveStatement(ctx, run, a.ID, st, nil, "")
		}
		if err != nil {
			t.Fatal(err)
		}
		return run
	}
	save("DE01", "2026-01-01", "2026-01-31", "")
	save("DE02", "2026-02-01", "2026-02-28", "")
	held := save("DE01", "2026-03-01", "2026-03-31", "closing 5.00 ≠ opening 10.00 + lines -4.00")
	count := func(q StatementQuery) int {
		t.Helper()
		rows, err := Statements(ctx, db, q)
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}
	for _, c := range []struct {
		q    StatementQuery
		want int
	}{
		{StatementQuery{}, 3},
		{StatementQuery{Account: "de01"}, 2},
		{StatementQuery{Status: "held"}, 1},
		{StatementQuery{From: "2026-01-15", To: "2026-02-01"}, 2},
		{StatementQuery{From: "2026-04-01"}, 0},
		{StatementQuery{Account: "DE01", Status: "accepted"}, 1},
	} {
		if got := count(c.q); got != c.want {
			t.Errorf("%+v: %d statements, want %d", c.q, got, c.want)
		}
	}
	rows, _ := Statements(ctx, db, StatementQuery{Status: "held"})
	st, err := Statement(ctx, db, held, rows[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	checks := StatementChecks(st)
	if checks[0].Passed || !strings.Contains(checks[0].Why, "≠") || checks[1].Passed {
		t.Errorf("held statement's checks: %+v", checks)
	}
	rows, _ = Statements(ctx, db, StatementQuery{Account: "DE02"})
	if c := StatementChecks(rows[0]); !c[0].Passed || !c[1].Passed {
		t.Errorf("accepted statement's checks: %+v", c)
	}
	if _, err := Statement(ctx, db, held, 9999); !errors.Is(err, ferry.ErrNotFound) {
		t.Errorf("unknown statement: %v", err)
	}
	for _, q := range []StatementQuery{{Status: "maybe"}, {From: "2026-02-30"}, {From: "2026-03-01", To: "2026-02-01"}} {
		if _, err := Statements(ctx, db, q); !errors.Is(err, ErrStatementFilter) {
			t.Errorf("%+v: %v", q, err)
		}
	}
}
