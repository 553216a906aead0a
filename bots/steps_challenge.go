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
	message, attemptsLeft := "", -1
	if kind.Typed() {
		attemptsLeft = ch.Attempts
	}
	for round := 1; ; round++ {
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
