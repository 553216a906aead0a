package runner

// Where a run logs in, and as whom: the keys by which the store keeps one
// run per user and site at a time, and each site within its limits.

import (
	"context"
	"errors"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
)

// busyRetry is how long a run waits for a busy login or site when the
// store does not say.
const busyRetry = 2 * time.Second

// runSite is the site run logs in to: its own, else its script's.
func runSite(run ferry.RunRecord, script *scripts.Script) string {
	return script.Site
}

// begin marks run running for attempt, unless its login or site is busy.
func (r *Runner) begin(ctx context.Context, run ferry.RunRecord, p *prepared, attempt int) error {
	_, err := r.cfg.DB.BeginRun(ctx, run.ID, attempt, p.sel.Version)
	return err
}

// busyFor reports whether err says the run's login or site is busy, and
// how long to wait before trying again.
func busyFor(err error) (time.Duration, bool) {
	if errors.Is(err, ferry.ErrLoginBusy) {
		return busyRetry, true
	}
	return 0, false
}
