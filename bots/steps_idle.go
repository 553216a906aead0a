package bots

import (
	"slices"
	"sync"
	"time"

	"github.com/go-rod/rod/lib/proto"
)

// requests counts a page's requests in flight from the start of a run,
// so that wait_idle also waits for those sent before it began.
type requests struct {
	mu       sync.Mutex
	inFlight map[proto.NetworkRequestID]inFlight
	last     time.Time // when a request last started or ended
	// navs counts the documents the page and its frames committed
	// (navigations, and same-document route changes); settled is navs
	// when the engine last waited for the page to settle.
	navs, settled int
}

// inFlight is a request the page has sent and not yet had answered.
type inFlight struct {
	kind proto.NetworkResourceType
	url  string
	sent time.Time
}

// navigated notes a committed navigation of the page or a frame.
func (q *requests) navigated() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.navs++
}

// unsettled tells whether a navigation committed since the last settle,
// and marks the page settled from here on when mark is set.
func (q *requests) unsettled(mark bool) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	u := q.navs != q.settled
	if mark {
		q.settled = q.navs
	}
	return u
}

// state returns how many requests are in flight and how long the network
// has been quiet.
func (q *requests) state() (int, time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.inFlight), time.Since(q.last)
}

func (q *requests) change(id proto.NetworkRequestID, started bool) {
	q.start(id, "", "")
	if !started {
		q.mu.Lock()
		delete(q.inFlight, id)
		q.mu.Unlock()
	}
}

// start notes a request sent (id "" only marks the network active).
func (q *requests) start(id proto.NetworkRequestID, kind proto.NetworkResourceType, url string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.inFlight == nil {
		q.inFlight = map[proto.NetworkRequestID]inFlight{}
	}
	if id != "" {
		q.inFlight[id] = inFlight{kind: kind, url: url, sent: time.Now()}
	}
	q.last = time.Now()
}

// pending names up to n requests in flight, the oldest first, for a
// settle's detail: which requests kept the page from settling.
func (q *requests) pending(n int) []inFlight {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]inFlight, 0, len(q.inFlight))
	for _, f := range q.inFlight {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b inFlight) int { return a.sent.Compare(b.sent) })
	return out[:min(n, len(out))]
}

// trackRequests follows the page's network events for the run; the
// watcher ends with the page's context. Streams (web sockets, event
// sources, media) never end and are not counted.
func (r *run) trackRequests() {
	r.requests.change("", false)
	watch := r.page.EachEvent(func(e *proto.NetworkRequestWillBeSent) {
		switch e.Type {
		case proto.NetworkResourceTypeWebSocket, proto.NetworkResourceTypeEventSource, proto.NetworkResourceTypeMedia:
			return
		case proto.NetworkResourceTypePing:
			// Beacons (analytics, sendBeacon) are fire-and-forget: the
			// page does not wait for them, and Chromium may never report
			// them finished.
			return
		}
		r.requests.start(e.RequestID, e.Type, e.Request.URL)
	}, func(e *proto.NetworkLoadingFinished) {
		r.requests.change(e.RequestID, false)
	}, func(e *proto.NetworkLoadingFailed) {
		r.requests.change(e.RequestID, false)
	}, func(e *proto.PageFrameNavigated) {
		r.requests.navigated()
	}, func(e *proto.PageNavigatedWithinDocument) {
		r.requests.navigated()
	})
	go watch()
}
