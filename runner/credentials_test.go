package runner

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
)

// An empty field is never handed out: the error names the login and the
// field, never a value, and wraps ErrIncompleteCredential.
func TestStaticCredentialsRefuseEmptyFields(t *testing.T) {
	t.Parallel()
	creds := StaticCredentials{
		"ok":    {Name: "ok", Fields: map[string]string{"user": "u", "password": "s3cret-value"}},
		"empty": {Name: "empty", Fields: map[string]string{"user": "u", "password": ""}},
	}
	if c, err := creds.Credential("ok"); err != nil || c.Fields["password"] != "s3cret-value" {
		t.Fatalf("ok: %v %v", c, err)
	}
	_, err := creds.Credential("empty")
	if !errors.Is(err, ErrIncompleteCredential) || !strings.Contains(err.Error(), "empty") || !strings.Contains(err.Error(), "password") {
		t.Fatalf("empty password: got %v, want ErrIncompleteCredential naming the credential and field", err)
	}
	if _, err := creds.Credential("nobody"); err == nil || errors.Is(err, ErrIncompleteCredential) {
		t.Fatalf("unknown login: got %v", err)
	}
	err = CheckCredential(ferry.Credential{Name: "ok", Fields: map[string]string{"user": "u", "password": "s3cret-value"}}, []string{"user", "password", "pin"})
	if !errors.Is(err, ErrIncompleteCredential) || !strings.Contains(err.Error(), "pin") || strings.Contains(err.Error(), "s3cret-value") {
		t.Fatalf("missing field: got %v", err)
	}
}

// The demo script always types the user and password; the TOTP seed only
// in the branch that the TOTP page takes.
func TestCredentialFieldsOfTheDemoScript(t *testing.T) {
	t.Parallel()
	s, _, err := scripts.Load("", "", "demobank-statements")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := CredentialFields(s), []string{"password", "user"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
