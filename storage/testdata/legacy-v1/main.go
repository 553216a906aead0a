// Command legacydb writes legacy-v1.db: a Ferry database as the version
// before per-transaction dedup keys (commit dd1f99d) wrote it, with its
// schema, its dedup keys and its outbox. make-legacy-v1.sh builds it against
// that commit's code; it does not build against later versions.
//
// The statements are what that version's parsers returned for three kinds
// of download (the values are hand-written, the way the banks print them):
//   - a camt.053 without AcctSvcrRef, whose lines fall back to the EndToEndId
//     NOTPROVIDED: the second statement's two lines got the first one's keys
//     and were dropped without a word;
//   - a Chinese bank's CSV whose 交易流水号 column was the reference;
//   - an Austrian bank's Windows-1252 CSV without a reference column, which
//     that version decoded as GB18030 (mojibake in the texts), with two
//     identical fees on one day.
//
// The jsonl sink delivered everything; the http sink delivered nothing yet.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/shopspring/decimal"
)

func main() {
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(out string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "legacydb")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	clock := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), func() time.Time { return clock })
	if err != nil {
		return err
	}
	d := decimal.RequireFromString
	day := func(n int) ferry.Date { return ferry.NewDate(2026, 10, n) }
	camt := "DE89370400440532013000"
	cn := "6222021000010001"
	at := "AT611904300234573201"
	statements := []struct {
		file string
		st   ferry.Statement
	}{
		{"camt053_20261002.xml", ferry.Statement{Account: camt, Currency: "EUR", From: day(1), To: day(2), Opening: d("2000.00"), Closing: d("3120.00"), Lines: []ferry.StatementLine{
			{Account: camt, BookingDate: day(1), ValueDate: day(1), Amount: d("-50.00"), Currency: "EUR", Counterparty: "Stadtwerke München GmbH", Description: "Abschlag Strom Oktober", Reference: "NOTPROVIDED"},
			{Account: camt, BookingDate: day(2), ValueDate: day(2), Amount: d("-30.00"), Currency: "EUR", Counterparty: "Telekom Deutschland GmbH", Description: "Mobilfunk Rechnung 10/2026", Reference: "NOTPROVIDED"},
			{Account: camt, BookingDate: day(2), ValueDate: day(2), Amount: d("1200.00"), Currency: "EUR", Counterparty: "ACME Maschinenbau AG", Description: "Rechnung 4711", Reference: "RE-2026-4711"},
		}}},
		{"camt053_20261004.xml", ferry.Statement{Account: camt, Currency: "EUR", From: day(3), To: day(4), Opening: d("3120.00"), Closing: d("3077.01"), Lines: []ferry.StatementLine{
			{Account: camt, BookingDate: day(3), ValueDate: day(3), Amount: d("-30.00"), Currency: "EUR", Counterparty: "Telekom Deutschland GmbH", Description: "Festnetz Rechnung 10/2026", Reference: "NOTPROVIDED"},
			{Account: camt, BookingDate: day(4), ValueDate: day(4), Amount: d("-12.99"), Currency: "EUR", Counterparty: "Netflix International B.V.", Description: "Abo Oktober", Reference: "NOTPROVIDED"},
		}}},
		{"交易明细_20261001-20261002.csv", ferry.Statement{Account: cn, Currency: "CNY", From: day(1), To: day(2), Opening: d("10000.00"), Closing: d("14996.00"), Lines: []ferry.StatementLine{
			{Account: cn, BookingDate: day(1), ValueDate: day(1), Amount: d("-2.00"), Currency: "CNY", Counterparty: "", Description: "短信服务费", Reference: "FT26100100010001", BalanceAfter: d("9998.00")},
			{Account: cn, BookingDate: day(1), ValueDate: day(1), Amount: d("-2.00"), Currency: "CNY", Counterparty: "", Description: "短信服务费", Reference: "FT26100100010002", BalanceAfter: d("9996.00")},
			{Account: cn, BookingDate: day(2), ValueDate: day(2), Amount: d("5000.00"), Currency: "CNY", Counterparty: "阿里云计算有限公司", Description: "货款", Reference: "FT26100200010001", BalanceAfter: d("14996.00")},
		}}},
		{"Umsaetze_AT611904300234573201.csv", ferry.Statement{Account: at, Currency: "EUR", From: day(1), To: day(2), Opening: d("5000.00"), Closing: d("4299.00"), Lines: []ferry.StatementLine{
			{Account: at, BookingDate: day(1), ValueDate: day(1), Amount: d("-800.00"), Currency: "EUR", Counterparty: "Hausverwaltung M黮ler", Description: "躡erweisung Miete Oktober"},
			{Account: at, BookingDate: day(1), ValueDate: day(1), Amount: d("-0.50"), Currency: "EUR", Description: "Kontof黨rung"},
			{Account: at, BookingDate: day(1), ValueDate: day(1), Amount: d("-0.50"), Currency: "EUR", Description: "Kontof黨rung"},
			{Account: at, BookingDate: day(2), ValueDate: day(2), Amount: d("100.00"), Currency: "EUR", Counterparty: "Max Mustermann", Description: "Gutschrift Rueckerstattung"},
		}}},
	}
	run, err := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "legacy", Login: "legacy"})
	if err != nil {
		return err
	}
	for _, s := range statements {
		a, err := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: s.file, Account: s.st.Account}, []byte(s.file))
		if err != nil {
			return err
		}
		res, err := db.SaveStatement(ctx, run, a.ID, s.st, []string{"jsonl", "http"}, "")
		if err != nil {
			return err
		}
		fmt.Printf("%s: %d lines, %d new, %d queued\n", s.file, len(s.st.Lines), res.NewLines, res.Queued)
	}
	items, err := db.PendingOutbox(ctx, "jsonl", 100, clock)
	if err != nil {
		return err
	}
	var ids []int64
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	if err := db.MarkDelivered(ctx, ids); err != nil {
		return err
	}
	if err := db.FinishRun(ctx, run, ferry.RunSucceeded, "", "", "{}"); err != nil {
		return err
	}
	// One self-contained file: no WAL beside it.
	if _, err := db.SQL.ExecContext(ctx, `PRAGMA journal_mode=DELETE`); err != nil {
		return err
	}
	if _, err := db.SQL.ExecContext(ctx, `VACUUM`); err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(dir, "ferry.db"))
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o644)
}
