package service

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/seal"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/storage"
)

// TestLoginsListRekeyForget: two logins sealed under the old key, one of
// them tampered with; rekey under new-then-old reseals one and reports the
// other; the old key then goes, and the list shows what each login is.
func TestLoginsListRekeyForget(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	oldKey, newKey := seal.NewKey(), seal.NewKey()
	old, _ := seal.Parse(oldKey)
	sms := time.Date(2026, 11, 4, 2, 10, 0, 0, time.UTC)
	for _, c := range []struct{ site, cred, user string }{{"etax", "etax-lina", "lina"}, {"demobank", "demobank", "u1"}} {
		key := ferry.LoginKey(c.site, c.user)
		s := ferry.LoginState{Key: key, Site: c.site, Credential: c.cred, Bot: "b", Sealed: old.Seal([]byte(`{"cookies":[]}`), []byte(key)), SealKey: old.KeyID(),
			SavedAt: sms, SecondFactorAt: sms, TrustDeclared: 7 * 24 * time.Hour}
		if c.site == "demobank" {
			s.Sealed[len(s.Sealed)-1] ^= 1 // tampered
		}
		if err := db.SaveLoginState(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	rotated, _ := seal.Parse(newKey + "\n" + oldKey)
	rep, err := Rekey(ctx, db, rotated)
	if err != nil || rep.Resealed != 1 || rep.Current != 0 || len(rep.Refused) != 1 || rep.Refused[0] != "demobank/demobank" {
		t.Fatalf("rekey: %+v %v", rep, err)
	}
	if rep, err := Rekey(ctx, db, rotated); err != nil || rep.Resealed != 0 || rep.Current != 1 {
		t.Fatalf("second rekey: %+v %v", rep, err)
	}
	onlyNew, _ := seal.Parse(newKey)
	now := sms.Add(6 * 24 * time.Hour) // a day before the window ends
	views, err := ListLogins(ctx, db, onlyNew, now, runner.RefreshPolicy{Location: time.UTC})
	if err != nil || len(views) != 2 {
		t.Fatalf("list: %+v %v", views, err)
	}
	bank, etax := views[0], views[1]
	if !etax.Readable || !etax.Current || etax.Trust != runner.TrustEnding || !etax.TrustExpires.Equal(sms.Add(7*24*time.Hour)) || etax.Credential != "etax-lina" {
		t.Fatalf("etax: %+v", etax)
	}
	if bank.Readable || bank.Current || bank.SealKey != old.KeyID() {
		t.Fatalf("tampered bank login: %+v", bank)
	}
	for _, v := range views {
		if v.Login == "" || len(v.Login) > 12 {
			t.Fatalf("login id %q", v.Login)
		}
	}
	if err := ForgetLogin(ctx, db, "demobank", "demobank"); err != nil {
		t.Fatal(err)
	}
	if err := ForgetLogin(ctx, db, "demobank", "demobank"); !errors.Is(err, ferry.ErrNoLoginState) {
		t.Fatalf("forget twice: %v", err)
	}
}
