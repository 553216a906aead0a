package runner

// Where a run logs in, and as whom: the keys by which the store keeps one
// run per user and site at a time, and each site within its limits.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
)

// busyRetry is how long a run waits for a busy login or site when the
// store does not say.
const busyRetry = 2 * time.Second

// runSite is the site run logs in to: its own, else its script's.
func runSite(run ferry.RunRecord, script *scripts.Script) string {
	return cmp.Or(run.Site, script.Site)
}

// begin marks run running for attempt, unless the user its credential
// logs in as is logged in to its site by another run, or the site's limits
// say wait. The login is the site and the user, not the credential's
// name: two credentials of one user on one site are one login, one user
// on two sites are two.
func (r *Runner) begin(ctx context.Context, run ferry.RunRecord, p *prepared, attempt int) error {
	s := ferry.RunStart{Attempt: attempt, SelectorVersion: p.sel.Version, Site: p.site, Limits: r.cfg.SiteLimits[p.site]}
	if user := p.cred.Fields["user"]; user != "" {
		s.LoginKey = ferry.LoginKey(p.site, user)
	}
	return r.cfg.DB.BeginRun(ctx, run.ID, s)
}

// busyFor reports whether err says the run's login or site is busy, and
// how long to wait before trying again: until the site's limits allow the
// next login, or a moment for a run that must end first.
func busyFor(err error) (time.Duration, bool) {
	var busy *ferry.BusyError
	if !errors.As(err, &busy) {
		return 0, false
	}
	if wait := time.Until(busy.RetryAt); !busy.RetryAt.IsZero() && wait > 0 {
		// A little after, so that the next try is not a moment early.
		return wait + 50*time.Millisecond, true
	}
	return busyRetry, true
}

// checkSite reports a site that Config.Sites does not list ("" is the
// script's own, checked when the run starts).
func (r *Runner) checkSite(site string) error {
	if site == "" {
		return nil
	}
	if _, ok := r.cfg.Sites[site]; !ok {
		return fmt.Errorf("runner: site %q is not configured (sites: %s)", site, strings.Join(slices.Sorted(maps.Keys(r.cfg.Sites)), ", "))
	}
	return nil
}
