package service

// The logins Ferry keeps between runs, as `ferry logins` and the console
// see them: each login's state and trust window (site and credential
// name, never the user), rotation of the key they are sealed under, and
// forgetting one.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/seal"
	"github.com/ferry-rpa/ferry/runner"
)

// LoginView is one kept login.
type LoginView struct {
	Site       string `json:"site"`
	Credential string `json:"credential"`
	// Login is the start of the login key (a digest of site and user).
	Login   string    `json:"login"`
	Bot     string    `json:"bot,omitempty"`
	SavedAt time.Time `json:"saved_at,omitzero"`
	RunID   int64     `json:"run_id,omitempty"`
	// Sealed says whether a browser state is kept; SealKey is the id of
	// the key it is sealed under and Readable whether the keyring opens
	// it (false: tampered, or under a key no longer held).
	Sealed   bool   `json:"sealed"`
	SealKey  string `json:"seal_key,omitempty"`
	Current  bool   `json:"current_key"`
	Readable bool   `json:"readable"`
	// The trust window: when the second factor was done, the duration
	// the site declares, the end that implies, the end last observed, and
	// where the login stands now.
	SecondFactorAt time.Time          `json:"second_factor_at,omitzero"`
	TrustDeclared  time.Duration      `json:"trust_declared,omitempty"`
	TrustExpires   time.Time          `json:"trust_expires,omitzero"`
	ObservedExpiry time.Time          `json:"observed_expiry,omitzero"`
	LastValidAt    time.Time          `json:"last_valid_at,omitzero"`
	Trust          runner.TrustState  `json:"trust"`
	RefreshAt      time.Time          `json:"refresh_at,omitzero"`
	Plan           runner.RefreshPlan `json:"-"`
}

// ListLogins returns every kept login as of now; keys may be nil (then
// nothing is checked for readability). Errors are the store's.
func ListLogins(ctx context.Context, store ferry.LoginStateStore, keys *seal.Keyring, now time.Time, p runner.RefreshPolicy) ([]LoginView, error) {
	states, err := store.LoginStates(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]LoginView, 0, len(states))
	for _, s := range states {
		plan := runner.PlanRefresh(s, now, p)
		v := LoginView{Site: s.Site, Credential: s.Credential, Login: s.Key[:min(12, len(s.Key))], Bot: s.Bot, SavedAt: s.SavedAt, RunID: s.RunID,
			Sealed: len(s.Sealed) > 0, SealKey: seal.SealedBy(s.Sealed), SecondFactorAt: s.SecondFactorAt, TrustDeclared: s.TrustDeclared,
			TrustExpires: s.TrustExpires(), ObservedExpiry: s.ObservedExpiry, LastValidAt: s.LastValidAt, Trust: plan.State, RefreshAt: plan.At, Plan: plan}
		if keys != nil && v.Sealed {
			v.Current = keys.Current(s.Sealed)
			_, err := keys.Open(s.Sealed, []byte(s.Key))
			v.Readable = err == nil
		}
		out = append(out, v)
	}
	return out, nil
}

// RekeyReport is what Rekey did.
type RekeyReport struct {
	Resealed int `json:"resealed"` // now under the sealing key
	Current  int `json:"current"`  // already were
	// Refused are the logins no key opens (tampered, or their key is
	// gone), by site/credential: left as they are; the next run of each
	// logs in fresh and replaces it.
	Refused []string `json:"refused,omitempty"`
	// Raced counts logins a run saved during the rekey: the run's state,
	// sealed under the current key, stays.
	Raced int `json:"raced"`
}

// Rekey reseals every kept login under keys' sealing key: rotation is
// putting the new key first in the key file (or environment), the old one
// after it, running rekey, then dropping the old key. It returns the
// store's errors; a login it cannot open is reported, not an error.
func Rekey(ctx context.Context, store ferry.LoginStateStore, keys *seal.Keyring) (RekeyReport, error) {
	var rep RekeyReport
	states, err := store.LoginStates(ctx)
	if err != nil {
		return rep, err
	}
	for _, s := range states {
		if len(s.Sealed) == 0 {
			continue
		}
		if keys.Current(s.Sealed) {
			if _, err := keys.Open(s.Sealed, []byte(s.Key)); err == nil {
				rep.Current++
				continue
			}
		}
		re, err := keys.Reseal(s.Sealed, []byte(s.Key))
		if err != nil {
			rep.Refused = append(rep.Refused, s.Site+"/"+s.Credential)
			continue
		}
		err = store.ResealLoginState(ctx, s.Key, s.Sealed, re, keys.KeyID())
		switch {
		case errors.Is(err, ferry.ErrLoginStateChanged), errors.Is(err, ferry.ErrNoLoginState):
			rep.Raced++
		case err != nil:
			return rep, fmt.Errorf("rekey %s/%s: %w", s.Site, s.Credential, err)
		default:
			rep.Resealed++
		}
	}
	return rep, nil
}

// ForgetLogin drops the kept login of credential on site: its next run
// logs in fresh. It returns an error wrapping ferry.ErrNoLoginState when
// there is none.
func ForgetLogin(ctx context.Context, store ferry.LoginStateStore, site, credential string) error {
	states, err := store.LoginStates(ctx)
	if err != nil {
		return err
	}
	for _, s := range states {
		if s.Site == site && s.Credential == credential {
			return store.DeleteLoginState(ctx, s.Key)
		}
	}
	return fmt.Errorf("login %s on %s: %w", credential, site, ferry.ErrNoLoginState)
}
