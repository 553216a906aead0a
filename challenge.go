package ferry

// A run that waits for a person: the portal asks for an SMS code, a QR
// scan or an approval in an app, the run records a Challenge and waits,
// and a person (or a machine: an SMS gateway) answers it.
//
// An answer never reaches the database in clear text. The waiting run
// makes a key pair for each challenge and keeps the private half in its
// memory only; the challenge row holds the public half, and whoever
// answers seals the answer to it (X25519, HKDF-SHA256, AES-256-GCM). The
// row also keeps a digest of the answer, salted with the challenge's public
// key, so that answering twice with the same value is recognised.

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// RunWaiting is a running run that waits for a person's answer to a
// challenge. The database keeps such a run "running" (it holds its login,
// its lease and its browser); readers show it as waiting while it has a
// pending challenge.
const RunWaiting RunStatus = "waiting_for_input"

// ClassInputTimeout: nobody answered a challenge before its deadline. The
// pending challenge was cancelled on the portal where it can be, and the
// session logged out. Not retried by itself: a retry would ask again.
const ClassInputTimeout FailureClass = "input_timeout"

// ChallengeKind says what a challenge asks for.
type ChallengeKind string

// The kinds of challenge.
const (
	ChallengeSMS      ChallengeKind = "sms_code"     // a code sent by SMS
	ChallengeEmail    ChallengeKind = "email_code"   // a code sent by e-mail
	ChallengeQR       ChallengeKind = "qr_scan"      // scan a QR code with the portal's app
	ChallengeApproval ChallengeKind = "app_approval" // approve the login in the portal's app
)

// Valid reports whether k is one of the kinds.
func (k ChallengeKind) Valid() bool {
	switch k {
	case ChallengeSMS, ChallengeEmail, ChallengeQR, ChallengeApproval:
		return true
	}
	return false
}

// Typed reports whether a person answers this kind by typing a value (a
// code); the others are answered on the phone, and the portal tells the
// run.
func (k ChallengeKind) Typed() bool { return k == ChallengeSMS || k == ChallengeEmail }

// ChallengeState is where a challenge is in its single use.
type ChallengeState string

// The states of a challenge. Pending and answered are open; the others
// are final.
const (
	ChallengePending   ChallengeState = "pending"   // waiting for an answer
	ChallengeAnswered  ChallengeState = "answered"  // an answer is there for the run to take
	ChallengeUsed      ChallengeState = "used"      // the run took the answer (or the phone confirmed)
	ChallengeCancelled ChallengeState = "cancelled" // the run stopped waiting (ended, asked again)
	ChallengeExpired   ChallengeState = "expired"   // nobody answered before the deadline
)

// Open reports whether the challenge still takes or holds an answer.
func (s ChallengeState) Open() bool { return s == ChallengePending || s == ChallengeAnswered }

// Challenge is one question a run asks a person: a typed, single-use
// record.
type Challenge struct {
	ID    int64
	RunID int64
	// Seq numbers the run's challenges: 1, 2, … (a wrong code asks again).
	Seq  int
	Bot  string
	Kind ChallengeKind
	// Prompt is what the portal asks, as it says it.
	Prompt string
	// Destination is where the code went, masked as the portal shows it
	// (138****8000).
	Destination string
	// Deadline is when the portal stops accepting the answer (the code's
	// validity as the portal states it), or the run's own limit.
	Deadline time.Time
	// AttemptsLeft is how many more wrong answers the portal accepts
	// before it locks the account; -1 when it does not say.
	AttemptsLeft int
	// Message is the portal's message about the previous answer (a wrong
	// code), empty on the first ask.
	Message string
	// Screenshot is a PNG of the QR code to scan (qr_scan), else empty.
	Screenshot []byte
	State      ChallengeState
	// Key is the public key (X25519) answers are sealed to; the private
	// half exists only in the waiting run's memory.
	Key []byte
	// Sealed is the answer, sealed to Key; empty until answered, and wiped
	// when the challenge closes.
	Sealed []byte
	// AnswerHash is AnswerDigest of the answer: to recognise a repeated
	// answer, never to recover it.
	AnswerHash string
	// AnsweredBy says who answered: "cli", "http:NAME", "webhook", "poll",
	// "prompt".
	AnsweredBy string
	CreatedAt  time.Time
	AnsweredAt time.Time
	ClosedAt   time.Time
}

// Errors of challenges.
var (
	// ErrNoChallenge reports an unknown challenge, or a run that never
	// asked for input.
	ErrNoChallenge = fmt.Errorf("no such challenge: %w", ErrNotFound)
	// ErrChallengeClosed reports an answer that came too late: the
	// challenge was used, cancelled or expired. The error says which and
	// when.
	ErrChallengeClosed = errors.New("the run no longer waits for this answer")
	// ErrAnswerConflict reports a second, different answer to a challenge
	// already answered: the first stands.
	ErrAnswerConflict = errors.New("the challenge was already answered with another value")
)

// ClosedError says why an answer was refused: the challenge's state and
// when it closed. It wraps ErrChallengeClosed.
type ClosedError struct {
	RunID, ChallengeID int64
	State              ChallengeState
	At                 time.Time
}

func (e *ClosedError) Error() string {
	what := map[ChallengeState]string{ChallengeUsed: "was answered and used", ChallengeCancelled: "was cancelled",
		ChallengeExpired: "expired"}[e.State]
	if what == "" {
		what = "is " + string(e.State)
	}
	s := fmt.Sprintf("run %d: challenge %d %s", e.RunID, e.ChallengeID, what)
	if !e.At.IsZero() {
		s += " at " + e.At.UTC().Format(time.RFC3339)
	}
	return s + ": " + ErrChallengeClosed.Error()
}

func (e *ClosedError) Unwrap() error { return ErrChallengeClosed }

// ChallengeStore keeps challenges. Each is used once: an answer is taken
// by the run once, and a closed challenge takes no answer.
type ChallengeStore interface {
	// OpenChallenge stores c as run c.RunID's pending challenge, numbered
	// after the run's others (Seq), and cancels any other open challenge
	// of the run (a run waits for one answer at a time). It returns c with
	// ID, Seq, State and CreatedAt set. A c without RunID, Key or a valid
	// Kind is an error; an unknown run is ErrNotFound.
	OpenChallenge(ctx context.Context, c Challenge) (Challenge, error)
	// AnswerChallenge records an answer (sealed to the challenge's Key,
	// with its digest) to challenge id, if it is pending and now is before
	// its deadline; it returns true. The same digest again, while the
	// challenge is answered or after the run used it, changes nothing and
	// returns false (answering is idempotent). A different digest on an
	// answered challenge is ErrAnswerConflict; a closed challenge, or a
	// pending one past its deadline, is a *ClosedError (the latter is
	// marked expired); an unknown id is ErrNoChallenge.
	AnswerChallenge(ctx context.Context, id int64, sealed []byte, digest, by string, now time.Time) (bool, error)
	// CloseChallenge ends challenge id in state (used, cancelled or
	// expired) if it is open, and wipes its sealed answer; it returns
	// whether it was open. An unknown id is ErrNoChallenge.
	CloseChallenge(ctx context.Context, id int64, state ChallengeState) (bool, error)
	// Challenge returns one challenge; an unknown id is ErrNoChallenge.
	Challenge(ctx context.Context, id int64) (Challenge, error)
	// LatestChallenge returns the run's newest challenge, whatever its
	// state; a run without one is ErrNoChallenge.
	LatestChallenge(ctx context.Context, runID int64) (Challenge, error)
	// Challenges lists a run's challenges, oldest first.
	Challenges(ctx context.Context, runID int64) ([]Challenge, error)
	// OpenChallenges lists every open challenge, oldest first: what
	// waits for someone (the console, the SMS webhook).
	OpenChallenges(ctx context.Context) ([]Challenge, error)
}

// ChallengeKey is a challenge's key pair; the waiting run holds it.
type ChallengeKey struct{ priv *ecdh.PrivateKey }

// NewChallengeKey makes a fresh key pair for one challenge.
func NewChallengeKey() (*ChallengeKey, error) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("challenge key: %w", err)
	}
	return &ChallengeKey{priv: k}, nil
}

// Public returns the public half, for Challenge.Key.
func (k *ChallengeKey) Public() []byte { return k.priv.PublicKey().Bytes() }

// sealKey derives the AES key of one sealed answer.
func sealKey(shared, ephemeral, recipient []byte) ([]byte, error) {
	salt := append(append([]byte{}, ephemeral...), recipient...)
	return hkdf.Key(sha256.New, shared, salt, "ferry challenge answer", 32)
}

// SealAnswer seals answer to a challenge's public key: only the run that
// holds the private key can open it.
func SealAnswer(key []byte, answer string) ([]byte, error) {
	pub, err := ecdh.X25519().NewPublicKey(key)
	if err != nil {
		return nil, fmt.Errorf("seal answer: the challenge's key: %w", err)
	}
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("seal answer: %w", err)
	}
	shared, err := eph.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("seal answer: %w", err)
	}
	aesKey, err := sealKey(shared, eph.PublicKey().Bytes(), key)
	if err != nil {
		return nil, fmt.Errorf("seal answer: %w", err)
	}
	gcm, err := newGCM(aesKey)
	if err != nil {
		return nil, fmt.Errorf("seal answer: %w", err)
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal answer: %w", err)
	}
	out := append(eph.PublicKey().Bytes(), nonce...)
	return gcm.Seal(out, nonce, []byte(answer), key), nil
}

// Open opens an answer SealAnswer sealed to k. A sealed answer that was
// altered, or sealed to another key, is an error (which never holds the
// answer).
func (k *ChallengeKey) Open(sealed []byte) (string, error) {
	const pubLen = 32
	recipient := k.Public()
	if len(sealed) < pubLen+12+16 {
		return "", errors.New("open answer: too short")
	}
	eph, err := ecdh.X25519().NewPublicKey(sealed[:pubLen])
	if err != nil {
		return "", fmt.Errorf("open answer: %w", err)
	}
	shared, err := k.priv.ECDH(eph)
	if err != nil {
		return "", fmt.Errorf("open answer: %w", err)
	}
	aesKey, err := sealKey(shared, sealed[:pubLen], recipient)
	if err != nil {
		return "", fmt.Errorf("open answer: %w", err)
	}
	gcm, err := newGCM(aesKey)
	if err != nil {
		return "", fmt.Errorf("open answer: %w", err)
	}
	rest := sealed[pubLen:]
	plain, err := gcm.Open(nil, rest[:gcm.NonceSize()], rest[gcm.NonceSize():], recipient)
	if err != nil {
		return "", errors.New("open answer: not sealed to this challenge, or altered")
	}
	return string(plain), nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// AnswerDigest is the digest of an answer to the challenge with public key
// key, as Challenge.AnswerHash keeps it: salted with the key, so equal
// codes of two challenges differ.
func AnswerDigest(key []byte, answer string) string {
	h := sha256.New()
	h.Write([]byte(strconv.Itoa(len(key))))
	h.Write(key)
	h.Write([]byte(answer))
	return hex.EncodeToString(h.Sum(nil))
}

// SameDigest compares two digests in constant time.
func SameDigest(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// ResendRequest is the answer that asks for a new code instead of giving
// one (the code expired, or never arrived): the run clicks the portal's
// resend control, within its cooldown and bounds, and asks again. It is
// sealed and stored like any answer; no person can type it (it starts
// with a NUL byte), and service.Resend is the one way to give it.
const ResendRequest = "\x00resend"

// MaskCode shows an answer in logs and messages: never its value.
func MaskCode(s string) string {
	if s == "" {
		return ""
	}
	return "******"
}

// Question is an open challenge as the engine holds it while its run
// waits.
type Question interface {
	// Challenge returns the challenge as stored: ID, Seq and the Deadline
	// the run waits until.
	Challenge() Challenge
	// Answer waits for the answer to a typed challenge (a code) and
	// returns it; the caller must never log it. When the deadline passes
	// first, the challenge is closed as expired and the error is of
	// ClassInputTimeout; when ctx ends first, the error wraps ctx's.
	Answer(ctx context.Context) (string, error)
	// Close ends the challenge: used (the portal took the answer, or the
	// phone confirmed), cancelled or expired. Closing twice does nothing.
	Close(state ChallengeState)
}

// Asker records a challenge of a running run, tells whoever should know
// (the webhook, the console, an interactive `ferry run`), and returns the
// open question. The run's state is waiting_for_input until the question
// is closed. An error is the run's failure.
type Asker func(ctx context.Context, c Challenge) (Question, error)
