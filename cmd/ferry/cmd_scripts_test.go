package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/scripts"
)

// scripts check lists every escape-hatch step with its digest and whether
// the script pins it; an edited snippet fails its script's check, and the
// error gives the digest to pin. The embedded scripts pass.
func TestScriptsCheck(t *testing.T) {
	t.Parallel()
	code, out, errs := ferryCmd(t, "scripts", "check")
	if code != exitOK || !strings.Contains(out, "demobank-statements (site demobank): ok") || !strings.Contains(out, "etax-invoices (site etax): ok") {
		t.Fatalf("embedded scripts: exit %d\n%s\n%s", code, out, errs)
	}
	dir := t.TempDir()
	const js = "return document.title;"
	bot := func(snippet string) string {
		return "bot: peek\nsite: demobank\nsteps:\n  - open: \"${site.url}/login\"\n  - script: \"" + snippet + "\"\n    reviewed: " + scripts.Digest(js) + "\n    into: title\n"
	}
	os.WriteFile(filepath.Join(dir, "peek.yaml"), []byte(bot(js)), 0o600)
	cfg := filepath.Join(dir, "ferry.yaml")
	os.WriteFile(cfg, []byte("scripts_dir: .\ndata_dir: data\n"), 0o600)
	code, out, errs = ferryCmd(t, "--config", cfg, "scripts", "check", "peek", "--json")
	var got []scriptCheck
	if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil || len(got) != 1 || len(got[0].Snippets) != 1 {
		t.Fatalf("pinned snippet: exit %d %v\n%s\n%s", code, err, out, errs)
	}
	if sn := got[0].Snippets[0]; !sn.Reviewed || sn.Digest != scripts.Digest(js) || sn.Line != 5 || sn.Where != "steps[1]" || sn.First != js {
		t.Fatalf("snippet: %+v", sn)
	}
	// Someone edits the snippet without a review: refused, with the new
	// digest to pin once it has been read.
	edited := "return document.cookie;"
	os.WriteFile(filepath.Join(dir, "peek.yaml"), []byte(bot(edited)), 0o600)
	code, out, errs = ferryCmd(t, "--config", cfg, "scripts", "check", "peek")
	if code != exitFailed || !strings.Contains(out, "peek.yaml:5") || !strings.Contains(out, scripts.Digest(edited)) {
		t.Fatalf("edited snippet: exit %d\n%s\n%s", code, out, errs)
	}
}
