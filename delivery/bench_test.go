package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"
)

func bigStatement(n int) ferry.Statement {
	d := decimal.RequireFromString
	st := ferry.Statement{Account: "A", Currency: "CNY", From: ferry.NewDate(2026, 1, 1), To: ferry.NewDate(2026, 1, 1), Opening: d("0")}
	bal := d("0")
	for i := 0; i < n; i++ {
		bal = bal.Add(d("1.25"))
		st.Lines = append(st.Lines, ferry.StatementLine{Account: "A", BookingDate: ferry.NewDate(2026, 1, 1), Amount: d("1.25"), Currency: "CNY",
			Reference: fmt.Sprintf("R%07d", i), Counterparty: "ACME", Description: "invoice", BalanceAfter: bal})
	}
	st.Closing = bal
	return st
}

func openBenchDB(b *testing.B) (*storage.DB, int64, int64) {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, "f.db"), filepath.Join(dir, "a"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	run, _ := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "b", Login: "l"})
	a, _ := db.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: "x"}, []byte("x"))
	return db, run, a.ID
}

// BenchmarkOutboxWrite stores 10,000-line statements: the lines and their
// outbox rows in one transaction each (SQLite file, WAL). Reports records/s.
func BenchmarkOutboxWrite(b *testing.B) {
	db, run, art := openBenchDB(b)
	const n = 10_000
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := bigStatement(n)
		st.Account = fmt.Sprintf("A%d", i)
		for j := range st.Lines {
			st.Lines[j].Account = st.Account
		}
		if _, err := db.SaveStatement(context.Background(), run, art, st, []string{"erp"}, ""); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkDeliverBatchHTTP drains 10,000 records to a local HTTP sink in
// batches of 500 (the sink decodes every record and answers per row).
// Reports records/s (target at least 5,000).
func BenchmarkDeliverBatchHTTP(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var recs []map[string]any
		if err := json.NewDecoder(r.Body).Decode(&recs); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		res := make([]map[string]any, len(recs))
		for i, rec := range recs {
			res[i] = map[string]any{"id": rec["dedup_key"], "status": "ok"}
		}
		json.NewEncoder(w).Encode(map[string]any{"results": res})
	}))
	defer srv.Close()
	const n = 10_000
	total := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, run, art := openBenchDB(b)
		if _, err := db.SaveStatement(context.Background(), run, art, bigStatement(n), []string{"erp"}, ""); err != nil {
			b.Fatal(err)
		}
		sink := &delivery.Endpoint{SinkName: "erp", URL: srv.URL, Batch: 500, ResultsPath: "results", ResultKey: "id"}
		d := &delivery.Deliverer{Outbox: db, Sinks: []delivery.Sink{sink}, Batch: 500, Log: zerolog.Nop()}
		b.StartTimer()
		st, err := d.Drain(context.Background())
		if err != nil || st.Delivered != n {
			b.Fatalf("%+v %v", st, err)
		}
		total += st.Delivered
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
}
