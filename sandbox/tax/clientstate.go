package tax

// Part of a session kept in the browser, as single-page portals do: with
// the ClientStore switch on, the first logged-in page of a session is
// handed a client token that its script keeps in sessionStorage (the tab)
// and in IndexedDB (database "etax", store "session", key "token"). Every
// later logged-in page shows nothing until its script has proven both to
// the portal (POST /api/client); a session cookie without them is taken
// for a copied cookie: the portal ends that session and sends the browser
// to the login page. So a saved login must carry sessionStorage and
// IndexedDB, not only cookies, to be restored.

import (
	"crypto/subtle"
	"net/http"
)

// Headers the client script proves the session's token with.
const (
	headerTabToken   = "X-Etax-Tab"   // from sessionStorage
	headerStoreToken = "X-Etax-Store" // from IndexedDB
)

// Client-state events (Portal.Events kinds).
const (
	EventClientIssued   = "client-token"    // a session's token handed to its first page
	EventClientMismatch = "client-mismatch" // a page without the token: the session ended
)

// clientJS hides the page's main until the session's token is proven,
// storing it on the session's first page.
const clientJS = `(function () {
  var guard = document.createElement('style');
  guard.id = 'etax-guard';
  guard.textContent = 'main{visibility:hidden}';
  (document.head || document.documentElement).appendChild(guard);
  function req(r) { return new Promise(function (res, rej) { r.onsuccess = function () { res(r.result); }; r.onerror = function () { rej(r.error); }; }); }
  function openDB() {
    var o = indexedDB.open('etax', 1);
    o.onupgradeneeded = function () { o.result.createObjectStore('session'); };
    return req(o);
  }
  function relogin(to) { location.replace(to || '/login?reason=expired'); }
  var tab = sessionStorage.getItem('etax.token') || '';
  openDB().then(function (db) {
    return req(db.transaction('session', 'readonly').objectStore('session').get('token')).then(function (stored) {
      var h = {};
      h['` + headerTabToken + `'] = tab;
      h['` + headerStoreToken + `'] = stored || '';
      return fetch('/api/client', {method: 'POST', headers: h, credentials: 'same-origin'});
    }).then(function (r) { return r.json(); }).then(function (j) {
      if (!j.success) { db.close(); relogin(j.relogin); return; }
      var done = function () {
        db.close();
        document.documentElement.dataset.etaxClient = 'ok';
        guard.remove();
      };
      if (!j.token) { done(); return; }
      sessionStorage.setItem('etax.token', j.token);
      var tx = db.transaction('session', 'readwrite');
      tx.objectStore('session').put(j.token, 'token');
      tx.oncomplete = done;
      tx.onerror = function () { db.close(); relogin(); };
    });
  }).catch(function () { relogin(); });
})();
`

// clientScript serves the page script.
func (p *Portal) clientScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	_, _ = w.Write([]byte(clientJS))
}

// clientAPI answers POST /api/client: the session's token on its first
// call, then whether the page proved it from both stores.
func (p *Portal) clientAPI(w http.ResponseWriter, r *http.Request) {
	s, why := p.sessionOf(r)
	if s == nil {
		to := "/login?reason=expired"
		if why == "kicked" {
			to = "/login?reason=kicked"
		}
		writeJSON(w, http.StatusUnauthorized, map[string]any{"success": false, "message": MsgSessionEnded, "relogin": to})
		return
	}
	c, _ := r.Cookie(cookieSession) // sessionOf found it
	sid := c.Value
	tab, stored := r.Header.Get(headerTabToken), r.Header.Get(headerStoreToken)
	p.mu.Lock()
	if p.clients == nil {
		p.clients = map[string]string{}
	}
	token, issued := p.clients[sid]
	if !issued {
		token = randomToken()
		p.clients[sid] = token
		p.event(EventClientIssued, s.user, "")
		p.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "token": token})
		return
	}
	tabOK := subtle.ConstantTimeCompare([]byte(tab), []byte(token)) == 1
	storeOK := subtle.ConstantTimeCompare([]byte(stored), []byte(token)) == 1
	if tabOK && storeOK {
		p.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"success": true})
		return
	}
	missing := "sessionStorage and IndexedDB"
	if tabOK {
		missing = "IndexedDB"
	} else if storeOK {
		missing = "sessionStorage"
	}
	// A session cookie without its browser-side half: end the session.
	delete(p.sessions, sid)
	delete(p.clients, sid)
	if p.active[s.user] == sid {
		delete(p.active, s.user)
	}
	p.event(EventClientMismatch, s.user, "no token in "+missing)
	p.mu.Unlock()
	writeJSON(w, http.StatusUnauthorized, map[string]any{"success": false, "code": "CLIENT_STATE", "message": MsgSessionEnded,
		"relogin": "/login?reason=expired"})
}
