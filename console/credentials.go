package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/vault"
)

// The admin's credentials page: the vault's credentials by name with
// their fields and when each was set, never a value. Values are only set
// (added or replaced) and removed; every change is audited with the
// field names before and after, never a value.

// registerCredentials adds the credentials page's routes, and the single
// sign-on routes when OIDC is configured.
func (s *Server) registerCredentials() {
	s.handle("GET /credentials", s.credentialsPage)
	s.handle("POST /credentials", s.setCredentialPage)
	s.handle("POST /credentials/{name}", s.removeCredentialPage)
	if s.cfg.OIDC != nil {
		s.handle("GET /login/oidc", s.oidcStart)
		s.handle("GET /login/oidc/callback", s.oidcCallback)
	}
}

// fieldNames lists the credential's field names in the vault (none when
// it is not there): what the audit log records instead of values.
func fieldNames(ctx context.Context, v *vault.Vault, name string) ([]string, error) {
	list, err := v.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		if c.Name == name {
			return c.FieldNames(), nil
		}
	}
	return []string{}, nil
}

// SetCredential seals value as credential name's field in v, audited as
// credential.set (or credential.add for a new credential) by actor from
// addr, with the field names before and after: never the value, which no
// error holds either.
func SetCredential(ctx context.Context, store ferry.ConsoleStore, v *vault.Vault, actor, addr, name, field, value string) error {
	return store.InTx(ctx, func(ctx context.Context) error {
		before, err := fieldNames(ctx, v, name)
		if err != nil {
			return err
		}
		action := "credential.set"
		if len(before) == 0 {
			action = "credential.add"
		}
		return ferry.Audited(ctx, store, store, ferry.Change{Actor: actor, Address: addr, Action: action, Target: "credential:" + name,
			Before: map[string]any{"fields": before}}, func(ctx context.Context) (any, error) {
			if err := v.Set(ctx, name, field, value); err != nil {
				return nil, err
			}
			after, err := fieldNames(ctx, v, name)
			return map[string]any{"fields": after, "set": field}, err
		})
	})
}

// RemoveCredential removes credential name's field from v, or the whole
// credential when field is "", audited as credential.remove with the
// field names before and after. Nothing to remove wraps vault.ErrNotFound.
func RemoveCredential(ctx context.Context, store ferry.ConsoleStore, v *vault.Vault, actor, addr, name, field string) error {
	return store.InTx(ctx, func(ctx context.Context) error {
		before, err := fieldNames(ctx, v, name)
		if err != nil {
			return err
		}
		return ferry.Audited(ctx, store, store, ferry.Change{Actor: actor, Address: addr, Action: "credential.remove", Target: "credential:" + name,
			Before: map[string]any{"fields": before}}, func(ctx context.Context) (any, error) {
			if err := v.Remove(ctx, name, field); err != nil {
				return nil, err
			}
			after, err := fieldNames(ctx, v, name)
			return map[string]any{"fields": after, "removed": field}, err
		})
	})
}

// RekeyVault reseals every value of v to next (see vault.Vault.Rekey),
// audited as vault.rekey with the public keys before and after.
func RekeyVault(ctx context.Context, store ferry.ConsoleStore, v *vault.Vault, actor, addr string, next vault.Key) (int, error) {
	n := 0
	err := ferry.Audited(ctx, store, store, ferry.Change{Actor: actor, Address: addr, Action: "vault.rekey", Target: "vault",
		Before: map[string]any{"recipient": v.Recipient()}}, func(ctx context.Context) (any, error) {
		var err error
		n, err = v.Rekey(ctx, next)
		return map[string]any{"recipient": next.Recipient(), "resealed": n}, err
	})
	return n, err
}

// ImportCredentials puts creds into v (see vault.Vault.Import), audited
// as credential.import with what happened to each field, by name.
func ImportCredentials(ctx context.Context, store ferry.ConsoleStore, v *vault.Vault, actor, addr string, creds map[string]ferry.Credential) ([]vault.Imported, error) {
	var out []vault.Imported
	err := ferry.Audited(ctx, store, store, ferry.Change{Actor: actor, Address: addr, Action: "credential.import", Target: "vault"},
		func(ctx context.Context) (any, error) {
			var err error
			if out, err = v.Import(ctx, creds); err != nil {
				return nil, err
			}
			changed := []string{}
			for _, i := range out {
				if i.Action != "same" {
					changed = append(changed, i.Action+" "+i.Credential+"."+i.Field)
				}
			}
			return map[string]any{"changed": changed}, nil
		})
	return out, err
}

// credentialsData is what the credentials page shows.
type credentialsData struct {
	// Vault is false when no vault key is configured: nothing to show or
	// change.
	Vault       bool
	Recipient   string
	Credentials []vault.Info
	// Name and Field refill the form after a refused change; the value
	// never is.
	Name, Field string
	Fields      []string // suggested field names
}

func (s *Server) credentialsPage(w http.ResponseWriter, r *http.Request, who *identity) {
	notice := ""
	q := r.URL.Query()
	switch q.Get("done") {
	case "set":
		notice = fmt.Sprintf("saved %s of %s", q.Get("field"), q.Get("name"))
	case "removed":
		notice = "removed " + strings.TrimPrefix(q.Get("field")+" of ", " of ") + q.Get("name")
	}
	s.showCredentials(w, r, who, http.StatusOK, notice, "", "", "")
}

func (s *Server) showCredentials(w http.ResponseWriter, r *http.Request, who *identity, code int, notice, problem, name, field string) {
	d := credentialsData{Name: name, Field: field, Fields: []string{"user", "password", "totp"}}
	if v := s.cfg.Vault; v != nil {
		list, err := v.List(r.Context())
		if err != nil {
			s.internal(w, r, pageRoute, err)
			return
		}
		d.Vault, d.Recipient, d.Credentials = true, v.Recipient(), list
	}
	s.render(w, r, who, code, "credentials", pageData{Title: "Credentials", Notice: notice, Error: problem, Data: d})
}

// errNoVault answers changes when no vault key is configured.
const errNoVault = "no vault key is configured: set FERRY_VAULT_KEY or FERRY_VAULT_KEY_FILE (or vault.key_file) and restart"

func (s *Server) setCredentialPage(w http.ResponseWriter, r *http.Request, who *identity) {
	if s.cfg.Vault == nil {
		s.fail(w, r, pageRoute, http.StatusServiceUnavailable, errNoVault)
		return
	}
	name, field, value := strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("field")), r.PostFormValue("value")
	problem := ""
	switch {
	case vault.CheckName(name) != nil:
		problem = vault.CheckName(name).Error()
	case vault.CheckField(field) != nil:
		problem = vault.CheckField(field).Error()
	case value == "":
		problem = "the value is empty: type the new value (the old one is never shown)"
	}
	if problem != "" {
		s.showCredentials(w, r, who, http.StatusBadRequest, "", problem, name, field)
		return
	}
	if err := SetCredential(r.Context(), s.cfg.Store, s.cfg.Vault, who.actor(), who.addr, name, field, value); err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	// Post/redirect/get: the page shown after the change has an empty
	// form, and a reload does not send the value again.
	http.Redirect(w, r, "/credentials?"+url.Values{"done": {"set"}, "name": {name}, "field": {field}}.Encode(), http.StatusSeeOther)
}

func (s *Server) removeCredentialPage(w http.ResponseWriter, r *http.Request, who *identity) {
	if s.cfg.Vault == nil {
		s.fail(w, r, pageRoute, http.StatusServiceUnavailable, errNoVault)
		return
	}
	name, field := r.PathValue("name"), strings.TrimSpace(r.PostFormValue("field"))
	err := RemoveCredential(r.Context(), s.cfg.Store, s.cfg.Vault, who.actor(), who.addr, name, field)
	if errors.Is(err, vault.ErrNotFound) {
		s.showCredentials(w, r, who, http.StatusNotFound, "", "no such credential or field: nothing removed", "", "")
		return
	}
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	http.Redirect(w, r, "/credentials?"+url.Values{"done": {"removed"}, "name": {name}, "field": {field}}.Encode(), http.StatusSeeOther)
}
