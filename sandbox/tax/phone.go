package tax

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"rsc.io/qr"
)

// QR login statuses, as the login page polls them.
const (
	QRPending   = "pending"
	QRScanned   = "scanned"
	QRConfirmed = "confirmed"
	QRExpired   = "expired"
)

type qrLogin struct {
	id      string
	status  string
	user    string // who scanned it
	created time.Time
	used    bool // the browser completed the login
}

// statusNow is the QR's status on the portal's clock; the caller holds p.mu.
func (p *Portal) qrStatusNow(q *qrLogin) string {
	if q.status != QRConfirmed && !p.now().Before(q.created.Add(QRValidity)) {
		q.status = QRExpired
	}
	return q.status
}

// QRContent is what the login QR code encodes for the tax app.
func QRContent(id string) string { return "https://etax.sandbox.ferry/app/qrlogin?uuid=" + id }

func (p *Portal) qrPage(w http.ResponseWriter, r *http.Request) {
	device(w, r)
	id := randomToken()
	p.mu.Lock()
	p.qrs[id] = &qrLogin{id: id, status: QRPending, created: p.now()}
	p.qrOrder = append(p.qrOrder, id)
	p.mu.Unlock()
	p.page(w, r, http.StatusOK, "qr", map[string]any{"QR": id})
}

func (p *Portal) qrImage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p.mu.Lock()
	_, ok := p.qrs[id]
	p.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	c, err := qr.Encode(QRContent(id), qr.M)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	c.Scale = 6
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(c.PNG())
}

func (p *Portal) qrStatus(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	q := p.qrs[r.PathValue("id")]
	status, masked := "", ""
	if q != nil {
		status = p.qrStatusNow(q)
		if u, ok := p.user(q.user); ok {
			masked = MaskPhone(u.Phone)
		}
	}
	p.mu.Unlock()
	if q == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"success": false, "message": "二维码不存在"})
		return
	}
	msg := map[string]string{QRPending: "请使用电子税务局APP扫码登录", QRScanned: "扫码成功，请在手机上确认登录", QRConfirmed: "登录成功", QRExpired: "二维码已失效，请点击刷新"}[status]
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "status": status, "message": msg, "phone": masked})
}

func (p *Portal) qrComplete(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	q := p.qrs[r.PathValue("id")]
	if q == nil || q.used || p.qrStatusNow(q) != QRConfirmed {
		p.mu.Unlock()
		http.Redirect(w, r, "/login/qr", http.StatusSeeOther)
		return
	}
	q.used = true
	p.event("login", q.user, "qr")
	sid := p.startSession(q.user)
	p.mu.Unlock()
	setCookie(w, cookieSession, sid, 0)
	http.Redirect(w, r, "/login/role", http.StatusSeeOther)
}

// Errors of the sandbox phone.
var (
	ErrNoSMS     = errors.New("tax phone: no SMS code sent to this account")
	ErrNoUser    = errors.New("tax phone: no such account")
	ErrNoQR      = errors.New("tax phone: no such QR code")
	ErrQRExpired = errors.New("tax phone: the QR code has expired")
	ErrQRState   = errors.New("tax phone: the QR code is not in a state for this")
)

// LastSMS returns the last code sent to the account (user name, phone or
// ID number), with its expiry; ErrNoSMS if none is outstanding.
func (p *Portal) LastSMS(account string) (SMS, error) {
	u, ok := p.user(account)
	if !ok {
		return SMS{}, fmt.Errorf("%w: %q", ErrNoUser, account)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sms[u.UserName]
	if !ok {
		return SMS{}, fmt.Errorf("%w: %s", ErrNoSMS, u.UserName)
	}
	return s, nil
}

// LatestQR returns the id of the QR code shown last, "" if none.
func (p *Portal) LatestQR() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.qrOrder) == 0 {
		return ""
	}
	return p.qrOrder[len(p.qrOrder)-1]
}

// ScanQR scans the QR code id ("" for the latest) with the tax app of the
// account: the login page then shows "scanned". It returns the QR's id;
// ErrNoQR, ErrQRExpired or ErrQRState when it cannot be scanned.
func (p *Portal) ScanQR(account, id string) (string, error) {
	u, ok := p.user(account)
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrNoUser, account)
	}
	if id == "" {
		id = p.LatestQR()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.qrs[id]
	switch {
	case q == nil:
		return "", fmt.Errorf("%w: %q", ErrNoQR, id)
	case p.qrStatusNow(q) == QRExpired:
		return id, ErrQRExpired
	case q.status != QRPending:
		return id, fmt.Errorf("%w: %s, want %s", ErrQRState, q.status, QRPending)
	}
	q.status, q.user = QRScanned, u.UserName
	p.event("qr-scan", u.UserName, id)
	return id, nil
}

// ConfirmQR confirms the login on the phone that scanned QR code id (""
// for the latest); the login page then completes the login.
func (p *Portal) ConfirmQR(id string) error {
	if id == "" {
		id = p.LatestQR()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.qrs[id]
	switch {
	case q == nil:
		return fmt.Errorf("%w: %q", ErrNoQR, id)
	case p.qrStatusNow(q) == QRExpired:
		return ErrQRExpired
	case q.status != QRScanned:
		return fmt.Errorf("%w: %s, want %s", ErrQRState, q.status, QRScanned)
	}
	q.status = QRConfirmed
	p.event("qr-confirm", q.user, id)
	return nil
}

// QRStatus returns the QR code's status on the portal's clock.
func (p *Portal) QRStatus(id string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.qrs[id]
	if q == nil {
		return "", fmt.Errorf("%w: %q", ErrNoQR, id)
	}
	return p.qrStatusNow(q), nil
}

func isPhonePath(path string) bool { return len(path) >= 9 && path[:9] == "/_sandbox" }

// loopback admits only requests from this machine: the sandbox phone
// hands out login codes.
func (p *Portal) loopback(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			http.Error(w, "the sandbox phone answers on loopback only", http.StatusForbidden)
			return
		}
		h(w, r)
	}
}

func phoneError(w http.ResponseWriter, err error) {
	status := http.StatusConflict
	if errors.Is(err, ErrNoUser) || errors.Is(err, ErrNoQR) || errors.Is(err, ErrNoSMS) {
		status = http.StatusNotFound
	}
	if errors.Is(err, ErrQRExpired) {
		status = http.StatusGone
	}
	writeJSON(w, status, map[string]any{"error": err.Error()})
}

// phoneAPI answers GET /_sandbox/phone?user=…: the last SMS code.
func (p *Portal) phoneAPI(w http.ResponseWriter, r *http.Request) {
	s, err := p.LastSMS(r.URL.Query().Get("user"))
	if err != nil {
		phoneError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": s.User, "phone": s.Masked, "code": s.Code, "text": s.Text,
		"sent": s.Sent.Format(time.RFC3339), "expires": s.Expires.Format(time.RFC3339)})
}

// phoneScan answers POST /_sandbox/phone/scan?user=…&qr=… (qr optional).
func (p *Portal) phoneScan(w http.ResponseWriter, r *http.Request) {
	id, err := p.ScanQR(r.URL.Query().Get("user"), r.URL.Query().Get("qr"))
	if err != nil {
		phoneError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"qr": id, "status": QRScanned})
}

// phoneConfirm answers POST /_sandbox/phone/confirm?qr=… (qr optional).
func (p *Portal) phoneConfirm(w http.ResponseWriter, r *http.Request) {
	err := p.ConfirmQR(r.URL.Query().Get("qr"))
	if err != nil {
		phoneError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": QRConfirmed})
}
