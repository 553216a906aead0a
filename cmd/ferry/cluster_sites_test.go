package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// bankWatch is a sandbox bank seen from the bank's side: it notes which
// user every session logged in as and when each session was active (from
// its login to its last request), so that the test can tell whether one
// login was ever used twice at once, whatever Ferry's tables say.
type bankWatch struct {
	h http.Handler

	mu       sync.Mutex
	sessions map[string]*bankSession // by the DBSESSION cookie
	logins   int
}

// bankSession is one session's activity at the bank.
type bankSession struct {
	user        string
	first, last time.Time
}

func newBankWatch(h http.Handler) *bankWatch {
	return &bankWatch{h: h, sessions: map[string]*bankSession{}}
}

func (b *bankWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method == http.MethodPost && r.URL.Path == "/login" {
		// The bank's handler parses the form again: ParseForm keeps what
		// it read.
		_ = r.ParseForm()
		user := strings.TrimSpace(r.PostForm.Get("user_id"))
		b.h.ServeHTTP(w, r)
		for _, c := range (&http.Response{Header: w.Header()}).Cookies() {
			if c.Name == "DBSESSION" && c.Value != "" {
				b.mu.Lock()
				b.sessions[c.Value] = &bankSession{user: user, first: start, last: time.Now()}
				b.logins++
				b.mu.Unlock()
			}
		}
		return
	}
	b.h.ServeHTTP(w, r)
	if c, err := r.Cookie("DBSESSION"); err == nil {
		b.mu.Lock()
		if s := b.sessions[c.Value]; s != nil {
			s.last = time.Now()
		}
		b.mu.Unlock()
	}
}

// overlaps lists every pair of sessions of one user that were active at
// the same time.
func (b *bankWatch) overlaps() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	byUser := map[string][]*bankSession{}
	for _, s := range b.sessions {
		byUser[s.user] = append(byUser[s.user], s)
	}
	var out []string
	for user, ss := range byUser {
		sort.Slice(ss, func(i, j int) bool { return ss[i].first.Before(ss[j].first) })
		for i := range ss {
			for j := i + 1; j < len(ss) && ss[j].first.Before(ss[i].last); j++ {
				out = append(out, fmt.Sprintf("user %s: a session active %s–%s and another from %s",
					user, ss[i].first.Format("15:04:05.000"), ss[i].last.Format("15:04:05.000"), ss[j].first.Format("15:04:05.000")))
			}
		}
	}
	sort.Strings(out)
	return out
}

// loginCount is how many logins succeeded at the bank.
func (b *bankWatch) loginCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.logins
}

// erpSink is the finance system: an HTTP API that stores a record once per
// Idempotency-Key (a second POST of a key answers 200 and stores nothing,
// as real idempotent APIs do) and notes every POST, with the node that
// sent it (an X-Ferry-Node header each node's config adds).
type erpSink struct {
	mu     sync.Mutex
	stored map[string]int // records stored per key: must be 1
	posts  []erpPost
}

// erpPost is one POST the ERP received.
type erpPost struct {
	key, node string
	at        time.Time
}

func newERPSink() *erpSink { return &erpSink{stored: map[string]int{}} }

func (e *erpSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/records" {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var rec struct {
		Key string `json:"dedup_key"`
	}
	if json.Unmarshal(body, &rec) != nil || rec.Key == "" || rec.Key != r.Header.Get("Idempotency-Key") {
		http.Error(w, "a record needs its dedup_key, also as Idempotency-Key", http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.posts = append(e.posts, erpPost{key: rec.Key, node: r.Header.Get("X-Ferry-Node"), at: time.Now()})
	if e.stored[rec.Key] > 0 {
		w.WriteHeader(http.StatusOK) // already stored: nothing changes
		return
	}
	e.stored[rec.Key]++
	w.WriteHeader(http.StatusCreated)
}

// snapshot returns what the ERP stored, per key, and every POST.
func (e *erpSink) snapshot() (map[string]int, []erpPost) {
	e.mu.Lock()
	defer e.mu.Unlock()
	stored := make(map[string]int, len(e.stored))
	for k, v := range e.stored {
		stored[k] = v
	}
	return stored, append([]erpPost(nil), e.posts...)
}
