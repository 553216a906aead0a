package bots

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/rs/zerolog"
)

// Engine is the browser engine as the runner sees it; *Browser is one.
type Engine = ferry.Engine[*scripts.Script, *selectors.File, selectors.Way]

var _ Engine = (*Browser)(nil)

// Execute implements ferry.Engine: it runs the job as Run does, in terms
// of the domain's types. It logs to the zerolog logger ctx carries.
func (br *Browser) Execute(ctx context.Context, job ferry.BrowserJob[*scripts.Script, *selectors.File]) (*ferry.BrowserResult[selectors.Way], error) {
	fps := make(map[string]Fingerprint, len(job.Fingerprints))
	for _, f := range job.Fingerprints {
		fps[FingerprintKey(f.Element, f.Variant)] = Fingerprint{Element: f.Element, Variant: f.Variant, Page: f.Page, Data: json.RawMessage(f.Data)}
	}
	j := Job{RunID: job.RunID, Script: job.Script, Selectors: job.Selectors, BaseURL: job.BaseURL, Params: job.Params,
		Credential: job.Credential, SkipAccounts: job.SkipAccounts, StepTimeout: job.StepTimeout, Now: job.Now,
		Logger: *zerolog.Ctx(ctx), OnStep: job.OnStep, Fingerprints: fps, HealPolicy: job.HealPolicy, Ask: job.Ask,
		OnDownload: func(d Download) error {
			if job.OnDownload == nil {
				return nil
			}
			return job.OnDownload(ferry.BrowserDownload{Account: d.Account, Format: d.Format, Name: d.Name, MIME: d.MIME, Data: d.Data})
		}}
	j.loginState(job.LoginState, job.SaveLoginState)
	res, err := br.Run(ctx, j)
	if res == nil {
		return nil, err
	}
	out := &ferry.BrowserResult[selectors.Way]{RowsSeen: res.RowsSeen, Accounts: res.Accounts, Trace: res.Trace}
	out.LoginState, out.Session = res.stateJSON(), string(res.Session)
	if ev := res.Evidence; ev != nil {
		report, merr := json.MarshalIndent(ev, "", "  ")
		if merr != nil {
			report = nil // the screenshot and page still go
		}
		out.Evidence = &ferry.BrowserEvidence{Report: report, Screenshot: ev.Screenshot, HTML: ev.HTML}
	}
	keys := make([]string, 0, len(res.Fingerprints))
	for k := range res.Fingerprints {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := res.Fingerprints[k]
		out.Fingerprints = append(out.Fingerprints, ferry.ElementFingerprint{Element: f.Element, Variant: f.Variant, Page: f.Page, Data: []byte(f.Data)})
	}
	for _, h := range res.Heals {
		out.Heals = append(out.Heals, ferry.SelectorHeal[selectors.Way]{Element: h.Element, Variant: h.Variant, Page: h.Page,
			Score: h.Score, RunnerUp: h.RunnerUp, Breakdown: h.Breakdown, Ways: h.Ways, Accepted: h.Accepted, Reason: h.Reason,
			Used: h.Used, Dismiss: h.Dismiss, Before: h.Before, After: h.After})
	}
	return out, err
}
