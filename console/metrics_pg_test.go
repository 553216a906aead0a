package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/internal/pgtest"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
)

// pgStore opens a fresh database on a private PostgreSQL server (initdb in
// a temporary directory) started for this test, stopped at its end.
func pgStore(t *testing.T) (*storage.DB, string) {
	t.Helper()
	srv := pgtest.New()
	t.Cleanup(func() { _ = srv.Stop() })
	dsn := srv.Database(t)
	dir := t.TempDir()
	db, err := storage.Open(context.Background(), dsn, filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dsn
}

// TestMetricsPostgres: /metrics and /readyz over PostgreSQL report what
// the database holds, as they do over SQLite (TestOperationsEndpoints):
// runs by status and class, durations, deliveries by sink and status,
// fallbacks, heals; a scraper needs a token.
func TestMetricsPostgres(t *testing.T) {
	db, _ := pgStore(t)
	ctx := context.Background()
	failed, err := db.NewRun(ctx, ferry.Run{Bot: "statements", Login: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	fx := addOpsFixture(t, db, failed, t.TempDir())
	if err := db.AddSteps(ctx, fx.doneID, 2, []ferry.Step{{Seq: 1, Action: "click", Element: "login.submit", Way: "text Sign in (fallback: way 2 of 2)", Status: ferry.StepOK}}); err != nil {
		t.Fatal(err)
	}
	srv, err := console.New(console.Config{Store: db, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	uid, err := console.AddUser(ctx, db, "cli:test", "", "scraper", ferry.RoleViewer, "a long scraper password")
	if err != nil {
		t.Fatal(err)
	}
	tok, hash, err := console.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddAPIToken(ctx, ferry.APIToken{UserID: uid, Role: ferry.RoleViewer, TokenHash: hash, Name: "prometheus"}); err != nil {
		t.Fatal(err)
	}
	get := func(path, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("metrics without a token: %d", code)
	}
	if code, body := get("/readyz", ""); code != 200 || !strings.Contains(body, `"ready"`) {
		t.Errorf("readyz: %d %s", code, body)
	}
	code, body := get("/metrics", tok)
	if code != 200 {
		t.Fatalf("metrics: %d %s", code, body)
	}
	for _, want := range []string{
		`ferry_runs{class="site_changed",status="failed"} 1`,
		`ferry_runs{class="",status="succeeded"} 1`,
		`ferry_runs_waiting 0`,
		`ferry_run_duration_seconds_count{status="succeeded"} 1`,
		`ferry_deliveries{sink="erp",status="parked"} 1`,
		`ferry_deliveries{sink="jsonl",status="pending"} 1`,
		`ferry_selector_fallbacks_total 1`,
		`ferry_selector_heals{status="proposed"} 1`,
		`ferry_metrics_scrape_ok 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics on PostgreSQL lack %s", want)
		}
	}
	if strings.Contains(body, tok) {
		t.Error("the metrics show the token")
	}
	db.Close()
	if code, body := get("/readyz", ""); code != http.StatusServiceUnavailable || strings.Contains(body, "closed") {
		t.Errorf("readyz on a closed database: %d %s", code, body)
	}
}
