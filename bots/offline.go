package bots

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/ferry-rpa/ferry/selectors"
	"github.com/go-rod/rod/lib/proto"
)

// Resolution is how one selector fares on a page.
type Resolution struct {
	Element string      `json:"element"`
	Variant string      `json:"variant,omitempty"`
	Status  string      `json:"status"` // unique, many (a collection found), several, none
	Page    string      `json:"page,omitempty"`
	Way     string      `json:"way,omitempty"`
	Ways    []WayResult `json:"ways"`
}

// Resolve resolves every selector of a file against a captured page (the
// DOM of an evidence bundle) in a fresh headless page, offline: scripts do
// not run and nothing is fetched, so the live site is never touched.
func (br *Browser) Resolve(ctx context.Context, html string, sel *selectors.File) ([]Resolution, error) {
	inc, done, err := br.incognito(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	page, err := inc.Page(proto.TargetCreateTarget{URL: "about:blank"})
	if err != nil {
		return nil, err
	}
	page = page.Context(ctx)
	if err := (proto.EmulationSetScriptExecutionDisabled{Value: true}).Call(page); err != nil {
		return nil, err
	}
	// Nothing leaves the page: every request fails.
	if err := (proto.FetchEnable{Patterns: []*proto.FetchRequestPattern{{URLPattern: "*"}}}).Call(page); err != nil {
		return nil, err
	}
	go page.EachEvent(func(e *proto.FetchRequestPaused) {
		_ = (proto.FetchFailRequest{RequestID: e.RequestID, ErrorReason: proto.NetworkErrorReasonBlockedByClient}).Call(page)
	})()
	if err := page.SetDocumentContent(html); err != nil {
		return nil, fmt.Errorf("load the captured page: %w", err)
	}
	r := &run{job: Job{Selectors: sel}, page: page}
	return r.resolveAll(ctx)
}

// resolveAll resolves every selector of the run's file on the current page.
func (r *run) resolveAll(ctx context.Context) ([]Resolution, error) {
	sel := r.job.Selectors
	variant, err := r.variant(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(sel.Elements))
	for n := range sel.Elements {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]Resolution, 0, len(names))
	for _, n := range names {
		el := sel.Elements[n]
		res, pick, ways, err := r.lookup(ctx, el)
		if err != nil {
			return nil, err
		}
		rs := Resolution{Element: n, Variant: variant, Ways: res, Status: "none", Page: r.pageURL()}
		if pick >= 0 {
			rs.Status, rs.Way = "unique", ways[pick].String()
			if el.Many {
				rs.Status = "many"
			}
		} else {
			for _, w := range res {
				if w.Count > 1 {
					rs.Status = "several"
				}
			}
		}
		out = append(out, rs)
	}
	return out, nil
}

// EvidenceSelector reads which selector an evidence bundle's run failed
// on, and what covered it if an overlay did.
func EvidenceSelector(evidenceJSON []byte) (names []string, page, coveredBy string, err error) {
	var ev Evidence
	if err := json.Unmarshal(evidenceJSON, &ev); err != nil {
		return nil, "", "", err
	}
	coveredBy = ev.CoveredBy
	for _, n := range strings.Split(ev.Selector, " | ") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names, ev.URL, coveredBy, nil
}

// canaryResolve resolves every selector on the current page and keeps, per
// element, the best outcome so far: found beats ambiguous beats not seen.
// It fingerprints every element one of its own ways finds alone, so that
// a canary (or a seed) run gives the healer references before any run
// has failed.
func (r *run) canaryResolve(ctx context.Context) {
	res, err := r.resolveAll(ctx)
	if err != nil {
		return
	}
	r.captureResolved(ctx, res)
	rank := map[string]int{"none": 0, "several": 1, "unique": 2, "many": 2}
	if r.res.Canary == nil {
		r.res.Canary = res
		return
	}
	for i, x := range res {
		cur := r.res.Canary[i]
		if rank[x.Status] > rank[cur.Status] || (x.Status == "several" && cur.Status != "unique" && cur.Status != "many") {
			r.res.Canary[i] = x
		}
	}
}

// captureResolved fingerprints each element found alone on the page.
func (r *run) captureResolved(ctx context.Context, res []Resolution) {
	if r.res == nil || r.res.Fingerprints == nil {
		return
	}
	for _, x := range res {
		if x.Status != "unique" {
			continue
		}
		el := r.job.Selectors.Elements[x.Element]
		for _, w := range el.WaysFor(x.Variant) {
			if w.String() == x.Way {
				r.capture(ctx, x.Element, w)
				break
			}
		}
	}
}

// Seed fingerprints the selector file's elements on the pages a known-good
// run of the bot reaches, without downloading anything: it runs job as a
// canary, which after every step resolves every selector, and keeps a
// fingerprint of each element one of its own ways finds alone. The healer
// then has references for the first broken run. The error is the canary
// run's; the fingerprints gathered until it failed are returned with it.
func (br *Browser) Seed(ctx context.Context, job Job) (map[string]Fingerprint, error) {
	job.Canary = true
	if job.HealPolicy == HealOff {
		job.HealPolicy = HealPropose
	}
	res, err := br.Run(ctx, job)
	if res == nil {
		return nil, err
	}
	return res.Fingerprints, err
}

// SeedPage fingerprints the selector file's elements on one known-good
// page: the live page at pageURL when html is empty, else the captured
// html, offline (scripts off, nothing fetched). Each element that one of
// its own ways finds alone is fingerprinted, filed under path (the page's
// path when empty).
func (br *Browser) SeedPage(ctx context.Context, sel *selectors.File, pageURL, html, path string) (map[string]Fingerprint, error) {
	inc, done, err := br.incognito(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	target := pageURL
	if html != "" {
		target = "about:blank"
	}
	page, err := inc.Page(proto.TargetCreateTarget{URL: "about:blank"})
	if err != nil {
		return nil, fmt.Errorf("seed: new page: %w", err)
	}
	page = page.Context(ctx)
	if err := applyViewport(page, SiteOptions{}); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	if html != "" {
		if err := (proto.EmulationSetScriptExecutionDisabled{Value: true}).Call(page); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		if err := (proto.FetchEnable{Patterns: []*proto.FetchRequestPattern{{URLPattern: "*"}}}).Call(page); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		go page.EachEvent(func(e *proto.FetchRequestPaused) {
			_ = (proto.FetchFailRequest{RequestID: e.RequestID, ErrorReason: proto.NetworkErrorReasonBlockedByClient}).Call(page)
		})()
		if err := page.SetDocumentContent(html); err != nil {
			return nil, fmt.Errorf("seed: load the captured page: %w", err)
		}
	} else {
		if err := page.Navigate(target); err != nil {
			return nil, fmt.Errorf("seed: open %s: %w", target, err)
		}
		if err := waitLoaded(ctx, page); err != nil {
			return nil, fmt.Errorf("seed: load %s: %w", target, err)
		}
	}
	r := &run{job: Job{Selectors: sel, HealPolicy: HealPropose}, page: page, res: &Result{Fingerprints: map[string]Fingerprint{}},
		vars: map[string]string{}, secret: map[string]bool{}}
	res, err := r.resolveAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("seed: resolve the selectors: %w", err)
	}
	r.captureResolved(ctx, res)
	if path != "" {
		for k, fp := range r.res.Fingerprints {
			fp.Page = path
			r.res.Fingerprints[k] = fp
		}
	}
	return r.res.Fingerprints, nil
}
