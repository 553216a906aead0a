package vault_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/pgtest"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/ferry-rpa/ferry/vault"
)

var pg = pgtest.New()

func TestMain(m *testing.M) {
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// Secret values the tests store: none may appear in the database file,
// an error or a listing.
const (
	secretPassword = "hunter2-Sekr1t-Pa55"
	secretTOTP     = "JBSWY3DPEHPK3PXPSEKRETSEED"
	secretUser     = "alice-login-4711"
)

var clock = func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }

type opened struct {
	db   *storage.DB
	file string // the SQLite file, "" on PostgreSQL
}

func openSQLite(t *testing.T) opened {
	file := filepath.Join(t.TempDir(), "ferry.db")
	db, err := storage.Open(context.Background(), file, t.TempDir(), clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return opened{db: db, file: file}
}

func openPostgres(t *testing.T) opened {
	db, err := storage.Open(context.Background(), pg.Database(t), t.TempDir(), clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return opened{db: db}
}

func both(t *testing.T, f func(t *testing.T, o opened)) {
	t.Run("sqlite", func(t *testing.T) { f(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, openPostgres(t)) })
}

func newKey(t *testing.T) vault.Key {
	k, err := vault.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func noSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range []string{secretPassword, secretTOTP, secretUser} {
		if strings.Contains(text, s) {
			t.Fatalf("%s shows a secret value: %q", where, text)
		}
	}
}

func TestSetListGetRemove(t *testing.T) {
	both(t, func(t *testing.T, o opened) {
		ctx := context.Background()
		v, err := vault.New(o.db, newKey(t), clock)
		if err != nil {
			t.Fatal(err)
		}
		for f, val := range map[string]string{"user": secretUser, "password": secretPassword, "totp": secretTOTP} {
			if err := v.Set(ctx, "bank-a", f, val); err != nil {
				t.Fatal(err)
			}
		}
		if err := v.Set(ctx, "bank-b", "password", "first-value-xyz"); err != nil {
			t.Fatal(err)
		}
		if err := v.Set(ctx, "bank-b", "password", "second-value-xyz"); err != nil {
			t.Fatal(err)
		}
		list, err := v.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Name != "bank-a" || strings.Join(list[0].FieldNames(), ",") != "password,totp,user" ||
			list[1].Name != "bank-b" || len(list[1].Fields) != 1 || !list[1].Fields[0].SetAt.Equal(clock()) {
			t.Fatalf("list = %+v", list)
		}
		c, err := v.Get(ctx, "bank-a")
		if err != nil {
			t.Fatal(err)
		}
		if c.Fields["password"] != secretPassword || c.Fields["totp"] != secretTOTP || c.Fields["user"] != secretUser {
			t.Fatal("bank-a does not open to its values")
		}
		c, err = v.Credential("bank-b")
		if err != nil || c.Fields["password"] != "second-value-xyz" {
			t.Fatalf("bank-b: replaced value not read back (err %v)", err)
		}
		all, err := v.All(ctx)
		if err != nil || len(all) != 2 || all["bank-a"].Fields["totp"] != secretTOTP {
			t.Fatalf("all: %d credentials, err %v", len(all), err)
		}
		if _, err := v.Get(ctx, "nope"); !errors.Is(err, vault.ErrNotFound) {
			t.Fatalf("unknown credential: %v", err)
		}
		if err := v.Set(ctx, "bank-a", "pass word", "x"); err == nil {
			t.Fatal("a field name with a space was accepted")
		}
		if err := v.Set(ctx, "bank-a", "password", ""); err == nil {
			t.Fatal("an empty value was accepted")
		}
		if err := v.Remove(ctx, "bank-a", "totp"); err != nil {
			t.Fatal(err)
		}
		if err := v.Remove(ctx, "bank-a", "totp"); !errors.Is(err, vault.ErrNotFound) {
			t.Fatalf("removing twice: %v", err)
		}
		if err := v.Remove(ctx, "bank-b", ""); err != nil {
			t.Fatal(err)
		}
		list, _ = v.List(ctx)
		if len(list) != 1 || strings.Join(list[0].FieldNames(), ",") != "password,user" {
			t.Fatalf("after removes: %+v", list)
		}
		if o.file != "" {
			o.db.Close()
			for _, f := range []string{o.file, o.file + "-wal"} {
				b, err := os.ReadFile(f)
				if err != nil {
					continue
				}
				noSecret(t, f, string(b))
				if bytes.Contains(b, []byte("second-value-xyz")) || bytes.Contains(b, []byte("first-value-xyz")) {
					t.Fatalf("%s holds a value in clear", f)
				}
			}
		}
	})
}

func TestWrongKeyAndMovedValue(t *testing.T) {
	both(t, func(t *testing.T, o opened) {
		ctx := context.Background()
		v, _ := vault.New(o.db, newKey(t), clock)
		if err := v.Set(ctx, "bank-a", "password", secretPassword); err != nil {
			t.Fatal(err)
		}
		if err := v.Set(ctx, "bank-b", "password", "other-bank-pass"); err != nil {
			t.Fatal(err)
		}
		other, _ := vault.New(o.db, newKey(t), clock)
		_, err := other.Get(ctx, "bank-a")
		if !errors.Is(err, vault.ErrWrongKey) {
			t.Fatalf("another key: %v", err)
		}
		noSecret(t, "the wrong key's error", err.Error())
		list, _ := other.List(ctx)
		if len(list) != 2 || !list[0].Fields[0].Stale {
			t.Fatalf("list under another key: %+v", list)
		}
		// A sealed value copied onto another credential does not open there.
		es, _ := o.db.VaultEntries(ctx, "bank-a")
		moved := es[0]
		moved.Credential = "bank-b"
		if err := o.db.PutVaultEntry(ctx, moved); err != nil {
			t.Fatal(err)
		}
		_, err = v.Get(ctx, "bank-b")
		if err == nil || !strings.Contains(err.Error(), "another credential") {
			t.Fatalf("moved value: %v", err)
		}
		noSecret(t, "the moved value's error", err.Error())
	})
}

func TestRekey(t *testing.T) {
	both(t, func(t *testing.T, o opened) {
		ctx := context.Background()
		old := newKey(t)
		v, _ := vault.New(o.db, old, clock)
		for _, c := range []string{"a", "b", "c"} {
			if err := v.Set(ctx, c, "password", secretPassword+c); err != nil {
				t.Fatal(err)
			}
		}
		next := newKey(t)
		n, err := v.Rekey(ctx, next)
		if err != nil || n != 3 {
			t.Fatalf("rekey: %d, %v", n, err)
		}
		// Again: nothing left to reseal.
		if n, err := v.Rekey(ctx, next); err != nil || n != 0 {
			t.Fatalf("second rekey: %d, %v", n, err)
		}
		fresh, _ := vault.New(o.db, next, clock)
		c, err := fresh.Get(ctx, "b")
		if err != nil || c.Fields["password"] != secretPassword+"b" {
			t.Fatalf("after rekey: %v", err)
		}
		stale, _ := vault.New(o.db, old, clock)
		if _, err := stale.Get(ctx, "b"); !errors.Is(err, vault.ErrWrongKey) {
			t.Fatalf("old key after rekey: %v", err)
		}
		// A rekey that cannot open a value changes nothing.
		if err := o.db.PutVaultEntry(ctx, vault.Entry{Credential: "z", Field: "password", Sealed: "AAAA", Recipient: next.Recipient(), SetAt: clock()}); err != nil {
			t.Fatal(err)
		}
		third := newKey(t)
		if _, err := fresh.Rekey(ctx, third); err == nil {
			t.Fatal("a rekey over a damaged value succeeded")
		}
		if c, err := fresh.Get(ctx, "a"); err != nil || c.Fields["password"] != secretPassword+"a" {
			t.Fatalf("a failed rekey changed values: %v", err)
		}
	})
}

func TestImportIsIdempotent(t *testing.T) {
	both(t, func(t *testing.T, o opened) {
		ctx := context.Background()
		v, _ := vault.New(o.db, newKey(t), clock)
		creds := map[string]ferry.Credential{
			"bank-a": {Name: "bank-a", Fields: map[string]string{"user": secretUser, "password": secretPassword, "totp": secretTOTP}},
		}
		got, err := v.Import(ctx, creds)
		if err != nil || len(got) != 3 || got[0].Action != "added" {
			t.Fatalf("first import: %+v, %v", got, err)
		}
		got, err = v.Import(ctx, creds)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range got {
			if g.Action != "same" {
				t.Fatalf("second import changed %+v", g)
			}
		}
		es, _ := o.db.VaultEntries(ctx, "bank-a")
		before := es[0].Sealed
		creds["bank-a"].Fields["password"] = "changed-in-yaml"
		got, _ = v.Import(ctx, creds)
		es, _ = o.db.VaultEntries(ctx, "bank-a")
		if got[0].Field != "password" || got[0].Action != "replaced" || es[0].Sealed == before {
			t.Fatalf("changed value: %+v", got)
		}
	})
}

func TestKeys(t *testing.T) {
	k := newKey(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "vault.key")
	if err := vault.WriteKeyFile(file, k); err != nil {
		t.Fatal(err)
	}
	if err := vault.WriteKeyFile(file, k); err == nil {
		t.Fatal("WriteKeyFile overwrote a key")
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode())
	}
	env := map[string]string{vault.EnvKeyFile: file}
	got, err := vault.LoadKey(func(n string) string { return env[n] }, "")
	if err != nil || got.Recipient() != k.Recipient() {
		t.Fatalf("from the file: %v", err)
	}
	if _, err := vault.LoadKey(func(string) string { return "" }, ""); !errors.Is(err, vault.ErrNoKey) {
		t.Fatalf("no key: %v", err)
	}
	bad := "AGE-SECRET-KEY-1NOTAKEY" + secretPassword
	_, err = vault.LoadKey(func(n string) string {
		if n == vault.EnvKey {
			return bad
		}
		return ""
	}, "")
	if err == nil || strings.Contains(err.Error(), bad) {
		t.Fatalf("bad key: %v", err)
	}
	noSecret(t, "a bad key's error", err.Error())
	if s := k.String() + " " + k.GoString(); strings.Contains(s, "AGE-SECRET") {
		t.Fatalf("a key prints its secret: %s", s)
	}
}
