package bots

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/go-rod/rod"
)

// coverJS, called on an element, tells whether something else covers it
// where a click lands. It probes the centre of each of the element's own
// client rects (a link wrapped onto two lines has two, and the centre of
// its outer box may fall between them), the first being where the click
// goes. A hit on the element, inside it, or on one of its ancestors (the
// background between the rects) is no cover: an ancestor is never an
// overlay. When covered, it names the overlay, says whether it is
// overlay-like (fixed, absolute, sticky, a dialog), and scores each of
// its controls by how much it reads like accept or close.
const coverJS = `function () {
  const el = this;
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const visible = (x) => { const r = x.getBoundingClientRect(); const st = getComputedStyle(x);
    return r.width > 0 && r.height > 0 && st.visibility !== 'hidden' && st.display !== 'none'; };
  const ownRects = () => [...el.getClientRects()].filter((r) => r.width >= 1 && r.height >= 1);
  let rects = ownRects();
  if (!rects.length) return JSON.stringify({ state: 'invisible' });
  const inView = (r) => r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
  if (!inView(rects[0])) { el.scrollIntoView({ block: 'center', inline: 'nearest' }); rects = ownRects(); }
  if (!rects.length) return JSON.stringify({ state: 'invisible' });
  const probes = rects.map((r) => ({ x: r.left + r.width / 2, y: r.top + r.height / 2 }));
  let foreign = null;
  const hits = probes.map((p, i) => {
    const hit = document.elementFromPoint(p.x, p.y);
    if (!hit) return 'outside';
    if (hit === el || el.contains(hit)) return 'self';
    if (hit.contains(el)) return 'ancestor';
    if (i === 0) foreign = hit;
    return 'other';
  });
  if (!foreign) return JSON.stringify({ state: 'clear', hits });
  // The overlay: the outermost positioned or dialog ancestor of what was
  // hit that does not hold the element itself.
  let overlay = foreign, overlayLike = false;
  for (let p = foreign; p && p !== document.body && p !== document.documentElement; p = p.parentElement) {
    if (p.contains(el)) break;
    const st = getComputedStyle(p);
    if (['fixed', 'absolute', 'sticky'].includes(st.position) || p.getAttribute('role') === 'dialog' || p.getAttribute('role') === 'alertdialog' ||
        p.getAttribute('aria-modal') === 'true' || p.tagName === 'DIALOG') { overlay = p; overlayLike = true; }
  }
  const name = (b) => norm(b.getAttribute('aria-label') || b.value || b.textContent || b.getAttribute('title'));
  const strong = /^(accept( all)?( cookies)?|agree|i agree|allow( all)?|ok|okay|got it|close|dismiss|no thanks|continue|×|✕|x|同意|接受|确定|知道了|关闭|我知道了)$/i;
  const weak = /accept|agree|allow|got it|close|dismiss|同意|接受|确定|知道了|关闭/i;
  const ctrls = [...overlay.querySelectorAll('button,[role=button],input[type=button],input[type=submit],a[href]')].filter(visible);
  const scored = ctrls.map((b, i) => ({ i, name: name(b), score: strong.test(name(b)) ? 1 : (weak.test(name(b)) ? 0.6 : 0) }))
    .sort((a, b) => b.score - a.score || a.i - b.i);
  const ways = [];
  const best = scored.length ? ctrls[scored[0].i] : null;
  if (best && scored[0].score > 0) {
    const only = (sel) => { try { const r = [...document.querySelectorAll(sel)].filter(visible); return r.length === 1 && r[0] === best; } catch (e) { return false; } };
    const tag = best.tagName.toLowerCase();
    const cands = [];
    if (best.id && !/\d{3,}|[0-9a-f]{8,}/.test(best.id)) cands.push('#' + CSS.escape(best.id));
    if (best.getAttribute('data-testid')) cands.push('[data-testid="' + CSS.escape(best.getAttribute('data-testid')) + '"]');
    if (best.getAttribute('aria-label')) cands.push(tag + '[aria-label="' + CSS.escape(best.getAttribute('aria-label')) + '"]');
    if (overlay.id) cands.push('#' + CSS.escape(overlay.id) + ' ' + tag + (best.className && typeof best.className === 'string' && best.className.trim() ? '.' + best.className.trim().split(/\s+/).map((c) => CSS.escape(c)).join('.') : ''));
    for (const c of cands) if (only(c)) ways.push({ kind: 'css', value: c });
  }
  return JSON.stringify({ state: 'covered', hits, overlayLike, complete: document.readyState === 'complete',
    overlay: overlay.tagName.toLowerCase() + (overlay.id ? '#' + overlay.id : '') + (overlay.getAttribute('role') ? '[role=' + overlay.getAttribute('role') + ']' : ''),
    id: overlay.id || '', scores: scored.map((s) => ({ name: s.name, score: s.score })), ways });
}`

// coverProbe is what coverJS reports.
type coverProbe struct {
	State       string   `json:"state"` // clear, covered, invisible
	Hits        []string `json:"hits"`
	OverlayLike bool     `json:"overlayLike"`
	Complete    bool     `json:"complete"`
	Overlay     string   `json:"overlay"`
	ID          string   `json:"id"`
	Scores      []struct {
		Name  string  `json:"name"`
		Score float64 `json:"score"`
	} `json:"scores"`
	Ways []map[string]string `json:"ways"`
}

// coverSettle is how long the same overlay must stay, on a loaded page,
// before the healer may propose dismissing it: what covers an element
// while the page lays itself out is no overlay.
const coverSettle = time.Second

// probeCover runs coverJS on the element until it is clear or ctx is
// nearly over; it returns the last probe and whether it stayed the same
// on a loaded page for coverSettle.
func probeCover(ctx context.Context, el *rod.Element) (probe coverProbe, settled bool, err error) {
	// Keep a little of the step's time to report the overlay.
	end := time.Now().Add(24 * time.Hour)
	if dl, ok := ctx.Deadline(); ok {
		end = dl.Add(-min(time.Until(dl)/10, time.Second))
	}
	var since time.Time
	delay := 25 * time.Millisecond
	for {
		obj, e := el.Context(ctx).Evaluate(rod.Eval(coverJS).ByUser())
		if e != nil {
			return probe, false, e
		}
		var p coverProbe
		if e := json.Unmarshal([]byte(obj.Value.Str()), &p); e != nil {
			return probe, false, fmt.Errorf("covered check: %w", e)
		}
		if p.State != "covered" {
			return p, false, nil
		}
		if !p.Complete || p.Overlay != probe.Overlay || probe.State != "covered" {
			since = time.Now()
		}
		probe = p
		settled = p.Complete && time.Since(since) >= coverSettle
		if time.Now().Add(delay).After(end) {
			return probe, settled, nil
		}
		select {
		case <-ctx.Done():
			return probe, settled, nil
		case <-time.After(delay):
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}

// overlayElementName is the selector file name proposed for an overlay's
// dismiss control.
func overlayElementName(id string) string {
	id = strings.Trim(strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' {
			return c
		}
		if c >= 'A' && c <= 'Z' {
			return c + 32
		}
		return '_'
	}, id), "_")
	if id == "" {
		return "overlay.dismiss"
	}
	return "overlay." + id
}
