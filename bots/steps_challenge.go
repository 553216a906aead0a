package bots

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/go-rod/rod/lib/proto"
)

// prompts are what a person is asked, by kind, when the script says
// nothing.
var prompts = map[ferry.ChallengeKind]string{
	ferry.ChallengeSMS:      "the SMS code the portal sent",
	ferry.ChallengeEmail:    "the code the portal e-mailed",
	ferry.ChallengeQR:       "scan the QR code with the portal's app and confirm",
	ferry.ChallengeApproval: "approve the login in the portal's app",
}

// challenge runs a challenge step: it asks through Job.Ask, hands the
// answer to the portal, and asks again after a wrong code while the portal
// allows more attempts than the script's spare. The code is never traced
// or logged.
func (r *run) challenge(ctx, _ context.Context, where string, st scripts.Step) (out stepOutcome, err error) {
	ch := st.Challenge
	kind := ferry.ChallengeKind(ch.Kind)
	if r.job.Ask == nil {
		return out, ferry.Errorf(ferry.ClassInputNeeded, where, "the portal asks for %s on %s, and this run has no way to ask a person", kind, r.pageURL())
	}
	var left *regexp.Regexp
	if ch.Left != "" {
		if left, err = regexp.Compile(ch.Left); err != nil {
			return out, ferry.Errorf(ferry.ClassInternal, where, "left %q: %v", ch.Left, err)
		}
	}
	prompt := ch.Prompt
	if prompt == "" {
		prompt = prompts[kind]
	}
	var expired *regexp.Regexp
	if ch.Expired != "" {
		if expired, err = regexp.Compile(ch.Expired); err != nil {
			return out, ferry.Errorf(ferry.ClassInternal, where, "expired %q: %v", ch.Expired, err)
		}
	}
	message, attemptsLeft := "", -1
	if kind.Typed() {
		attemptsLeft = ch.Attempts
	}
	// The portal sent the code as the step began (its page shows it).
	rs := &resender{sentAt: time.Now()}
	round := 0 // codes submitted
	for {
		c := ferry.Challenge{RunID: r.job.RunID, Bot: r.job.Script.Bot, Kind: kind, Prompt: prompt, Message: message, AttemptsLeft: attemptsLeft}
		if ch.Destination != "" {
			if c.Destination, err = r.text(ctx, st, ch.Destination); err != nil {
				return out, err
			}
		}
		if ch.Image != "" {
			if c.Screenshot, err = r.screenshotOf(ctx, st, ch.Image); err != nil {
				return out, err
			}
		}
		asked := time.Now()
		c.Deadline = asked.Add(ch.ValidFor)
		q, err := r.job.Ask(ctx, c)
		if err != nil {
			return out, err
		}
		c = q.Challenge()
		r.trace(where, "challenge", ch.Done, "", fmt.Sprintf("asked (%d): %s %s, until %s%s", c.Seq, kind, c.Destination,
			c.Deadline.UTC().Format(time.RFC3339), attemptsText(c.AttemptsLeft)), asked, nil)
		if !kind.Typed() {
			return r.confirmed(ctx, where, st, q)
		}
		code, err := q.Answer(ctx)
		if err != nil {
			r.withdraw(ctx, where, st, err)
			return out, err
		}
		if code == ferry.ResendRequest {
			// The code never arrived: the person asks for a new one.
			q.Close(ferry.ChallengeUsed)
			if message, err = r.resendCode(ctx, where, st, rs, "the person asked for a new code", true); err != nil {
				return out, err
			}
			continue
		}
		round++
		outcome, msg, err := r.submitCode(ctx, st, code)
		q.Close(ferry.ChallengeUsed)
		if err != nil {
			return out, err
		}
		switch outcome {
		case codeAccepted:
			out.detail = fmt.Sprintf("the portal accepted the %s (answer %d)", kind, round)
			return out, nil
		case codeLocked:
			return out, ferry.Errorf(ferry.ClassCredentialsRejected, where, "the portal locked the account after a wrong code: %s", clip(msg, 200))
		}
		if expired != nil && expired.MatchString(msg) {
			// An expired code is no wrong one: ask for a new code.
			round--
			r.trace(where, "challenge", ch.Error, "", "the code expired: "+clip(msg, 200), time.Now(), nil)
			if message, err = r.resendCode(ctx, where, st, rs, "the portal says the code expired ("+clip(msg, 200)+")", false); err != nil {
				return out, err
			}
			continue
		}
		n := -1
		if left != nil {
			if m := left.FindStringSubmatch(msg); m != nil {
				n, _ = strconv.Atoi(m[1])
			}
		}
		if n < 0 {
			// The portal does not say: count down from what it allows.
			n = ch.Attempts - round
		}
		r.trace(where, "challenge", ch.Error, "", fmt.Sprintf("wrong code (answer %d): %s", round, clip(msg, 200)), time.Now(), nil)
		if n <= ch.SpareAttempts() || round >= ch.Attempts {
			return out, ferry.Errorf(ferry.ClassCredentialsRejected, where,
				"the portal rejected %d codes and allows %d more (%s); Ferry leaves %d for a person, so as never to lock the account",
				round, n, clip(msg, 200), ch.SpareAttempts())
		}
		message, attemptsLeft = msg, n
	}
}

// resender tracks one step's new codes: how many it asked for, and when
// the portal sent the last.
type resender struct {
	n      int
	sentAt time.Time
}

// maxCooldown bounds one wait for the portal's cooldown.
const maxCooldown = 5 * time.Minute

// resendCode asks the portal for a new code through the step's resend
// control, honouring its cooldown: never sooner than resend_after after
// the last code, and when the portal answers that it is too soon, after
// the seconds it states (at most three tries, each wait at most
// maxCooldown). A step asks for at most resends new codes. It returns the
// message for the person's next challenge.
func (r *run) resendCode(ctx context.Context, where string, st scripts.Step, rs *resender, why string, byPerson bool) (string, error) {
	ch := st.Challenge
	if ch.Resend == "" {
		if !byPerson {
			return "", ferry.Errorf(ferry.ClassInputNeeded, where, "%s, and the script names no resend control", why)
		}
		// Asked anyway: say so, and wait for the code (bounded all the same).
		if rs.n >= ch.MaxResends() {
			return "", ferry.Errorf(ferry.ClassInputNeeded, where, "%s %d times, and the script names no resend control", why, rs.n)
		}
		rs.n++
		return "this portal's script has no control to send a new code: type the code you received", nil
	}
	if rs.n >= ch.MaxResends() {
		return "", ferry.Errorf(ferry.ClassInputNeeded, where, "%s, and this step asked for %d new codes already (resends: %d)", why, rs.n, ch.MaxResends())
	}
	rs.n++
	var cool *regexp.Regexp
	if ch.Cooldown != "" {
		var err error
		if cool, err = regexp.Compile(ch.Cooldown); err != nil {
			return "", ferry.Errorf(ferry.ClassInternal, where, "cooldown %q: %v", ch.Cooldown, err)
		}
	}
	notBefore := rs.sentAt.Add(ch.ResendAfter)
	for try := 1; ; try++ {
		if wait := time.Until(notBefore); wait > 0 {
			if wait > maxCooldown {
				return "", ferry.Errorf(ferry.ClassInputNeeded, where, "%s, and the portal wants %s before a new code", why, wait.Round(time.Second))
			}
			r.trace(where, "challenge", ch.Resend, "", fmt.Sprintf("waiting %s for the portal's cooldown before a new code", wait.Round(100*time.Millisecond)), time.Now(), nil)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return "", ferry.Errorf(ferry.ClassInternal, where, "cancelled while waiting to ask for a new code: %v", ctx.Err())
			case <-t.C:
			}
		}
		started := time.Now()
		msg, err := r.clickResend(ctx, st)
		if err != nil {
			r.trace(where, "challenge", ch.Resend, "", "asking for a new code failed", started, err)
			return "", err
		}
		if cool != nil {
			if m := cool.FindStringSubmatch(msg); m != nil {
				secs, _ := strconv.Atoi(m[1])
				r.trace(where, "challenge", ch.Resend, "", fmt.Sprintf("too soon (%s): the portal wants %d s", clip(msg, 200), secs), started, nil)
				if try >= 3 {
					return "", ferry.Errorf(ferry.ClassInputNeeded, where, "%s, and the portal refused %d times to send a new code: %s", why, try, clip(msg, 200))
				}
				notBefore = time.Now().Add(time.Duration(secs) * time.Second)
				continue
			}
		}
		rs.sentAt = time.Now()
		r.trace(where, "challenge", ch.Resend, "", fmt.Sprintf("%s: a new code was sent (%d of at most %d)", why, rs.n, ch.MaxResends()), started, nil)
		return fmt.Sprintf("%s: a new code was sent", why), nil
	}
}

// clickResend clicks the resend control and waits for the portal's next
// page to show the code input again; it returns the portal's error
// message there ("" when none: the code was sent).
func (r *run) clickResend(ctx context.Context, st scripts.Step) (string, error) {
	ch := st.Challenge
	sctx, cancel := context.WithTimeout(ctx, r.timeout(st))
	defer cancel()
	if _, err := r.page.Context(sctx).Eval(markJS); err != nil {
		return "", err
	}
	btn, _, err := r.one(sctx, ch.Resend)
	if err != nil {
		return "", err
	}
	if err := r.clickElement(sctx, btn); err != nil {
		return "", err
	}
	err = poll(sctx, func() (bool, error) {
		obj, err := r.page.Context(sctx).Eval(markedJS)
		if err != nil || obj.Value.Bool() {
			return false, nil // navigating, or the old page
		}
		ok, _ := r.isThere(sctx, ch.Input)
		return ok, nil
	})
	if err != nil {
		return "", fmt.Errorf("after %s was clicked on %s, the code input never showed again: %w", ch.Resend, r.pageURL(), err)
	}
	msg, _ := r.presentText(sctx, ch.Error)
	return r.mask(msg), nil
}

func attemptsText(n int) string {
	if n < 0 {
		return ""
	}
	return fmt.Sprintf(", %d attempts left", n)
}

type codeOutcome int

const (
	codeAccepted codeOutcome = iota
	codeWrong
	codeLocked
)

// marker tags the current document, so that an error message the portal
// showed before the code was submitted is not taken for its answer.
const markJS = `() => { window.__ferryChallenge = true }`
const markedJS = `() => window.__ferryChallenge === true`

// submitCode types code into the input, submits it and waits for the
// portal's verdict: done, locked, or a (new) error message.
func (r *run) submitCode(ctx context.Context, st scripts.Step, code string) (codeOutcome, string, error) {
	ch := st.Challenge
	sctx, cancel := context.WithTimeout(ctx, r.timeout(st))
	defer cancel()
	el, _, err := r.one(sctx, ch.Input)
	if err != nil {
		return 0, "", err
	}
	if err := el.Context(sctx).SelectAllText(); err != nil {
		return 0, "", err
	}
	if err := el.Context(sctx).Input(code); err != nil {
		return 0, "", errors.New("typing the code failed") // rod's error may quote the input
	}
	before, _ := r.presentText(sctx, ch.Error)
	if _, err := r.page.Context(sctx).Eval(markJS); err != nil {
		return 0, "", err
	}
	btn, _, err := r.one(sctx, ch.Submit)
	if err != nil {
		return 0, "", err
	}
	if err := r.clickElement(sctx, btn); err != nil {
		return 0, "", err
	}
	var outcome codeOutcome
	var msg string
	err = poll(sctx, func() (bool, error) {
		if ok, _ := r.isThere(sctx, ch.Done); ok {
			outcome = codeAccepted
			return true, nil
		}
		if ch.Locked != "" {
			if t, ok := r.presentText(sctx, ch.Locked); ok {
				outcome, msg = codeLocked, t
				return true, nil
			}
		}
		if t, ok := r.presentText(sctx, ch.Error); ok {
			obj, err := r.page.Context(sctx).Eval(markedJS)
			fresh := err == nil && !obj.Value.Bool() // a new page
			if fresh || t != before {
				outcome, msg = codeWrong, t
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return 0, "", fmt.Errorf("after the code was submitted on %s, neither %s nor %s showed: %w", r.pageURL(), ch.Done, ch.Error, err)
	}
	return outcome, r.mask(msg), nil
}

// confirmed waits, until the challenge's deadline, for the portal to move
// on by itself (the person scanned and confirmed on the phone).
func (r *run) confirmed(ctx context.Context, where string, st scripts.Step, q ferry.Question) (out stepOutcome, err error) {
	ch := st.Challenge
	c := q.Challenge()
	dctx, cancel := context.WithDeadline(ctx, c.Deadline)
	defer cancel()
	err = poll(dctx, func() (bool, error) {
		ok, _ := r.isThere(dctx, ch.Done)
		return ok, nil
	})
	if err == nil {
		q.Close(ferry.ChallengeUsed)
		out.detail = fmt.Sprintf("the portal confirmed the %s", c.Kind)
		return out, nil
	}
	if ctx.Err() != nil {
		q.Close(ferry.ChallengeCancelled)
		return out, ferry.Errorf(ferry.ClassInternal, where, "cancelled while waiting for the %s: %v", c.Kind, ctx.Err())
	}
	q.Close(ferry.ChallengeExpired)
	terr := ferry.Errorf(ferry.ClassInputTimeout, where, "nobody confirmed the %s before %s", c.Kind, c.Deadline.UTC().Format(time.RFC3339))
	r.withdraw(ctx, where, st, terr)
	return out, terr
}

// withdraw clicks the step's cancel element, when the wait ended without
// an answer: the pending login is withdrawn on the portal where it can be.
func (r *run) withdraw(ctx context.Context, where string, st scripts.Step, cause error) {
	if st.Challenge.Cancel == "" || ferry.ClassOf(cause) != ferry.ClassInputTimeout {
		return
	}
	started := time.Now()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout(st))
	defer cancel()
	el, w, err := r.one(cctx, st.Challenge.Cancel)
	if err == nil {
		err = r.clickElement(cctx, el)
	}
	r.trace(where, "challenge", st.Challenge.Cancel, w, "nobody answered in time: withdrawn on the portal", started, err)
}

// present looks the element up once: is it there now?
func (r *run) isThere(ctx context.Context, name string) (bool, error) {
	el, err := r.job.Selectors.Element(name)
	if err != nil {
		return false, err
	}
	_, pick, _, err := r.lookup(ctx, el)
	if err != nil {
		return false, nil // the page is navigating
	}
	return pick >= 0, nil
}

// presentText returns the element's text when it is there now.
func (r *run) presentText(ctx context.Context, name string) (string, bool) {
	if ok, _ := r.isThere(ctx, name); !ok {
		return "", false
	}
	prev := r.optional
	r.optional = true // a miss here is no failure and nothing to heal
	defer func() { r.optional = prev }()
	el, _, err := r.one(ctx, name)
	if err != nil {
		return "", false
	}
	t, err := el.Context(ctx).Text()
	if err != nil {
		return "", false
	}
	return strings.Join(strings.Fields(t), " "), true
}

// text waits for the element and returns its text, white space collapsed.
func (r *run) text(ctx context.Context, st scripts.Step, name string) (string, error) {
	sctx, cancel := context.WithTimeout(ctx, r.timeout(st))
	defer cancel()
	el, _, err := r.one(sctx, name)
	if err != nil {
		return "", err
	}
	t, err := el.Context(sctx).Text()
	if err != nil {
		return "", err
	}
	return r.mask(strings.Join(strings.Fields(t), " ")), nil
}

// screenshotOf returns a PNG of the element.
func (r *run) screenshotOf(ctx context.Context, st scripts.Step, name string) ([]byte, error) {
	sctx, cancel := context.WithTimeout(ctx, r.timeout(st))
	defer cancel()
	el, _, err := r.one(sctx, name)
	if err != nil {
		return nil, err
	}
	// An image must have loaded to be worth showing.
	if err := poll(sctx, func() (bool, error) {
		obj, err := el.Context(sctx).Eval(`function () { return this.tagName !== 'IMG' || (this.complete && this.naturalWidth > 0) }`)
		return err == nil && obj.Value.Bool(), nil
	}); err != nil {
		return nil, fmt.Errorf("the image %s never loaded: %w", name, err)
	}
	return el.Context(sctx).Screenshot(proto.PageCaptureScreenshotFormatPng, 0)
}
