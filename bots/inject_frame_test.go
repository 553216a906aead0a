package bots_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/rs/zerolog"
)

// lookup.js goes to each iframe document once, like to a top document:
// frame: and in_frame: steps make several lookups in the payment frame
// (/inner) and one in the document its form brings (/paid), and each of
// the three documents (the checkout page and the frame's two) is given
// lookup.js exactly once.
func TestLookupJSIsInjectedOncePerFrameDocument(t *testing.T) {
	t.Parallel()
	br, c := countedBrowser(t)
	site := &langSite{}
	base := site.serve(t)
	s, sel := parseScript(t, "lang.yaml", langSelectors, "lang-test.yaml", `bot: lang-test
site: lang
steps:
  - open: "${site.url}/frame"
  - assert: pay.card
    frame: pay.frame
    attr: {name: card}
  - in_frame: pay.frame
    steps:
      - assert: pay.card
        attr: {name: card}
      - fill: pay.card
        value: "4111"
      - assert: pay.card
        attr: {name: card}
      - click: pay.submit
      - wait_text: paid
        within: pay.done
  - assert: pay.done
    frame: pay.frame
  - fill: pay.card
    value: decoy
`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c.reset()
	res, err := br.Run(ctx, bots.Job{Script: s, Selectors: sel, BaseURL: base, StepTimeout: 30 * time.Second,
		Credential: ferry.Credential{Name: "lang", Fields: map[string]string{"user": "ops", "password": testPassword}},
		Logger:     zerolog.New(zerolog.NewTestWriter(t))})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !site.saw("/paid?card=4111") {
		t.Fatalf("the frame's form was not submitted: %v", site.requests())
	}
	inFrame := 0
	for _, st := range res.Trace {
		if strings.Contains(st.Way, "in frame pay.frame") {
			inFrame++
		}
	}
	if inFrame < 6 {
		t.Fatalf("%d steps looked up in the frame, want 6: %+v", inFrame, res.Trace)
	}
	c.mu.Lock()
	injects, by := c.injects, c.injected
	c.mu.Unlock()
	t.Logf("lookup.js injected %d times: %v", injects, by)
	for doc, n := range by {
		if n != 1 {
			t.Errorf("lookup.js injected %d times into one document (%s)", n, doc)
		}
	}
	// The checkout page, the frame's form, the frame's answer.
	if injects != 3 || len(by) != 3 {
		t.Fatalf("lookup.js injected %d times into %d documents, want once into each of 3 (the page and the frame's two)", injects, len(by))
	}
}
