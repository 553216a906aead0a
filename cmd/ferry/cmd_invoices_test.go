package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/service"
)

// `ferry invoices list|show` with each filter, and the invoices in the
// exports: the CSV table, and Beancount with the statement lines that
// bean-check accepts.
func TestInvoicesListShowExport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	db, err := openDB(ctx, &Config{DataDir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	run, _ := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "etax-invoices", Login: "zhangwei"})
	p := tax.New(tax.Options{Seed: 1})
	var docs []ferry.InvoiceDoc
	for _, dir := range []string{tax.Issued, tax.Received} {
		for _, r := range p.Invoices(tax.Query{Direction: dir, From: ferry.NewDate(2026, 2, 1), To: ferry.NewDate(2026, 2, 28)}) {
			if r.Red || r.Status != tax.StatusNormal || len(docs) >= 2 && dir == tax.Issued || len(docs) >= 4 {
				continue
			}
			d, _ := ferry.ParseInvoiceDirection(dir)
			docs = append(docs, ferry.InvoiceDoc{Invoice: r.Invoice, Direction: d, Status: ferry.InvoiceNormal})
		}
	}
	if len(docs) != 4 {
		t.Fatalf("%d sandbox invoices", len(docs))
	}
	docs[3].Problems = []string{"a.pdf and a.xml disagree on 价税合计"}
	for _, d := range docs {
		if _, err := db.SaveInvoice(ctx, run, d, []string{"jsonl"}); err != nil {
			t.Fatal(err)
		}
	}
	void := docs[0]
	void.Status = ferry.InvoiceVoid
	if _, err := db.SaveInvoice(ctx, run, void, []string{"jsonl"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	cfg := filepath.Join(dir, "ferry.yaml")
	os.WriteFile(cfg, []byte("data_dir: data\n"), 0o644)

	list := func(args ...string) []service.InvoiceView {
		t.Helper()
		code, out, errs := ferryCmd(t, append([]string{"--config", cfg, "--json", "invoices", "list"}, args...)...)
		if code != 0 {
			t.Fatalf("invoices list %v: %d %s", args, code, errs)
		}
		var vs []service.InvoiceView
		if err := json.Unmarshal([]byte(out), &vs); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return vs
	}
	if n := len(list()); n != 4 {
		t.Errorf("all: %d", n)
	}
	if vs := list("--direction", "进项"); len(vs) != 2 || vs[0].Direction != "received" {
		t.Errorf("received: %+v", vs)
	}
	if vs := list("--status", "void"); len(vs) != 1 || vs[0].Number != docs[0].Invoice.Number {
		t.Errorf("void: %+v", vs)
	}
	if vs := list("--state", "held"); len(vs) != 1 || vs[0].Problems[0] != docs[3].Problems[0] {
		t.Errorf("held: %+v", vs)
	}
	d0 := docs[0].Invoice.IssueDate.String()
	for _, v := range list("--from", d0, "--to", d0) {
		if v.IssueDate != d0 {
			t.Errorf("date range %s: %s", d0, v.IssueDate)
		}
	}
	if code, _, errs := ferryCmd(t, "--config", cfg, "invoices", "list", "--status", "lost"); code != exitUsage || !strings.Contains(errs, "lost") {
		t.Errorf("bad status: %d %s", code, errs)
	}
	code, out, _ := ferryCmd(t, "--config", cfg, "invoices", "list", "--direction", "issued")
	if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, "void") {
		t.Errorf("table:\n%s", out)
	}
	code, out, errs := ferryCmd(t, "--config", cfg, "invoices", "show", docs[1].Invoice.Number)
	if code != 0 || !strings.Contains(out, docs[1].Invoice.SellerName) || !strings.Contains(out, "item 1:") || !strings.Contains(out, docs[1].Invoice.Total.StringFixed(2)) {
		t.Errorf("show: %d %s %s", code, out, errs)
	}
	if code, _, errs := ferryCmd(t, "--config", cfg, "invoices", "show", "12345"); code == 0 || !strings.Contains(errs, "no such invoice") {
		t.Errorf("show unknown: %d %s", code, errs)
	}

	// Exports.
	mapping := filepath.Join(dir, "accounts.yaml")
	os.WriteFile(mapping, []byte("accounts:\n  invoice:expense: expenses:office\n"), 0o644)
	code, out, errs = ferryCmd(t, "--config", cfg, "export", "--records", "invoices", "--format", "csv", "--mapping", mapping)
	if code != 0 || strings.Count(out, "\n") != 5 || !strings.Contains(out, ",held,") {
		t.Errorf("csv: %d %s\n%s", code, errs, out)
	}
	bc := filepath.Join(dir, "books.beancount")
	code, _, errs = ferryCmd(t, "--config", cfg, "export", "--records", "all", "--format", "beancount", "--mapping", mapping, "-o", bc)
	if code != 0 || !strings.Contains(errs, "1 held invoices not booked") {
		t.Fatalf("beancount: %d %s", code, errs)
	}
	if out, err := exec.Command(testenv.Tool(t, "bean-check", "beancount"), bc).CombinedOutput(); err != nil {
		b, _ := os.ReadFile(bc)
		t.Fatalf("bean-check: %v\n%s\n%s", err, out, b)
	}
	if code, _, _ := ferryCmd(t, "--config", cfg, "export", "--records", "all", "--format", "csv", "--mapping", mapping); code != exitUsage {
		t.Errorf("--records all as csv: exit %d", code)
	}
}

// Without a database, the invoices commands say so and create nothing.
func TestInvoicesCommandsCreateNothing(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "fresh")
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"invoices", "list"}, 0},
		{[]string{"invoices", "list", "--json"}, 0},
		{[]string{"invoices", "show", "26312000000001000002"}, exitFailed},
	} {
		code, out, stderr := ferryCmd(t, append(tc.args, "--data", data)...)
		if code != tc.code || !strings.Contains(stderr, "no database yet") {
			t.Errorf("ferry %s: exit %d (want %d), stderr %q", strings.Join(tc.args, " "), code, tc.code, stderr)
		}
		if tc.args[len(tc.args)-1] == "--json" && strings.TrimSpace(out) != "[]" {
			t.Errorf("ferry %s: got %q, want []", strings.Join(tc.args, " "), out)
		}
		if _, err := os.Stat(data); err == nil {
			t.Fatalf("ferry %s created %s", strings.Join(tc.args, " "), data)
		}
	}
}
