package runner

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/rs/zerolog"
)

// HealProposal is what a stored heal proposes.
type HealProposal struct {
	Ways    []selectors.Way `json:"ways"`
	Dismiss bool            `json:"dismiss"`
}

// Apply edits a selector file's text as the proposal says: its first way
// put first for the element (and variant), or the overlay's button added
// and listed under dismiss.
func (p HealProposal) Apply(content []byte, element, variant string) ([]byte, error) {
	if len(p.Ways) == 0 {
		return nil, fmt.Errorf("the proposal has no way")
	}
	if p.Dismiss {
		return selectors.AddDismiss(content, element, p.Ways)
	}
	return selectors.PrependWay(content, element, variant, p.Ways[0])
}

func (r *Runner) fingerprints(ctx context.Context, site string) []ferry.ElementFingerprint {
	fps, err := r.cfg.DB.Fingerprints(ctx, site)
	if err != nil {
		return nil
	}
	out := make([]ferry.ElementFingerprint, len(fps))
	for i, f := range fps {
		out[i] = ferry.ElementFingerprint{Element: f.Element, Variant: f.Variant, Page: f.Page, Data: []byte(f.Data)}
	}
	return out
}

// keepHealing stores what a run learnt: the fingerprints of the elements it
// found and, as proposals for review, the heals it made.
func (r *Runner) keepHealing(ctx context.Context, log zerolog.Logger, run ferry.RunRecord, sel *selectors.File, res *ferry.BrowserResult[selectors.Way]) {
	var fps []ferry.StoredFingerprint
	for _, f := range res.Fingerprints {
		fps = append(fps, ferry.StoredFingerprint{Site: sel.Site, Element: f.Element, Variant: f.Variant, Page: f.Page, Data: string(f.Data), RunID: run.ID})
	}
	if err := r.cfg.DB.SaveFingerprints(ctx, fps); err != nil {
		log.Error().Err(err).Msg("could not store fingerprints")
	}
	if len(res.Heals) == 0 {
		return
	}
	seq, _, err := r.cfg.DB.RecordSelectorVersion(ctx, sel.Site, sel.Version, sel.Source, r.cfg.Author, "loaded from "+sel.Path)
	if err != nil {
		log.Error().Err(err).Msg("could not look up the selector version")
		return
	}
	for _, h := range res.Heals {
		if !h.Accepted {
			log.Warn().Str("element", h.Element).Str("page", h.Page).Str("why", h.Reason).Msg("the healer found no safe replacement")
			continue
		}
		p := HealProposal{Ways: h.Ways, Dismiss: h.Dismiss}
		edited, err := p.Apply(sel.Source, h.Element, h.Variant)
		if err != nil {
			log.Warn().Err(err).Str("element", h.Element).Msg("heal not proposed")
			continue
		}
		way, _ := json.Marshal(p)
		breakdown, _ := json.Marshal(h.Breakdown)
		rec := ferry.HealRecord{Site: sel.Site, Element: h.Element, Variant: h.Variant, RunID: run.ID, Page: h.Page, Way: string(way),
			Score: h.Score, RunnerUp: h.RunnerUp, Breakdown: string(breakdown), BaseSeq: seq,
			Diff: selectors.Diff(fmt.Sprintf("%s v%d", sel.Site, seq), "proposed", string(sel.Source), string(edited))}
		for _, shot := range []struct {
			name string
			data []byte
			into *int64
		}{{"heal-before.png", h.Before, &rec.BeforeArtifact}, {"heal-after.png", h.After, &rec.AfterArtifact}} {
			if len(shot.data) == 0 {
				continue
			}
			a, err := r.cfg.DB.PutArtifact(ctx, ferry.Artifact{RunID: run.ID, Kind: "heal", Name: h.Element + "-" + shot.name, MIME: "image/png", Format: "png"}, shot.data)
			if err == nil {
				*shot.into = a.ID
			}
		}
		id, added, err := r.cfg.DB.AddHeal(ctx, rec)
		switch {
		case err != nil:
			log.Error().Err(err).Msg("could not store a heal")
		case added:
			log.Warn().Int64("heal", id).Str("element", h.Element).Str("page", h.Page).Str("way", h.Ways[0].String()).Float64("score", h.Score).Bool("used", h.Used).
				Msg("heal proposed: review with `ferry selectors heals`")
		}
	}
}
