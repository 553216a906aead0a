package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/sandbox"
)

// ferry serve with a config file: a schedule that missed its slot while
// Ferry was down runs once on start; SIGTERM (here, the context) stops it
// cleanly.
func TestServeCatchesUpAndStops(t *testing.T) {
	bank := sandbox.New(sandbox.Options{Seed: 3})
	u, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "ferry.yaml")
	t.Setenv("FERRY_TEST_LINA_PASSWORD", "Ferry#Totp2026")
	cfg := fmt.Sprintf(`data_dir: data
sites:
  demobank: %s
credentials:
  lina:
    user: lina
    password: {env: FERRY_TEST_LINA_PASSWORD}
    totp: %s
schedules:
  - id: nightly
    bot: demobank-statements
    login: lina
    cron: "CRON_TZ=Asia/Shanghai 0 3 * * *"
`, u, sandbox.DemoTOTPSecret)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := openDB(ctx, &Config{DataDir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetScheduleSlot(ctx, db.SQL, "nightly", "CRON_TZ=Asia/Shanghai 0 3 * * *", time.Now().Add(-72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out, errb bytes.Buffer
	done := make(chan int)
	go func() { done <- run(sctx, []string{"--log-format", "json", "serve", "--config", cfgPath}, &out, &errb) }()
	deadline := time.After(2 * time.Minute)
	for {
		db, err := openDB(ctx, &Config{DataDir: filepath.Join(dir, "data")})
		if err == nil {
			runs, _ := db.Runs(ctx, 5)
			db.Close()
			if len(runs) == 1 && runs[0].Status == ferry.RunSucceeded && runs[0].Schedule == "nightly" {
				break
			}
		}
		select {
		case <-deadline:
			t.Fatalf("no successful catch-up run; stderr:\n%s", errb.String())
		case <-time.After(300 * time.Millisecond):
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, errb.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatal("serve did not stop")
	}
	if bytes.Contains(errb.Bytes(), []byte("Ferry#Totp2026")) {
		t.Fatal("password in the log")
	}
}
