package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
)

const sitePageConfig = `sites:
  plain: http://127.0.0.1:8700
  wide:
    url: http://127.0.0.1:8701/
    window: {width: 1600, height: 1000}
    device: mobile
    dialogs: {confirm: accept, alert: fail}
    max_download: 2MB
credentials:
  zw: {user: zhangwei, password: pw}
`

// ctxEngine records the site settings each run's context carries.
type ctxEngine struct {
	got       map[string]bots.SiteOptions
	downloads map[string]bots.DownloadOptions
}

func (e *ctxEngine) Execute(ctx context.Context, job ferry.BrowserJob[*scripts.Script, *selectors.File]) (*ferry.BrowserResult[selectors.Way], error) {
	if o, ok := bots.SiteOptionsFrom(ctx); ok {
		e.got[job.BaseURL] = o
	}
	if e.downloads != nil {
		e.downloads[job.BaseURL] = bots.DownloadOptionsFrom(ctx)
	}
	return &ferry.BrowserResult[selectors.Way]{}, nil
}

// A site's window, device and dialogs reach the engine with each of its
// runs; a site without them runs with the engine's defaults.
func TestSitePageSettingsReachTheEngine(t *testing.T) {
	cfg, err := loadConfig(writeSitesConfig(t, sitePageConfig), "")
	if err != nil {
		t.Fatal(err)
	}
	want := bots.SiteOptions{Window: bots.Window{Width: 1600, Height: 1000}, Device: "mobile",
		Dialogs: bots.DialogPolicy{Confirm: "accept", Alert: "fail"}}
	if got := cfg.SiteEntries["wide"].Page; got != want {
		t.Fatalf("wide: %+v", got)
	}
	e := &ctxEngine{got: map[string]bots.SiteOptions{}, downloads: map[string]bots.DownloadOptions{}}
	br := cfg.sitePages(e)
	for _, base := range []string{"http://127.0.0.1:8700", "http://127.0.0.1:8701/"} {
		if _, err := br.Execute(context.Background(), ferry.BrowserJob[*scripts.Script, *selectors.File]{BaseURL: base}); err != nil {
			t.Fatal(err)
		}
	}
	if len(e.got) != 1 || e.got["http://127.0.0.1:8701/"] != want {
		t.Fatalf("the engine saw %+v", e.got)
	}
	// Downloads stream under the data directory, capped per site.
	dir := filepath.Join(cfg.DataDir, "downloads")
	if d := e.downloads["http://127.0.0.1:8701/"]; d.Max != 2<<20 || d.Dir != dir {
		t.Fatalf("wide's downloads: %+v, want 2 MiB under %s", d, dir)
	}
	if d := e.downloads["http://127.0.0.1:8700"]; d.Max != bots.DefaultMaxDownload || d.Dir != dir {
		t.Fatalf("plain's downloads: %+v, want the default cap under %s", d, dir)
	}
	for _, tc := range []struct{ edit, want string }{
		{strings.Replace(sitePageConfig, "width: 1600", "width: wide", 1), `window.width: "wide" is not a number of pixels`},
		{strings.Replace(sitePageConfig, "{width: 1600, height: 1000}", "{width: 1600}", 1), "give both width and height"},
		{strings.Replace(sitePageConfig, "height: 1000", "depth: 3", 1), `unknown key "depth" in window`},
		{strings.Replace(sitePageConfig, "device: mobile", "device: fridge", 1), `device "fridge"`},
		{strings.Replace(sitePageConfig, "confirm: accept", "confirm: maybe", 1), `dialogs.confirm: "maybe"`},
		{strings.Replace(sitePageConfig, "confirm: accept", "toast: accept", 1), `unknown key "toast" in dialogs`},
		{strings.Replace(sitePageConfig, "max_download: 2MB", "max_download: lots", 1), `max_download: "lots"`},
	} {
		_, err := loadConfig(writeSitesConfig(t, tc.edit), "")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "ferry.yaml:") {
			t.Errorf("%q: got %v, want an error at its line with %q", tc.want, err, tc.want)
		}
	}
}

// selectors check --seed stores a fingerprint of every element the canary
// found alone: the healer's references before any run failed.
func TestSelectorsCheckSeedStoresFingerprints(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 4})
	u, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	zw := sandbox.DefaultUsers()[0]
	cfgPath := filepath.Join(t.TempDir(), "ferry.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf("data_dir: data\nsites:\n  demobank: {url: %q, window: {width: 1280, height: 900}}\ncredentials:\n  zw:\n    user: %s\n    password: %q\n", u, zw.ID, zw.Password)), 0o600)
	code, out, errs := ferryCmd(t, "--config", cfgPath, "selectors", "check", "demobank", "--seed", "--from", "2026-10-01", "--to", "2026-10-31")
	if code != 0 || !strings.Contains(errs, "seeded") {
		t.Fatalf("check --seed: exit %d\n%s%s", code, out, errs)
	}
	cfg, err := loadConfig(cfgPath, "")
	if err != nil {
		t.Fatal(err)
	}
	db, err := openExisting(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fps, err := db.Fingerprints(context.Background(), "demobank")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range fps {
		got[f.Element] = true
	}
	for _, want := range []string{"login.user", "login.submit", "statement.search", "statement.download_csv"} {
		if !got[want] {
			t.Errorf("no seeded fingerprint for %s (have %d)", want, len(fps))
		}
	}
}
