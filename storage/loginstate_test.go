package storage_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/seal"
	"github.com/ferry-rpa/ferry/storage"
)

// TestLoginStatesOnBothDatabases: save, read, list, reseal (a run's save
// between a rekey's read and its write wins), delete; the sealed state never in clear text.
func TestLoginStatesOnBothDatabases(t *testing.T) {
	for name, open := range map[string]func(testing.TB, bool, func() time.Time) *storage.DB{"SQLite": openSQLite, "Postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := open(t, false, nil)
			var store ferry.LoginStateStore = db
			oldKey, newKey := seal.NewKey(), seal.NewKey()
			oldRing, _ := seal.Parse(oldKey)
			key := ferry.LoginKey("etax", "lina")
			plain := []byte(`{"cookies":[{"name":"ETAX_SESSION","value":"clear-session-token"}]}`)
			at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
			s := ferry.LoginState{Key: key, Site: "etax", Credential: "etax-lina", Bot: "etax-invoices",
				Sealed: oldRing.Seal(plain, []byte(key)), SealKey: oldRing.KeyID(), SavedAt: at, RunID: 7,
				SecondFactorAt: at.Add(-time.Minute), TrustDeclared: 7 * 24 * time.Hour}
			if _, err := store.LoginState(ctx, key); !errors.Is(err, ferry.ErrNoLoginState) || !errors.Is(err, ferry.ErrNotFound) {
				t.Fatalf("before any save: %v", err)
			}
			if err := store.SaveLoginState(ctx, s); err != nil {
				t.Fatal(err)
			}
			got, err := store.LoginState(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Sealed, s.Sealed) || got.Site != "etax" || got.Credential != "etax-lina" || got.Bot != "etax-invoices" || got.RunID != 7 ||
				!got.SavedAt.Equal(at) || !got.SecondFactorAt.Equal(s.SecondFactorAt) || got.TrustDeclared != s.TrustDeclared ||
				!got.LastValidAt.IsZero() || !got.ObservedExpiry.IsZero() || !got.TrustExpires().Equal(at.Add(-time.Minute+7*24*time.Hour)) {
				t.Fatalf("read back %+v", got)
			}
			// Nothing in the database reads as the state or the user.
			var raw []byte
			if err := db.SQL.QueryRow(`SELECT sealed FROM login_states`).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(raw, []byte("clear-session-token")) {
				t.Fatal("the state is stored in clear text")
			}
			var n int
			if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM login_states WHERE site LIKE '%lina%' OR credential = 'lina' OR login_key LIKE '%lina%'`).Scan(&n); err != nil || n != 0 {
				t.Fatalf("the user name is stored: %d %v", n, err)
			}

			// A second login, then the list in order.
			other := ferry.LoginState{Key: ferry.LoginKey("bank", "u1"), Site: "bank", Credential: "demobank", Sealed: oldRing.Seal([]byte("{}"), nil)}
			if err := store.SaveLoginState(ctx, other); err != nil {
				t.Fatal(err)
			}
			list, err := store.LoginStates(ctx)
			if err != nil || len(list) != 2 || list[0].Site != "bank" || list[1].Site != "etax" {
				t.Fatalf("list %+v %v", list, err)
			}

			// Rekey: a run saves between the rekey's read and its write;
			// the run's state wins.
			newRing, _ := seal.Parse(newKey)
			if _, err := newRing.Reseal(got.Sealed, []byte(key)); !errors.Is(err, seal.ErrUnknownKey) {
				t.Fatalf("the new key alone on the old state: %v", err)
			}
			ring, _ := seal.Parse(newKey + "," + oldKey) // rotated: the new key first
			resealed, err := ring.Reseal(got.Sealed, []byte(key))
			if err != nil {
				t.Fatal(err)
			}
			newer := s
			newer.Sealed, newer.RunID = ring.Seal([]byte(`{"cookies":[]}`), []byte(key)), 8
			if err := store.SaveLoginState(ctx, newer); err != nil {
				t.Fatal(err)
			}
			if err := store.ResealLoginState(ctx, key, got.Sealed, resealed, ring.KeyID()); !errors.Is(err, ferry.ErrLoginStateChanged) {
				t.Fatalf("reseal over a newer save: %v", err)
			}
			if cur, _ := store.LoginState(ctx, key); cur.RunID != 8 || !bytes.Equal(cur.Sealed, newer.Sealed) {
				t.Fatalf("the newer save was overwritten: %+v", cur)
			}
			r2, _ := ring.Reseal(newer.Sealed, []byte(key))
			if err := store.ResealLoginState(ctx, key, newer.Sealed, r2, ring.KeyID()); err != nil {
				t.Fatal(err)
			}
			if cur, _ := store.LoginState(ctx, key); !bytes.Equal(cur.Sealed, r2) || cur.SealKey != ring.KeyID() {
				t.Fatalf("after reseal: %+v", cur)
			}
			if err := store.ResealLoginState(ctx, "nobody", nil, r2, ""); !errors.Is(err, ferry.ErrNoLoginState) {
				t.Fatalf("reseal of an unknown login: %v", err)
			}

			if err := store.DeleteLoginState(ctx, key); err != nil {
				t.Fatal(err)
			}
			if err := store.DeleteLoginState(ctx, key); !errors.Is(err, ferry.ErrNoLoginState) {
				t.Fatalf("second delete: %v", err)
			}
			if _, err := store.LoginState(ctx, key); !errors.Is(err, ferry.ErrNoLoginState) {
				t.Fatalf("after delete: %v", err)
			}
		})
	}
}
