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
func (r *run) canaryResolve(ctx context.Context) {
	res, err := r.resolveAll(ctx)
	if err != nil {
		return
	}
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
