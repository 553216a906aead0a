package runner

// Before a login's trust window closes, the runner warns, and can run a
// "refresh login" in working hours: a run of the login's bot that ignores
// the saved state, so the site asks for its second factor while a person
// is there to answer, and the window starts again. A nightly run then
// never meets an SMS wall at 2 am.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/riverqueue/river"
)

// RefreshPolicy says when the runner warns of a closing trust window and
// when it may run a refresh login.
type RefreshPolicy struct {
	// WarnBefore is how long before the declared end of a trust window the
	// runner starts warning (default 48 h).
	WarnBefore time.Duration
	// Schedule runs a refresh login in working hours inside the warning
	// period; false only warns.
	Schedule bool
	// WorkStart and WorkEnd are the working hours, as hours of the day in
	// Location (default 9 and 17: 09:00 to 17:00).
	WorkStart, WorkEnd int
	// WorkDays are the working days (default Monday to Friday).
	WorkDays []time.Weekday
	// Location is the working hours' zone (default time.Local).
	Location *time.Location
	// CheckEvery is how often the runner looks at the windows (default 1 h).
	CheckEvery time.Duration
}

func (p RefreshPolicy) withDefaults() RefreshPolicy {
	if p.WarnBefore <= 0 {
		p.WarnBefore = 48 * time.Hour
	}
	if p.WorkStart == 0 && p.WorkEnd == 0 {
		p.WorkStart, p.WorkEnd = 9, 17
	}
	if len(p.WorkDays) == 0 {
		p.WorkDays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	}
	if p.Location == nil {
		p.Location = time.Local
	}
	if p.CheckEvery <= 0 {
		p.CheckEvery = time.Hour
	}
	return p
}

// Check reports a policy that cannot work, naming the field.
func (p RefreshPolicy) Check() error {
	if p.WorkStart < 0 || p.WorkEnd > 24 || (p.WorkEnd != 0 || p.WorkStart != 0) && p.WorkStart >= p.WorkEnd {
		return fmt.Errorf("runner: refresh policy: working hours %d to %d: want 0 <= start < end <= 24", p.WorkStart, p.WorkEnd)
	}
	return nil
}

// TrustState says where a login stands in its trust window.
type TrustState string

// The trust states.
const (
	TrustUnknown TrustState = "unknown" // no second factor seen, or no window declared
	TrustOK      TrustState = "ok"
	TrustEnding  TrustState = "ending" // inside the warning period
	TrustExpired TrustState = "expired"
)

// RefreshPlan is what PlanRefresh decided for one login.
type RefreshPlan struct {
	State   TrustState
	Expires time.Time // the declared end; zero when unknown
	// At is when a refresh login should run: the first working-hours
	// moment in the warning period, not before now and before Expires;
	// zero when none is left (or the window is unknown or over).
	At time.Time
}

// PlanRefresh places s's trust window against now under p.
func PlanRefresh(s ferry.LoginState, now time.Time, p RefreshPolicy) RefreshPlan {
	p = p.withDefaults()
	exp := s.TrustExpires()
	if exp.IsZero() {
		return RefreshPlan{State: TrustUnknown}
	}
	plan := RefreshPlan{Expires: exp, State: TrustOK}
	switch {
	case !now.Before(exp):
		plan.State = TrustExpired
		return plan
	case !now.Before(exp.Add(-p.WarnBefore)):
		plan.State = TrustEnding
	}
	from := exp.Add(-p.WarnBefore)
	if now.After(from) {
		from = now
	}
	plan.At = nextWorkingMoment(from, exp, p)
	return plan
}

// nextWorkingMoment returns the first moment at or after from and before
// until that is in working hours, zero if none.
func nextWorkingMoment(from, until time.Time, p RefreshPolicy) time.Time {
	t := from.In(p.Location)
	for day := 0; day < 400 && t.Before(until); day++ {
		y, m, d := t.Date()
		start := time.Date(y, m, d, p.WorkStart, 0, 0, 0, p.Location)
		end := time.Date(y, m, d, p.WorkEnd, 0, 0, 0, p.Location)
		if isWorkDay(t.Weekday(), p.WorkDays) && t.Before(end) {
			at := t
			if at.Before(start) {
				at = start
			}
			if at.Before(until) {
				return at
			}
			return time.Time{}
		}
		t = time.Date(y, m, d+1, 0, 0, 0, 0, p.Location)
	}
	return time.Time{}
}

func isWorkDay(d time.Weekday, days []time.Weekday) bool {
	for _, w := range days {
		if w == d {
			return true
		}
	}
	return false
}

// refreshSchedule marks the runs of refresh logins: its slot is the
// planned time, so one refresh per login and plan runs, however many
// processes decide it.
const refreshSchedule = "refresh-login:"

// isRefresh reports whether run is a refresh login (it ignores the saved
// state).
func isRefresh(run ferry.RunRecord) bool { return strings.HasPrefix(run.Schedule, refreshSchedule) }

// LoginNotice is what CheckLogins found for one login.
type LoginNotice struct {
	Site, Credential string
	Plan             RefreshPlan
	// RefreshRun is the refresh login queued now, 0 if none.
	RefreshRun int64
}

// CheckLogins looks at every saved login's trust window at the runner's
// now: it warns of windows ending or over (site and credential name,
// never the user) and, when the policy schedules, queues a refresh login
// once the planned working-hours moment has come. It returns the logins
// in the warning period or over, and the store's errors.
func (r *Runner) CheckLogins(ctx context.Context) ([]LoginNotice, error) {
	states, err := r.cfg.DB.LoginStates(ctx)
	if err != nil {
		return nil, err
	}
	now := r.cfg.Now()
	var out []LoginNotice
	for _, s := range states {
		plan := PlanRefresh(s, now, r.cfg.Refresh)
		if plan.State != TrustEnding && plan.State != TrustExpired {
			continue
		}
		n := LoginNotice{Site: s.Site, Credential: s.Credential, Plan: plan}
		ev := r.cfg.Logger.Warn().Str("site", s.Site).Str("credential", s.Credential).Time("trust_expires", plan.Expires)
		switch {
		case plan.State == TrustExpired:
			ev.Msg("the site's trust in this login has ended: the next run will be asked for a second factor")
		case !r.cfg.Refresh.Schedule:
			ev.Msg("the site's trust in this login ends soon: log in once in working hours to renew it")
		case plan.At.IsZero():
			ev.Msg("the site's trust in this login ends before the next working hours: the next run may be asked for a second factor")
		case now.Before(plan.At):
			ev.Time("refresh_at", plan.At).Msg("the site's trust in this login ends soon: a refresh login is planned")
		default:
			id, err := r.enqueueRefresh(ctx, s, plan.At)
			if err != nil {
				return out, err
			}
			n.RefreshRun = id
			if id != 0 {
				ev.Int64("refresh_run", id).Msg("the site's trust in this login ends soon: refresh login queued")
			}
		}
		out = append(out, n)
	}
	return out, nil
}

// enqueueRefresh queues the refresh login of s for the planned moment at;
// 0 when that plan already has its run.
func (r *Runner) enqueueRefresh(ctx context.Context, s ferry.LoginState, at time.Time) (int64, error) {
	if s.Bot == "" || s.Credential == "" {
		return 0, nil
	}
	p, err := r.resolveParams(s.Bot, ferry.RunParams{}, at)
	if err != nil {
		return 0, fmt.Errorf("runner: refresh login of %s on %s: %w", s.Credential, s.Site, err)
	}
	var id int64
	err = r.cfg.DB.InTx(ctx, func(ctx context.Context) error {
		var err error
		id, err = r.cfg.DB.NewRun(ctx, ferry.Run{Bot: s.Bot, Login: s.Credential, Site: s.Site, Schedule: refreshSchedule + s.Key[:12], Slot: at, Params: p})
		if err != nil {
			return err
		}
		_, err = r.client.Insert(ctx, r.runArgs(id, s.Bot), &river.InsertOpts{MaxAttempts: r.cfg.MaxAttempts})
		return err
	})
	if errors.Is(err, ferry.ErrSlotTaken) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("runner: refresh login of %s on %s: %w", s.Credential, s.Site, err)
	}
	return id, nil
}

func (r *Runner) checkLoginsLoop(ctx context.Context) error {
	_, err := r.CheckLogins(ctx)
	return err
}
