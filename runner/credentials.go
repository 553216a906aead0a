package runner

import (
	"fmt"

	"github.com/ferry-rpa/ferry"
)

// StaticCredentials is a fixed set of logins, as loaded from configuration.
type StaticCredentials map[string]ferry.Credential

// Credential implements Credentials.
func (s StaticCredentials) Credential(name string) (ferry.Credential, error) {
	c, ok := s[name]
	if !ok {
		return ferry.Credential{}, fmt.Errorf("no credential named %q is configured", name)
	}
	return c, nil
}
