package bots

import (
	"context"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// Screenshots are pixels, which no text replacement reaches: a secret
// split over elements (one span a character), inside a shadow root or a
// same-origin frame, or in a visible text field is drawn as typed. Before
// a screenshot, every place the page shows a typed secret is painted
// over in black by inline styles (which follow the layout when the
// full-page capture resizes the viewport), and put back after it, so a
// screenshot taken mid-run (a heal's before and after) leaves the page as
// it was.

// maskPixelsJS paints over every place that shows one of secrets: the
// secret's own characters in a text node (wrapped in a black span), the
// smallest element whose text holds a secret no single text node holds,
// and form controls whose value or placeholder holds one; in the document,
// its open shadow roots and its same-origin frames. It keeps what undoes
// it under key and returns how many places it painted.
const maskPixelsJS = `function (secrets, key) {
  secrets = secrets.filter((s) => s);
  const STYLE = 'color:#000 !important;background:#000 !important;-webkit-text-fill-color:#000 !important;text-shadow:none !important;caret-color:transparent !important;';
  const SKIP = new Set(['SCRIPT', 'STYLE', 'TITLE', 'TEXTAREA', 'OPTION', 'NOSCRIPT', 'TEMPLATE', 'HEAD']);
  const has = (s) => { if (!s) return false; for (const x of secrets) if (s.includes(x)) return true; return false; };
  const styled = [];  // [element, its style attribute before]
  const split = [];   // [text node, its value before, the nodes added after it]
  const mark = (el) => {
    if (styled.some((x) => x[0] === el)) return;
    styled.push([el, el.getAttribute('style')]);
    el.setAttribute('style', (el.getAttribute('style') || '') + ';' + STYLE);
  };
  const markTree = (el) => { mark(el); for (const d of el.querySelectorAll('*')) mark(d); };
  const wrap = (t) => {
    const doc = t.ownerDocument;
    const before = t.nodeValue, added = [];
    let node = t;
    for (;;) {
      const v = node.nodeValue;
      let at = -1, len = 0;
      for (const x of secrets) { const i = v.indexOf(x); if (i >= 0 && (at < 0 || i < at || i === at && x.length > len)) { at = i; len = x.length; } }
      if (at < 0) break;
      const mid = node.splitText(at);
      const rest = mid.splitText(len);
      const span = doc.createElement('span');
      span.setAttribute('style', STYLE);
      mid.parentNode.insertBefore(span, mid);
      span.appendChild(mid);
      added.push(span, rest);
      node = rest;
    }
    if (added.length) split.push([t, before, added]);
  };
  const visit = (root) => {
    const doc = root.ownerDocument || root;
    const texts = [];
    const walk = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let t = walk.nextNode(); t; t = walk.nextNode()) {
      if (t.parentElement && !SKIP.has(t.parentElement.tagName) && has(t.nodeValue)) texts.push(t);
    }
    texts.forEach(wrap);
    for (const el of root.querySelectorAll('*')) {
      if (SKIP.has(el.tagName) && el.tagName !== 'TEXTAREA') continue;
      if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') {
        if (has(el.value) || has(el.getAttribute('placeholder'))) markTree(el);
      } else if (el.tagName === 'SELECT') {
        if (has(el.textContent)) markTree(el);
      } else if (has(el.textContent) && ![...el.children].some((c) => !SKIP.has(c.tagName) && has(c.textContent))) {
        // A secret split over several text nodes (or children): no
        // single node holds it, this element is the smallest that does.
        if (!split.some((x) => x[2].some((n) => n === el || n.contains && n.contains(el)))) markTree(el);
      }
      if (el.shadowRoot) visit(el.shadowRoot);
      if (el.tagName === 'IFRAME' || el.tagName === 'FRAME') {
        try { const d = el.contentDocument; if (d && d.documentElement) visit(d.documentElement); } catch (e) { /* another origin's */ }
      }
    }
  };
  visit(document.documentElement);
  Object.defineProperty(globalThis, key, { configurable: true, value: () => {
    for (const [t, before, added] of split) { for (const n of added) n.remove(); t.nodeValue = before; }
    for (const [el, style] of styled) { if (style === null) el.removeAttribute('style'); else el.setAttribute('style', style); }
    delete globalThis[key];
    return styled.length + split.length;
  } });
  return styled.length + split.length;
}`

// unmaskPixelsJS undoes maskPixelsJS.
const unmaskPixelsJS = `function (key) { const f = globalThis[key]; return typeof f === 'function' ? f() : 0; }`

// unmaskKey names the page global that undoes a pixel mask.
const unmaskKey = "__ferryUnmaskPixels"

// maskedScreenshot captures p (the whole page when full) with every typed
// secret painted over, and puts the page back afterwards. When the mask
// cannot be applied, it takes no screenshot: evidence without a picture
// is better than a picture of a password.
func (r *run) maskedScreenshot(p *rod.Page, full bool) []byte {
	if sf := r.secretForms(); len(sf) > 0 {
		if _, err := p.Evaluate(rod.Eval(maskPixelsJS, sf, unmaskKey).ByUser()); err != nil {
			r.log.Warn().Err(err).Msg("screenshot skipped: the page's secrets could not be masked")
			return nil
		}
		defer func() {
			// Put back even when the step's context is over.
			bg := p.Context(context.Background()).Timeout(5 * time.Second)
			_, _ = bg.Evaluate(rod.Eval(unmaskPixelsJS, unmaskKey).ByUser())
		}()
	}
	png, err := p.Screenshot(full, &proto.PageCaptureScreenshot{Format: proto.PageCaptureScreenshotFormatPng})
	if err != nil {
		return nil
	}
	return png
}
