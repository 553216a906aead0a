package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/storage"
)

// waitingRun stores a run and its pending SMS challenge; it returns the
// run's id and the key the waiting run would hold.
func waitingRun(t *testing.T, db *storage.DB, kind ferry.ChallengeKind, destination string, deadline time.Time) (int64, *ferry.ChallengeKey) {
	t.Helper()
	ctx := context.Background()
	id, err := db.NewRun(ctx, ferry.Run{Bot: "etax-invoices", Login: "etax"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.StartRun(ctx, id, 1, "v1"); err != nil {
		t.Fatal(err)
	}
	key, _ := ferry.NewChallengeKey()
	if _, err := db.OpenChallenge(ctx, ferry.Challenge{RunID: id, Kind: kind, Destination: destination, Deadline: deadline, AttemptsLeft: 5,
		Key: key.Public(), Screenshot: []byte("\x89PNG fake")}); err != nil {
		t.Fatal(err)
	}
	return id, key
}

func do(t *testing.T, h http.Handler, method, path, token, ct, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var v map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &v)
	return w.Code, v
}

func TestChallengeHTTP(t *testing.T) {
	_, db := newTestService(t)
	ctx := context.Background()
	run, key := waitingRun(t, db, ferry.ChallengeSMS, "138****5678", time.Now().Add(time.Hour))
	// An ops API token of the console, stored as its hash.
	uid, err := db.AddUser(ctx, ferry.User{Name: "ops", Role: ferry.RoleOps, PasswordHash: "x", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("ops-token"))
	if _, err := db.AddAPIToken(ctx, ferry.APIToken{UserID: uid, Name: "pager", Role: ferry.RoleOps, TokenHash: hex.EncodeToString(sum[:]), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	woken := []int64{}
	h := ChallengeHandler(ChallengeHTTP{Store: db, Tokens: db, Secret: "gateway-secret", Wake: func(id int64) bool { woken = append(woken, id); return true }})
	path := "/runs/" + strconv.FormatInt(run, 10)

	if code, _ := do(t, h, "POST", path+"/answer", "", "application/json", `{"value":"482913"}`); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := do(t, h, "POST", path+"/answer", "wrong", "application/json", `{"value":"482913"}`); code != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", code)
	}
	code, v := do(t, h, "GET", path+"/challenge", "ops-token", "", "")
	if code != http.StatusOK || v["kind"] != "sms_code" || v["destination"] != "138****5678" || v["state"] != "pending" || v["has_image"] != true {
		t.Fatalf("show: %d %v", code, v)
	}
	for _, k := range []string{"key", "Key", "sealed", "answer_hash"} {
		if _, ok := v[k]; ok {
			t.Fatalf("the view shows %s", k)
		}
	}
	code, v = do(t, h, "POST", path+"/answer", "ops-token", "application/json", `{"value":"482913"}`)
	if code != http.StatusOK || v["first"] != true {
		t.Fatalf("answer: %d %v", code, v)
	}
	if len(woken) != 1 {
		t.Fatalf("woken %v", woken)
	}
	c, _ := db.LatestChallenge(ctx, run)
	if got, err := key.Open(c.Sealed); err != nil || got != "482913" || c.AnsweredBy != "http:token:pager" {
		t.Fatalf("stored answer %q %v by %q", got, err, c.AnsweredBy)
	}
	// The same answer again (a form this time): idempotent.
	if code, v := do(t, h, "POST", path+"/answer", "gateway-secret", "application/x-www-form-urlencoded", "value=482913"); code != http.StatusOK || v["first"] != false {
		t.Fatalf("again: %d %v", code, v)
	}
	// Another answer: conflict, without the code in the error.
	code, v = do(t, h, "POST", path+"/answer", "ops-token", "application/json", `{"value":"111111"}`)
	if code != http.StatusConflict || strings.Contains(v["error"].(string), "111111") {
		t.Fatalf("other answer: %d %v", code, v)
	}
	if code, _ := do(t, h, "POST", "/runs/999/answer", "ops-token", "application/json", `{"value":"1"}`); code != http.StatusNotFound {
		t.Fatalf("unknown run: %d", code)
	}
	if code, _ := do(t, h, "GET", path+"/challenge/image", "ops-token", "", ""); code != http.StatusOK {
		t.Fatalf("image: %d", code)
	}
	// Used, then late.
	if _, err := db.CloseChallenge(ctx, c.ID, ferry.ChallengeUsed); err != nil {
		t.Fatal(err)
	}
	code, v = do(t, h, "POST", path+"/answer", "ops-token", "application/json", `{"value":"222222"}`)
	if code != http.StatusConflict || !strings.Contains(v["error"].(string), "no longer waits") {
		t.Fatalf("late: %d %v", code, v)
	}
	if st := RunState(ctx, db, mustRun(t, db, run)); st != ferry.RunRunning {
		t.Fatalf("state after use %s", st)
	}
}

func TestChallengeSMSWebhook(t *testing.T) {
	_, db := newTestService(t)
	ctx := context.Background()
	zhang, zkey := waitingRun(t, db, ferry.ChallengeSMS, "138****5678", time.Now().Add(time.Hour))
	_, _ = waitingRun(t, db, ferry.ChallengeSMS, "139****5432", time.Now().Add(time.Hour))
	if st := RunState(ctx, db, mustRun(t, db, zhang)); st != ferry.RunWaiting {
		t.Fatalf("state %s, want waiting_for_input", st)
	}
	h := ChallengeHandler(ChallengeHTTP{Store: db, Secret: "gateway-secret", CodePattern: regexp.MustCompile(`验证码为(\d{6})`)})
	text := "【国家税务总局】您的验证码为482913，5分钟内有效。请勿泄露给他人。"
	// Two runs wait: a message without its recipient cannot be placed.
	if code, _ := do(t, h, "POST", "/sms", "gateway-secret", "text/plain", text); code != http.StatusConflict {
		t.Fatalf("no recipient: %d", code)
	}
	if code, _ := do(t, h, "POST", "/sms", "gateway-secret", "application/json", `{"to":"+86 138 1234 5678","text":"no code here"}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("no code: %d", code)
	}
	body, _ := json.Marshal(map[string]string{"to": "+8613812345678", "text": text})
	code, v := do(t, h, "POST", "/sms", "gateway-secret", "application/json", string(body))
	if code != http.StatusOK || v["run"] != float64(zhang) {
		t.Fatalf("webhook: %d %v", code, v)
	}
	c, _ := db.LatestChallenge(ctx, zhang)
	if got, err := zkey.Open(c.Sealed); err != nil || got != "482913" || c.AnsweredBy != "webhook" {
		t.Fatalf("answer %q %v by %s", got, err, c.AnsweredBy)
	}
}

func TestMaskFits(t *testing.T) {
	for _, tc := range []struct {
		mask, phone string
		want        bool
	}{
		{"138****5678", "13812345678", true},
		{"138****5678", "+86 138-1234-5678", true},
		{"138****5678", "13912345678", false},
		{"138****5678", "1381234567", false},
		{"", "13812345678", false},
	} {
		if got := MaskFits(tc.mask, tc.phone); got != tc.want {
			t.Errorf("MaskFits(%q, %q) = %v", tc.mask, tc.phone, got)
		}
	}
}

func mustRun(t *testing.T, db *storage.DB, id int64) ferry.RunRecord {
	t.Helper()
	r, err := db.Run(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
