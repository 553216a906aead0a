// Package metrics exposes Ferry's figures to Prometheus: runs by status
// and failure class, run durations, deliveries pending and parked,
// selector fallbacks and heals, and runs waiting for a person. The
// figures are read from the database at each scrape (a Source), so every
// node of a cluster reports the same, whole state and nothing is counted
// twice or lost across restarts.
package metrics

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/ferry-rpa/ferry/storage"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Source reads the figures. *storage.DB implements it.
type Source interface {
	// MetricsSnapshot returns the current figures. An error fails the
	// scrape (Prometheus records it as down), and names what failed.
	MetricsSnapshot(ctx context.Context) (storage.MetricsSnapshot, error)
}

// durationBuckets are the run duration histogram's upper bounds in
// seconds: bank runs take from seconds to tens of minutes.
func durationBuckets() []float64 { return []float64{1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600} }

var (
	runsDesc = prometheus.NewDesc("ferry_runs", "Runs by status and failure class (empty when none).",
		[]string{"status", "class"}, nil)
	waitingDesc = prometheus.NewDesc("ferry_runs_waiting", "Runs waiting for a person (a code or a QR scan).", nil, nil)
	durDesc     = prometheus.NewDesc("ferry_run_duration_seconds", "How long finished runs took, from start to finish of their last attempt, by final status.",
		[]string{"status"}, nil)
	delivDesc = prometheus.NewDesc("ferry_deliveries", "Outbox items by status (pending, delivered, parked) and sink.",
		[]string{"status", "sink"}, nil)
	fallbackDesc = prometheus.NewDesc("ferry_selector_fallbacks_total", "Steps whose element was found by a fallback way, not the selector's first.", nil, nil)
	healsDesc    = prometheus.NewDesc("ferry_selector_heals", "Heal proposals by status (proposed, accepted, rejected).",
		[]string{"status"}, nil)
	upDesc = prometheus.NewDesc("ferry_metrics_scrape_ok", "1 when the database answered this scrape, 0 when it did not.", nil, nil)
)

// Collector is a prometheus.Collector over a Source.
type Collector struct {
	src     Source
	timeout time.Duration
}

// NewCollector returns a collector reading src, giving each scrape's
// queries timeout (10 s when 0).
func NewCollector(src Source, timeout time.Duration) *Collector {
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	return &Collector{src: src, timeout: timeout}
}

// Describe sends the descriptors of every metric the collector reports.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{runsDesc, waitingDesc, durDesc, delivDesc, fallbackDesc, healsDesc, upDesc} {
		ch <- d
	}
}

// Collect reads the source and sends the figures. When the source fails,
// only ferry_metrics_scrape_ok 0 is sent: a partial scrape would show
// zeros that are not true.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	m, err := c.src.MetricsSnapshot(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 1)
	for k, n := range m.Runs {
		ch <- prometheus.MustNewConstMetric(runsDesc, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
	ch <- prometheus.MustNewConstMetric(waitingDesc, prometheus.GaugeValue, float64(m.Waiting))
	for status, ds := range m.Durations {
		ch <- histogram(status, ds)
	}
	for k, n := range m.Deliveries {
		ch <- prometheus.MustNewConstMetric(delivDesc, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
	// Pending and parked are always reported, so that alerts on them see
	// 0 rather than no series on an empty outbox.
	for _, st := range []string{"pending", "parked"} {
		seen := false
		for k := range m.Deliveries {
			seen = seen || k[0] == st
		}
		if !seen {
			ch <- prometheus.MustNewConstMetric(delivDesc, prometheus.GaugeValue, 0, st, "")
		}
	}
	ch <- prometheus.MustNewConstMetric(fallbackDesc, prometheus.CounterValue, float64(m.Fallbacks))
	for _, st := range []string{"proposed", "accepted", "rejected"} {
		ch <- prometheus.MustNewConstMetric(healsDesc, prometheus.GaugeValue, float64(m.Heals[st]), st)
	}
}

// histogram makes a constant histogram of durations ds.
func histogram(status string, ds []float64) prometheus.Metric {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	buckets := map[float64]uint64{}
	sum := 0.0
	i := 0
	for _, b := range durationBuckets() {
		for i < len(ds) && ds[i] <= b {
			i++
		}
		buckets[b] = uint64(i)
	}
	for _, d := range ds {
		sum += d
	}
	return prometheus.MustNewConstHistogram(durDesc, uint64(len(ds)), sum, buckets, status)
}

// Handler serves /metrics: the collector's figures, plus the process's
// and the Go runtime's (memory, goroutines, open files), from a registry
// of its own (no package-level state).
func Handler(src Source) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(src, 0), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
