package runner_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/internal/seal"
	"github.com/ferry-rpa/ferry/sandbox/tax"
)

// TestRunnerRestoresBrowserStores: the portal keeps part of its session
// in sessionStorage and IndexedDB (its ClientStore switch) and trusts no
// device (every fresh login asks an SMS code). A saved login with both
// stores is restored with no SMS; the same login without either store is
// refused by the portal's page, and the run must log in again, which
// asks an SMS code.
func TestRunnerRestoresBrowserStores(t *testing.T) {
	for _, c := range []struct {
		name  string
		strip func(o *bots.OriginState)
		want  string // the portal's mismatch event detail; "" when restored
	}{
		{"full state", nil, ""},
		{"no sessionStorage", func(o *bots.OriginState) { o.Session = nil }, "no token in sessionStorage"},
		{"no IndexedDB", func(o *bots.OriginState) { o.IndexedDB = nil }, "no token in IndexedDB"},
		{"cookies only", func(o *bots.OriginState) { o.Session, o.IndexedDB = nil, nil }, "no token in sessionStorage and IndexedDB"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			keys, _ := seal.Parse(seal.NewKey())
			e := setupLoginTax(t, keys, nil)
			e.p.Set(func(s *tax.Switches) { s.ClientStore, s.TrustDays = true, 0 })
			e.saveFirstLogin(t, keys)
			saved, err := e.db.LoginState(ctx, e.key)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := keys.Open(saved.Sealed, []byte(e.key))
			if err != nil {
				t.Fatal(err)
			}
			var st bots.State
			if err := json.Unmarshal(plain, &st); err != nil {
				t.Fatal(err)
			}
			var origin *bots.OriginState
			for i := range st.Origins {
				if st.Origins[i].Origin == e.base {
					origin = &st.Origins[i]
				}
			}
			if origin == nil || origin.Session["etax.token"] == "" || len(origin.IndexedDB) == 0 {
				t.Fatalf("the first login saved no browser stores for %s: %+v", e.base, st.Origins)
			}
			if c.strip != nil {
				c.strip(origin)
				if plain, err = json.Marshal(st); err != nil {
					t.Fatal(err)
				}
				saved.Sealed = keys.Seal(plain, []byte(e.key))
				if err := e.db.SaveLoginState(ctx, saved); err != nil {
					t.Fatal(err)
				}
			}
			before := e.p.Stats()
			run := e.run(t)
			after := e.p.Stats()
			var mismatch []string
			for _, ev := range e.p.Events() {
				if ev.Kind == tax.EventClientMismatch {
					mismatch = append(mismatch, ev.Detail)
				}
			}
			if c.want == "" {
				if run.Status != ferry.RunSucceeded || after.SMSSent != before.SMSSent || after.LoginAttempts != before.LoginAttempts || len(mismatch) != 0 {
					t.Fatalf("full state: run %s %s %s; before %+v after %+v; mismatches %v", run.Status, run.Class, run.Error, before, after, mismatch)
				}
				return
			}
			// The page refused the session, the run logged in fresh, and
			// the portal asked for an SMS code (which this script cannot
			// type: input_needed).
			if run.Status != ferry.RunFailed || run.Class != ferry.ClassInputNeeded {
				t.Fatalf("run %s %s %s", run.Status, run.Class, run.Error)
			}
			if after.LoginAttempts != before.LoginAttempts+1 || after.SMSSent != before.SMSSent+1 {
				t.Fatalf("want one fresh login asking one SMS: before %+v after %+v", before, after)
			}
			if len(mismatch) != 1 || mismatch[0] != c.want {
				t.Fatalf("portal mismatches %v, want [%s]", mismatch, c.want)
			}
		})
	}
}
