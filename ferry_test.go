package ferry

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestReconcile(t *testing.T) {
	t.Parallel()
	s := Statement{Account: "A1", Opening: d("100.00"), Closing: d("70.50"), Lines: []StatementLine{
		{Amount: d("-50.00"), BalanceAfter: d("50.00"), Reference: "R1"},
		{Amount: d("20.50"), BalanceAfter: d("70.50"), Reference: "R2"},
	}}
	if err := s.Reconcile(); err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	s.Closing = d("70.51")
	if err := s.Reconcile(); !errors.Is(err, ErrUnreconciled) {
		t.Fatalf("closing off by 0.01: got %v, want ErrUnreconciled", err)
	}
	s.Closing = d("70.50")
	s.Lines[0].BalanceAfter = d("50.01")
	err := s.Reconcile()
	if !errors.Is(err, ErrUnreconciled) || !strings.Contains(err.Error(), "line 1 (ref R1)") {
		t.Fatalf("broken chain: got %v, want error naming line 1 ref R1", err)
	}
}

func TestDedupKeyStable(t *testing.T) {
	t.Parallel()
	a := StatementLine{Account: "6222-01", BookingDate: NewDate(2026, 10, 3), Amount: d("-12.5"), Currency: "CNY", Reference: "X1", BalanceAfter: d("100")}
	b := a
	b.Amount = d("-12.50") // same value, other scale: same key
	b.Description = "other text"
	b.BalanceAfter = d("0") // a format without balances: same key
	if a.DedupKey(0) != b.DedupKey(0) {
		t.Fatalf("same transaction, different keys: %s vs %s", a.DedupKey(0), b.DedupKey(0))
	}
	c := a
	c.Reference = "X2"
	if a.DedupKey(0) == c.DedupKey(0) {
		t.Fatal("different references gave the same key")
	}
	// Without a bank reference: account, date, amount, counterparty and
	// description, plus the occurrence among identical lines.
	fee := StatementLine{Account: "6222-01", BookingDate: NewDate(2026, 10, 3), Amount: d("-2.00"), Currency: "CNY", Counterparty: "Bank", Description: "SMS  fee"}
	st := Statement{Lines: []StatementLine{fee, a, fee}}
	keys := st.DedupKeys()
	if keys[0] == keys[2] {
		t.Fatal("two genuine identical fees on one day share a key")
	}
	again := Statement{Lines: []StatementLine{fee, fee}}.DedupKeys()
	if again[0] != keys[0] || again[1] != keys[2] {
		t.Fatal("keys of identical lines are not stable across statements")
	}
	spaced := fee
	spaced.Description = "SMS fee"
	if spaced.DedupKey(0) != fee.DedupKey(0) {
		t.Fatal("whitespace in the description changed the key")
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"2026-10-03", "2026/10/03", "20261003", "2026年10月03日"} {
		got, err := ParseDate(in)
		if err != nil || got != NewDate(2026, 10, 3) {
			t.Errorf("ParseDate(%q) = %v, %v; want 2026-10-03", in, got, err)
		}
	}
	if _, err := ParseDate("03.10.2026x"); err == nil {
		t.Error("bad date accepted")
	}
}

func TestClassOf(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("run 3: %w", Errorf(ClassSiteChanged, "selector login.user", "no match"))
	if got := ClassOf(err); got != ClassSiteChanged {
		t.Fatalf("got %s, want site_changed", got)
	}
	if ClassOf(errors.New("x")) != ClassInternal {
		t.Fatal("plain error should be internal")
	}
	if ClassCredentialsRejected.Retryable() || !ClassSiteUnavailable.Retryable() {
		t.Fatal("retry policy wrong")
	}
}
