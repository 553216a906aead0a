package console

// The sinks' status page (ops, admin): per sink, from the outbox, what is
// pending and parked, what was delivered in the last 24 hours, and when
// it last succeeded and last failed, with the failure's message redacted
// (a sink's error may quote a URL with its credentials or a token).

import (
	"context"
	"net/http"
	"regexp"
	"time"

	"github.com/ferry-rpa/ferry/storage"
)

// sinkStore is what the sinks page reads. *storage.DB is one.
type sinkStore interface {
	SinkStatuses(ctx context.Context, since time.Time) ([]storage.SinkStatus, error)
}

// redactions are what Redact hides, in order: a URL's user and password,
// secret-looking query parameters and key=value pairs, Authorization
// schemes' tokens, and long opaque tokens.
var redactions = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@`), "${1}[redacted]@"},
	{regexp.MustCompile(`(?i)\b((?:access_|api_?|auth_?|client_|refresh_|id_)?(?:token|key|secret|password|passwd|pwd|sig|signature|apikey|credential)s?)(\s*[=:]\s*)("[^"]*"|[^\s&;,"']+)`), "${1}${2}[redacted]"},
	{regexp.MustCompile(`(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}`), "${1} [redacted]"},
	{regexp.MustCompile(`\b[A-Za-z0-9_-]{32,}\b`), "[redacted]"},
}

// Redact returns s with what may be a secret in it replaced by
// "[redacted]": credentials in URLs, token=, key=, password= and similar
// values, Bearer and Basic credentials, and long opaque tokens.
func Redact(s string) string {
	for _, r := range redactions {
		s = r.re.ReplaceAllString(s, r.with)
	}
	return s
}

// sinkView is a sink's row on the page.
type sinkView struct {
	Sink                     string
	Pending, Parked, Day     int
	LastSuccess, LastErrorAt time.Time
	LastError                string
	// Failing: the last failure came after the last success.
	Failing bool
}

func (s *Server) sinksPage(w http.ResponseWriter, r *http.Request, who *identity) {
	st, ok := s.cfg.Store.(sinkStore)
	if !ok {
		s.fail(w, r, pageRoute, http.StatusNotImplemented, "this store keeps no outbox")
		return
	}
	now := s.cfg.Now()
	ss, err := st.SinkStatuses(r.Context(), now.Add(-24*time.Hour))
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	views := []sinkView{}
	for _, x := range ss {
		views = append(views, sinkView{Sink: x.Sink, Pending: x.Pending, Parked: x.Parked, Day: x.DeliveredRecently, LastSuccess: x.LastSuccess,
			LastErrorAt: x.LastErrorAt, LastError: Redact(x.LastError), Failing: !x.LastErrorAt.IsZero() && x.LastErrorAt.After(x.LastSuccess)})
	}
	s.render(w, r, who, http.StatusOK, "sinks", pageData{Title: "Sinks", Data: views})
}
