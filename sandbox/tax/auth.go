package tax

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

func (p *Portal) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/login", http.StatusSeeOther) })
	m.HandleFunc("GET /login", p.loginPage)
	m.HandleFunc("POST /login", p.loginSubmit)
	m.HandleFunc("GET /login/sms", p.smsPage)
	m.HandleFunc("POST /login/sms", p.smsSubmit)
	m.HandleFunc("POST /login/sms/resend", p.smsResend)
	m.HandleFunc("POST /login/sms/cancel", p.smsCancel)
	m.HandleFunc("GET /login/qr", p.qrPage)
	m.HandleFunc("GET /login/qr/{id}/image", p.qrImage)
	m.HandleFunc("GET /api/qr/{id}", p.qrStatus)
	m.HandleFunc("GET /login/qr/{id}/complete", p.qrComplete)
	m.HandleFunc("GET /login/role", p.rolePage)
	m.HandleFunc("POST /login/role", p.roleSubmit)
	m.HandleFunc("GET /invoices", p.authed(p.invoicesPage))
	m.HandleFunc("GET /api/invoices", p.authed(p.invoicesAPI))
	m.HandleFunc("GET /api/session", p.authed(p.sessionAPI))
	m.HandleFunc("GET /export.xlsx", p.authed(p.export))
	m.HandleFunc("GET /download/{id}/{format}", p.authed(p.download))
	m.HandleFunc("POST /logout", p.logout)
	m.HandleFunc("GET /_etax/client.js", p.clientScript)
	m.HandleFunc("POST /api/client", p.clientAPI)
	m.HandleFunc("GET /_sandbox/phone", p.loopback(p.phoneAPI))
	m.HandleFunc("POST /_sandbox/phone/scan", p.loopback(p.phoneScan))
	m.HandleFunc("POST /_sandbox/phone/confirm", p.loopback(p.phoneConfirm))
	p.mux = m
}

// The portal's messages, as its pages print them.
const (
	MsgBadTaxID     = "统一社会信用代码/纳税人识别号格式不正确，请核对后重新输入"
	MsgNoTaxpayer   = "该纳税人识别号未在电子税务局注册"
	MsgWrongPass    = "账号或密码错误，您还可以尝试%d次"
	MsgLocked       = "账户已锁定，请30分钟后再试或通过“忘记密码”重置"
	MsgSMSSent      = "短信验证码已发送至%s，5分钟内有效"
	MsgWrongCode    = "短信验证码错误，您还可以尝试%d次"
	MsgCodeExpired  = "短信验证码已失效，请重新获取"
	MsgCooldown     = "验证码发送过于频繁，请%d秒后再试"
	MsgKicked       = "您的账号已在其他地方登录，您已被迫下线。如非本人操作，请及时修改密码。"
	MsgSessionEnded = "登录已超时，请重新登录"
	MsgRangeTooWide = "查询结果超过%d条，请限制开票日期后重新查询"
)

const (
	cookieDevice  = "ETAX_DEVICE"
	cookieLogin   = "ETAX_LOGIN"
	cookieSession = "ETAX_SESSION"
)

func setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: maxAge})
}

// device returns the browser's device id, giving it one on first sight.
func device(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(cookieDevice); err == nil && c.Value != "" {
		return c.Value
	}
	id := randomToken()
	setCookie(w, cookieDevice, id, 10*365*24*3600)
	return id
}

func (p *Portal) loginPage(w http.ResponseWriter, r *http.Request) {
	device(w, r)
	msg := ""
	switch r.URL.Query().Get("reason") {
	case "kicked":
		msg = MsgKicked
	case "expired":
		msg = MsgSessionEnded
	}
	p.page(w, r, http.StatusOK, "login", map[string]any{"Info": msg, "TaxID": r.URL.Query().Get("nsrsbh")})
}

// lockedNow reports whether the account is locked; the caller holds p.mu.
func (p *Portal) lockedNow(user string) bool {
	until, ok := p.locked[user]
	if !ok {
		return false
	}
	if p.now().Before(until) {
		return true
	}
	delete(p.locked, user)
	p.failures[user] = 0
	return false
}

// fail counts a wrong password or code and returns the attempts left,
// locking the account at the last; the caller holds p.mu.
func (p *Portal) fail(user string) int {
	p.failures[user]++
	left := MaxAttempts - p.failures[user]
	if left <= 0 {
		p.locked[user] = p.now().Add(LockDuration)
		p.stats.LockedAccounts++
		p.event("locked", user, "")
		left = 0
	}
	return left
}

func (p *Portal) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "表单无效", http.StatusBadRequest)
		return
	}
	dev := device(w, r)
	taxID := strings.ToUpper(strings.TrimSpace(r.PostForm.Get("nsrsbh")))
	account := strings.TrimSpace(r.PostForm.Get("account"))
	pw := r.PostForm.Get("password")
	again := func(status int, msg string) {
		p.page(w, r, status, "login", map[string]any{"Error": msg, "TaxID": taxID, "Account": account})
	}
	if !ValidUSCC(taxID) {
		again(http.StatusOK, MsgBadTaxID)
		return
	}
	if taxID != p.home.TaxID {
		again(http.StatusOK, MsgNoTaxpayer)
		return
	}
	u, known := p.user(account)
	key := account
	if known {
		key = u.UserName
	}
	p.mu.Lock()
	p.stats.LoginAttempts++
	if p.lockedNow(key) {
		p.mu.Unlock()
		again(http.StatusForbidden, MsgLocked)
		return
	}
	if !known || u.Password != pw || u.TaxID != taxID {
		p.stats.FailedLogins++
		p.event("wrong-password", key, "")
		left := p.fail(key)
		p.mu.Unlock()
		if left == 0 {
			again(http.StatusForbidden, MsgLocked)
			return
		}
		again(http.StatusOK, fmt.Sprintf(MsgWrongPass, left))
		return
	}
	p.failures[key] = 0
	p.event("login", key, "password")
	if until, ok := p.trusted[dev+"|"+key]; ok && p.now().Before(until) {
		p.event("trusted-device", key, "trusted until "+until.Format(time.RFC3339))
		sid := p.startSession(key)
		p.mu.Unlock()
		setCookie(w, cookieSession, sid, 0)
		http.Redirect(w, r, "/login/role", http.StatusSeeOther)
		return
	}
	tx := randomToken()
	p.pending[tx] = &pendingLogin{user: key, created: p.now()}
	p.sendSMS(u)
	p.mu.Unlock()
	setCookie(w, cookieLogin, tx, 0)
	http.Redirect(w, r, "/login/sms", http.StatusSeeOther)
}

// sendSMS sends u a fresh code, replacing the last; the caller holds p.mu.
func (p *Portal) sendSMS(u User) SMS {
	now := p.now()
	c := p.code()
	s := SMS{User: u.UserName, Phone: u.Phone, Masked: MaskPhone(u.Phone), Code: c, Sent: now, Expires: now.Add(SMSValidity),
		Text: fmt.Sprintf("【国家税务总局】您的验证码为%s，5分钟内有效。请勿泄露给他人。", c)}
	p.sms[u.UserName] = s
	p.stats.SMSSent++
	p.event("sms", u.UserName, s.Masked)
	return s
}

// pendingOf returns the browser's login waiting for its SMS code.
func (p *Portal) pendingOf(r *http.Request) (*pendingLogin, User, bool) {
	c, err := r.Cookie(cookieLogin)
	if err != nil {
		return nil, User{}, false
	}
	p.mu.Lock()
	pl := p.pending[c.Value]
	p.mu.Unlock()
	if pl == nil {
		return nil, User{}, false
	}
	u, ok := p.user(pl.user)
	return pl, u, ok
}

func (p *Portal) smsPage(w http.ResponseWriter, r *http.Request) {
	_, u, ok := p.pendingOf(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	p.page(w, r, http.StatusOK, "sms", map[string]any{"Info": fmt.Sprintf(MsgSMSSent, MaskPhone(u.Phone)), "Masked": MaskPhone(u.Phone)})
}

func (p *Portal) smsResend(w http.ResponseWriter, r *http.Request) {
	_, u, ok := p.pendingOf(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	p.mu.Lock()
	last := p.sms[u.UserName]
	wait := SMSCooldown - p.now().Sub(last.Sent)
	if wait > 0 {
		p.mu.Unlock()
		p.page(w, r, http.StatusOK, "sms", map[string]any{"Error": fmt.Sprintf(MsgCooldown, int(wait.Seconds()+0.999)), "Masked": MaskPhone(u.Phone)})
		return
	}
	p.sendSMS(u)
	p.mu.Unlock()
	p.page(w, r, http.StatusOK, "sms", map[string]any{"Info": fmt.Sprintf(MsgSMSSent, MaskPhone(u.Phone)), "Masked": MaskPhone(u.Phone)})
}

func (p *Portal) smsSubmit(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	c, _ := r.Cookie(cookieLogin)
	_, u, ok := p.pendingOf(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	dev := device(w, r)
	code := strings.TrimSpace(r.PostForm.Get("code"))
	masked := MaskPhone(u.Phone)
	p.mu.Lock()
	if p.lockedNow(u.UserName) {
		delete(p.pending, c.Value)
		p.mu.Unlock()
		p.page(w, r, http.StatusForbidden, "message", map[string]any{"Error": MsgLocked, "ID": "locked"})
		return
	}
	s, sent := p.sms[u.UserName]
	switch {
	case !sent || !p.now().Before(s.Expires):
		p.mu.Unlock()
		p.page(w, r, http.StatusOK, "sms", map[string]any{"Error": MsgCodeExpired, "Masked": masked})
		return
	case code != s.Code:
		p.stats.WrongCodes++
		p.event("wrong-code", u.UserName, "")
		left := p.fail(u.UserName)
		if left == 0 {
			delete(p.pending, c.Value)
			p.mu.Unlock()
			p.page(w, r, http.StatusForbidden, "message", map[string]any{"Error": MsgLocked, "ID": "locked"})
			return
		}
		p.mu.Unlock()
		p.page(w, r, http.StatusOK, "sms", map[string]any{"Error": fmt.Sprintf(MsgWrongCode, left), "Masked": masked, "Left": left})
		return
	}
	// A code is single use.
	delete(p.sms, u.UserName)
	delete(p.pending, c.Value)
	p.failures[u.UserName] = 0
	if p.sw.TrustDays > 0 {
		p.trusted[dev+"|"+u.UserName] = p.now().Add(time.Duration(p.sw.TrustDays) * 24 * time.Hour)
	}
	sid := p.startSession(u.UserName)
	p.mu.Unlock()
	setCookie(w, cookieLogin, "", -1)
	setCookie(w, cookieSession, sid, 0)
	http.Redirect(w, r, "/login/role", http.StatusSeeOther)
}

// startSession opens a session for user, ending (kicking) the one it had:
// an account is logged in in one place at a time. The caller holds p.mu.
func (p *Portal) startSession(user string) string {
	if old, ok := p.active[user]; ok {
		if s := p.sessions[old]; s != nil && !s.kicked {
			s.kicked = true
			p.stats.Kicked++
			p.event("kicked", user, "")
		}
	}
	sid := randomToken()
	p.sessions[sid] = &session{user: user, lastSeen: p.now()}
	p.active[user] = sid
	p.event("session", user, "")
	return sid
}

// sessionOf returns the browser's session and why it has none (kicked,
// expired).
func (p *Portal) sessionOf(r *http.Request) (*session, string) {
	c, err := r.Cookie(cookieSession)
	if err != nil {
		return nil, ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.sessions[c.Value]
	switch {
	case s == nil:
		return nil, ""
	case s.kicked:
		return nil, "kicked"
	case p.sw.IdleExpiry > 0 && p.now().Sub(s.lastSeen) > p.sw.IdleExpiry:
		delete(p.sessions, c.Value)
		return nil, "expired"
	}
	s.lastSeen = p.now()
	return s, ""
}

func (p *Portal) rolePage(w http.ResponseWriter, r *http.Request) {
	s, why := p.sessionOf(r)
	if s == nil {
		p.notLoggedIn(w, r, why)
		return
	}
	u, _ := p.user(s.user)
	if len(u.Roles) == 1 {
		p.mu.Lock()
		s.role = u.Roles[0]
		p.mu.Unlock()
		http.Redirect(w, r, "/invoices", http.StatusSeeOther)
		return
	}
	p.page(w, r, http.StatusOK, "role", map[string]any{"Roles": u.Roles, "Name": u.Name, "Company": p.home.Name})
}

func (p *Portal) roleSubmit(w http.ResponseWriter, r *http.Request) {
	s, why := p.sessionOf(r)
	if s == nil {
		p.notLoggedIn(w, r, why)
		return
	}
	_ = r.ParseForm()
	role := r.PostForm.Get("role")
	u, _ := p.user(s.user)
	for _, have := range u.Roles {
		if have == role {
			p.mu.Lock()
			s.role = role
			p.mu.Unlock()
			http.Redirect(w, r, "/invoices", http.StatusSeeOther)
			return
		}
	}
	p.page(w, r, http.StatusOK, "role", map[string]any{"Roles": u.Roles, "Name": u.Name, "Company": p.home.Name, "Error": "请选择身份"})
}

func wantsJSON(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// notLoggedIn answers a request without a live session: the kicked-offline
// notice, or back to the login page.
func (p *Portal) notLoggedIn(w http.ResponseWriter, r *http.Request, why string) {
	if wantsJSON(r) || r.URL.Path == "/export.xlsx" || strings.HasPrefix(r.URL.Path, "/download/") {
		code, msg := "NOT_LOGGED_IN", MsgSessionEnded
		if why == "kicked" {
			code, msg = "KICKED", MsgKicked
		}
		writeJSON(w, http.StatusUnauthorized, map[string]any{"success": false, "code": code, "message": msg})
		return
	}
	if why == "kicked" {
		p.page(w, r, http.StatusUnauthorized, "message", map[string]any{"Error": MsgKicked, "ID": "kicked", "Relogin": true})
		return
	}
	to := "/login"
	if why == "expired" {
		to += "?reason=expired"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (p *Portal) authed(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, why := p.sessionOf(r)
		if s == nil {
			p.notLoggedIn(w, r, why)
			return
		}
		p.mu.Lock()
		role := s.role
		p.mu.Unlock()
		if role == "" {
			http.Redirect(w, r, "/login/role", http.StatusSeeOther)
			return
		}
		h(w, r, s)
	}
}

func (p *Portal) sessionAPI(w http.ResponseWriter, r *http.Request, s *session) {
	u, _ := p.user(s.user)
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "user": u.UserName, "name": u.Name, "role": s.role, "taxpayer": p.home.Name, "nsrsbh": p.home.TaxID})
}

func (p *Portal) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieSession); err == nil {
		p.mu.Lock()
		if s := p.sessions[c.Value]; s != nil && p.active[s.user] == c.Value {
			delete(p.active, s.user)
		}
		delete(p.sessions, c.Value)
		p.mu.Unlock()
	}
	setCookie(w, cookieSession, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
