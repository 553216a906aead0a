package main

import (
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
)

// The JSON shapes of the list and show commands: snake_case names, times
// in RFC 3339 with their zone, and nothing secret. They are an interface
// for scripts, kept apart from the storage types so those can change.

func jsonTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

type runJSON struct {
	ID              int64           `json:"id"`
	Bot             string          `json:"bot"`
	Login           string          `json:"login"`
	Schedule        string          `json:"schedule,omitempty"`
	Slot            string          `json:"slot,omitempty"`
	Params          ferry.RunParams `json:"params"`
	Status          string          `json:"status"`
	Class           string          `json:"class,omitempty"`
	Error           string          `json:"error,omitempty"`
	Attempt         int             `json:"attempt"`
	SelectorVersion string          `json:"selector_version,omitempty"`
	Summary         string          `json:"summary,omitempty"`
	CreatedAt       string          `json:"created_at,omitempty"`
	StartedAt       string          `json:"started_at,omitempty"`
	FinishedAt      string          `json:"finished_at,omitempty"`
}

func runView(r storage.RunRecord) runJSON {
	return runJSON{ID: r.ID, Bot: r.Bot, Login: r.Login, Schedule: r.Schedule, Slot: jsonTime(r.Slot), Params: r.Params,
		Status: string(r.Status), Class: string(r.Class), Error: r.Error, Attempt: r.Attempt, SelectorVersion: r.SelectorVersion,
		Summary: summaryLine(r.Summary), CreatedAt: jsonTime(r.CreatedAt), StartedAt: jsonTime(r.StartedAt), FinishedAt: jsonTime(r.FinishedAt)}
}

type stepJSON struct {
	Attempt    int    `json:"attempt"`
	Seq        int    `json:"seq"`
	Path       string `json:"path,omitempty"`
	Action     string `json:"action"`
	Element    string `json:"element,omitempty"`
	Way        string `json:"way,omitempty"`
	Detail     string `json:"detail,omitempty"`
	Status     string `json:"status"`
	Started    string `json:"started,omitempty"`
	DurationMS int64  `json:"duration_ms"`
}

type statementJSON struct {
	Account  string `json:"account"`
	Currency string `json:"currency"`
	From     string `json:"from"`
	To       string `json:"to"`
	Opening  string `json:"opening,omitempty"`
	Closing  string `json:"closing,omitempty"`
	Lines    int    `json:"lines"`
	NewLines int    `json:"new_lines"`
	Status   string `json:"status"`
	Problem  string `json:"problem,omitempty"`
}

type artifactJSON struct {
	ID     int64  `json:"id"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Path   string `json:"path"`
}

type runShowJSON struct {
	runJSON
	Steps      []stepJSON      `json:"steps"`
	Statements []statementJSON `json:"statements"`
	Artifacts  []artifactJSON  `json:"artifacts"`
}

type deliveryJSON struct {
	ID          int64  `json:"id"`
	Sink        string `json:"sink"`
	State       string `json:"state"`
	Attempts    int    `json:"attempts"`
	DedupKey    string `json:"dedup_key"`
	LastError   string `json:"last_error,omitempty"`
	NextAttempt string `json:"next_attempt,omitempty"`
	DeliveredAt string `json:"delivered_at,omitempty"`
	Record      any    `json:"record,omitempty"`
}

func deliveryView(d storage.Delivery, withRecord bool) deliveryJSON {
	v := deliveryJSON{ID: d.ID, Sink: d.Sink, State: d.Status, Attempts: d.Attempts, DedupKey: d.DedupKey, LastError: d.LastError,
		NextAttempt: jsonTime(d.NextAttempt), DeliveredAt: jsonTime(d.DeliveredAt)}
	if withRecord {
		var rec any
		if jsonUnmarshal(d.Payload, &rec) == nil {
			v.Record = rec
		} else {
			v.Record = d.Payload
		}
	}
	return v
}

type healJSON struct {
	ID        int64   `json:"id"`
	Status    string  `json:"status"`
	Site      string  `json:"site"`
	Element   string  `json:"element"`
	Variant   string  `json:"variant,omitempty"`
	Page      string  `json:"page"`
	Way       string  `json:"proposed_way"`
	Score     float64 `json:"score"`
	RunnerUp  float64 `json:"runner_up"`
	Run       int64   `json:"run"`
	CreatedAt string  `json:"created_at,omitempty"`
	DecidedAt string  `json:"decided_at,omitempty"`
	DecidedBy string  `json:"decided_by,omitempty"`
	Breakdown any     `json:"breakdown,omitempty"`
	Diff      string  `json:"diff,omitempty"`
	Before    string  `json:"before_screenshot,omitempty"`
	After     string  `json:"after_screenshot,omitempty"`
}

func healView(h storage.HealRecord) healJSON {
	return healJSON{ID: h.ID, Status: h.Status, Site: h.Site, Element: h.Element, Variant: h.Variant, Page: h.Page, Way: service.ProposedWay(h),
		Score: h.Score, RunnerUp: h.RunnerUp, Run: h.RunID, CreatedAt: jsonTime(h.CreatedAt), DecidedAt: jsonTime(h.DecidedAt), DecidedBy: h.DecidedBy}
}

type selectorVersionJSON struct {
	Site        string `json:"site"`
	Version     int    `json:"version"`
	FileVersion string `json:"file_version"`
	SHA256      string `json:"sha256"`
	Author      string `json:"author"`
	Message     string `json:"message"`
	CreatedAt   string `json:"created_at"`
}
