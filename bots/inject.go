package bots

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// lookupKey names the global a document keeps its copy of lookup.js
// under. The hash of the source is in the name, so a document never runs
// another build's copy.
var lookupKey = sync.OnceValue(func() string {
	h := fnv.New64a()
	h.Write([]byte(lookupJS))
	return fmt.Sprintf("__ferryLookup%x", h.Sum64())
})

// injectJS defines lookup.js in a document, once: later lookups send only
// callerJS (a few hundred bytes) instead of the whole 15 KB script. The
// source is part of the function declaration, not a string the page would
// eval, so a page's Content-Security-Policy cannot block it.
var injectJS = sync.OnceValue(func() string {
	return `function (key) {
  if (typeof globalThis[key] !== 'function') Object.defineProperty(globalThis, key, { value: (` + strings.TrimSpace(lookupJS) + `), configurable: true });
  return true;
}`
})

// callerJS calls the document's copy of lookup.js, or asks for it.
const callerJS = `function (key, ways, pick, want, extra) {
  const f = globalThis[key];
  if (typeof f !== 'function') throw new Error('ferry:inject');
  return f.call(this, ways, pick, want, extra);
}`

// lookupCall runs lookup.js(ways, pick, want, extra) in doc, on this when
// it is set (an element: a within container, or the element a step acts
// on). A document that has no copy yet (a new page, a navigation, a new
// frame) is given one and the call made again. Every call carries ctx,
// and with it the step's deadline.
func lookupCall(ctx context.Context, doc *rod.Page, this *rod.Element, opts callOpts, ways any, pick int, want string, extra any) (*proto.RuntimeRemoteObject, error) {
	for injected := false; ; injected = true {
		e := rod.Eval(callerJS, lookupKey(), ways, pick, want, extra).ByUser()
		if this != nil {
			e = e.This(this.Object)
		}
		if opts.byObject {
			e = e.ByObject()
		}
		if opts.await {
			e = e.ByPromise()
		}
		obj, err := doc.Context(ctx).Evaluate(e)
		if err == nil || injected || !strings.Contains(err.Error(), "ferry:inject") {
			return obj, err
		}
		if _, err := doc.Context(ctx).Evaluate(rod.Eval(injectJS(), lookupKey())); err != nil {
			return nil, fmt.Errorf("inject lookup.js: %w", err)
		}
	}
}

// callOpts say how lookupCall returns its result.
type callOpts struct {
	byObject bool // a remote object (an element), not a JSON value
	await    bool // the result is a promise: wait for it in the page
}

// scopedCall is lookupCall in the run's current scope: the current
// frame's document, on the within container if there is one.
func (r *run) scopedCall(ctx context.Context, opts callOpts, ways any, pick int, want string, extra any) (*proto.RuntimeRemoteObject, error) {
	return lookupCall(ctx, r.doc(), r.scope.within, opts, ways, pick, want, extra)
}
