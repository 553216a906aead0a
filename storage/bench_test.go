package storage_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/shopspring/decimal"
)

// benchStatement is a 5,000-line statement: 50 lines a day over 100 days,
// half with a bank id, a fifth of them identical fees.
func benchStatement() ferry.Statement {
	st := ferry.Statement{Account: "DE89370400440532013000", Currency: "EUR"}
	for i := range 5000 {
		l := ferry.StatementLine{Account: st.Account, BookingDate: ferry.NewDate(2026, 1, 1).AddDays(i / 50), Currency: "EUR",
			Amount: decimal.New(int64(i*37%100000-50000), -2), Counterparty: "Stadtwerke München GmbH", Description: fmt.Sprintf("Rechnung %d", i), Reference: "NOTPROVIDED"}
		if i%2 == 0 {
			l.TransactionID = fmt.Sprintf("2026%08d", i)
		}
		if i%5 == 0 {
			l.Amount, l.Description, l.TransactionID = decimal.New(-250, -2), "Kontoführung", ""
		}
		st.Lines = append(st.Lines, l)
	}
	return st
}

func benchDB(b *testing.B) (*storage.DB, int64, int64) {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "a"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	run, _ := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l"})
	a, err := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "s.xml"}, []byte("s"))
	if err != nil {
		b.Fatal(err)
	}
	return db, run, a.ID
}

// cpuTime is the process's user and system CPU time so far: on a shared
// machine it varies less than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSaveStatementNew stores 5,000 new lines with two sinks.
func BenchmarkSaveStatementNew(b *testing.B) {
	ctx := context.Background()
	st := benchStatement()
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		db, run, art := benchDB(b)
		b.StartTimer()
		c := cpuTime()
		if _, err := db.SaveStatement(ctx, run, art, st, []string{"jsonl", "http"}, ""); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkSaveStatementRerun saves 5,000 lines that are all stored.
func BenchmarkSaveStatementRerun(b *testing.B) {
	ctx := context.Background()
	st := benchStatement()
	db, run, art := benchDB(b)
	if _, err := db.SaveStatement(ctx, run, art, st, []string{"jsonl", "http"}, ""); err != nil {
		b.Fatal(err)
	}
	c := cpuTime()
	for b.Loop() {
		res, err := db.SaveStatement(ctx, run, art, st, []string{"jsonl", "http"}, "")
		if err != nil || res.NewLines != 0 {
			b.Fatal(res, err)
		}
	}
	b.ReportMetric(float64((cpuTime()-c).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkSaveStatementLinesNew stores the same 5,000 new lines as
// BenchmarkSaveStatementNew, streamed.
func BenchmarkSaveStatementLinesNew(b *testing.B) {
	ctx := context.Background()
	st := benchStatement()
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		db, run, art := benchDB(b)
		b.StartTimer()
		c := cpuTime()
		if _, err := db.SaveStatementLines(ctx, run, art, header(st), linesOf(st, 0), []string{"jsonl", "http"}); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}
