package runner

import (
	"context"
	"log/slog"

	"github.com/rs/zerolog"
)

// riverLog passes River's own warnings and errors (a failed fetch, a lost
// leadership, a job it could not complete) to Ferry's log, tagged
// component=river; River's info and debug chatter is dropped. Written
// here because it is a few lines over slog.Handler and zerolog, which
// both come with what Ferry already links.
type riverLog struct {
	log   zerolog.Logger
	attrs []slog.Attr
	group string
}

func newRiverLog(log zerolog.Logger) *slog.Logger {
	return slog.New(&riverLog{log: log.With().Str("component", "river").Logger()})
}

func (h *riverLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *riverLog) Handle(_ context.Context, r slog.Record) error {
	ev := h.log.Warn()
	if r.Level >= slog.LevelError {
		ev = h.log.Error()
	}
	for _, a := range h.attrs {
		ev = ev.Str(a.Key, a.Value.Resolve().String())
	}
	r.Attrs(func(a slog.Attr) bool {
		ev = ev.Str(h.key(a.Key), a.Value.Resolve().String())
		return true
	})
	ev.Msg(r.Message)
	return nil
}

// key is an attribute's key inside the handler's group, if any.
func (h *riverLog) key(k string) string {
	if h.group == "" {
		return k
	}
	return h.group + "." + k
}

func (h *riverLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := *h
	out.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		out.attrs = append(out.attrs, slog.Attr{Key: h.key(a.Key), Value: a.Value})
	}
	return &out
}

func (h *riverLog) WithGroup(name string) slog.Handler {
	out := *h
	out.group = h.key(name)
	return &out
}
