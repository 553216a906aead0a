package bots_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/rs/zerolog"
)

// pxPassword is typed into a visible field; the page draws it in red,
// the only red on the page but for a decoy in the top-left corner.
const pxPassword = "Hunter2-Xyzzy"

const pxSelectors = `site: px
version: 1
elements:
  login.password: {ways: [{css: "#pw"}]}
  home.missing: {ways: [{css: "#never-there"}]}
`

// pxSite serves a form whose visible text field copies what is typed,
// drawn large in red, where text replacement cannot reach it: one span a
// character, an open shadow root, a same-origin frame, and the field
// itself. A red decoy (not a secret) at a known place shows that red text
// does reach the screenshot.
func pxSite(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html><head><title>Pixels</title><style>
body { margin: 0; background: #fff; font: 40px/1.2 sans-serif; color: #00f }
.red { color: #f00 }
#decoy { position: absolute; left: 0; top: 0; width: 400px; height: 60px; overflow: hidden }
#rest { position: absolute; left: 0; top: 100px; width: 1000px }
</style></head><body>
<div id="decoy" class="red">DECOY text</div>
<div id="rest">
<p>Password: <input id="pw" type="text" class="red" style="font: 40px sans-serif; width: 600px; border: 0"></p>
<p id="split" class="red"></p>
<div id="host"></div>
<iframe id="fr" srcdoc="<body style='margin:0;background:#fff;font:40px sans-serif'><p style='color:#00f'>you typed <b id=echo style='color:#f00'></b></p></body>" style="width: 900px; height: 120px; border: 0"></iframe>
<p>Blue is not a secret.</p>
</div>
<script>
const shadow = document.getElementById('host').attachShadow({mode: 'open'});
shadow.innerHTML = '<p style="color:#00f">typed <b style="color:#f00"></b></p>';
document.getElementById('pw').addEventListener('input', (e) => {
  const v = e.target.value;
  const split = document.getElementById('split');
  split.textContent = '';
  for (const ch of v) { const s = document.createElement('span'); s.textContent = ch; split.appendChild(s); }
  shadow.querySelector('b').textContent = v;
  document.getElementById('fr').contentDocument.getElementById('echo').textContent = v;
});
</script></body></html>`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// red counts the clearly red pixels of img inside and outside rect.
func red(img image.Image, rect image.Rectangle) (in, out int) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 > 180 && g>>8 < 90 && bl>>8 < 90 {
				if image.Pt(x, y).In(rect) {
					in++
				} else {
					out++
				}
			}
		}
	}
	return in, out
}

// TestEvidenceScreenshotMasksTypedCredentialPixels: the evidence
// screenshot of a page that shows a typed password (in the visible field,
// split over spans, in a shadow root and in a frame, all in red) has no
// red pixel but the decoy's: every place is painted over before the
// capture. The page is put back after the capture (the stored page has
// none of the mask's styles). Without the mask the secret's red glyphs
// are in the picture (the decoy shows red text does get there).
func TestEvidenceScreenshotMasksTypedCredentialPixels(t *testing.T) {
	t.Parallel()
	base := pxSite(t)
	s, sel := parseScript(t, "px.yaml", pxSelectors, "px-test.yaml", `bot: px-test
site: px
steps:
  - open: ${site.url}/login
  - fill: login.password
    value: ${cred.password}
  - wait: home.missing
    timeout: 2s
`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := browser.Run(ctx, bots.Job{Script: s, Selectors: sel, BaseURL: base, StepTimeout: 20 * time.Second,
		Credential: ferry.Credential{Name: "px", Fields: map[string]string{"password": pxPassword}},
		Logger:     zerolog.New(zerolog.NewTestWriter(t))})
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || res == nil || res.Evidence == nil || len(res.Evidence.Screenshot) == 0 {
		t.Fatalf("got %v; want site_changed with a screenshot", err)
	}
	img, err := png.Decode(bytes.NewReader(res.Evidence.Screenshot))
	if err != nil {
		t.Fatal(err)
	}
	decoy := image.Rect(0, 0, 400, 60)
	in, out := red(img, decoy)
	if in < 50 {
		t.Fatalf("the red decoy has %d red pixels: the screenshot does not show red text, the test proves nothing", in)
	}
	if out > 0 {
		if d := os.Getenv("FERRY_PX_DUMP"); d != "" {
			_ = os.WriteFile(d, res.Evidence.Screenshot, 0o644)
		}
		t.Fatalf("%d red pixels outside the decoy: the typed password is visible in the screenshot", out)
	}
	// Put back: the stored page carries none of the mask's paint (its
	// text is masked by replacement, as before).
	if strings.Contains(res.Evidence.HTML, "#000 !important") {
		t.Fatalf("the mask's styles are in the stored page: %s", res.Evidence.HTML)
	}
}
