package delivery

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/ferry-rpa/ferry"
)

// Outcome is what a sink's answer means for a record.
type Outcome string

// The outcomes. Already counts as delivered: the sink had the record.
const (
	Delivered Outcome = "delivered"
	Already   Outcome = "already"
	Transient Outcome = "transient"
	Refused   Outcome = "rejected"
)

// Rule maps an answer to an outcome: every condition given must hold.
// Many ERP APIs answer 200 with an error in the body, so rules look at
// both.
type Rule struct {
	Status  []int   `yaml:"status"` // any of these codes
	Class   string  `yaml:"class"`  // "2xx", "4xx", "5xx"
	Path    string  `yaml:"path"`   // a field of the JSON body (dotted, indexes allowed)
	Equals  string  `yaml:"equals"` // the field's value, as text
	Exists  *bool   `yaml:"exists"` // the field is (not) there
	Outcome Outcome `yaml:"outcome"`
	// Message names the body field holding the sink's reason.
	Message string `yaml:"message"`
}

// Auth is how an endpoint authenticates. At most one kind is set.
type Auth struct {
	Bearer string
	Basic  *[2]string // user, password
	// HMAC signs each request in the Standard Webhooks style: headers
	// webhook-id, webhook-timestamp and webhook-signature
	// "v1,base64(HMAC-SHA256(secret, id.timestamp.body))".
	HMAC string
	// Login fetches a bearer token from a login endpoint and refreshes it
	// when it expires (or when the sink answers 401).
	Login *Login
}

// Login is a token endpoint.
type Login struct {
	URL        string
	Body       string // JSON posted as is
	TokenPath  string // where the token is in the answer (default "token")
	ExpiresIn  string // where its lifetime in seconds is (default "expires_in")
	mu         sync.Mutex
	token      string
	validUntil time.Time
}

// Endpoint is a generic HTTP sink configured in YAML: method, body,
// authentication, an idempotency header, batching and outcome rules.
type Endpoint struct {
	SinkName string
	URL      string
	Method   string // default POST
	// Body is "json" (the record as is, the default), "form" (its fields,
	// URL-encoded) or a Go text/template over the record's fields that
	// renders the body.
	Body string
	// InvoiceBody is a Go text/template over an invoice record's fields
	// (ferry.InvoiceRecord: kind invoice, or update with status and
	// previous_status) that renders the body of invoice records, so that
	// one endpoint takes statement lines and invoices in the shapes it
	// wants; empty: Body renders them too.
	InvoiceBody string
	ContentType string
	Auth        Auth
	// IdempotencyHeader carries the dedup key (default Idempotency-Key;
	// "-" sends none).
	IdempotencyHeader string
	// Batch > 1 posts up to Batch records as one JSON array; the answer
	// holds one result per record at ResultsPath (in order, or matched by
	// ResultKey), each judged by the rules.
	Batch       int
	ResultsPath string
	ResultKey   string
	Rules       []Rule
	Client      *http.Client
	Now         func() time.Time

	tmpl    *template.Template
	invTmpl *template.Template
	once    sync.Once
	err     error
}

// Name implements Sink.
func (e *Endpoint) Name() string { return e.SinkName }

// Check reports a body template that does not parse.
func (e *Endpoint) Check() error { return e.init() }

func (e *Endpoint) init() error {
	e.once.Do(func() {
		if e.Method == "" {
			e.Method = http.MethodPost
		}
		if e.IdempotencyHeader == "" {
			e.IdempotencyHeader = "Idempotency-Key"
		}
		if e.Client == nil {
			e.Client = &http.Client{Timeout: 30 * time.Second}
		}
		if e.Now == nil {
			e.Now = time.Now
		}
		switch e.Body {
		case "", "json", "form":
		default:
			e.tmpl, e.err = template.New(e.SinkName).Option("missingkey=error").Funcs(template.FuncMap{"json": func(v any) string {
				b, _ := json.Marshal(v)
				return string(b)
			}}).Parse(e.Body)
		}
		if e.err == nil && e.InvoiceBody != "" {
			e.invTmpl, e.err = parseInvoiceBody(e.SinkName, e.InvoiceBody)
		}
	})
	return e.err
}

// body renders one record.
func (e *Endpoint) body(payload []byte) ([]byte, string, error) {
	if b, ok, err := e.invoiceBody(payload); ok || err != nil {
		return b, "application/json", err
	}
	switch {
	case e.tmpl != nil:
		var rec map[string]any
		if err := json.Unmarshal(payload, &rec); err != nil {
			return nil, "", err
		}
		var b bytes.Buffer
		if err := e.tmpl.Execute(&b, rec); err != nil {
			return nil, "", fmt.Errorf("body template: %w", err)
		}
		return b.Bytes(), "application/json", nil
	case e.Body == "form":
		var rec map[string]any
		if err := json.Unmarshal(payload, &rec); err != nil {
			return nil, "", err
		}
		v := url.Values{}
		for k, x := range rec {
			v.Set(k, fmt.Sprint(x))
		}
		return []byte(v.Encode()), "application/x-www-form-urlencoded", nil
	}
	return payload, "application/json", nil
}

// Deliver implements Sink.
func (e *Endpoint) Deliver(ctx context.Context, items []ferry.OutboxItem) error {
	if err := e.init(); err != nil {
		return err
	}
	rej := &Rejected{Keys: map[string]string{}}
	if e.Batch > 1 {
		for start := 0; start < len(items); start += e.Batch {
			if err := e.deliverBatch(ctx, items[start:min(start+e.Batch, len(items))], rej); err != nil {
				rej.Others = err
				break
			}
		}
	} else {
		for _, it := range items {
			if err := e.deliverOne(ctx, it, rej); err != nil {
				rej.Others = err
				break
			}
		}
	}
	switch {
	case len(rej.Keys) == 0 && rej.Others == nil:
		return nil
	case len(rej.Keys) == 0:
		return rej.Others
	}
	return rej
}

func (e *Endpoint) deliverOne(ctx context.Context, it ferry.OutboxItem, rej *Rejected) error {
	body, ct, err := e.body(it.Payload)
	if err != nil {
		rej.Keys[it.DedupKey] = err.Error()
		return nil
	}
	status, answer, err := e.send(ctx, body, ct, it.DedupKey)
	if err != nil {
		return err
	}
	out, msg := e.judge(status, answer)
	switch out {
	case Delivered, Already:
		return nil
	case Refused:
		rej.Keys[it.DedupKey] = msg
		return nil
	}
	return fmt.Errorf("%s %s: %s", e.Method, e.URL, msg)
}

func (e *Endpoint) deliverBatch(ctx context.Context, items []ferry.OutboxItem, rej *Rejected) error {
	var parts [][]byte
	var keys []string
	for _, it := range items {
		b, _, err := e.body(it.Payload)
		if err != nil {
			rej.Keys[it.DedupKey] = err.Error()
			continue
		}
		parts = append(parts, b)
		keys = append(keys, it.DedupKey)
	}
	if len(parts) == 0 {
		return nil
	}
	body := append([]byte{'['}, bytes.Join(parts, []byte{','})...)
	body = append(body, ']')
	// One key for the batch: the same records give the same key on retry.
	batchKey := "batch_" + hashKeys(keys)
	status, answer, err := e.send(ctx, body, "application/json", batchKey)
	if err != nil {
		return err
	}
	out, msg := e.judge(status, answer)
	if out == Transient {
		return fmt.Errorf("%s %s: %s", e.Method, e.URL, msg)
	}
	if out == Refused && e.ResultsPath == "" {
		for _, k := range keys {
			rej.Keys[k] = msg
		}
		return nil
	}
	if e.ResultsPath == "" {
		return nil
	}
	var doc any
	if err := json.Unmarshal(answer, &doc); err != nil {
		return fmt.Errorf("batch answer is not JSON: %v", err)
	}
	results, _ := lookupPath(doc, e.ResultsPath).([]any)
	byKey := map[string]any{}
	if e.ResultKey != "" {
		for _, r := range results {
			byKey[fmt.Sprint(lookupPath(r, e.ResultKey))] = r
		}
	}
	for i, k := range keys {
		var row any
		if e.ResultKey != "" {
			row = byKey[k]
		} else if i < len(results) {
			row = results[i]
		}
		if row == nil {
			// No answer for the record: unknown, so it is sent again (the
			// idempotency key keeps that safe).
			return fmt.Errorf("batch answer has no result for %s", k)
		}
		rb, _ := json.Marshal(row)
		o, m := e.judge(status, rb)
		switch o {
		case Refused:
			rej.Keys[k] = m
		case Transient:
			return fmt.Errorf("record %s: %s", k, m)
		}
	}
	return nil
}

func hashKeys(keys []string) string {
	h := sha256.Sum256([]byte(strings.Join(keys, ",")))
	return fmt.Sprintf("%x", h[:12])
}

// send makes one request, with authentication, and returns the status and
// body. Network failures are errors (transient).
func (e *Endpoint) send(ctx context.Context, body []byte, ct, key string) (int, []byte, error) {
	for try := 0; try < 2; try++ {
		req, err := http.NewRequestWithContext(ctx, e.Method, e.URL, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		if e.ContentType != "" {
			ct = e.ContentType
		}
		req.Header.Set("Content-Type", ct)
		if e.IdempotencyHeader != "-" {
			req.Header.Set(e.IdempotencyHeader, key)
		}
		if err := e.authenticate(ctx, req, body, key, try > 0); err != nil {
			return 0, nil, err
		}
		resp, err := e.Client.Do(req)
		if err != nil {
			return 0, nil, fmt.Errorf("%s %s: %w", e.Method, e.URL, err)
		}
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized && e.Auth.Login != nil && try == 0 {
			continue // the token expired early: log in again once
		}
		return resp.StatusCode, answer, nil
	}
	return 0, nil, fmt.Errorf("%s %s: unauthorized after a fresh login", e.Method, e.URL)
}

func (e *Endpoint) authenticate(ctx context.Context, req *http.Request, body []byte, id string, relogin bool) error {
	a := e.Auth
	switch {
	case a.Bearer != "":
		req.Header.Set("Authorization", "Bearer "+a.Bearer)
	case a.Basic != nil:
		req.SetBasicAuth(a.Basic[0], a.Basic[1])
	case a.HMAC != "":
		ts := strconv.FormatInt(e.Now().Unix(), 10)
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", ts)
		req.Header.Set("webhook-signature", "v1,"+Sign(a.HMAC, id, ts, body))
	case a.Login != nil:
		tok, err := a.Login.get(ctx, e.Client, e.Now(), relogin)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return nil
}

// Sign is the Standard Webhooks signature: base64 of HMAC-SHA256 over
// "id.timestamp.body". A secret given as "whsec_BASE64" is decoded first.
func Sign(secret, id, ts string, body []byte) string {
	key := []byte(secret)
	if s, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if b, err := base64.StdEncoding.DecodeString(s); err == nil {
			key = b
		}
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (l *Login) get(ctx context.Context, c *http.Client, now time.Time, force bool) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !force && l.token != "" && now.Before(l.validUntil) {
		return l.token, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.URL, strings.NewReader(l.Body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("login %s: %w", l.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("login %s: %s", l.URL, resp.Status)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return "", fmt.Errorf("login %s: answer is not JSON", l.URL)
	}
	tp, ep := l.TokenPath, l.ExpiresIn
	if tp == "" {
		tp = "token"
	}
	if ep == "" {
		ep = "expires_in"
	}
	tok, _ := lookupPath(doc, tp).(string)
	if tok == "" {
		return "", fmt.Errorf("login %s: no token at %q", l.URL, tp)
	}
	life := 300.0
	if f, ok := lookupPath(doc, ep).(float64); ok && f > 0 {
		life = f
	}
	// Renew a little early so a request never carries a token that dies
	// in flight.
	l.token, l.validUntil = tok, now.Add(time.Duration(life*0.9*float64(time.Second)))
	return tok, nil
}

// judge applies the rules, then the defaults: 2xx delivered, 409 already
// there, 408/429/5xx transient, other 4xx rejected.
func (e *Endpoint) judge(status int, body []byte) (Outcome, string) {
	var doc any
	_ = json.Unmarshal(body, &doc)
	text := strings.TrimSpace(string(body))
	if len(text) > 300 {
		text = text[:300]
	}
	for _, r := range e.Rules {
		if !r.matches(status, doc) {
			continue
		}
		msg := fmt.Sprintf("%d %s", status, text)
		if r.Message != "" {
			if m := lookupPath(doc, r.Message); m != nil {
				msg = fmt.Sprintf("%d: %v", status, m)
			}
		}
		return r.Outcome, msg
	}
	msg := fmt.Sprintf("%d %s", status, text)
	switch {
	case status/100 == 2:
		return Delivered, msg
	case status == http.StatusConflict:
		return Already, msg
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return Transient, msg
	}
	return Refused, msg
}

func (r Rule) matches(status int, doc any) bool {
	if len(r.Status) > 0 {
		ok := false
		for _, s := range r.Status {
			ok = ok || s == status
		}
		if !ok {
			return false
		}
	}
	if r.Class != "" && (len(r.Class) != 3 || fmt.Sprint(status/100) != r.Class[:1]) {
		return false
	}
	if r.Path != "" {
		v := lookupPath(doc, r.Path)
		if r.Exists != nil && (v != nil) != *r.Exists {
			return false
		}
		if r.Equals != "" && (v == nil || fmt.Sprint(v) != r.Equals) {
			return false
		}
	}
	return true
}

// lookupPath follows a dotted path ("error.message", "results.0.ok")
// through decoded JSON.
func lookupPath(v any, path string) any {
	if path == "" || path == "." {
		return v
	}
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}
