package ferry

import (
	"errors"
	"strings"
	"testing"
)

func TestMaskJSON(t *testing.T) {
	got, err := MaskJSON(map[string]any{
		"name": "alice", "Password": "hunter22", "nested": map[string]any{"api_token": "t0k", "totp_seed": "JBSW", "note": "kept"},
		"list": []any{map[string]any{"secret": "s", "ok": 1}}, "empty_password": "",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter22", "t0k", "JBSW", `"secret":"s"`} {
		if strings.Contains(got, secret) {
			t.Errorf("%s shows %s", got, secret)
		}
	}
	for _, kept := range []string{`"name":"alice"`, `"note":"kept"`, `"ok":1`, `"empty_password":""`} {
		if !strings.Contains(got, kept) {
			t.Errorf("%s lacks %s", got, kept)
		}
	}
	if s, err := MaskJSON(nil); s != "" || err != nil {
		t.Errorf("nil: %q %v", s, err)
	}
}

func TestRoles(t *testing.T) {
	for i, r := range Roles() {
		if got, err := ParseRole(string(r)); err != nil || got != r || r.Rank() != i+1 {
			t.Errorf("%s: %v %v rank %d", r, got, err, r.Rank())
		}
	}
	if _, err := ParseRole("root"); !errors.Is(err, ErrBadRole) {
		t.Errorf("root: %v", err)
	}
	if Role("root").Rank() != 0 {
		t.Error("an unknown role ranks")
	}
}
