package bots_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/rs/zerolog"
)

// dlSelectors names the download site's links and buttons.
const dlSelectors = `site: dl
version: 1
elements:
  attachment: {ways: [{css: "#attachment"}]}
  nasty: {ways: [{css: "#nasty"}]}
  blob: {ways: [{css: "#blob"}]}
  data: {ways: [{css: "#data"}]}
  big.announced: {ways: [{css: "#big-announced"}]}
  big.chunked: {ways: [{css: "#big-chunked"}]}
  big.blob: {ways: [{css: "#big-blob"}]}
  newtab: {ways: [{css: "#newtab"}]}
  html: {ways: [{css: "#html"}]}
`

// dlCap is the test site's download cap: the "big" files exceed it.
const dlCap = 256 << 10

const dlCSV = "Date,Amount\n2026-10-01,12.50\n"

// dlSite serves a page whose links download in every way a portal does:
// an attachment, a file name that tries to escape, files a single-page
// application builds itself (blob: and data: URLs), and files over the
// cap, announced and not.
func dlSite(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	big := strings.Repeat("x", 2*dlCap)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		page(w, `<a id="attachment" href="/file.csv">CSV</a>
<a id="nasty" href="/nasty">Nasty</a>
<button id="blob">Export</button>
<a id="data" download="from-data.csv" href="data:text/csv;base64,`+base64.StdEncoding.EncodeToString([]byte(dlCSV))+`">Data</a>
<a id="big-announced" href="/big?announce=1">Big</a>
<a id="big-chunked" href="/big">Big, chunked</a>
<button id="big-blob">Big export</button>
<a id="newtab" href="/file.csv" target="_blank">CSV in a new tab</a>
<a id="html" href="/error-page">Export (session over)</a>
<script>
function save(text, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], {type: 'text/csv'}));
  a.download = name;
  document.body.appendChild(a);
  a.click();
}
document.getElementById('blob').onclick = () => setTimeout(() => save(`+"`"+dlCSV+"`"+`, 'spa-export.csv'), 50);
document.getElementById('big-blob').onclick = () => save('y'.repeat(`+fmt.Sprint(2*dlCap)+`), 'big-export.csv');
</script>`)
	})
	mux.HandleFunc("/file.csv", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Disposition", `attachment; filename="statement.csv"`)
		fmt.Fprint(w, dlCSV)
	})
	mux.HandleFunc("/error-page", func(w http.ResponseWriter, r *http.Request) {
		page(w, `<h1>Your session has ended</h1>`)
	})
	mux.HandleFunc("/nasty", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		// A path out of the directory, an ANSI escape, a newline and a
		// right-to-left override, percent-encoded as RFC 5987 allows.
		w.Header().Set("Content-Disposition", `attachment; filename*=UTF-8''..%2F..%2F%1B%5B31mevil%0A%E2%80%AEvsc.exe`)
		fmt.Fprint(w, dlCSV)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="huge.bin"`)
		if r.URL.Query().Get("announce") != "" {
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			fmt.Fprint(w, big)
			return
		}
		for i := 0; i < len(big); i += 32 << 10 { // chunked: no length told
			if _, err := fmt.Fprint(w, big[i:i+32<<10]); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// runDownload runs steps against the download site with the test cap and
// a download directory, and returns what the run stored through
// OnDownload.
func runDownload(t *testing.T, base, dir, steps string) (*bots.Result, []bots.Download, error) {
	t.Helper()
	s, sel := parseScript(t, "dl.yaml", dlSelectors, "dl-test.yaml", "bot: dl-test\nsite: dl\nparams:\n  acct: {type: string}\nsteps:\n  - open: ${site.url}/\n"+steps)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctx = bots.WithDownloadOptions(ctx, bots.DownloadOptions{Dir: dir, Max: dlCap})
	var got []bots.Download
	res, err := browser.Run(ctx, bots.Job{RunID: 7, Script: s, Selectors: sel, BaseURL: base, StepTimeout: 30 * time.Second,
		Params: ferry.RunParams{Values: map[string]string{"acct": "NL91ABNA0417164300"}},
		Logger: zerolog.New(zerolog.NewTestWriter(t)),
		OnDownload: func(d bots.Download) error {
			// The file is under the download directory while this runs,
			// and streams from there.
			if !strings.HasPrefix(d.Path, dir+string(filepath.Separator)) {
				return fmt.Errorf("download %q at %q, outside %s", d.Name, d.Path, dir)
			}
			rc, err := d.Open()
			if err != nil {
				return err
			}
			defer rc.Close()
			b := make([]byte, d.Size+1)
			n, _ := rc.Read(b)
			if int64(n) != d.Size || string(b[:n]) != string(d.Data) {
				return fmt.Errorf("download %q: the file holds %d bytes, Data %d", d.Name, n, len(d.Data))
			}
			got = append(got, d)
			return nil
		}})
	return res, got, err
}

// leftovers lists the files left in the download directory (the browser
// may make a cancelled download's empty directory again, later swept).
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestDownloadsDeclareWhatTheyAreAndStreamFromTheDataDir: an attachment, a
// blob: and a data: URL built by the page are all captured, streamed
// through the run's download directory, carry what the step declares,
// and leave nothing behind; a hostile file name is sanitised.
func TestDownloadsDeclareWhatTheyAreAndStreamFromTheDataDir(t *testing.T) {
	t.Parallel()
	base := dlSite(t)
	dir := filepath.Join(t.TempDir(), "data", "downloads")
	res, got, err := runDownload(t, base, dir, `  - download: attachment
    format: csv
    account: ${param.acct}
  - download: nasty
    as: file
  - download: blob
    as: file
    format: spa
  - download: data
    as: file
    format: data
  - download: newtab
    as: file
    format: tab
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || len(res.Downloads) != 5 {
		t.Fatalf("stored %d downloads, result has %d; want 5", len(got), len(res.Downloads))
	}
	for i, want := range []struct{ name, as, account string }{
		{"statement.csv", "statement", "NL91ABNA0417164300"},
		{"[31mevilvsc.exe", "file", ""},
		{"spa-export.csv", "file", ""},
		{"from-data.csv", "file", ""},
		{"statement.csv", "file", ""},
	} {
		d := got[i]
		if d.Name != want.name || d.As != want.as || d.Account != want.account || string(d.Data) != dlCSV || d.Size != int64(len(dlCSV)) {
			t.Errorf("download %d: %q as %s for %q, %d bytes %q; want %q as %s for %q, the CSV", i, d.Name, d.As, d.Account, d.Size, d.Data, want.name, want.as, want.account)
		}
	}
	for _, st := range traced(res, "download") {
		if strings.ContainsAny(st.Detail, "\x1b\n\u202e") || strings.Contains(st.Detail, "..") {
			t.Errorf("trace shows a raw file name: %q", st.Detail)
		}
	}
	if left := leftovers(t, dir); len(left) != 0 {
		t.Fatalf("left in the download directory: %v", left)
	}
}

// TestDownloadOverTheCapStoresNothing: a download over the site's cap,
// announced or not, built by the page or sent by the server, fails the
// step naming the file and the cap; nothing is stored or left on disk.
func TestDownloadOverTheCapStoresNothing(t *testing.T) {
	t.Parallel()
	base := dlSite(t)
	for _, tc := range []struct{ element, name string }{
		{"big.announced", "huge.bin"}, {"big.chunked", "huge.bin"}, {"big.blob", "big-export.csv"},
	} {
		t.Run(tc.element, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "downloads")
			_, got, err := runDownload(t, base, dir, "  - download: "+tc.element+"\n    as: file\n")
			if err == nil || len(got) != 0 {
				t.Fatalf("got %d downloads, error %v; want the cap's error", len(got), err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q is larger than the site's cap of 256 KB", tc.name)) || ferry.ClassOf(err) != ferry.ClassDocumentChanged {
				t.Fatalf("error %v (class %s); want one naming %s and the cap", err, ferry.ClassOf(err), tc.name)
			}
			if left := leftovers(t, dir); len(left) != 0 {
				t.Fatalf("left in the download directory: %v", left)
			}
		})
	}
}

// TestDownloadThatBringsAPageNamesIt: a click that brings a web page
// instead of a file is site_changed naming the page, not a slow site.
func TestDownloadThatBringsAPageNamesIt(t *testing.T) {
	t.Parallel()
	base := dlSite(t)
	_, got, err := runDownload(t, base, t.TempDir(), "  - download: html\n    as: file\n    timeout: 3s\n")
	if len(got) != 0 || ferry.ClassOf(err) != ferry.ClassSiteChanged || !strings.Contains(err.Error(), `clicking "html" brought the page `+base+`/error-page (lang), not a file`) {
		t.Fatalf("got %d downloads, %v (class %s)", len(got), err, ferry.ClassOf(err))
	}
}

// BenchmarkDownload64MB measures a 64 MB attachment saved by the browser's
// download manager into the step's directory (open, click, save, read).
//
//	go test -p 1 -run '^$' -bench Download64MB -benchtime 3x -count 1 ./bots
func BenchmarkDownload64MB(b *testing.B) {
	const size = 64 << 20
	chunk := []byte(strings.Repeat("0123456789abcdef", 4096))
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		page(w, `<a id="attachment" href="/big.bin">Big</a>`)
	})
	mux.HandleFunc("/big.bin", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="big.bin"`)
		w.Header().Set("Content-Length", fmt.Sprint(size))
		for n := 0; n < size; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	sel, err := selectors.Parse("dl.yaml", []byte(dlSelectors))
	if err != nil {
		b.Fatal(err)
	}
	s, err := scripts.Parse("dl-bench.yaml", []byte("bot: dl-bench\nsite: dl\nsteps:\n  - open: ${site.url}/\n  - download: attachment\n    as: file\n"), sel)
	if err != nil {
		b.Fatal(err)
	}
	ctx := bots.WithDownloadOptions(context.Background(), bots.DownloadOptions{Dir: b.TempDir(), Max: 1 << 30})
	b.SetBytes(size)
	for b.Loop() {
		res, err := browser.Run(ctx, bots.Job{Script: s, Selectors: sel, BaseURL: srv.URL, StepTimeout: 2 * time.Minute, Logger: zerolog.Nop()})
		if err != nil || len(res.Downloads) != 1 || res.Downloads[0].Size != size {
			b.Fatalf("%v", err)
		}
	}
}
