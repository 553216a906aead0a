package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"
)

type refusingSink struct{}

func (refusingSink) Name() string { return "erp" }
func (refusingSink) Deliver(ctx context.Context, items []ferry.OutboxItem) error {
	rej := &delivery.Rejected{Keys: map[string]string{}}
	for _, it := range items {
		rej.Keys[it.DedupKey] = "422 Unprocessable: account 1002 is closed"
	}
	return rej
}

// Parked deliveries are visible and replayable on the command line.
func TestDeliveriesListShowRetry(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	db, err := openDB(ctx, &Config{DataDir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	run, _ := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l"})
	a, _ := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "x"}, []byte("x"))
	d := decimal.RequireFromString
	st := ferry.Statement{Account: "A", Currency: "CNY", From: ferry.NewDate(2026, 1, 1), To: ferry.NewDate(2026, 1, 1), Opening: d("0"), Closing: d("2"),
		Lines: []ferry.StatementLine{
			{Account: "A", BookingDate: ferry.NewDate(2026, 1, 1), Amount: d("1"), Currency: "CNY", Reference: "R1", BalanceAfter: d("1")},
			{Account: "A", BookingDate: ferry.NewDate(2026, 1, 1), Amount: d("1"), Currency: "CNY", Reference: "R2", BalanceAfter: d("2")},
		}}
	if _, err := db.SaveStatement(ctx, run, a.ID, st, []string{"erp"}, ""); err != nil {
		t.Fatal(err)
	}
	dl := &delivery.Deliverer{Outbox: db, Sinks: []delivery.Sink{refusingSink{}}, Log: zerolog.Nop()}
	if s, _ := dl.Drain(ctx); s.Parked != 2 {
		t.Fatalf("drain: %+v", s)
	}
	db.Close()
	cfg := filepath.Join(dir, "ferry.yaml")
	os.WriteFile(cfg, []byte("data_dir: data\n"), 0o644)
	code, out, _ := ferryCmd(t, "--config", cfg, "deliveries", "list", "--state", "parked")
	if code != 0 || strings.Count(out, "parked") != 2 || !strings.Contains(out, "account 1002 is closed") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	id := regexp.MustCompile(`(?m)^(\d+)\s+erp`).FindStringSubmatch(out)[1]
	code, out, _ = ferryCmd(t, "--config", cfg, "deliveries", "show", id)
	if code != 0 || !strings.Contains(out, `"reference":"R`) || !strings.Contains(out, "state:      parked") {
		t.Fatalf("show: %d\n%s", code, out)
	}
	if code, out, _ := ferryCmd(t, "--config", cfg, "deliveries", "retry", id); code != 0 || !strings.Contains(out, "1 parked") {
		t.Fatalf("retry one: %d %s", code, out)
	}
	if code, out, _ := ferryCmd(t, "--config", cfg, "deliveries", "retry", "--all"); code != 0 || !strings.Contains(out, "1 parked") {
		t.Fatalf("retry all: %d %s", code, out)
	}
	if code, _, errs := ferryCmd(t, "--config", cfg, "deliveries", "retry"); code != exitUsage || !strings.Contains(errs, "--all") {
		t.Fatalf("retry without ids: %d %s", code, errs)
	}
	code, out, _ = ferryCmd(t, "--config", cfg, "deliveries", "list", "--state", "pending")
	if code != 0 || strings.Count(out, "pending") != 2 {
		t.Fatalf("after retry: %s", out)
	}
}

// A sandbox run's records exported as Beancount pass Debian's bean-check.
func TestExportBeancountFromARun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errs := ferryCmd(t, "run", "demobank-statements", "--sandbox", "--data", dir, "--login", "demobank-zhangwei",
		"--from", "2026-10-01", "--to", "2026-10-10", "--account", "6222021000010001")
	if code != 0 {
		t.Fatalf("run: %d\n%s%s", code, out, errs)
	}
	m := filepath.Join(dir, "accounts.yaml")
	os.WriteFile(m, []byte("accounts:\n  \"6222021000010001\": assets:bank:icbc:cny\nrules:\n  - description: \"(?i)salary|工资\"\n    account: expenses:payroll\nsuspense: equity:suspense\n"), 0o644)
	bc := filepath.Join(dir, "books.beancount")
	if code, _, errs := ferryCmd(t, "export", "--data", dir, "--mapping", m, "--format", "beancount", "-o", bc); code != 0 {
		t.Fatalf("export: %d %s", code, errs)
	}
	b, _ := os.ReadFile(bc)
	if strings.Count(string(b), "ferry-key:") < 3 {
		t.Fatalf("export:\n%s", b)
	}
	if _, err := exec.LookPath("bean-check"); err == nil {
		if out, err := exec.Command("bean-check", bc).CombinedOutput(); err != nil {
			t.Fatalf("bean-check: %v\n%s", err, out)
		}
	}
	if code, _, errs := ferryCmd(t, "export", "--data", dir, "--mapping", m, "--format", "ods"); code != exitUsage || !strings.Contains(errs, "ods") {
		t.Fatalf("bad format: %d %s", code, errs)
	}
}
