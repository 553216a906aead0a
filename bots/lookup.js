function (ways, pick, want) {
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
  const res = ways.map((w) => { try { return find(w).filter(visible); } catch (e) { return String(e.message || e); } });
  if (pick >= 0) {
    const r = res[pick];
    if (!Array.isArray(r)) return null;
    if (want === 'options') return JSON.stringify([...r[0].options].map((o) => o.value).filter((v) => v !== ''));
    if (want === 'enabled') return JSON.stringify(!r[0].disabled && r[0].getAttribute('aria-disabled') !== 'true');
    return r[0] || null;
  }
  return JSON.stringify(res.map((r) => Array.isArray(r) ? { count: r.length } : { error: r }));
}
