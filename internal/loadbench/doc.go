// Package loadbench holds the benchmarks behind the figures of issue 10's
// note: how much one Ferry node does against the sandbox bank with real
// Chromium, the sandbox bot and a real database. It has no code of its
// own outside its tests: the benchmarks drive the runner through its
// public API (runner.New, Enqueue, schedules), as `ferry serve` does.
//
// The benchmarks, each reported as a median over -count runs:
//
//   - BenchmarkRunsPerMinute: runs per minute sustained on one node at
//     workers 1, 2 and 4 on SQLite, and at workers 2 on PostgreSQL. The
//     queue is kept full for the whole measured window (warm-up runs before
//     it, tail runs after it), so the figure is the steady rate, not a
//     ramp. Also reported: CPU seconds per run of Ferry's process (the
//     benchmark process, which also serves the in-process sandbox bank) and
//     of Chromium (the browser and all its descendants), read from /proc,
//     and on PostgreSQL those of the server's processes.
//   - BenchmarkPSSPerRun: the proportional set size (PSS, from
//     /proc/PID/smaps_rollup) of Ferry's process plus every Chromium
//     process, with one run in flight and with N in flight (held there by
//     the sandbox's slow-page switch), reported as MiB per extra run.
//   - BenchmarkScheduleLatency: a schedule (`@every 40s`: the runner's cron
//     parser takes five fields, no seconds, and descriptors) fires; the
//     time from the slot to the run's StartedAt and to the start of its
//     first step, median and 95th percentile over the slots that found
//     their login idle.
//
// They run only with -bench, never in `go test ./...`; TestHarness checks
// the harness itself in under a minute. The commands (the machine's load
// matters: compare CPU seconds per run, which are less noisy):
//
//	go test ./internal/loadbench -run '^$' -bench RunsPerMinute -benchtime 1x -count 3 -timeout 90m -loadbench.runs 8
//	go test ./internal/loadbench -run '^$' -bench PSSPerRun -benchtime 1x -count 3 -timeout 30m
//	go test ./internal/loadbench -run '^$' -bench ScheduleLatency -benchtime 1x -count 3 -timeout 30m
//
// -loadbench.runs sets how many runs a throughput window measures (default
// four per worker, at least 8); -loadbench.slots how many slots the
// latency benchmark waits for (default 6).
package loadbench
