function (ways, pick, want, extra) {
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const visible = (el) => {
    if (!(el instanceof Element)) return false;
    if (el.checkVisibility && !el.checkVisibility({ visibilityProperty: true })) return false;
    if (!el.getClientRects().length) return false;
    const st = getComputedStyle(el);
    return st.visibility !== 'hidden' && st.display !== 'none';
  };
  const role = (el) => {
    const r = el.getAttribute('role');
    if (r) return r.split(' ')[0];
    const t = el.tagName.toLowerCase();
    const type = (el.getAttribute('type') || '').toLowerCase();
    switch (t) {
      case 'a': return el.hasAttribute('href') ? 'link' : '';
      case 'button': return 'button';
      case 'input':
        if (['submit', 'button', 'reset', 'image'].includes(type)) return 'button';
        if (type === 'checkbox' || type === 'radio') return type;
        if (type === 'hidden' || type === 'password') return '';
        return 'textbox';
      case 'textarea': return 'textbox';
      case 'select': return el.multiple ? 'listbox' : 'combobox';
      case 'h1': case 'h2': case 'h3': case 'h4': case 'h5': case 'h6': return 'heading';
      case 'table': return 'table';
      case 'tr': return 'row';
      case 'td': return 'cell';
      case 'th': return 'columnheader';
      case 'img': return 'img';
      case 'nav': return 'navigation';
      case 'main': return 'main';
      case 'form': return 'form';
    }
    return '';
  };
  const byIds = (ids) => norm(ids.split(/\s+/).map((id) => { const e = document.getElementById(id); return e ? e.textContent : ''; }).join(' '));
  const labelOf = (el) => {
    if (el.getAttribute('aria-labelledby')) return byIds(el.getAttribute('aria-labelledby'));
    if (el.getAttribute('aria-label')) return norm(el.getAttribute('aria-label'));
    if (el.labels && el.labels.length) return norm([...el.labels].map((l) => l.textContent).join(' '));
    return '';
  };
  const accName = (el) => {
    const l = labelOf(el);
    if (l) return l;
    const t = el.tagName.toLowerCase();
    if (t === 'input' && ['submit', 'button', 'reset'].includes((el.type || '').toLowerCase())) return norm(el.value);
    if (t === 'img') return norm(el.getAttribute('alt'));
    if (['input', 'textarea', 'select'].includes(t)) return norm(el.getAttribute('title') || el.getAttribute('placeholder'));
    return norm(el.textContent) || norm(el.getAttribute('title'));
  };
  const all = () => [...document.body.querySelectorAll('*')];
  const find = (w) => {
    switch (w.kind) {
      case 'css': return [...document.querySelectorAll(w.value)];
      case 'xpath': {
        const r = document.evaluate(w.value, document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
        const out = [];
        for (let i = 0; i < r.snapshotLength; i++) out.push(r.snapshotItem(i));
        return out;
      }
      case 'testid': return [...document.querySelectorAll('[data-testid="' + CSS.escape(w.value) + '"]')];
      case 'placeholder': return [...document.querySelectorAll('[placeholder="' + CSS.escape(w.value) + '"]')];
      case 'label': return all().filter((el) => ['input', 'select', 'textarea'].includes(el.tagName.toLowerCase()) && labelOf(el) === norm(w.value));
      case 'role': return all().filter((el) => role(el) === w.value && (!w.name || accName(el) === norm(w.name)));
      case 'text': {
        const v = norm(w.value);
        return all().filter((el) => norm(el.textContent) === v && ![...el.children].some((c) => norm(c.textContent) === v));
      }
      case 'near': {
        // The control next to an anchor: the anchor's own control if it is
        // a label, else the first control after it within the closest
        // ancestor (up to three levels) that has one.
        const v = norm(w.value);
        const controls = 'input:not([type=hidden]),select,textarea,button,a[href],[role=button]';
        const anchors = all().filter((el) => norm(el.textContent) === v && ![...el.children].some((c) => norm(c.textContent) === v));
        const out = new Set();
        for (const a of anchors) {
          if (a.control) { out.add(a.control); continue; }
          let p = a.parentElement, found = null;
          for (let up = 0; p && up < 3 && !found; up++, p = p.parentElement) {
            found = [...p.querySelectorAll(controls)].find((c) => c !== a && !a.contains(c) &&
              (a.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING) && visible(c)) || null;
          }
          if (found) out.add(found);
        }
        return [...out];
      }
    }
    throw new Error('unknown way ' + w.kind);
  };
  // --- fingerprints and healing ---------------------------------------
  const ownText = (el) => norm([...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join(' ')) || norm(el.textContent).slice(0, 80);
  const kindOf = (el) => {
    const t = el.tagName.toLowerCase();
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (t === 'input') {
      if (['submit', 'button', 'reset', 'image'].includes(type)) return 'button';
      if (type === 'password') return 'password';
      if (type === 'checkbox' || type === 'radio') return type;
      return 'text';
    }
    if (t === 'textarea') return 'text';
    if (t === 'select') return 'select';
    if (t === 'button' || el.getAttribute('role') === 'button') return 'button';
    if (t === 'a') return 'link';
    return t;
  };
  const nearbyLabel = (el) => {
    const l = labelOf(el);
    if (l) return l;
    let p = el.previousElementSibling;
    for (let i = 0; p && i < 2; i++, p = p.previousElementSibling) { const t = norm(p.textContent); if (t) return t.slice(0, 80); }
    return '';
  };
  const pathOf = (el) => {
    const out = [];
    for (let p = el.parentElement; p && p !== document.body && out.length < 5; p = p.parentElement) out.push(p.tagName.toLowerCase());
    return out;
  };
  const fingerprint = (el) => {
    const r = el.getBoundingClientRect();
    const attrs = {};
    for (const a of ['id', 'class', 'name', 'type', 'placeholder', 'data-testid', 'aria-label', 'title', 'autocomplete', 'for']) {
      const v = el.getAttribute(a);
      if (v) attrs[a] = v;
    }
    if (el.tagName.toLowerCase() === 'a' && el.getAttribute('href')) attrs.href = (el.getAttribute('href') || '').split('?')[0];
    const form = el.closest('form');
    // The names of the form's fields: the backend's contract, which a
    // redesign of the page rarely changes.
    const fields = form ? [...form.elements].map((e) => e.getAttribute('name') || '').filter(Boolean).sort().join(' ') : '';
    // Whether it is the only one of its kind in its form (the form's one
    // button, say): what a person recognises when every text has changed.
    const sole = form ? [...form.querySelectorAll('*')].filter((x) => visible(x) && kindOf(x) === kindOf(el)).length === 1 : false;
    return { tag: el.tagName.toLowerCase(), kind: kindOf(el), role: role(el), name: accName(el), text: ownText(el), label: nearbyLabel(el),
      attrs, path: pathOf(el), form: form ? (form.getAttribute('action') || '') : '', fields, sole,
      rect: { x: Math.round(r.left + scrollX), y: Math.round(r.top + scrollY), w: Math.round(r.width), h: Math.round(r.height) } };
  };
  const bigrams = (s) => { const out = new Map(); for (let i = 0; i < s.length - 1; i++) { const g = s.slice(i, i + 2); out.set(g, (out.get(g) || 0) + 1); } return out; };
  const sim = (a, b) => {
    a = norm(a).toLowerCase(); b = norm(b).toLowerCase();
    if (!a && !b) return null;
    if (a === b) return 1;
    if (!a || !b) return 0;
    const ta = new Set(a.split(/[\s\-_#.]+/).filter(Boolean)), tb = new Set(b.split(/[\s\-_#.]+/).filter(Boolean));
    const inter = [...ta].filter((x) => tb.has(x)).length;
    const jac = inter / (new Set([...ta, ...tb]).size || 1);
    const ga = bigrams(a), gb = bigrams(b);
    let common = 0, na = 0, nb = 0;
    ga.forEach((n, g) => { na += n; common += Math.min(n, gb.get(g) || 0); });
    gb.forEach((n) => { nb += n; });
    const dice = na + nb ? 2 * common / (na + nb) : 0;
    return Math.max(jac, dice);
  };
  const eq = (a, b) => (!a && !b) ? null : (a === b ? 1 : 0);
  const score = (fp, el) => {
    const c = fingerprint(el);
    const parts = [
      ['id', 0.12, sim(fp.attrs.id, c.attrs.id)],
      ['name', 0.2, eq(fp.attrs.name, c.attrs.name)],
      ['form fields', 0.15, sim(fp.fields || '', c.fields || '')],
      ['sole in form', 0.15, fp.sole ? (c.sole ? 1 : 0) : null],
      ['type', 0.06, eq(fp.attrs.type, c.attrs.type)],
      ['text', 0.12, sim(fp.text, c.text)],
      ['accessible name', 0.12, sim(fp.name, c.name)],
      ['label', 0.1, sim(fp.label, c.label)],
      ['class', 0.04, sim(fp.attrs.class, c.attrs.class)],
      ['test id', 0.04, eq(fp.attrs['data-testid'], c.attrs['data-testid'])],
      ['placeholder', 0.04, eq(fp.attrs.placeholder, c.attrs.placeholder)],
      ['autocomplete', 0.04, eq(fp.attrs.autocomplete, c.attrs.autocomplete)],
      ['href', 0.2, eq(fp.attrs.href, c.attrs.href)],
      ['form', 0.06, eq(fp.form, c.form)],
      ['ancestors', 0.04, sim(fp.path.join(' '), c.path.join(' '))],
      ['position', 0.08, 1 - Math.min(1, Math.hypot(fp.rect.x - c.rect.x, fp.rect.y - c.rect.y) / 400)],
    ];
    let sum = 0, weight = 0;
    const breakdown = {};
    for (const [k, w, v] of parts) {
      if (v === null || v === undefined) continue;
      sum += w * v; weight += w;
      breakdown[k] = Math.round(v * 100) / 100;
    }
    return { score: weight ? sum / weight : 0, breakdown, fp: c };
  };
  const candidates = (fp) => all().filter((el) => visible(el) && kindOf(el) === fp.kind && !el.closest('[aria-hidden=true]'));
  // suggest proposes ways that find el, and only el, most robust first.
  const suggest = (el) => {
    const out = [];
    const unique = (w) => { try { const r = find(w).filter(visible); return r.length === 1 && r[0] === el; } catch (e) { return false; } };
    const tag = el.tagName.toLowerCase();
    const l = labelOf(el);
    if (l && ['input', 'select', 'textarea'].includes(tag)) out.push({ kind: 'label', value: l });
    const r = role(el), n = accName(el);
    if (r && n && n.length <= 60 && ['button', 'link', 'heading', 'tab', 'menuitem', 'checkbox', 'radio'].includes(r)) out.push({ kind: 'role', value: r, name: n });
    if (el.id && !/\d{3,}|[0-9a-f]{8,}/.test(el.id)) out.push({ kind: 'css', value: '#' + CSS.escape(el.id) });
    if (el.getAttribute('data-testid')) out.push({ kind: 'testid', value: el.getAttribute('data-testid') });
    if (el.getAttribute('name')) out.push({ kind: 'css', value: tag + '[name="' + el.getAttribute('name') + '"]' });
    if (tag === 'a' && el.getAttribute('href') && !el.getAttribute('href').startsWith('#')) out.push({ kind: 'css', value: 'a[href="' + el.getAttribute('href') + '"]' });
    return out.filter(unique);
  };
  if (want === 'covered') {
    // Called on an element: what covers its middle, if anything, and the
    // buttons of the overlay that does.
    const el = this;
    el.scrollIntoView({ block: 'center', inline: 'center' });
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit || hit === el || el.contains(hit)) return null;
    let overlay = hit;
    for (let p = hit; p && p !== document.body; p = p.parentElement) {
      const st = getComputedStyle(p);
      if ((st.position === 'fixed' || st.position === 'absolute' || p.getAttribute('role') === 'dialog') && !p.contains(el)) overlay = p;
    }
    const buttons = [...overlay.querySelectorAll('button,[role=button],input[type=button],input[type=submit],a[href]')].filter(visible);
    const yes = /accept|agree|allow|ok|got it|continue|close|同意|接受|确定|知道了|关闭/i;
    const pickb = buttons.find((b) => yes.test(accName(b))) || buttons[0];
    return JSON.stringify({ overlay: overlay.tagName.toLowerCase() + (overlay.id ? '#' + overlay.id : '') + (overlay.getAttribute('role') ? '[role=' + overlay.getAttribute('role') + ']' : ''),
      id: overlay.id || '', button: pickb ? accName(pickb) : '', ways: pickb ? suggest(pickb) : [] });
  }
  if (want === 'fingerprint') {
    const r = find(ways[0]).filter(visible);
    return r.length ? JSON.stringify(fingerprint(r[0])) : null;
  }
  if (want === 'heal') {
    const fp = extra;
    const scored = candidates(fp).map((el, i) => ({ i, ...score(fp, el) })).sort((a, b) => b.score - a.score);
    const top = scored.slice(0, 3).map((s) => ({ index: s.i, score: s.score, breakdown: s.breakdown, desc: s.fp.tag + (s.fp.attrs.id ? '#' + s.fp.attrs.id : '') + ' "' + (s.fp.name || s.fp.text).slice(0, 40) + '"' }));
    if (top.length) top[0].ways = suggest(candidates(fp)[top[0].index]);
    return JSON.stringify(top);
  }
  if (want === 'healmany') {
    // A collection (table rows): the best element of the same tag, then a
    // way that finds it and its siblings like it. The runner-up is the best
    // element outside that collection.
    const fp = extra;
    const cands = all().filter((el) => visible(el) && el.tagName.toLowerCase() === fp.tag);
    const scored = cands.map((el) => ({ el, ...score(fp, el) })).sort((a, b) => b.score - a.score);
    if (!scored.length) return JSON.stringify(null);
    const best = scored[0];
    const other = scored.find((x) => x.el.parentElement !== best.el.parentElement);
    const p = best.el.parentElement;
    const cls = (best.el.getAttribute('class') || '').split(/\s+/).filter(Boolean)[0];
    const sel = (p && p.id ? '#' + CSS.escape(p.id) + ' > ' : '') + fp.tag + (cls ? '.' + CSS.escape(cls) : '');
    const count = [...document.querySelectorAll(sel)].filter(visible).length;
    return JSON.stringify({ score: best.score, runnerUp: other ? other.score : 0, breakdown: best.breakdown,
      desc: sel + ' (' + count + ' elements)', ways: count ? [{ kind: 'css', value: sel }] : [], count });
  }
  if (want === 'healed') {
    return candidates(extra.fp)[extra.index] || null;
  }
  if (want === 'outline') {
    const el = candidates(extra.fp)[extra.index];
    if (el) { el.style.outline = '3px solid #e6007e'; el.style.outlineOffset = '2px'; el.scrollIntoView({ block: 'center' }); }
    return !!el;
  }
  // Called on an element (a step's within:), a lookup counts only what is
  // inside it.
  const scope = this instanceof Element ? this : null;
  const inScope = (el) => !scope || (el !== scope && scope.contains(el));
  const run = (wl) => wl.map((w) => { try { return find(w).filter(visible).filter(inScope); } catch (e) { return String(e.message || e); } });
  if (want === 'quiet') {
    // Resolves once the document has seen no DOM change for extra ms.
    return new Promise((resolve) => {
      let timer;
      const done = () => { mo.disconnect(); resolve(true); };
      const mo = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, extra); });
      mo.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
      timer = setTimeout(done, extra);
    });
  }
  if (want === 'wait') {
    // Waits in the page, not in rounds from Go: looks again after every
    // DOM change (and every 100 ms, for changes only styles make) until a
    // way finds what the element needs (none at all, for gone), or until
    // extra.timeout ms. Resolves with the UI variant, what each way found
    // and the pick (-1 at the timeout).
    const variantOf = () => {
      for (const v of extra.variants || []) {
        if (v.meta) {
          const m = document.querySelector('meta[name="' + CSS.escape(v.meta) + '"]');
          if (!m || m.getAttribute('content') !== v.content) continue;
        }
        if (v.url && !(new RegExp(v.url)).test(location.pathname)) continue;
        if (v.marker) {
          let n = 0;
          try { n = find(v.marker).filter(visible).length; } catch (e) { n = 0; }
          if (!n) continue;
        }
        return v.name;
      }
      return '';
    };
    const round = () => {
      const variant = variantOf();
      const wl = (variant && extra.byVariant && extra.byVariant[variant]) || ways;
      const counts = run(wl).map((r) => Array.isArray(r) ? { count: r.length } : { error: r });
      let p = -1;
      if (extra.gone) p = counts.every((c) => !c.count) ? 0 : -1;
      else p = counts.findIndex((c) => !c.error && (c.count === 1 || (extra.many && c.count > 0)));
      return { variant, ways: counts, pick: p };
    };
    const first = round();
    if (first.pick >= 0 || !(extra.timeout > 0)) return JSON.stringify(first);
    return new Promise((resolve) => {
      let last = first, queued = false, done = false;
      const finish = () => { if (done) return; done = true; mo.disconnect(); clearInterval(tick); clearTimeout(end); resolve(JSON.stringify(last)); };
      const check = () => { queued = false; if (done) return; last = round(); if (last.pick >= 0) finish(); };
      const soon = () => { if (!queued) { queued = true; setTimeout(check, 0); } };
      const mo = new MutationObserver(soon);
      mo.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
      const tick = setInterval(soon, 100);
      const end = setTimeout(() => { last = round(); finish(); }, extra.timeout);
    });
  }
  if (want === 'fill') {
    // Called on an element: focus it and select its text, so that the
    // text typed next replaces it. A node the page replaced (a re-render)
    // is reported as detached, and looked up again by the caller.
    const el = this;
    if (!el.isConnected) return 'detached';
    if (el.disabled || el.readOnly) return 'disabled';
    const r = el.getBoundingClientRect();
    if (r.bottom < 0 || r.top > innerHeight || r.right < 0 || r.left > innerWidth) el.scrollIntoView({ block: 'center', inline: 'nearest' });
    el.focus();
    if (!el.isConnected) return 'detached';
    if (document.activeElement !== el && !el.contains(document.activeElement)) return 'unfocused';
    if (typeof el.select === 'function') el.select();
    else { const s = getSelection(); const range = document.createRange(); range.selectNodeContents(el); s.removeAllRanges(); s.addRange(range); }
    if (extra === '') {
      // Nothing to type: clear it as typing would.
      if ('value' in el) el.value = ''; else el.textContent = '';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }
    return 'ok';
  }
  if (want === 'point') {
    // Called on an element about to be clicked: bring it into view.
    const el = this;
    if (!el.isConnected) return 'detached';
    if (el.disabled || el.getAttribute('aria-disabled') === 'true') return 'disabled';
    const r = el.getBoundingClientRect();
    if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) el.scrollIntoView({ block: 'center', inline: 'center' });
    return 'ok';
  }
  if (want === 'typed') {
    // After the text was typed: the change event a person's leaving the
    // field would fire.
    this.dispatchEvent(new Event('change', { bubbles: true }));
    return this.isConnected ? 'ok' : 'detached';
  }
  const res = run(ways);
  if (pick >= 0) {
    const r = res[pick];
    if (!Array.isArray(r)) return null;
    if (want === 'options') return JSON.stringify([...r[0].options].map((o) => o.value).filter((v) => v !== ''));
    if (want === 'enabled') return JSON.stringify(!r[0].disabled && r[0].getAttribute('aria-disabled') !== 'true');
    return r[0] || null;
  }
  return JSON.stringify(res.map((r) => Array.isArray(r) ? { count: r.length } : { error: r }));
}
