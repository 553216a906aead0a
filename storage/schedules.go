package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ferry-rpa/ferry"
)

// The schedules administered in the database (ferry.ScheduleStore), on
// both databases. Validation of the cron spec, zone, bot and login is the
// caller's (service, console): storage keeps what it is given.

var _ ferry.ScheduleStore = (*DB)(nil)

const scheduleCols = `id, bot, login, site, cron, zone, params, paused, active_since, version, updated_by, updated_at`

func scanSchedule(row interface{ Scan(...any) error }) (ferry.ScheduleDef, error) {
	var s ferry.ScheduleDef
	var params, since, updated string
	var paused int
	if err := row.Scan(&s.ID, &s.Bot, &s.Login, &s.Site, &s.Cron, &s.Zone, &params, &paused, &since, &s.Version, &s.UpdatedBy, &updated); err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(params), &s.Params); err != nil {
		return s, fmt.Errorf("schedule %s: params: %w", s.ID, err)
	}
	s.Paused, s.ActiveSince, s.UpdatedAt = paused != 0, parseTS(since), parseTS(updated)
	return s, nil
}

func paramsJSON(p map[string]string) (string, error) {
	if p == nil {
		p = map[string]string{}
	}
	b, err := json.Marshal(p)
	return string(b), err
}

// ScheduleDefs lists every stored schedule by id (see ferry.ScheduleStore).
func (d *DB) ScheduleDefs(ctx context.Context) ([]ferry.ScheduleDef, error) {
	rows, err := d.conn(ctx).QueryContext(ctx, `SELECT `+scheduleCols+` FROM schedule_defs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("storage: schedules: %w", err)
	}
	defer rows.Close()
	var out []ferry.ScheduleDef
	for rows.Next() {
		s, err := scanSchedule(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: schedules: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: schedules: %w", err)
	}
	return out, nil
}

// ScheduleDef returns one stored schedule (see ferry.ScheduleStore).
func (d *DB) ScheduleDef(ctx context.Context, id string) (ferry.ScheduleDef, error) {
	s, err := scanSchedule(d.conn(ctx).QueryRowContext(ctx, `SELECT `+scheduleCols+` FROM schedule_defs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("storage: schedule %q: %w", id, ferry.ErrNoSchedule)
	}
	if err != nil {
		return s, fmt.Errorf("storage: schedule %q: %w", id, err)
	}
	return s, nil
}

// AddScheduleDef stores a new schedule (see ferry.ScheduleStore).
func (d *DB) AddScheduleDef(ctx context.Context, s ferry.ScheduleDef) (ferry.ScheduleDef, error) {
	if s.ID == "" || s.Bot == "" || s.Login == "" || s.Cron == "" {
		return s, fmt.Errorf("storage: add schedule %q: id, bot, login and cron are needed", s.ID)
	}
	params, err := paramsJSON(s.Params)
	if err != nil {
		return s, fmt.Errorf("storage: add schedule %s: params: %w", s.ID, err)
	}
	now := d.now()
	_, err = d.conn(ctx).ExecContext(ctx, `INSERT INTO schedule_defs (id, bot, login, site, cron, zone, params, paused, active_since, version, updated_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
		s.ID, s.Bot, s.Login, s.Site, s.Cron, s.Zone, params, boolInt(s.Paused), d.ts(now), s.UpdatedBy, d.ts(now), d.ts(now))
	if isUniqueViolation(err) {
		return s, fmt.Errorf("storage: add schedule %s: %w", s.ID, ferry.ErrScheduleExists)
	}
	if err != nil {
		return s, fmt.Errorf("storage: add schedule %s: %w", s.ID, err)
	}
	return d.ScheduleDef(ctx, s.ID)
}

// UpdateScheduleDef edits a schedule read at s.Version (see
// ferry.ScheduleStore).
func (d *DB) UpdateScheduleDef(ctx context.Context, s ferry.ScheduleDef) (ferry.ScheduleDef, error) {
	params, err := paramsJSON(s.Params)
	if err != nil {
		return s, fmt.Errorf("storage: edit schedule %s: params: %w", s.ID, err)
	}
	now := d.ts(d.now())
	res, err := d.conn(ctx).ExecContext(ctx, `UPDATE schedule_defs SET bot = ?, login = ?, site = ?, cron = ?, zone = ?, params = ?,
		active_since = ?, version = version + 1, updated_by = ?, updated_at = ? WHERE id = ? AND version = ?`,
		s.Bot, s.Login, s.Site, s.Cron, s.Zone, params, now, s.UpdatedBy, now, s.ID, s.Version)
	if err != nil {
		return s, fmt.Errorf("storage: edit schedule %s: %w", s.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := d.ScheduleDef(ctx, s.ID); err != nil {
			return s, err
		}
		return s, fmt.Errorf("storage: edit schedule %s at version %d: %w", s.ID, s.Version, ferry.ErrScheduleChanged)
	}
	return d.ScheduleDef(ctx, s.ID)
}

// SetScheduleDefPaused pauses or resumes a schedule (see
// ferry.ScheduleStore).
func (d *DB) SetScheduleDefPaused(ctx context.Context, id string, paused bool, by string) (ferry.ScheduleDef, error) {
	now := d.ts(d.now())
	// A resume starts the schedule afresh: slots that passed while it was
	// paused are not caught up.
	_, err := d.conn(ctx).ExecContext(ctx, `UPDATE schedule_defs SET paused = ?, version = version + 1, updated_by = ?, updated_at = ?,
		active_since = CASE WHEN ? = 0 THEN ? ELSE active_since END WHERE id = ? AND paused <> ?`,
		boolInt(paused), by, now, boolInt(paused), now, id, boolInt(paused))
	if err != nil {
		return ferry.ScheduleDef{}, fmt.Errorf("storage: pause schedule %s: %w", id, err)
	}
	return d.ScheduleDef(ctx, id)
}

// DeleteScheduleDef removes a schedule (see ferry.ScheduleStore).
func (d *DB) DeleteScheduleDef(ctx context.Context, id string) (ferry.ScheduleDef, error) {
	s, err := scanSchedule(d.conn(ctx).QueryRowContext(ctx, `DELETE FROM schedule_defs WHERE id = ? RETURNING `+scheduleCols, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("storage: delete schedule %q: %w", id, ferry.ErrNoSchedule)
	}
	if err != nil {
		return s, fmt.Errorf("storage: delete schedule %q: %w", id, err)
	}
	return s, nil
}
