package runner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
)

// heapPeaks samples, every millisecond while fn runs, the live heap as the
// last garbage collection found it and the heap's objects (live and not
// yet collected).
func heapPeaks(fn func()) (live, objects uint64) {
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			live = max(live, samples[0].Value.Uint64())
			objects = max(objects, samples[1].Value.Uint64())
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	return live, objects
}

func maxRSS() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss << 10
}

// longStatement is the sandbox's October statement repeated to n lines,
// every reference unique and the balance chain kept (as
// hack/bigstatement writes it).
func longStatement(t testing.TB, n int) ferry.Statement {
	t.Helper()
	st := october(t)
	base := st.Lines
	st.Lines = make([]ferry.StatementLine, 0, n)
	bal := st.Opening
	for i := 0; len(st.Lines) < n; i++ {
		l := base[i%len(base)]
		l.Reference = fmt.Sprintf("%s-%07d", l.Reference, i)
		bal = bal.Add(l.Amount)
		l.BalanceAfter = bal
		st.Lines = append(st.Lines, l)
	}
	st.Closing = bal
	st.To = st.Lines[len(st.Lines)-1].BookingDate
	return st
}

// TestIngestMemory ingests a long XLSX statement (40,000 lines; or the
// file FERRY_INGEST_XLSX names, such as the 1,000,000-line export
//
//	go run ./hack/bigstatement -lines 1000000 -format xlsx -o /tmp/big.xlsx
//	FERRY_INGEST_XLSX=/tmp/big.xlsx go test ./runner -run TestIngestMemory -v
//
// writes for account 6222021000010001) and reports the peak heap. Read
// whole, a line costs the heap about 450 bytes; streamed, the heap holds
// the reader's state and the dedup keyer's few bytes a line.
func TestIngestMemory(t *testing.T) {
	ctx := context.Background()
	db := openIngestDB(t, "")
	r := ingestRunner(db, t.TempDir())
	runID, err := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "demobank-statements", Login: "l"})
	if err != nil {
		t.Fatal(err)
	}
	run, err := db.Run(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	var in io.Reader
	lines := 40_000
	if p := os.Getenv("FERRY_INGEST_XLSX"); p != "" {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		in, lines = f, 0
	} else {
		data := render(t, file{"xlsx", longStatement(t, lines)})
		in = bytes.NewReader(data)
	}
	a, err := db.PutArtifactFrom(ctx, ferry.Artifact{RunID: run.ID, Kind: "download", Name: "statement_" + acct + ".xlsx", Account: acct, Format: "xlsx"}, in)
	if err != nil {
		t.Fatal(err)
	}
	in = nil
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	rssBefore := maxRSS()
	var sum IngestSummary
	start := time.Now()
	live, objects := heapPeaks(func() {
		sum, err = r.ingest(ctx, run, []stored{{artifact: a}}, nil)
	})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Held != 0 || sum.NewLines != sum.Lines || lines > 0 && sum.Lines != lines {
		t.Fatalf("got %+v, want %d new lines", sum, lines)
	}
	stored, err := db.CountLines(ctx)
	if err != nil || stored != sum.Lines {
		t.Fatalf("%d lines stored (%v), want %d", stored, err, sum.Lines)
	}
	t.Logf("%d lines (%d MB XLSX) in %s: peak live heap %.1f MiB (%.1f MiB before), peak heap objects %.1f MiB, peak RSS %.1f MiB (%.1f MiB before)",
		sum.Lines, a.Size>>20, elapsed.Round(time.Millisecond), mib(live), mib(base.HeapAlloc), mib(objects), mib(uint64(maxRSS())), mib(uint64(rssBefore)))
	// Streamed, the live heap grows by the dedup keyer's 20 to 40 bytes a
	// line (38 MiB at most for 1,000,000 lines); read whole (as before),
	// by about 450 bytes a line (18 MiB for 40,000 lines).
	if bound := base.HeapAlloc + 4<<20 + uint64(sum.Lines)*64; live > bound {
		t.Fatalf("peak live heap %.1f MiB, want at most %.1f MiB", mib(live), mib(bound))
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }
