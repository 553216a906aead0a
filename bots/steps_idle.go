package bots

import (
	"sync"
	"time"

	"github.com/go-rod/rod/lib/proto"
)

// requests counts a page's requests in flight from the start of a run,
// so that wait_idle also waits for those sent before it began.
type requests struct {
	mu       sync.Mutex
	inFlight map[proto.NetworkRequestID]bool
	last     time.Time // when a request last started or ended
	// navs counts the documents the page and its frames committed
	// (navigations, and same-document route changes); settled is navs
	// when the engine last waited for the page to settle.
	navs, settled int
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
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.inFlight == nil {
		q.inFlight = map[proto.NetworkRequestID]bool{}
	}
	if started {
		q.inFlight[id] = true
	} else {
		delete(q.inFlight, id)
	}
	q.last = time.Now()
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
		r.requests.change(e.RequestID, true)
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
