package scripts

import (
	"fmt"
	"regexp"
	"time"

	"github.com/ferry-rpa/ferry"
)

// Challenge is a step that asks a person for what the portal wants before
// it lets the bot in: a code sent by SMS or e-mail (typed into Input, then
// Submit clicked), or a QR code to scan or an approval in the portal's app
// (the portal moves on by itself once the person confirmed). The run
// waits as waiting_for_input meanwhile; a wrong code shows the portal's
// message to the person and asks again, within what the portal allows.
type Challenge struct {
	// Kind is sms_code, email_code, qr_scan or app_approval.
	Kind string `yaml:"kind"`
	// Prompt is what the person is asked (default: by kind).
	Prompt string `yaml:"prompt,omitempty"`
	// Destination is the element showing where the code went, masked
	// (138****5678); read, never typed.
	Destination string `yaml:"destination,omitempty"`
	// Input is the field the code is typed into; Submit is clicked after
	// (typed kinds only).
	Input  string `yaml:"input,omitempty"`
	Submit string `yaml:"submit,omitempty"`
	// Image is the element screenshotted for the person (the QR code).
	Image string `yaml:"image,omitempty"`
	// Done shows once the portal accepted: the run goes on.
	Done string `yaml:"done"`
	// Error shows the portal's message after a wrong code; Left is a
	// regular expression whose first group, in that message, is how many
	// attempts the portal still allows.
	Error string `yaml:"error,omitempty"`
	Left  string `yaml:"left,omitempty"`
	// Locked shows when the portal locked the account: the run fails as
	// credentials_rejected.
	Locked string `yaml:"locked,omitempty"`
	// Cancel is clicked, when present, once nobody answered in time: it
	// withdraws the pending login on the portal (a QR code's page left).
	Cancel string `yaml:"cancel,omitempty"`
	// ValidFor is how long the portal says a code or QR code is valid:
	// the challenge's deadline is then.
	ValidFor time.Duration `yaml:"valid_for"`
	// Attempts is the most answers the portal takes before it locks the
	// account (typed kinds): Ferry never submits more.
	Attempts int `yaml:"attempts,omitempty"`
	// Spare is how many of those attempts Ferry leaves for a person: it
	// asks again only while the portal allows more than Spare (default 1,
	// so that Ferry alone never locks the account).
	Spare *int `yaml:"spare,omitempty"`
	// Resend is the portal's control that sends a new code (typed kinds).
	// It is clicked when the portal says the code expired (Expired), and
	// when the person asks for a new code (`ferry runs answer RUN
	// --resend`, the HTTP API) because none arrived.
	Resend string `yaml:"resend,omitempty"`
	// Expired is a regular expression matching the portal's message (in
	// Error) after an expired code: a new code is asked for, and the
	// expired one counts as no attempt.
	Expired string `yaml:"expired,omitempty"`
	// ResendAfter is the cooldown the portal declares between two codes:
	// Resend is never clicked sooner after the last code was sent.
	ResendAfter time.Duration `yaml:"resend_after,omitempty"`
	// Cooldown is a regular expression whose first group, in the portal's
	// message after Resend, is how many seconds it wants the run to wait:
	// the run waits that long (within the deadline) and clicks again.
	Cooldown string `yaml:"cooldown,omitempty"`
	// Resends bounds the new codes one step asks for (default 3).
	Resends int `yaml:"resends,omitempty"`
}

// DefaultResends is how many new codes a challenge step asks for at most
// when the script does not say.
const DefaultResends = 3

// MaxResends is Resends with its default.
func (c *Challenge) MaxResends() int {
	if c.Resends <= 0 {
		return DefaultResends
	}
	return c.Resends
}

// SpareAttempts is Spare with its default.
func (c *Challenge) SpareAttempts() int {
	if c.Spare == nil {
		return 1
	}
	return *c.Spare
}

// target is the element a challenge step is about, for traces.
func (c *Challenge) target() string {
	if c == nil {
		return ""
	}
	if c.Input != "" {
		return c.Input
	}
	return c.Image
}

// maxChallengeWait bounds valid_for: a run holds its login and browser
// while it waits.
const maxChallengeWait = 2 * time.Hour

// challenge checks a challenge step.
func (c *checker) challenge(line int, where string, ch *Challenge) {
	kind := ferry.ChallengeKind(ch.Kind)
	if !kind.Valid() {
		c.bad(line, where, "challenge kind %q (want sms_code, email_code, qr_scan or app_approval)", ch.Kind)
		return
	}
	if ch.Done == "" {
		c.bad(line, where, "challenge needs done: ELEMENT (what shows once the portal accepted)")
	}
	if ch.ValidFor <= 0 || ch.ValidFor > maxChallengeWait {
		c.bad(line, where, "challenge needs valid_for: how long the portal says the answer is valid (up to %s)", maxChallengeWait)
	}
	if kind.Typed() {
		if ch.Input == "" || ch.Submit == "" {
			c.bad(line, where, "a %s challenge needs input: ELEMENT and submit: ELEMENT", ch.Kind)
		}
		if ch.Attempts < 1 || ch.Attempts > 20 {
			c.bad(line, where, "a %s challenge needs attempts: N (1 to 20), the most answers the portal takes before it locks", ch.Kind)
		}
		if ch.Error == "" {
			c.bad(line, where, "a %s challenge needs error: ELEMENT (the portal's message after a wrong code)", ch.Kind)
		}
	} else {
		if ch.Input != "" || ch.Submit != "" || ch.Left != "" || ch.Attempts != 0 {
			c.bad(line, where, "a %s challenge is answered on the phone: input, submit, left and attempts do not go with it", ch.Kind)
		}
		if kind == ferry.ChallengeQR && ch.Image == "" {
			c.bad(line, where, "a qr_scan challenge needs image: ELEMENT (the QR code the person scans)")
		}
	}
	if ch.Resend == "" && (ch.Expired != "" || ch.Cooldown != "" || ch.ResendAfter != 0 || ch.Resends != 0) {
		c.bad(line, where, "expired, cooldown, resend_after and resends need resend: ELEMENT (the portal's control that sends a new code)")
	}
	if ch.Resend != "" && !kind.Typed() {
		c.bad(line, where, "a %s challenge has no code to send again: resend goes with sms_code and email_code", ch.Kind)
	}
	if ch.Resends < 0 || ch.Resends > 10 {
		c.bad(line, where, "resends %d is out of range (1 to 10; 0 for the default %d)", ch.Resends, DefaultResends)
	}
	if ch.ResendAfter < 0 || ch.ResendAfter > 30*time.Minute {
		c.bad(line, where, "resend_after %s is out of range (up to 30m)", ch.ResendAfter)
	}
	for _, re := range []struct{ field, expr string }{{"expired", ch.Expired}, {"cooldown", ch.Cooldown}} {
		if re.expr == "" {
			continue
		}
		if x, err := regexp.Compile(re.expr); err != nil {
			c.bad(line, where, "%s: %v", re.field, err)
		} else if re.field == "cooldown" && x.NumSubexp() < 1 {
			c.bad(line, where, "cooldown %q needs a capture group: the seconds to wait", re.expr)
		}
	}
	if s := ch.SpareAttempts(); s < 0 || ch.Attempts > 0 && s >= ch.Attempts {
		c.bad(line, where, "spare %d is out of range (0 to attempts-1)", s)
	}
	if ch.Left != "" {
		if re, err := regexp.Compile(ch.Left); err != nil {
			c.bad(line, where, "left: %v", err)
		} else if re.NumSubexp() < 1 {
			c.bad(line, where, "left %q needs a capture group: the attempts left", ch.Left)
		}
	}
	for _, el := range []struct{ field, name string }{{"destination", ch.Destination}, {"input", ch.Input}, {"submit", ch.Submit},
		{"image", ch.Image}, {"done", ch.Done}, {"error", ch.Error}, {"locked", ch.Locked}, {"cancel", ch.Cancel}, {"resend", ch.Resend}} {
		if el.name != "" {
			c.element(line, fmt.Sprintf("%s.challenge.%s", where, el.field), el.name, false)
		}
	}
}
