package bots_test

import (
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
)

// The default window is 1280x900, wide enough for a responsive site's
// desktop menu; a site's window and device settings apply per page.
func TestWindowSizeDefaultAndPerSite(t *testing.T) {
	t.Parallel()
	base := k11Site(t)
	steps := `  - open: "${site.url}/responsive"
  - assert: size
    text: "%s"
  - click: menu.reports
    timeout: 3s
`
	if _, err := runK11(t, base, bots.SiteOptions{}, strings.Replace(steps, "%s", "1280x900", 1)); err != nil {
		t.Fatalf("default window: %v", err)
	}
	// At 800x600 the menu collapses: the lookup finds no visible link.
	_, err := runK11(t, base, bots.SiteOptions{Window: bots.Window{Width: 800, Height: 600}}, strings.Replace(steps, "%s", "800x600", 1))
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || !strings.Contains(err.Error(), "menu.reports") {
		t.Fatalf("800x600: got %v, want the menu hidden", err)
	}
	// A phone is narrow (and its window setting overrides its size).
	_, err = runK11(t, base, bots.SiteOptions{Device: bots.DeviceMobile}, strings.Replace(steps, "%s", "375x812", 1))
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || !strings.Contains(err.Error(), "menu.reports") {
		t.Fatalf("mobile: got %v, want a 375x812 page without the menu", err)
	}
	if _, err := runK11(t, base, bots.SiteOptions{Device: bots.DeviceMobile, Window: bots.Window{Width: 1100, Height: 700}},
		strings.Replace(steps, "%s", "1100x700", 1)); err != nil {
		t.Fatalf("mobile at 1100x700: %v", err)
	}
}
