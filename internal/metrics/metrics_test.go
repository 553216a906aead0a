package metrics

import (
	"context"
	"errors"
	"testing"

	"github.com/ferry-rpa/ferry/storage"
	"github.com/prometheus/client_golang/prometheus"
)

type fixed struct {
	m   storage.MetricsSnapshot
	err error
}

func (f fixed) MetricsSnapshot(context.Context) (storage.MetricsSnapshot, error) { return f.m, f.err }

// gather collects c into a registry and returns the families by name.
func gather(t *testing.T, c prometheus.Collector) map[string]*familyView {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*familyView{}
	for _, f := range fams {
		v := &familyView{}
		for _, m := range f.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				v.count, v.sum = h.GetSampleCount(), h.GetSampleSum()
				for _, b := range h.GetBucket() {
					v.buckets = append(v.buckets, [2]float64{b.GetUpperBound(), float64(b.GetCumulativeCount())})
				}
			}
			if g := m.GetGauge(); g != nil {
				v.values = append(v.values, g.GetValue())
			}
			if c := m.GetCounter(); c != nil {
				v.values = append(v.values, c.GetValue())
			}
		}
		out[f.GetName()] = v
	}
	return out
}

type familyView struct {
	values  []float64
	count   uint64
	sum     float64
	buckets [][2]float64
}

// TestCollector: the histogram's buckets are cumulative at their bounds
// (a duration on a bound counts in it), waiting runs are summed over
// classes, pending and parked are reported on an empty outbox, and a
// failing source sends only scrape_ok 0.
func TestCollector(t *testing.T) {
	src := fixed{m: storage.MetricsSnapshot{
		Runs:      map[[2]string]int{{"running", ""}: 5, {"failed", "site_changed"}: 4},
		Waiting:   3,
		Durations: map[string][]float64{"succeeded": {0.5, 1, 4, 61, 5000}},
		Heals:     map[string]int{"proposed": 3},
		Fallbacks: 7,
	}}
	fams := gather(t, NewCollector(src, 0))
	h := fams["ferry_run_duration_seconds"]
	if h == nil || h.count != 5 || h.sum != 5066.5 {
		t.Fatalf("histogram: %+v", h)
	}
	want := map[float64]float64{1: 2, 5: 3, 60: 3, 120: 4, 3600: 4}
	for _, b := range h.buckets {
		if w, ok := want[b[0]]; ok && b[1] != w {
			t.Errorf("bucket le=%v: %v, want %v", b[0], b[1], w)
		}
	}
	if w := fams["ferry_runs_waiting"]; w == nil || w.values[0] != 3 {
		t.Errorf("waiting: %+v", w)
	}
	if d := fams["ferry_deliveries"]; d == nil || len(d.values) != 2 {
		t.Errorf("deliveries on an empty outbox: %+v", d)
	}
	if f := fams["ferry_selector_fallbacks_total"]; f == nil || f.values[0] != 7 {
		t.Errorf("fallbacks: %+v", f)
	}
	fams = gather(t, NewCollector(fixed{err: errors.New("database is closed")}, 0))
	if len(fams) != 1 || fams["ferry_metrics_scrape_ok"] == nil || fams["ferry_metrics_scrape_ok"].values[0] != 0 {
		t.Errorf("failing source: %v", fams)
	}
}
