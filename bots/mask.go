package bots

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
)

// masked replaces a secret wherever evidence or a message would show it.
const masked = "******"

// secretParam names the query parameters whose values are secret even
// when no credential typed them: tokens, keys, session ids, codes.
var secretParam = regexp.MustCompile(`(?i)pass|pwd|token|secret|key|auth|session|sid|otp|code|sig|csrf|nonce|ticket`)

// secretForms lists every typed secret of the run in the forms a page may
// show it in: as typed, URL-encoded, and HTML-escaped as Chromium
// serialises text and attribute values. Longest first, so that a secret
// containing another is masked whole.
func (r *run) secretForms() []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	text := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\u00a0", "&nbsp;")
	attr := strings.NewReplacer("&", "&amp;", `"`, "&quot;", "\u00a0", "&nbsp;")
	for k, v := range r.vars {
		if !r.secret[k] || v == "" {
			continue
		}
		add(v)
		add(url.QueryEscape(v))
		add(url.PathEscape(v))
		add(text.Replace(v))
		add(attr.Replace(v))
		add(strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// maskAll removes every typed secret from text, in any of its forms.
func (r *run) maskAll(text string) string {
	if text == "" {
		return text
	}
	for _, s := range r.secretForms() {
		text = strings.ReplaceAll(text, s, masked)
	}
	return text
}

// maskURL masks a URL for messages and evidence: typed secrets anywhere,
// the password of its user info, and the values of query parameters whose
// names say they are secret.
func (r *run) maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return r.maskAll(raw)
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), masked)
		}
	}
	if u.RawQuery != "" {
		u.RawQuery = maskQuery(u.RawQuery)
	}
	if u.Fragment != "" && strings.Contains(u.Fragment, "=") {
		// Single-page applications and OAuth put tokens in the fragment.
		u.RawFragment = maskQuery(u.EscapedFragment())
		u.Fragment, _ = url.PathUnescape(u.RawFragment)
	}
	return r.maskAll(u.String())
}

// maskQuery masks the values of secret-named parameters, keeping the
// order and spelling of everything else.
func maskQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if ok && secretParam.MatchString(name) {
			parts[i] = k + "=" + masked
		}
	}
	return strings.Join(parts, "&")
}

// pagePath is the path of the page the run is on: the key fingerprints
// and heals are filed under, stable across query strings and titles.
func (r *run) pagePath() string {
	info, err := r.page.Info()
	if err != nil {
		return "(unknown page)"
	}
	u, err := url.Parse(info.URL)
	if err != nil {
		return r.maskAll(info.URL)
	}
	return u.Path
}

// maskPageJS replaces every secret in the live page's text, attributes
// and field values before evidence is captured, so the screenshot shows
// no more than the stored DOM.
const maskPageJS = `function (secrets, mask) {
  if (!secrets.length) return 0;
  const fix = (s) => { let out = s; for (const x of secrets) out = out.split(x).join(mask); return out; };
  let n = 0;
  const walk = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
  for (let t = walk.nextNode(); t; t = walk.nextNode()) { const v = fix(t.nodeValue); if (v !== t.nodeValue) { t.nodeValue = v; n++; } }
  for (const el of document.querySelectorAll('*')) {
    for (const a of [...el.attributes]) { const v = fix(a.value); if (v !== a.value) { el.setAttribute(a.name, v); n++; } }
    if ('value' in el && typeof el.value === 'string' && el.tagName !== 'OPTION') { const v = fix(el.value); if (v !== el.value) { el.value = v; n++; } }
  }
  document.title = fix(document.title);
  return n;
}`

// PageError is a step's failure with the page it happened on.
type PageError struct {
	Err   error
	URL   string // the full URL, secrets masked
	Title string
}

func (e *PageError) Error() string {
	if e.Title == "" {
		return fmt.Sprintf("%v (page %s)", e.Err, e.URL)
	}
	return fmt.Sprintf("%v (page %s, title %q)", e.Err, e.URL, e.Title)
}

// Unwrap returns the failure.
func (e *PageError) Unwrap() error { return e.Err }

// onPage adds the page's full URL and title to a classified error, once.
func (r *run) onPage(err error) error {
	fe, ok := err.(*ferry.Error)
	var pe *PageError
	if r.page == nil || !ok || errors.As(err, &pe) || fe.Class == ferry.ClassInternal && errors.Is(err, context.Canceled) {
		return err
	}
	info, ierr := r.page.Timeout(3 * time.Second).Info()
	if ierr != nil || info.URL == "" {
		return err
	}
	return &ferry.Error{Class: fe.Class, Where: fe.Where, Err: &PageError{Err: fe.Err, URL: r.maskURL(info.URL), Title: r.maskAll(strings.TrimSpace(info.Title))}}
}
