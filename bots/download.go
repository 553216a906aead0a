package bots

// Downloads are streamed to a private directory of the run under the data
// directory, never held whole in Chromium's protocol messages, and capped
// in size. Two captures run side by side while a download step waits:
// the Fetch domain sees the answer to a document the click navigates to
// and streams what the browser would show (a PDF shown inline, a file
// sent without Content-Disposition); the browser's own download manager
// (Browser.setDownloadBehavior) saves attachments, which the Fetch domain
// only looks at, and what the page builds itself (blob: and data: URLs
// from a single-page application's export button, links with a download
// attribute).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// DefaultMaxDownload is the size cap of a download when the site sets
// none.
const DefaultMaxDownload = 512 << 20

// DownloadOptions bound a run's downloads.
type DownloadOptions struct {
	// Dir is where downloads are streamed to, under the data directory:
	// each download step gets its own private subdirectory, removed when
	// the step ends (default: ferry-downloads in the system's temporary
	// directory).
	Dir string
	// Max is the absolute size cap of one download in bytes (default
	// DefaultMaxDownload). A larger file fails the step, naming the file
	// and the cap, and nothing of it is stored.
	Max int64
}

type downloadOptionsKey struct{}

// WithDownloadOptions returns ctx carrying the download options of the
// runs executed with it (Browser.Run and Execute read them there, as they
// read the logger).
func WithDownloadOptions(ctx context.Context, o DownloadOptions) context.Context {
	return context.WithValue(ctx, downloadOptionsKey{}, o)
}

// DownloadOptionsFrom returns the download options ctx carries, with the
// defaults filled in.
func DownloadOptionsFrom(ctx context.Context) DownloadOptions { return downloadOptions(ctx) }

// downloadOptions returns the options ctx carries, with defaults.
func downloadOptions(ctx context.Context) DownloadOptions {
	o, _ := ctx.Value(downloadOptionsKey{}).(DownloadOptions)
	if o.Dir == "" {
		o.Dir = filepath.Join(os.TempDir(), "ferry-downloads")
	}
	if o.Max <= 0 {
		o.Max = DefaultMaxDownload
	}
	return o
}

// TooLargeError is a download over its site's cap.
type TooLargeError struct {
	Name string // sanitised
	Cap  int64
	Size int64 // what the site announced or sent before it was stopped
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("download %q is larger than the site's cap of %s (%s or more): stopped, nothing stored", e.Name, byteSize(e.Cap), byteSize(e.Size))
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// captured is a downloaded file, whole on disk.
type captured struct {
	path   string
	name   string // sanitised
	mime   string
	size   int64
	inline bool
}

// spool is a download step's private directory.
type spool struct {
	dir string
	max int64
}

// newSpool makes the step's directory under o.Dir (0700: the files are a
// customer's statements).
func newSpool(o DownloadOptions, runID int64) (*spool, error) {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("download directory: %w", err)
	}
	sweep(o.Dir, time.Now())
	dir, err := os.MkdirTemp(o.Dir, fmt.Sprintf("run-%d-*", runID))
	if err != nil {
		return nil, fmt.Errorf("download directory: %w", err)
	}
	return &spool{dir: dir, max: o.Max}, nil
}

func (s *spool) remove() { _ = os.RemoveAll(s.dir) }

// staleSpool is the age after which an empty step directory is someone's
// leftover: the browser may create a cancelled download's directory again
// after the step removed it.
const staleSpool = time.Hour

// sweep removes empty step directories older than staleSpool (os.Remove
// never removes one that holds a file).
func sweep(dir string, now time.Time) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if info, err := e.Info(); err == nil && e.IsDir() && strings.HasPrefix(e.Name(), "run-") && now.Sub(info.ModTime()) > staleSpool {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// fetchBody streams a paused response's body into the spool, at most the
// cap: the announced length is checked first, then every chunk.
func (s *spool) fetchBody(p *rod.Page, e *proto.FetchRequestPaused, name string, length int64) (int64, error) {
	if length > s.max {
		return 0, &TooLargeError{Name: name, Cap: s.max, Size: length}
	}
	st, err := (proto.FetchTakeResponseBodyAsStream{RequestID: e.RequestID}).Call(p)
	if err != nil {
		return 0, fmt.Errorf("download %q: %w", name, err)
	}
	defer func() { _ = (proto.IOClose{Handle: st.Stream}).Call(p) }()
	f, err := os.OpenFile(filepath.Join(s.dir, "fetched"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	var n int64
	chunk := 1 << 20
	for {
		res, err := (proto.IORead{Handle: st.Stream, Size: &chunk}).Call(p)
		if err != nil {
			f.Close()
			return n, fmt.Errorf("download %q after %d bytes: %w", name, n, err)
		}
		data := []byte(res.Data)
		if res.Base64Encoded {
			if data, err = decodeBase64(res.Data); err != nil {
				f.Close()
				return n, fmt.Errorf("download %q: %w", name, err)
			}
		}
		if n+int64(len(data)) > s.max {
			f.Close()
			_ = os.Remove(f.Name())
			return n, &TooLargeError{Name: name, Cap: s.max, Size: n + int64(len(data))}
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return n, err
		}
		n += int64(len(data))
		if res.EOF {
			break
		}
	}
	return n, f.Close()
}

// download clicks the element and captures the file it brings: a document
// the click navigates to (an attachment, or one the site shows inline),
// caught through the Fetch domain of this run's page, so that concurrent
// runs never see each other's files; or a download the browser makes
// (blob: and data: URLs a page builds itself, download links), saved by
// the browser into this step's directory. The file is streamed to disk,
// capped, and handed to OnDownload while it is there.
func (r *run) download(ctx context.Context, where, name string, dl downloadDecl) (Download, string, error) {
	el, way, err := r.one(ctx, name)
	if err != nil {
		return Download{}, "", err
	}
	if err := r.checkCovered(ctx, el, name); err != nil {
		return Download{}, way, err
	}
	sp, err := newSpool(downloadOptions(ctx), r.job.RunID)
	if err != nil {
		return Download{}, way, ferry.Errorf(ferry.ClassInternal, where, "%v", err)
	}
	defer sp.remove()
	p := r.page.Context(ctx)
	if err := (proto.FetchEnable{Patterns: []*proto.FetchRequestPattern{{URLPattern: "*", ResourceType: proto.NetworkResourceTypeDocument, RequestStage: proto.FetchRequestStageResponse}}}).Call(p); err != nil {
		return Download{}, way, err
	}
	defer func() { _ = (proto.FetchDisable{}).Call(r.page) }()
	got := make(chan captured, 2)
	fail := make(chan error, 2)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	var once sync.Once // the first file wins; a second capture is dropped
	deliver := func(c captured, err error) {
		once.Do(func() {
			if err != nil {
				fail <- err
				return
			}
			got <- c
		})
	}
	// A page the click brought instead of a file (an error page, a login
	// form): named when no file comes.
	var htmlMu sync.Mutex
	var htmlPage string
	// The names and media types attachments were sent with, by URL: the
	// browser's download events tell no header, and the name they suggest
	// is the browser's own rewrite of it.
	var types sync.Map
	browserSaves := false // set before the handler runs
	wait := p.Context(wctx).EachEvent(func(e *proto.FetchRequestPaused) bool {
		hdr := map[string]string{}
		for _, h := range e.ResponseHeaders {
			hdr[strings.ToLower(h.Name)] = h.Value
		}
		ct, disp := hdr["content-type"], hdr["content-disposition"]
		mt, _, _ := mime.ParseMediaType(ct)
		isFile := strings.HasPrefix(strings.ToLower(disp), "attachment") || (mt != "" && mt != "text/html")
		status := 0
		if e.ResponseStatusCode != nil {
			status = *e.ResponseStatusCode
		}
		if !isFile || status >= 400 {
			_ = (proto.FetchContinueRequest{RequestID: e.RequestID}).Call(r.page)
			if status >= 400 {
				deliver(captured{}, ferry.Errorf(classForStatus(status), where, "download %s answered %d", r.mask(e.Request.URL), status))
				return true
			}
			if e.FrameID == r.page.FrameID {
				htmlMu.Lock()
				htmlPage = r.mask(e.Request.URL)
				htmlMu.Unlock()
			}
			return false
		}
		fname := path.Base(e.Request.URL)
		if u, err := url.Parse(e.Request.URL); err == nil {
			fname = path.Base(u.Path)
		}
		if _, params, err := mime.ParseMediaType(disp); err == nil && params["filename"] != "" {
			fname = params["filename"]
		}
		fname = SanitizeFilename(fname)
		length, _ := strconv.ParseInt(hdr["content-length"], 10, 64)
		if attachment := strings.HasPrefix(strings.ToLower(disp), "attachment"); attachment && browserSaves && length <= sp.max {
			// An attachment is the browser's to save: its download manager
			// writes it into the step's directory at disk speed, where the
			// Fetch stream moves it a base64 chunk per round trip (about
			// 1.4 MB/s). browserDownloads delivers it, and cancels it past
			// the cap when no length was announced.
			types.Store(e.Request.URL, sent{name: fname, mime: mt})
			_ = (proto.FetchContinueRequest{RequestID: e.RequestID}).Call(r.page)
			return false
		}
		n, err := sp.fetchBody(p, e, fname, length)
		// Abort the navigation once the body is ours (or refused), so the
		// browser neither leaves the page (inline documents) nor saves a
		// copy (attachments).
		_ = (proto.FetchFailRequest{RequestID: e.RequestID, ErrorReason: proto.NetworkErrorReasonAborted}).Call(r.page)
		var tl *TooLargeError
		if errors.As(err, &tl) {
			err = ferry.Errorf(ferry.ClassDocumentChanged, where, "%w", err)
		}
		deliver(captured{path: filepath.Join(sp.dir, "fetched"), name: fname, mime: mt, size: n,
			inline: !strings.HasPrefix(strings.ToLower(disp), "attachment")}, err)
		return true
	})
	stopBrowser, err := r.browserDownloads(wctx, where, sp, &types, deliver)
	if err != nil {
		// A browser that refuses the Browser domain (some remote ones)
		// still hands over files through Fetch, attachments included.
		r.log.Warn().Err(err).Msg("files a page builds itself (blob:, data:) cannot be captured in this browser")
		stopBrowser = func() {}
	} else {
		browserSaves = true
	}
	defer stopBrowser()
	go wait()
	if err := r.clickElement(ctx, el); err != nil {
		return Download{}, way, err
	}
	var c captured
	select {
	case c = <-got:
	case err := <-fail:
		return Download{}, way, err
	case <-ctx.Done():
		htmlMu.Lock()
		page := htmlPage
		htmlMu.Unlock()
		if page != "" && context.Cause(ctx) == context.DeadlineExceeded {
			// The site answered, with a page: it is not slow, it changed
			// (or refused), and the page says which.
			title := ""
			if info, err := r.page.Context(context.WithoutCancel(ctx)).Timeout(5 * time.Second).Info(); err == nil {
				title = " (" + clip(r.mask(info.Title), 80) + ")"
			}
			return Download{}, way, ferry.Errorf(ferry.ClassSiteChanged, where, "clicking %q brought the page %s%s, not a file", name, page, title)
		}
		return Download{}, way, fmt.Errorf("no file arrived after clicking %q: %w", name, ctx.Err())
	}
	d := Download{Account: dl.account, Format: dl.format, As: dl.as, Name: c.name, MIME: c.mime, Inline: c.inline, Size: c.size, Path: c.path}
	// Data stays for callers that take bytes (ferry.BrowserDownload); the
	// file under the data directory is what Open streams.
	if d.Data, err = os.ReadFile(c.path); err != nil {
		return Download{}, way, ferry.Errorf(ferry.ClassInternal, where, "read download %q: %v", c.name, err)
	}
	r.res.Downloads = append(r.res.Downloads, d)
	if r.job.OnDownload != nil {
		if err := r.job.OnDownload(d); err != nil {
			return d, way, ferry.Errorf(ferry.ClassInternal, where, "store download: %v", err)
		}
	}
	r.res.Downloads[len(r.res.Downloads)-1].Path = "" // removed with the step's directory
	return d, way, nil
}

// sent is what an attachment's headers said of it.
type sent struct{ name, mime string }

// downloadSettle bounds the wait for the browser to end the downloads a
// step cancels.
const downloadSettle = 10 * time.Second

// downloadDecl is what a download step declares, its variables expanded.
type downloadDecl struct {
	format, as, account string
}

// browserDownloads lets the browser save this run's downloads into the
// step's directory, under their GUIDs, and delivers the first that
// completes. A download over the cap is cancelled. What it returns puts
// the context back to refusing downloads, cancels any still running and
// stops watching, so that nothing lands anywhere after the step.
func (r *run) browserDownloads(ctx context.Context, where string, sp *spool, types *sync.Map, deliver func(captured, error)) (func(), error) {
	inc := r.page.Browser()
	bctx := inc.BrowserContextID
	if err := (proto.BrowserSetDownloadBehavior{Behavior: proto.BrowserSetDownloadBehaviorBehaviorAllowAndName,
		BrowserContextID: bctx, DownloadPath: sp.dir, EventsEnabled: true}).Call(inc.Context(ctx)); err != nil {
		return nil, fmt.Errorf("set download behaviour: %w", err)
	}
	var mu sync.Mutex
	begun := map[string]*proto.BrowserDownloadWillBegin{} // this page's downloads by GUID
	ended := map[string]bool{}                            // those completed or cancelled
	endedCh := make(chan struct{}, 1)
	frames := map[proto.PageFrameID]bool{r.page.FrameID: true}
	if r.scope.frame != nil {
		frames[r.scope.frame.FrameID] = true
	}
	wctx, stop := context.WithCancel(ctx)
	wait := inc.Context(wctx).EachEvent(func(e *proto.BrowserDownloadWillBegin) {
		// Every context's downloads are told to the one connection. This
		// run's come from its page's frames, or from a tab the page opened
		// (a link with target=_blank), which may be gone by now: those are
		// told apart by where the browser puts them (the directory is this
		// step's) and by what the run's context can cancel.
		mu.Lock()
		begun[e.GUID] = e
		mu.Unlock()
	}, func(e *proto.BrowserDownloadProgress) {
		mu.Lock()
		b := begun[e.GUID]
		mu.Unlock()
		if b == nil {
			return
		}
		name := SanitizeFilename(b.SuggestedFilename)
		mt := ""
		if t, ok := types.Load(b.URL); ok {
			name, mt = t.(sent).name, t.(sent).mime
		}
		known := frames[b.FrameID]
		if e.State != proto.BrowserDownloadProgressStateInProgress {
			mu.Lock()
			ended[e.GUID] = true
			mu.Unlock()
			select {
			case endedCh <- struct{}{}:
			default:
			}
		}
		switch e.State {
		case proto.BrowserDownloadProgressStateInProgress:
			if int64(e.ReceivedBytes) > sp.max || int64(e.TotalBytes) > sp.max {
				// Only this run's context can cancel its own downloads.
				if err := (proto.BrowserCancelDownload{GUID: e.GUID, BrowserContextID: bctx}).Call(inc); err != nil && !known {
					return
				}
				_ = os.Remove(filepath.Join(sp.dir, e.GUID))
				deliver(captured{}, ferry.Errorf(ferry.ClassDocumentChanged, where, "%w", &TooLargeError{Name: name, Cap: sp.max, Size: int64(max(e.ReceivedBytes, e.TotalBytes))}))
			}
		case proto.BrowserDownloadProgressStateCanceled:
			if known {
				deliver(captured{}, fmt.Errorf("the browser cancelled the download of %q", name))
			}
		case proto.BrowserDownloadProgressStateCompleted:
			p := filepath.Join(sp.dir, e.GUID)
			info, err := sp.landed(ctx, e.GUID, known)
			if err != nil {
				if known {
					deliver(captured{}, fmt.Errorf("download %q completed but its file is missing: %w", name, err))
				}
				return // another run's: it landed in that run's directory
			}
			if info.Size() > sp.max {
				_ = os.Remove(p)
				deliver(captured{}, ferry.Errorf(ferry.ClassDocumentChanged, where, "%w", &TooLargeError{Name: name, Cap: sp.max, Size: info.Size()}))
				return
			}
			if mt == "" {
				mt = downloadMIME(b.URL, name)
			}
			deliver(captured{path: p, name: name, mime: mt, size: info.Size()}, nil)
		}
	})
	go wait()
	return func() {
		defer stop()
		bg := inc.Context(context.WithoutCancel(ctx))
		// EventsEnabled stays true: Chromium keeps one events switch per
		// DevTools connection, not per context, and every run shares the
		// connection; turning it off here would stop the download events
		// of every other run in flight (their files would never arrive).
		_ = (proto.BrowserSetDownloadBehavior{Behavior: proto.BrowserSetDownloadBehaviorBehaviorDeny, BrowserContextID: bctx, EventsEnabled: true}).Call(bg)
		running := func() []string {
			mu.Lock()
			defer mu.Unlock()
			var out []string
			for guid := range begun {
				if !ended[guid] {
					out = append(out, guid)
				}
			}
			return out
		}
		mine := map[string]bool{}
		for _, guid := range running() {
			// Another run's download is not found in this context.
			if (proto.BrowserCancelDownload{GUID: guid, BrowserContextID: bctx}).Call(bg) == nil {
				mine[guid] = true
			}
		}
		pending := func() []string {
			var out []string
			for _, g := range running() {
				if mine[g] {
					out = append(out, g)
				}
			}
			return out
		}
		// The browser ends a cancelled download in its own time, and may
		// touch the directory until then: wait for it (bounded), so that
		// the directory is removed after the browser is done with it.
		limit := time.After(downloadSettle)
		for len(pending()) > 0 {
			select {
			case <-endedCh:
			case <-limit:
				r.log.Warn().Strs("guids", pending()).Msg("the browser did not end cancelled downloads; removing their directory anyway")
				return
			}
		}
	}, nil
}

// landed returns the file of a completed browser download in the spool.
// The browser may tell "completed" a moment before the file has its final
// name: while a partial file of the download is there (or it is surely
// this run's), landed waits for it, a few seconds at most.
func (s *spool) landed(ctx context.Context, guid string, ours bool) (os.FileInfo, error) {
	p := filepath.Join(s.dir, guid)
	ctx, cancel := context.WithTimeout(ctx, downloadSettle)
	defer cancel()
	var info os.FileInfo
	err := poll(ctx, func() (bool, error) {
		var err error
		if info, err = os.Stat(p); err == nil {
			return true, nil
		}
		if ours {
			return false, nil
		}
		partial, _ := filepath.Glob(filepath.Join(s.dir, guid+"*"))
		return len(partial) == 0, nil // none: another run's download
	})
	if info == nil && err == nil {
		err = fmt.Errorf("%s: %w", p, os.ErrNotExist)
	}
	return info, err
}

// downloadMIME is a browser download's type: a data: URL's own, else its
// name's extension's.
func downloadMIME(u, name string) string {
	if rest, ok := strings.CutPrefix(u, "data:"); ok {
		if i := strings.IndexAny(rest, ";,"); i > 0 {
			return rest[:i]
		}
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		mt, _, _ := mime.ParseMediaType(t)
		return mt
	}
	return "application/octet-stream"
}

// Open opens the downloaded bytes: the file while OnDownload runs, else
// Data.
func (d Download) Open() (io.ReadCloser, error) {
	if d.Path != "" {
		return os.Open(d.Path)
	}
	return io.NopCloser(strings.NewReader(string(d.Data))), nil
}
