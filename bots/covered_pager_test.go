package bots_test

import (
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
)

const pagerSteps = `  - open: "${site.url}/pager%s"
  - for_each_page:
      next: pager.next
      steps:
        - count_rows: pager.rows
    timeout: 3s
`

// Paging ends only at a next control that is found and disabled; one that
// no way finds is a site_changed naming it, never "the last page".
func TestPagerNextNotFoundIsSiteChanged(t *testing.T) {
	t.Parallel()
	base := k11Site(t)
	res, err := runK11(t, base, bots.SiteOptions{}, strings.Replace(pagerSteps, "%s", "", 1))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.RowsSeen[""] != 6 {
		t.Fatalf("saw %d rows over the pages, want 6", res.RowsSeen[""])
	}
	if pg := traced(res, "for_each_page"); len(pg) == 0 || !strings.Contains(pg[len(pg)-1].Detail, "last page 3: the next control is disabled") {
		t.Fatalf("paging did not end at the disabled next control: %+v", pg)
	}
	res, err = runK11(t, base, bots.SiteOptions{}, strings.Replace(pagerSteps, "%s", "?renamed", 1))
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || !strings.Contains(err.Error(), `the pager's next control: selector "pager.next"`) {
		t.Fatalf("renamed next: got %v (rows %d), want site_changed naming pager.next", err, res.RowsSeen[""])
	}
}
