package tax

import "net/http"

// EventLoginCancelled is the event of a login withdrawn while it waited
// for its SMS code (Portal.Events kind).
const EventLoginCancelled = "login-cancelled"

// smsCancel answers POST /login/sms/cancel: the login waiting for its SMS
// code is withdrawn (by the person, or by a bot that stopped waiting), and
// the code sent for it no longer logs in.
func (p *Portal) smsCancel(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieLogin); err == nil {
		p.mu.Lock()
		if pl := p.pending[c.Value]; pl != nil {
			delete(p.pending, c.Value)
			delete(p.sms, pl.user)
			p.event(EventLoginCancelled, pl.user, "sms")
		}
		p.mu.Unlock()
	}
	setCookie(w, cookieLogin, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
