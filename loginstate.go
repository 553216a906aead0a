package ferry

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNoLoginState reports a login with no saved state.
var ErrNoLoginState = fmt.Errorf("no saved login state: %w", ErrNotFound)

// ErrLoginStateChanged reports a compare-and-swap (a rekey) that lost to
// a newer save of the same login: the newer state stays.
var ErrLoginStateChanged = errors.New("the saved login state changed meanwhile")

// LoginState is a login kept between runs: the browser state a
// successful run left (cookies, storage), sealed, and what Ferry knows of
// the site's trust window for the device.
type LoginState struct {
	// Key is LoginKey(site, user): the user name is never stored.
	Key string
	// Site is the site's name in the configuration.
	Site string
	// Credential is the credential's name (not secret): what `ferry logins`
	// shows instead of the user name.
	Credential string
	// Bot is the bot of the run that saved it: the one a refresh login
	// runs.
	Bot string
	// Sealed is the browser state, encrypted under the key SealKey names
	// (internal/seal); empty when only the trust window is known.
	Sealed  []byte
	SealKey string
	// SavedAt is when a run last saved it; RunID is that run.
	SavedAt time.Time
	RunID   int64
	// SecondFactorAt is when a run last did the second factor (SMS, TOTP):
	// the start of the site's trust window (zero: never seen).
	SecondFactorAt time.Time
	// TrustDeclared is how long the site says it trusts the device after
	// it (the script's session.trust; 0: it declares none).
	TrustDeclared time.Duration
	// LastValidAt is when a restored login last passed its check.
	LastValidAt time.Time
	// ObservedExpiry is when a run first found the second factor asked
	// for again after SecondFactorAt: the trust window as it really ended
	// (zero: not seen yet).
	ObservedExpiry time.Time
}

// TrustExpires returns when the trust window ends as declared: zero when
// no second factor was seen or the site declares no window.
func (s LoginState) TrustExpires() time.Time {
	if s.SecondFactorAt.IsZero() || s.TrustDeclared <= 0 {
		return time.Time{}
	}
	return s.SecondFactorAt.Add(s.TrustDeclared)
}

// LoginStateStore keeps the logins between runs. A login has at most one
// state; runs of one login never overlap (ErrLoginBusy), so a run's save
// replaces the state whole.
type LoginStateStore interface {
	// SaveLoginState stores s under s.Key, replacing what was there. It
	// returns an error wrapping the database's when the write fails.
	SaveLoginState(ctx context.Context, s LoginState) error
	// LoginState returns the state of key; an error wrapping
	// ErrNoLoginState when there is none.
	LoginState(ctx context.Context, key string) (LoginState, error)
	// LoginStates lists every saved login, by site then credential.
	LoginStates(ctx context.Context) ([]LoginState, error)
	// ResealLoginState replaces key's sealed state with sealed (under
	// sealKey) if it is still old: ErrLoginStateChanged when a run saved
	// a newer one meanwhile, ErrNoLoginState when it is gone.
	ResealLoginState(ctx context.Context, key string, old, sealed []byte, sealKey string) error
	// DeleteLoginState forgets key's state (the next run logs in fresh);
	// ErrNoLoginState when there is none.
	DeleteLoginState(ctx context.Context, key string) error
}

// SecondFactorAt returns when a run's trace last shows a second factor
// done (a TOTP step, or a challenge answered: sms_code, email_code,
// qr_scan, app_approval), zero if none: the start of the site's trust
// window.
func SecondFactorAt(trace []Step) time.Time {
	var at time.Time
	for _, s := range trace {
		switch s.Action {
		case "totp", "sms_code", "email_code", "challenge", "qr_scan", "app_approval":
			if s.Status == StepOK {
				at = s.Started.Add(s.Duration)
			}
		}
	}
	return at
}
