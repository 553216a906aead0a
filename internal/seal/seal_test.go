package seal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenRotateTamper(t *testing.T) {
	oldK, newK := NewKey(), NewKey()
	old, err := Parse(oldK)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte(`{"cookies":[{"name":"ETAX_SESSION","value":"secret-token"}]}`)
	ad := []byte("login-key-1")
	blob := old.Seal(plain, ad)
	if bytes.Contains(blob, []byte("secret-token")) {
		t.Fatal("plaintext in the sealed blob")
	}
	got, err := old.Open(blob, ad)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open: %v", err)
	}

	// Another installation's key: refused as unknown.
	other, _ := Parse(NewKey())
	if _, err := other.Open(blob, ad); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("other key: %v", err)
	}
	// One flipped byte, a truncation, another login's associated data.
	bad := append([]byte(nil), blob...)
	bad[len(bad)-3] ^= 1
	for name, c := range map[string]struct{ blob, ad []byte }{
		"flipped": {bad, ad}, "truncated": {blob[:len(blob)-5], ad}, "moved": {blob, []byte("login-key-2")}, "clear": {plain, ad},
	} {
		if _, err := old.Open(c.blob, c.ad); !errors.Is(err, ErrTampered) {
			t.Errorf("%s: %v", name, err)
		}
	}

	// Rotation: new first, old still opens; reseal moves to the new key;
	// then the old key can go.
	both, err := Parse(newK + "\n# the previous key\n" + oldK)
	if err != nil {
		t.Fatal(err)
	}
	if both.Current(blob) {
		t.Fatal("an old blob taken for current")
	}
	if got, err := both.Open(blob, ad); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open with rotated ring: %v", err)
	}
	re, err := both.Reseal(blob, ad)
	if err != nil || !both.Current(re) {
		t.Fatalf("reseal: %v", err)
	}
	onlyNew, _ := Parse(newK)
	if got, err := onlyNew.Open(re, ad); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open resealed with the new key alone: %v", err)
	}
	if _, err := onlyNew.Open(blob, ad); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old blob, old key dropped: %v", err)
	}
}

func TestParseAndLoad(t *testing.T) {
	for _, bad := range []string{"", "# only a comment", "c2hvcnQ=", "not a key at all!"} {
		_, err := Parse(bad)
		if err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("error repeats the key: %v", err)
		}
	}
	hexKey := strings.Repeat("ab", KeyLen)
	if _, err := Parse(hexKey); err != nil {
		t.Fatalf("hex key: %v", err)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "keys")
	if err := os.WriteFile(f, []byte(NewKey()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load("", f); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key file: %v", err)
	}
	if err := os.Chmod(f, 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := Load("FERRY_TEST_SEAL_UNSET", f)
	if err != nil {
		t.Fatal(err)
	}
	envKey := NewKey()
	t.Setenv("FERRY_TEST_SEAL", envKey)
	fromEnv, err := Load("FERRY_TEST_SEAL", f)
	if err != nil {
		t.Fatal(err)
	}
	if fromEnv.KeyID() == fromFile.KeyID() {
		t.Fatal("the environment did not take precedence over the file")
	}
}
