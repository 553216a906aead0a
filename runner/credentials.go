package runner

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
)

// ErrIncompleteCredential is wrapped by every error about a credential
// whose field is empty or missing. Such a credential is never submitted:
// an empty password counts toward a bank's lockout like a wrong one.
var ErrIncompleteCredential = errors.New("incomplete credential")

// StaticCredentials is a fixed set of logins, as loaded from configuration.
type StaticCredentials map[string]ferry.Credential

// Credential implements Credentials. It returns an error wrapping
// ErrIncompleteCredential, naming the login and the field but never a
// value, when a field of the login is empty.
func (s StaticCredentials) Credential(name string) (ferry.Credential, error) {
	c, ok := s[name]
	if !ok {
		return ferry.Credential{}, fmt.Errorf("no credential named %q is configured", name)
	}
	if err := CheckCredential(c, nil); err != nil {
		return ferry.Credential{}, err
	}
	return c, nil
}

// CheckCredential returns an error wrapping ErrIncompleteCredential when a
// field of c is empty or one of need is missing. The error names the
// credential and the field, never a value.
func CheckCredential(c ferry.Credential, need []string) error {
	keys := make([]string, 0, len(c.Fields))
	for k := range c.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if c.Fields[k] == "" {
			return fmt.Errorf("credential %s: field %s is empty: %w", c.Name, k, ErrIncompleteCredential)
		}
	}
	for _, k := range need {
		if _, ok := c.Fields[k]; !ok {
			return fmt.Errorf("credential %s has no field %s, which the script uses: %w", c.Name, k, ErrIncompleteCredential)
		}
	}
	return nil
}

// CredentialFields lists the credential fields a script always uses
// (${cred.X} in values, cred.X as a TOTP secret), sorted, so a run can
// check its login before any browser starts. Fields used only inside a
// branch (a TOTP page that only some logins see) are left out: a login
// that never reaches the branch does not need them.
func CredentialFields(s *scripts.Script) []string {
	var out []string
	add := func(f string) {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	var walk func(steps []scripts.Step)
	walk = func(steps []scripts.Step) {
		for _, st := range steps {
			for rest := st.Value; ; {
				_, after, ok := strings.Cut(rest, "${cred.")
				if !ok {
					break
				}
				name, tail, ok := strings.Cut(after, "}")
				if !ok {
					break
				}
				add(name)
				rest = tail
			}
			if f, ok := strings.CutPrefix(st.Secret, "cred."); ok {
				add(f)
			}
			// Every block but a branch's cases: loops, repeats, frames.
			suffixes, lists := st.Children()
			for i, l := range lists {
				if !strings.HasPrefix(suffixes[i], ".branch[") {
					walk(l)
				}
			}
		}
	}
	walk(s.Steps)
	sort.Strings(out)
	return out
}
