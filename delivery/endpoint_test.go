package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/delivery"
	"github.com/rs/zerolog"
)

// erp emulates a finance system's API the way real ones behave: a login
// endpoint whose tokens expire, HTTP 200 with an error in the body, an
// Idempotency-Key it honours, and a 500 after it has already stored a
// record.
type erp struct {
	mu       sync.Mutex
	logins   int
	tokens   map[string]time.Time
	stored   map[string]map[string]any // idempotency key → record
	posts    int
	failOnce map[string]bool // refs answered 500 after storing, once
	secret   string
}

func newERP() *erp {
	return &erp{tokens: map[string]time.Time{}, stored: map[string]map[string]any{}, failOnce: map[string]bool{}}
}

func (e *erp) handler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.logins++
		tok := fmt.Sprintf("tok-%d", e.logins)
		e.tokens[tok] = time.Now().Add(300 * time.Millisecond)
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"access_token": tok, "ttl": 0.3}})
	})
	m.HandleFunc("POST /records", func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.posts++
		body, _ := io.ReadAll(r.Body)
		if e.secret != "" {
			want := delivery.Sign(e.secret, r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), body)
			if r.Header.Get("webhook-signature") != "v1,"+want {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
		} else {
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if until, ok := e.tokens[tok]; !ok || time.Now().After(until) {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
		}
		var rec map[string]any
		if err := json.Unmarshal(body, &rec); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		key := r.Header.Get("Idempotency-Key")
		if _, dup := e.stored[key]; !dup {
			if rec["account"] == "CLOSED" {
				json.NewEncoder(w).Encode(map[string]any{"success": false, "error": map[string]any{"message": "account CLOSED is closed"}})
				return
			}
			e.stored[key] = rec
			if ref, _ := rec["ref"].(string); e.failOnce[ref] {
				delete(e.failOnce, ref)
				w.WriteHeader(http.StatusInternalServerError) // stored, but says it failed
				return
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"success": true})
	})
	m.HandleFunc("POST /batch", func(w http.ResponseWriter, r *http.Request) {
		var recs []map[string]any
		if err := json.NewDecoder(r.Body).Decode(&recs); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		e.posts++
		var results []map[string]any
		for _, rec := range recs {
			k := rec["dedup_key"].(string)
			if rec["reference"] == "R2" {
				results = append(results, map[string]any{"id": k, "status": "error", "reason": "duplicate voucher number"})
				continue
			}
			e.stored[k] = rec
			results = append(results, map[string]any{"id": k, "status": "ok"})
		}
		json.NewEncoder(w).Encode(map[string]any{"results": results})
	})
	return m
}

// A record template, a token from a login endpoint (refreshed when it
// expires), HTTP 200 with an error in the body (parked, with the ERP's
// message), and a 500 after the ERP stored the record (retried; the
// Idempotency-Key keeps it one record).
func TestEndpointTemplateLoginRulesAndRetrySafety(t *testing.T) {
	t.Parallel()
	db := setup(t, "erp")
	e := newERP()
	srv := httptest.NewServer(e.handler())
	defer srv.Close()
	items, _ := db.PendingOutbox(context.Background(), "erp", 10, time.Now())
	// Make one record's account closed and one's answer a 500-after-store.
	_, _ = db.SQL.Exec(`UPDATE outbox SET payload = replace(payload, '"account":"A"', '"account":"CLOSED"') WHERE id = ?`, items[1].ID)
	e.failOnce["R3"] = true
	sink := &delivery.Endpoint{SinkName: "erp", URL: srv.URL + "/records",
		Body:  `{"account": {{json .account}}, "date": {{json .booking_date}}, "amount": {{.amount}}, "ref": {{json .reference}}}`,
		Auth:  delivery.Auth{Login: &delivery.Login{URL: srv.URL + "/login", Body: `{"user":"ferry"}`, TokenPath: "data.access_token", ExpiresIn: "data.ttl"}},
		Rules: []delivery.Rule{{Class: "2xx", Path: "success", Equals: "false", Outcome: delivery.Refused, Message: "error.message"}}}
	d := &delivery.Deliverer{Outbox: db, Sinks: []delivery.Sink{sink}, Log: zerolog.Nop(), MaxGap: time.Millisecond}
	for i := 0; i < 5; i++ {
		time.Sleep(400 * time.Millisecond) // past the token's life: a fresh login
		_, _ = d.Drain(context.Background())
	}
	counts, _ := db.OutboxCounts(context.Background())
	if counts["delivered"] != 2 || counts["parked"] != 1 {
		t.Fatalf("outbox %v, want 2 delivered and 1 parked", counts)
	}
	parked, _ := db.Deliveries(context.Background(), "parked", "", 10)
	if !strings.Contains(parked[0].LastError, "account CLOSED is closed") {
		t.Fatalf("parked with %q, want the ERP's message", parked[0].LastError)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.stored) != 2 || e.logins < 2 {
		t.Fatalf("ERP holds %d records after %d logins, want 2 records and a refreshed token", len(e.stored), e.logins)
	}
	for _, rec := range e.stored {
		if _, ok := rec["amount"].(float64); !ok || rec["date"] != "2026-01-01" {
			t.Fatalf("template rendered %v", rec)
		}
	}
}

// HMAC-SHA256 signatures in the Standard Webhooks style verify on the far
// side; a wrong secret is refused (401 is a rejection: retrying cannot
// fix a secret).
func TestEndpointHMACSignature(t *testing.T) {
	t.Parallel()
	db := setup(t, "erp")
	e := newERP()
	e.secret = "whsec_c2VjcmV0LWZvci1mZXJyeQ=="
	srv := httptest.NewServer(e.handler())
	defer srv.Close()
	sink := &delivery.Endpoint{SinkName: "erp", URL: srv.URL + "/records", Auth: delivery.Auth{HMAC: e.secret},
		Body: `{"account": {{json .account}}, "ref": {{json .reference}}}`}
	d := &delivery.Deliverer{Outbox: db, Sinks: []delivery.Sink{sink}, Log: zerolog.Nop()}
	if st, err := d.Drain(context.Background()); err != nil || st.Delivered != 3 {
		t.Fatalf("signed: %+v %v", st, err)
	}
	db2 := setup(t, "erp")
	bad := &delivery.Endpoint{SinkName: "erp", URL: srv.URL + "/records", Auth: delivery.Auth{HMAC: "whsec_d3Jvbmc="}}
	d2 := &delivery.Deliverer{Outbox: db2, Sinks: []delivery.Sink{bad}, Log: zerolog.Nop()}
	if st, _ := d2.Drain(context.Background()); st.Parked != 3 {
		t.Fatalf("wrong secret: %+v", st)
	}
}

// Batch mode: one request for many records, per-row results matched by
// key; a row the ERP refuses is parked, the others delivered.
func TestEndpointBatchPerRowResults(t *testing.T) {
	t.Parallel()
	db := setup(t, "erp")
	e := newERP()
	srv := httptest.NewServer(e.handler())
	defer srv.Close()
	sink := &delivery.Endpoint{SinkName: "erp", URL: srv.URL + "/batch", Batch: 50, ResultsPath: "results", ResultKey: "id",
		Rules: []delivery.Rule{{Path: "status", Equals: "error", Outcome: delivery.Refused, Message: "reason"}}}
	d := &delivery.Deliverer{Outbox: db, Sinks: []delivery.Sink{sink}, Log: zerolog.Nop()}
	st, _ := d.Drain(context.Background())
	if st.Delivered != 2 || st.Parked != 1 || e.posts != 1 {
		t.Fatalf("batch: %+v after %d posts", st, e.posts)
	}
	parked, _ := db.Deliveries(context.Background(), "parked", "", 10)
	if !strings.Contains(parked[0].LastError, "duplicate voucher number") {
		t.Fatalf("parked with %q", parked[0].LastError)
	}
}

// The finance system is down for a while (it answers 503 for hours):
// records wait in the outbox, retried with backoff and never parked early;
// when it is back they all arrive, once each.
func TestSinkDownForAWhile(t *testing.T) {
	t.Parallel()
	clock := time.Now()
	db := setupAt(t, func() time.Time { return clock }, "erp")
	e := newERP()
	e.tokens["up"] = time.Now().Add(time.Hour)
	var mu sync.Mutex
	down := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		d := down
		mu.Unlock()
		if d {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		e.handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	sink := &delivery.Endpoint{SinkName: "erp", URL: srv.URL + "/records", Auth: delivery.Auth{Bearer: "up"},
		Body: `{"account": {{json .account}}, "ref": {{json .reference}}}`}
	d := &delivery.Deliverer{Outbox: db, Sinks: []delivery.Sink{sink}, Log: zerolog.Nop(), Now: func() time.Time { return clock }}
	for i := 0; i < 8; i++ { // about four hours of outage, in minutes of backoff
		_, _ = d.Drain(context.Background())
		clock = clock.Add(30 * time.Minute)
	}
	counts, _ := db.OutboxCounts(context.Background())
	if counts["pending"] != 3 || counts["parked"] != 0 {
		t.Fatalf("during the outage: %v, want all 3 pending", counts)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	clock = clock.Add(time.Hour)
	st, err := d.Drain(context.Background())
	if err != nil || st.Delivered != 3 {
		t.Fatalf("after the outage: %+v %v", st, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.stored) != 3 || e.posts != 3 {
		t.Fatalf("the ERP got %d posts and holds %d records, want 3 and 3", e.posts, len(e.stored))
	}
}
