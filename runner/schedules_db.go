package runner

// Schedules administered in the database (the console, ferry schedules):
// every runner sharing the database reads them every ScheduleSyncEvery and
// adds, replaces or removes their River periodic jobs, so that a change
// reaches every node of a cluster without a restart. ferry.yaml's
// schedules are fixed for the process's life and win over a stored one of
// the same id.
//
// Exactly-once per slot stays the runs table's: a slot's run is unique by
// (schedule, slot) whoever fires it. What the stored row says decides
// whether a slot fires at all: fireSlot reads it again, so a node that has
// not yet seen a pause (or an edit) fires nothing for it.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/riverqueue/river"
)

// errSlotSkipped says a stored schedule's slot is not to be fired (paused,
// deleted, edited since, or before the schedule became active).
var errSlotSkipped = errors.New("slot skipped")

// storedScheds are the stored schedules a runner fires now (not paused,
// valid), by id, with the version each was read at.
type storedScheds struct {
	mu sync.RWMutex
	m  map[string]scheduled
	// warned is the version of each stored schedule whose id clashes with
	// the configuration file's, once logged.
	warned map[string]int64
}

// schedule returns the schedule id fires as: ferry.yaml's, else a stored
// one.
func (r *Runner) schedule(id string) (scheduled, bool) {
	if s, ok := r.scheds[id]; ok {
		return s, true
	}
	r.stored.mu.RLock()
	defer r.stored.mu.RUnlock()
	s, ok := r.stored.m[id]
	return s, ok
}

// slotSchedule is schedule(id), or else the stored schedule id as the
// database has it now: a slot queued by a leader that saw a new schedule
// before this runner did still fires (fireSlot checks the row anyway).
func (r *Runner) slotSchedule(ctx context.Context, id string) (scheduled, bool) {
	if s, ok := r.schedule(id); ok {
		return s, true
	}
	store := r.scheduleStore()
	if store == nil {
		return scheduled{}, false
	}
	d, err := store.ScheduleDef(ctx, id)
	if err != nil || d.Paused {
		return scheduled{}, false
	}
	s, err := r.checkStored(d)
	return s, err == nil
}

// allSchedules lists ferry.yaml's schedules and the stored ones fired now.
func (r *Runner) allSchedules() []scheduled {
	out := make([]scheduled, 0, len(r.scheds))
	for _, s := range r.scheds {
		out = append(out, s)
	}
	r.stored.mu.RLock()
	defer r.stored.mu.RUnlock()
	for _, s := range r.stored.m {
		out = append(out, s)
	}
	return out
}

// scheduleStore is the database's stored schedules, or nil when it keeps
// none.
func (r *Runner) scheduleStore() ferry.ScheduleStore {
	s, _ := r.cfg.DB.(ferry.ScheduleStore)
	return s
}

// CheckSchedule checks a stored schedule as the runner would fire it: the
// cron spec and zone, the bot's script and parameters, the site. The
// error names the field (cron, zone, bot, params, site).
func (r *Runner) CheckSchedule(d ferry.ScheduleDef) error {
	_, err := r.checkStored(d)
	return err
}

// FileSchedules lists the configuration file's schedules (Config.
// Schedules) as stored ones look, by id: Cron is the whole spec, CRON_TZ=
// included.
func (r *Runner) FileSchedules() []ferry.ScheduleDef {
	out := make([]ferry.ScheduleDef, 0, len(r.scheds))
	for _, s := range r.scheds {
		out = append(out, ferry.ScheduleDef{ID: s.ID, Bot: s.Bot, Login: s.Login, Site: s.Site, Cron: s.Cron, Params: maps.Clone(s.Params)})
	}
	slices.SortFunc(out, func(a, b ferry.ScheduleDef) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// FieldError is a schedule's bad field.
type FieldError struct {
	Field string
	Err   error
}

// Error names the field.
func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// checkStored parses and checks d into the form the runner fires.
func (r *Runner) checkStored(d ferry.ScheduleDef) (scheduled, error) {
	for _, f := range []struct{ name, v string }{{"id", d.ID}, {"bot", d.Bot}, {"login", d.Login}, {"cron", d.Cron}} {
		if f.v == "" {
			return scheduled{}, &FieldError{f.name, errors.New("required")}
		}
	}
	if d.Zone != "" {
		if _, err := time.LoadLocation(d.Zone); err != nil {
			return scheduled{}, &FieldError{"zone", fmt.Errorf("unknown time zone %q", d.Zone)}
		}
	}
	spec, err := parseSpec(d.Spec())
	if err != nil {
		return scheduled{}, &FieldError{"cron", err}
	}
	script, _, err := scripts.LoadWith(r.cfg.ScriptsDir, r.cfg.Selectors.Get, d.Bot)
	if err != nil {
		return scheduled{}, &FieldError{"bot", err}
	}
	if _, err := script.ResolveParams(d.Params, r.cfg.Now()); err != nil {
		return scheduled{}, &FieldError{"params", err}
	}
	if err := r.checkSite(d.Site); err != nil {
		return scheduled{}, &FieldError{"site", err}
	}
	if r.cfg.Credentials != nil {
		if _, err := r.cfg.Credentials.Credential(d.Login); err != nil {
			return scheduled{}, &FieldError{"login", err}
		}
	}
	s := Schedule{ID: d.ID, Bot: d.Bot, Login: d.Login, Site: d.Site, Cron: d.Spec(), Params: maps.Clone(d.Params)}
	return scheduled{Schedule: s, spec: spec, stored: true, version: d.Version, since: d.ActiveSince}, nil
}

// syncSchedules reads the stored schedules and makes this runner's
// periodic jobs match them: new and edited ones (another version) are
// (re)added, paused, deleted and invalid ones removed.
func (r *Runner) syncSchedules(ctx context.Context) error {
	store := r.scheduleStore()
	if store == nil {
		return nil
	}
	defs, err := store.ScheduleDefs(ctx)
	if err != nil {
		return fmt.Errorf("runner: reading the stored schedules: %w", err)
	}
	r.stored.mu.Lock()
	defer r.stored.mu.Unlock()
	if r.stored.m == nil {
		r.stored.m = map[string]scheduled{}
	}
	seen := map[string]bool{}
	bundle := r.client.PeriodicJobs()
	for _, d := range defs {
		if _, fixed := r.scheds[d.ID]; fixed {
			if r.stored.warned == nil {
				r.stored.warned = map[string]int64{}
			}
			if r.stored.warned[d.ID] != d.Version {
				r.stored.warned[d.ID] = d.Version
				r.cfg.Logger.Warn().Str("schedule", d.ID).Msg("a stored schedule has the id of one in the configuration file; the file's is fired")
			}
			continue
		}
		if d.Paused {
			continue
		}
		seen[d.ID] = true
		if cur, ok := r.stored.m[d.ID]; ok && cur.version == d.Version {
			continue
		}
		sc, err := r.checkStored(d)
		if err != nil {
			// Checked when it was saved; a script or site removed since
			// makes it unfireable: it is left out, loudly, until fixed.
			r.cfg.Logger.Error().Err(err).Str("schedule", d.ID).Msg("stored schedule cannot fire; skipping it")
			delete(seen, d.ID)
			continue
		}
		bundle.RemoveByID("schedule:" + d.ID)
		if _, err := bundle.AddSafely(r.periodic(sc)); err != nil {
			r.cfg.Logger.Error().Err(err).Str("schedule", d.ID).Msg("stored schedule cannot be added to the queue; skipping it")
			delete(seen, d.ID)
			continue
		}
		r.stored.m[d.ID] = sc
		r.cfg.Logger.Info().Str("schedule", d.ID).Str("cron", sc.Cron).Int64("version", d.Version).Msg("stored schedule active")
	}
	for id := range r.stored.m {
		if !seen[id] {
			bundle.RemoveByID("schedule:" + id)
			delete(r.stored.m, id)
			r.cfg.Logger.Info().Str("schedule", id).Msg("stored schedule paused or deleted")
		}
	}
	r.at("schedules synced")
	return nil
}

// periodic is the River periodic job of a schedule: each firing inserts
// the job of the slot that just came.
func (r *Runner) periodic(sc scheduled) *river.PeriodicJob {
	return river.NewPeriodicJob(sc.spec, func() (river.JobArgs, *river.InsertOpts) {
		return SlotArgs{Schedule: sc.ID, Slot: lastSlot(sc.spec, r.cfg.Now())}, nil
	}, &river.PeriodicJobOpts{ID: "schedule:" + sc.ID})
}

// currentStored reads a stored schedule again before its slot fires: the
// row, not this runner's copy, says whether it fires (another node may
// have paused or edited it a moment ago). errSlotSkipped when it does not.
func (r *Runner) currentStored(ctx context.Context, s scheduled, slot time.Time) (scheduled, error) {
	store := r.scheduleStore()
	if store == nil {
		return s, errSlotSkipped
	}
	d, err := store.ScheduleDef(ctx, s.ID)
	switch {
	case errors.Is(err, ferry.ErrNoSchedule):
		return s, fmt.Errorf("schedule %s was deleted: %w", s.ID, errSlotSkipped)
	case err != nil:
		return s, err
	case d.Paused:
		return s, fmt.Errorf("schedule %s is paused: %w", s.ID, errSlotSkipped)
	case d.Spec() != s.Cron:
		return s, fmt.Errorf("schedule %s's spec changed to %q: %w", s.ID, d.Spec(), errSlotSkipped)
	case slot.Before(d.ActiveSince):
		return s, fmt.Errorf("schedule %s active only since %s: %w", s.ID, d.ActiveSince.Format(time.RFC3339), errSlotSkipped)
	}
	cur, err := r.checkStored(d)
	if err != nil {
		return s, fmt.Errorf("schedule %s: %v: %w", s.ID, err, errSlotSkipped)
	}
	return cur, nil
}

// at calls the test hook and OnSchedules, if set, at a named point.
func (r *Runner) at(point string) {
	if r.cfg.OnSchedules != nil {
		r.cfg.OnSchedules(point)
	}
	if h := r.hook.Load(); h != nil {
		(*h)(point)
	}
}
