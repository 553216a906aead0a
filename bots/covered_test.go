package bots_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
)

func clickStatements(path, timeout string) string {
	return `  - open: "${site.url}/` + path + `"
  - click: statements.link
    timeout: ` + timeout + `
  - wait: done
`
}

// A link wrapped onto two lines is probed at its own client rects: the
// nav's background between them (an ancestor) is no overlay.
func TestCoveredCheckProbesClientRectsNotAncestors(t *testing.T) {
	t.Parallel()
	base := k11Site(t)
	res, err := runK11(t, base, bots.SiteOptions{}, clickStatements("wrapped", "20s"))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(res.Heals) != 0 {
		t.Fatalf("heals proposed for a wrapped link: %s", heals(res))
	}
}

// What covers the link while the page lays itself out is waited out, up
// to the step's deadline, and proposes nothing.
func TestCoveredCheckRetriesUntilDeadline(t *testing.T) {
	t.Parallel()
	base := k11Site(t)
	res, err := runK11(t, base, bots.SiteOptions{}, clickStatements("layout", "20s"))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(res.Heals) != 0 {
		t.Fatalf("heals proposed for a pane of the layout: %s", heals(res))
	}
}

// A cookie wall that stays is covered: the healer proposes its accept
// button (not the first control), by the score and margin rules.
func TestCoveredByCookieWallProposesAccept(t *testing.T) {
	t.Parallel()
	base := k11Site(t)
	res, err := runK11(t, base, bots.SiteOptions{}, clickStatements("cookies", "4s"))
	var ce *bots.CoveredError
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || !errors.As(err, &ce) || !strings.Contains(ce.Overlay, "cookie-wall") {
		t.Fatalf("got %v, want covered by the cookie wall", err)
	}
	if len(res.Heals) != 1 {
		t.Fatalf("heals: %s", heals(res))
	}
	h := res.Heals[0]
	if !h.Dismiss || !h.Accepted || h.Element != "overlay.cookie_wall" || h.Ways[0].Value != "#cc-accept" || h.Score-h.RunnerUp < 0.15 {
		t.Fatalf("proposal: %s", heals(res))
	}
}

// An overlay whose controls are navigation gets no dismiss proposal: the
// healer never takes the first control when none reads like accept/close.
func TestCoveredByNavProposesNothing(t *testing.T) {
	t.Parallel()
	base := k11Site(t)
	res, err := runK11(t, base, bots.SiteOptions{}, clickStatements("navcover", "4s"))
	var ce *bots.CoveredError
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || !errors.As(err, &ce) {
		t.Fatalf("got %v, want covered", err)
	}
	for _, h := range res.Heals {
		if h.Accepted {
			t.Fatalf("accepted a proposal for a nav overlay: %s", heals(res))
		}
	}
	if !strings.Contains(err.Error(), "no control of the overlay reads like accept or close") {
		t.Fatalf("error does not say why nothing is proposed: %v", err)
	}
}

// heals describes a result's heals without their screenshots.
func heals(res *bots.Result) string {
	var b strings.Builder
	for _, h := range res.Heals {
		fmt.Fprintf(&b, "{%s dismiss=%v accepted=%v score=%.2f runner-up=%.2f ways=%v reason=%q} ", h.Element, h.Dismiss, h.Accepted, h.Score, h.RunnerUp, h.Ways, h.Reason)
	}
	return b.String()
}
