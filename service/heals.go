package service

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/ferry-rpa/ferry/storage"
)

// ErrHealDecided is wrapped when a heal is accepted or rejected that was
// decided before.
var ErrHealDecided = fmt.Errorf("the heal was already decided")

// HealDecision is the outcome of accepting or rejecting a heal.
type HealDecision struct {
	Heal    int64  `json:"heal"`
	Status  string `json:"status"` // accepted or rejected
	Site    string `json:"site"`
	Element string `json:"element"`
	Way     string `json:"way,omitempty"`     // what the element now tries first (accepted)
	Path    string `json:"path,omitempty"`    // the selector file written (accepted)
	Version int    `json:"version,omitempty"` // the selector version recorded (accepted)
	By      string `json:"by"`
}

// ProposedWay is what a stored proposal puts first, as the CLI shows it
// ("dismiss WAY" for an overlay's button).
func ProposedWay(h storage.HealRecord) string {
	var p runner.HealProposal
	if json.Unmarshal([]byte(h.Way), &p) != nil || len(p.Ways) == 0 {
		return ""
	}
	way := p.Ways[0].String()
	if p.Dismiss {
		way = "dismiss " + way
	}
	return way
}

// AcceptHeal applies a proposed heal to the site's selector file as it is
// now (which may have moved on since the proposal), writes the file,
// records the new version and marks the heal accepted. Errors: an unknown
// heal, ErrHealDecided, a proposal that no longer applies (naming the
// file), ErrNoSelectorsDir, a write or database error. The file is written
// before the heal is marked, so a failure in between leaves a proposal
// that accepting again finds applied already.
func (s *Service) AcceptHeal(ctx context.Context, id int64, author string) (HealDecision, error) {
	h, err := s.Store.Heal(ctx, id)
	if err != nil {
		return HealDecision{}, fmt.Errorf("accept heal %d: %w", id, err)
	}
	if h.Status != "proposed" {
		return HealDecision{}, fmt.Errorf("accept heal %d: it is %s: %w", id, h.Status, ErrHealDecided)
	}
	var p runner.HealProposal
	if err := json.Unmarshal([]byte(h.Way), &p); err != nil {
		return HealDecision{}, fmt.Errorf("accept heal %d: stored proposal: %w", id, err)
	}
	cur, err := selectors.Load(s.SelectorsDir, h.Site)
	if err != nil {
		return HealDecision{}, fmt.Errorf("accept heal %d: %w", id, err)
	}
	edited, err := p.Apply(cur.Source, h.Element, h.Variant)
	if err != nil {
		return HealDecision{}, fmt.Errorf("accept heal %d: it does not apply to %s: %w", id, cur.Path, err)
	}
	path, err := s.WriteSelectorFile(h.Site, edited)
	if err != nil {
		return HealDecision{}, fmt.Errorf("accept heal %d: %w", id, err)
	}
	f, err := selectors.Parse(path, edited)
	if err != nil {
		return HealDecision{}, fmt.Errorf("accept heal %d: %w", id, err)
	}
	by := authorOr(author)
	way := ProposedWay(h)
	n, _, err := s.Store.RecordSelectorVersion(ctx, h.Site, f.Version, edited, by, fmt.Sprintf("heal %d accepted: %s %s", id, h.Element, way))
	if err != nil {
		return HealDecision{}, fmt.Errorf("accept heal %d: %w", id, err)
	}
	if err := s.Store.DecideHeal(ctx, id, "accepted", by); err != nil {
		return HealDecision{}, fmt.Errorf("accept heal %d: %w", id, err)
	}
	return HealDecision{Heal: id, Status: "accepted", Site: h.Site, Element: h.Element, Way: way, Path: path, Version: n, By: by}, nil
}

// RejectHeal marks a proposed heal rejected; the selector file is left as
// it is. Errors: an unknown heal, ErrHealDecided, a database error.
func (s *Service) RejectHeal(ctx context.Context, id int64, author string) (HealDecision, error) {
	h, err := s.Store.Heal(ctx, id)
	if err != nil {
		return HealDecision{}, fmt.Errorf("reject heal %d: %w", id, err)
	}
	if h.Status != "proposed" {
		return HealDecision{}, fmt.Errorf("reject heal %d: it is %s: %w", id, h.Status, ErrHealDecided)
	}
	by := authorOr(author)
	if err := s.Store.DecideHeal(ctx, id, "rejected", by); err != nil {
		return HealDecision{}, fmt.Errorf("reject heal %d: %w", id, err)
	}
	return HealDecision{Heal: id, Status: "rejected", Site: h.Site, Element: h.Element, By: by}, nil
}
