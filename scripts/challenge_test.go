package scripts

import (
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/selectors"
)

func TestEtaxScriptLoads(t *testing.T) {
	s, _, err := Load("", "", "etax-invoices")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	Walk(s.Steps, func(st Step) {
		if st.Challenge != nil {
			kinds = append(kinds, st.Challenge.Kind)
		}
	})
	if strings.Join(kinds, ",") != "sms_code,qr_scan" {
		t.Fatalf("challenges %v", kinds)
	}
}

func TestChallengeStepChecked(t *testing.T) {
	sel, err := selectors.Load("", "etax")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ step, want string }{
		{"challenge: {kind: carrier_pigeon, done: login.done, valid_for: 1m}", `challenge kind "carrier_pigeon"`},
		{"challenge: {kind: sms_code, done: login.done, valid_for: 1m, error: login.error, attempts: 5}", "needs input: ELEMENT and submit: ELEMENT"},
		{"challenge: {kind: sms_code, input: sms.code, submit: sms.verify, done: login.done, error: login.error, valid_for: 1m}", "needs attempts: N"},
		{"challenge: {kind: sms_code, input: sms.code, submit: sms.verify, done: login.done, error: login.error, attempts: 5}", "needs valid_for"},
		{"challenge: {kind: sms_code, input: sms.code, submit: sms.verify, done: login.done, error: login.error, attempts: 5, valid_for: 1m, left: 'no group'}", "needs a capture group"},
		{"challenge: {kind: sms_code, input: sms.cod, submit: sms.verify, done: login.done, error: login.error, attempts: 5, valid_for: 1m}", `steps[0].challenge.input: element "sms.cod" is not in`},
		{"challenge: {kind: qr_scan, done: login.done, valid_for: 2m}", "needs image: ELEMENT"},
		{"challenge: {kind: qr_scan, image: qr.image, input: sms.code, done: login.done, valid_for: 2m}", "answered on the phone"},
		{"challenge: {kind: sms_code, input: sms.code, submit: sms.verify, done: login.done, error: login.error, attempts: 2, spare: 2, valid_for: 1m}", "spare 2 is out of range"},
		{"challenge: {kind: sms_code, input: sms.code, submit: sms.verify, done: login.done, error: login.error, attempts: 5, valid_for: 1m, expired: x}", "need resend: ELEMENT"},
		{"challenge: {kind: qr_scan, image: qr.image, done: login.done, valid_for: 2m, resend: login.submit}", "no code to send again"},
		{"challenge: {kind: sms_code, input: sms.code, submit: sms.verify, done: login.done, error: login.error, attempts: 5, valid_for: 1m, resend: login.submit, cooldown: 'no group'}", "cooldown \"no group\" needs a capture group"},
		{"challenge: {kind: sms_code, input: sms.code, submit: sms.verify, done: login.done, error: login.error, attempts: 5, valid_for: 1m, resend: login.submit, resends: 11}", "resends 11 is out of range"},
		{"challenge: {kind: sms_code, input: sms.code, submit: sms.verify, done: login.done, error: login.error, attempts: 5, valid_for: 1m, resend: sms.resnd}", `steps[0].challenge.resend: element "sms.resnd" is not in`},
	} {
		src := "bot: t\nsite: etax\ncredential: etax\nsteps:\n  - " + tc.step + "\n"
		_, err := Parse("t.yaml", []byte(src), sel)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %q", tc.step, err, tc.want)
		}
		if err != nil && !strings.Contains(err.Error(), "t.yaml:5") {
			t.Errorf("%s: error names no line: %v", tc.step, err)
		}
	}
}
