package runner

// Logins kept between runs: before a run, the login's saved browser state
// is unsealed and handed to the engine; after it, the state the engine
// read is sealed and stored, with what the run showed of the site's trust
// window. A state that fails to unseal (tampered, or sealed under a key
// this process does not hold) is refused with a clear message and the run
// logs in fresh; its success then replaces it.

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/seal"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/rs/zerolog"
)

// Session outcomes the engine reports (ferry.BrowserResult.Session).
const (
	sessionRestored = "restored"
	sessionExpired  = "expired"
)

// stateKey is the login whose state a run uses: LoginKey of the site and
// the user the credential logs in as, so that the user name is never
// stored; a credential without a user field is its own login.
func stateKey(site string, cred ferry.Credential) string {
	user := cmp.Or(cred.Fields["user"], cred.Fields["account"], cred.Fields["username"])
	if user == "" {
		return ferry.LoginKey(site, "credential "+cred.Name)
	}
	return ferry.LoginKey(site, user)
}

// loadLoginState returns the clear state saved for the run's login, nil
// when there is none, logins are not kept (no keys), or it is refused.
// Refusals are logged with the reason and no secret; the database's own
// failure is returned (the run cannot know whether it should log in).
func (r *Runner) loadLoginState(ctx context.Context, log zerolog.Logger, run ferry.RunRecord, p *prepared) ([]byte, error) {
	if r.cfg.LoginKeys == nil {
		return nil, nil
	}
	if isRefresh(run) {
		// A refresh login logs in afresh, second factor included.
		log.Info().Msg("refresh login: the saved login is not restored")
		return nil, nil
	}
	key := stateKey(p.site, p.cred)
	s, err := r.cfg.DB.LoginState(ctx, key)
	if errors.Is(err, ferry.ErrNoLoginState) {
		return nil, nil
	}
	if err != nil {
		return nil, ferry.Errorf(ferry.ClassInternal, "login state", "%w", err)
	}
	if len(s.Sealed) == 0 {
		return nil, nil
	}
	plain, err := r.cfg.LoginKeys.Open(s.Sealed, []byte(key))
	if err != nil {
		why := "it fails authentication (tampered, truncated or moved from another login)"
		if errors.Is(err, seal.ErrUnknownKey) {
			why = "it was sealed under key " + seal.SealedBy(s.Sealed) + ", which this process does not hold (set the previous key after the current one to read it)"
		}
		log.Warn().Str("site", s.Site).Str("credential", s.Credential).Msg("saved login refused: " + why + "; logging in fresh")
		return nil, nil
	}
	return plain, nil
}

// keepLoginState records what the run showed: the state to restore next
// time (sealed) after a success, the trust window's start when the run
// did a second factor, and its observed end when the site asked for one
// again. Failing to store it is logged, never the run's failure.
func (r *Runner) keepLoginState(ctx context.Context, log zerolog.Logger, run ferry.RunRecord, p *prepared, res *ferry.BrowserResult[selectors.Way], runErr error) {
	if r.cfg.LoginKeys == nil || res == nil {
		return
	}
	now := r.cfg.Now()
	key := stateKey(p.site, p.cred)
	s, err := r.cfg.DB.LoginState(ctx, key)
	if err != nil && !errors.Is(err, ferry.ErrNoLoginState) {
		log.Error().Err(err).Msg("could not read the saved login to update it")
		return
	}
	known := err == nil
	s.Key, s.Site, s.Credential, s.Bot = key, p.site, p.cred.Name, run.Bot
	s.TrustDeclared = trustOf(p.script)
	if res.Session == sessionRestored {
		s.LastValidAt = now
	}
	second := ferry.SecondFactorAt(res.Trace)
	// The site asked for the second factor again: the previous window
	// ended, whatever it declared.
	asked := !second.IsZero() || (res.Session == sessionExpired && ferry.ClassOf(runErr) == ferry.ClassInputNeeded)
	// A refresh login asks for it by design, before the window ends.
	if asked && !s.SecondFactorAt.IsZero() && !isRefresh(run) {
		s.ObservedExpiry = now
	}
	if !second.IsZero() {
		s.SecondFactorAt = second
	}
	if runErr == nil && len(res.LoginState) > 0 {
		s.Sealed, s.SealKey = r.cfg.LoginKeys.Seal(res.LoginState, []byte(key)), r.cfg.LoginKeys.KeyID()
		s.SavedAt, s.RunID = now, run.ID
	} else if !known {
		return // nothing to keep yet
	}
	if err := r.cfg.DB.SaveLoginState(ctx, s); err != nil {
		log.Error().Err(err).Msg("could not save the login for the next run")
		return
	}
	if runErr == nil && len(res.LoginState) > 0 {
		log.Info().Str("credential", p.cred.Name).Msg("login saved for the next run (sealed)")
	}
}

// trustOf is the trust window the script declares.
func trustOf(s *scripts.Script) time.Duration {
	if s == nil || s.Session == nil {
		return 0
	}
	return s.Session.Trust
}
