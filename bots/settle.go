package bots

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The engine's own settle wait, after a navigation: how long the network
// and the DOM must stay quiet, and how long it waits at most. A page that
// never settles (it polls, or ticks a clock) is no error: the wait ends
// at maxSettle and the step goes on.
const (
	settleNetwork = 250 * time.Millisecond
	settleDOM     = 100 * time.Millisecond
	maxSettle     = 5 * time.Second
)

// settle waits, within ctx and at most maxSettle, for the document of the
// current scope to have loaded (its load event), then for no request to
// have been in flight for settleNetwork and no DOM change for settleDOM.
// A navigation while it waits (a redirect, a script's location change) is
// waited for in turn. It returns what it saw, for the step's detail; its
// error is ctx's when the step's deadline passed.
func (r *run) settle(ctx context.Context) (string, error) {
	started := time.Now()
	r.requests.unsettled(true)
	bound := maxSettle
	if d, ok := ctx.Deadline(); ok {
		// Leave the step most of its time for its own work.
		bound = min(bound, time.Until(d)/2)
	}
	sctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	busy := ""
	for sctx.Err() == nil {
		if err := waitLoaded(sctx, r.doc()); err != nil {
			busy = "the document never loaded"
			if documentReplaced(err) || sctx.Err() != nil {
				continue
			}
			return "", err
		}
		if n, ok := r.networkIdle(sctx); !ok {
			busy = fmt.Sprintf("%d requests still in flight: %s", n, r.pendingDetail())
			break
		}
		_, err := lookupCall(sctx, r.doc(), nil, callOpts{await: true}, nil, -1, "quiet", settleDOM.Milliseconds())
		if err != nil {
			busy = "the DOM kept changing"
			if documentReplaced(err) {
				continue // a navigation: wait for the new document
			}
			if sctx.Err() != nil {
				break
			}
			return "", err
		}
		// The DOM was quiet; the network must still be, and no navigation
		// may have started meanwhile.
		if n, quiet := r.requests.state(); n == 0 && quiet >= settleNetwork && !r.requests.unsettled(true) {
			return fmt.Sprintf("settled in %s", time.Since(started).Round(time.Millisecond)), nil
		}
		busy = "the page kept loading"
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return fmt.Sprintf("not settled after %s (%s), went on", time.Since(started).Round(time.Millisecond), busy), nil
}

// pendingDetail names the oldest requests in flight (type, masked URL,
// age), for the detail of a settle that did not come.
func (r *run) pendingDetail() string {
	var parts []string
	for _, f := range r.requests.pending(3) {
		kind := strings.ToLower(string(f.kind))
		if kind == "" {
			kind = "request"
		}
		parts = append(parts, fmt.Sprintf("%s %s for %s", kind, clip(r.maskURL(f.url), 120), time.Since(f.sent).Round(time.Millisecond)))
	}
	return strings.Join(parts, ", ")
}

// networkIdle waits until no request has been in flight for settleNetwork.
// It reads the run's request tracker, which CDP events keep: no call to
// the browser. It returns false, with the requests in flight, when ctx
// ends first.
func (r *run) networkIdle(ctx context.Context) (int, bool) {
	for {
		n, quiet := r.requests.state()
		if n == 0 && quiet >= settleNetwork {
			return 0, true
		}
		wait := 25 * time.Millisecond
		if n == 0 {
			wait = settleNetwork - quiet
		}
		select {
		case <-ctx.Done():
			return n, false
		case <-time.After(wait):
		}
	}
}

// settleIfNavigated settles the page when a navigation committed since the
// last settle: a click that navigated, a redirect, a route change. A step
// that acts on an element calls it before its lookup, so that it never
// acts on a page whose scripts have not run yet.
func (r *run) settleIfNavigated(ctx context.Context) (string, error) {
	if !r.requests.unsettled(false) {
		return "", nil
	}
	return r.settle(ctx)
}

// settleBefore settles the page before a lookup of the named element:
// always when the selector file asks for it (the element, or its page,
// is under settle), else only after a navigation.
func (r *run) settleBefore(ctx context.Context, name string) error {
	if r.job.Selectors.SettleBefore(name) {
		_, err := r.settle(ctx)
		return err
	}
	_, err := r.settleIfNavigated(ctx)
	return err
}
