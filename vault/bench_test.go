package vault_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ferry-rpa/ferry/storage"
	"github.com/ferry-rpa/ferry/vault"
)

// BenchmarkVault measures what a run pays to read its credential (three
// fields opened) and what a set costs, on a SQLite file with 50
// credentials.
func BenchmarkVault(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	k, _ := vault.NewKey()
	v, _ := vault.New(db, k, nil)
	for i := range 50 {
		for _, f := range []string{"user", "password", "totp"} {
			if err := v.Set(ctx, fmt.Sprintf("bank-%02d", i), f, "value-of-"+f); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("get", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.Credential("bank-07"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("set", func(b *testing.B) {
		for b.Loop() {
			if err := v.Set(ctx, "bank-07", "password", "another-value"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("list", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.List(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
