package console_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
)

// TestPageFigures measures page answer medians over a store with 1,000
// runs and 1,000 audit entries, and the heap the console holds. Run with
// FERRY_FIGURES=1 (it only reports).
func TestPageFigures(t *testing.T) {
	if os.Getenv("FERRY_FIGURES") == "" {
		t.Skip("set FERRY_FIGURES=1 to measure")
	}
	e := newEnv(t)
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		id, err := e.db.NewRun(ctx, ferry.Run{Bot: "statements", Login: fmt.Sprintf("l%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		e.db.AddSteps(ctx, id, 1, []ferry.Step{{Seq: 1, Action: "open", Status: ferry.StepOK}, {Seq: 2, Action: "click", Element: "login", Status: ferry.StepOK}})
		e.db.AppendAudit(ctx, ferry.AuditEntry{Actor: "x", Action: "run.start", Target: fmt.Sprintf("run:%d", id), After: `{"bot":"statements"}`})
	}
	admin := e.login(ferry.RoleAdmin)
	for _, p := range []string{"/runs", "/runs/500", "/users", "/audit", "/audit/export?format=csv"} {
		var took []time.Duration
		for i := 0; i < 101; i++ {
			start := time.Now()
			if code, _ := admin.get(p); code != 200 {
				t.Fatalf("%s: %d", p, code)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		t.Logf("%-26s median %v (p90 %v)", p, took[50], took[90])
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	t.Logf("heap in use after the requests: %.1f MiB (whole test process, SQLite included)", float64(m.HeapInuse)/(1<<20))
}
