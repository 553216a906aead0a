package bots

// The escape hatch: a JavaScript snippet kept in the bot's file, for what
// the YAML steps cannot say. It runs in the page (or the step's frame,
// with this set to the within element), bounded by the step's deadline;
// the trace shows its digest and first line, so a reviewer can tell which
// reviewed text ran.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/go-rod/rod"
)

// maxScriptResult bounds what a snippet may keep in a variable.
const maxScriptResult = 64 << 10

// scriptWrapJS runs the snippet as the body of an async function, its
// this the within element or the document, and returns its result as
// JSON text, so that any value (and undefined) crosses intact.
const scriptWrapJS = `async function () {
  const self = (this && this.nodeType) ? this : document;
  const v = await (async function () {
%s
  }).call(self);
  return v === undefined ? null : JSON.stringify(v);
}`

// script runs a script step's snippet; its result, when into is given,
// becomes ${var.INTO} (a string as is, anything else as JSON).
func (r *run) script(ctx, sctx context.Context, where string, st scripts.Step) (out stepOutcome, err error) {
	digest := scripts.Digest(st.Script)
	first := clip(scripts.FirstLine(st.Script), 80)
	label := fmt.Sprintf("%s %q", digest, first)
	out.way = r.scope.label("script")
	out.detail = label
	if st.Reviewed != digest {
		// Parse refuses such a script; this is the engine's own guard.
		return out, ferry.Errorf(ferry.ClassInternal, where, "script %s is not the reviewed one (%s)", label, st.Reviewed)
	}
	obj, err := r.doc().Context(sctx).Evaluate(r.scope.eval(rod.Eval(fmt.Sprintf(scriptWrapJS, st.Script))).ByPromise())
	if err != nil {
		var ee *rod.EvalError
		switch {
		case errors.As(err, &ee):
			return out, ferry.Errorf(ferry.ClassSiteChanged, where, "script %s threw on %s: %s", label, r.pageURL(), clip(r.mask(ee.Error()), 300))
		case sctx.Err() != nil && ctx.Err() == nil:
			return out, ferry.Errorf(ferry.ClassSiteChanged, where, "script %s did not finish within the step's %s on %s", label, r.timeout(st), r.pageURL())
		}
		return out, err
	}
	if st.Into == "" {
		return out, nil
	}
	var v string
	if obj.Value.Nil() {
		v = ""
	} else if raw := obj.Value.Str(); raw != "" {
		var s string
		if json.Unmarshal([]byte(raw), &s) == nil {
			v = s
		} else {
			v = raw
		}
	}
	if len(v) > maxScriptResult {
		return out, ferry.Errorf(ferry.ClassInternal, where, "script %s returned %d bytes; a variable holds at most %d", label, len(v), maxScriptResult)
	}
	v = r.mask(v)
	r.vars["var."+st.Into] = v
	out.detail = fmt.Sprintf("%s; var.%s = %q", label, st.Into, clip(v, 200))
	return out, nil
}
