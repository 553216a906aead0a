// Package seal encrypts small secrets at rest (saved browser logins) with
// AES-256-GCM under a keyring: the first key seals, every key opens, so a
// key is rotated by putting the new one first, resealing what is stored
// (ferry logins rekey), then dropping the old one.
//
// A sealed blob is "FSL1" | key id (8 bytes) | nonce (12) | ciphertext.
// The key id is a digest of the key, never the key. The caller's
// associated data (the login key) is authenticated, so a blob moved to
// another login's row is refused like a tampered one.
package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Errors of Open. They never carry key material or plaintext.
var (
	// ErrUnknownKey reports a blob sealed under a key the keyring does
	// not hold (another installation's, or one dropped after rotation).
	ErrUnknownKey = errors.New("sealed under a key this keyring does not hold")
	// ErrTampered reports a blob that fails authentication: changed,
	// truncated, or moved to another login.
	ErrTampered = errors.New("sealed data fails authentication (tampered, truncated or moved)")
	// ErrNoKeys reports an empty key specification.
	ErrNoKeys = errors.New("no encryption key given")
)

var magic = []byte("FSL1")

const (
	idLen    = 8
	nonceLen = 12
	// KeyLen is the length of a raw key: AES-256.
	KeyLen = 32
)

type key struct {
	id   [idLen]byte
	aead cipher.AEAD
}

// Keyring holds the keys: Keys()[0] seals, all open. It is safe for
// concurrent use (it is never changed after construction).
type Keyring struct {
	keys []key
}

// New returns a keyring of raw 32-byte keys, the sealing key first.
func New(raw ...[]byte) (*Keyring, error) {
	if len(raw) == 0 {
		return nil, ErrNoKeys
	}
	k := &Keyring{}
	seen := map[[idLen]byte]bool{}
	for i, r := range raw {
		if len(r) != KeyLen {
			return nil, fmt.Errorf("seal: key %d is %d bytes, want %d", i+1, len(r), KeyLen)
		}
		block, err := aes.NewCipher(r)
		if err != nil {
			return nil, fmt.Errorf("seal: key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: key %d: %w", i+1, err)
		}
		id := keyID(r)
		if seen[id] {
			continue
		}
		seen[id] = true
		k.keys = append(k.keys, key{id: id, aead: aead})
	}
	return k, nil
}

func keyID(raw []byte) [idLen]byte {
	sum := sha256.Sum256(append([]byte("ferry seal key id\x00"), raw...))
	var id [idLen]byte
	copy(id[:], sum[:])
	return id
}

// Parse reads keys from text: base64 (standard or URL, padded or not) or
// hex encodings of 32 bytes, separated by commas, spaces or newlines;
// lines starting with # are comments. The first key seals. Errors name
// the key's position, never its value.
func Parse(spec string) (*Keyring, error) {
	var raw [][]byte
	n := 0
	for _, line := range strings.Split(spec, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' }) {
			n++
			b, err := decodeKey(f)
			if err != nil {
				return nil, fmt.Errorf("seal: key %d: %w", n, err)
			}
			raw = append(raw, b)
		}
	}
	if len(raw) == 0 {
		return nil, ErrNoKeys
	}
	return New(raw...)
}

func decodeKey(s string) ([]byte, error) {
	if len(s) == 2*KeyLen {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeyLen {
				return nil, fmt.Errorf("decodes to %d bytes, want %d", len(b), KeyLen)
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("neither base64 nor hex of %d bytes", KeyLen)
}

// Load reads the keyring from the environment variable env, or when it is
// empty from file (one key a line, the sealing key first). A key file
// readable by others than its owner is refused.
func Load(env, file string) (*Keyring, error) {
	if env != "" {
		if v := os.Getenv(env); strings.TrimSpace(v) != "" {
			k, err := Parse(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", env, err)
			}
			return k, nil
		}
	}
	if file == "" {
		return nil, fmt.Errorf("seal: %w (set %s or a key file)", ErrNoKeys, env)
	}
	st, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("seal: key file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("seal: key file %s is readable by others (mode %o): chmod 600 it", file, st.Mode().Perm())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("seal: key file: %w", err)
	}
	k, err := Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return k, nil
}

// NewKey returns a fresh random key, base64-encoded, for a key file.
func NewKey() string {
	b := make([]byte, KeyLen)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.StdEncoding.EncodeToString(b)
}

// KeyID returns the sealing key's id in hex, for logs and listings.
func (k *Keyring) KeyID() string { return hex.EncodeToString(k.keys[0].id[:]) }

// Seal encrypts plain under the first key, authenticating ad with it.
func (k *Keyring) Seal(plain, ad []byte) []byte {
	s := k.keys[0]
	out := make([]byte, 0, len(magic)+idLen+nonceLen+len(plain)+s.aead.Overhead())
	out = append(out, magic...)
	out = append(out, s.id[:]...)
	nonce := make([]byte, nonceLen)
	_, _ = rand.Read(nonce)
	out = append(out, nonce...)
	return s.aead.Seal(out, nonce, plain, ad)
}

// SealedBy returns the id (hex) of the key a blob was sealed under, "" if
// it is no sealed blob.
func SealedBy(blob []byte) string {
	if len(blob) < len(magic)+idLen || !bytes.Equal(blob[:len(magic)], magic) {
		return ""
	}
	return hex.EncodeToString(blob[len(magic) : len(magic)+idLen])
}

// Current reports whether blob is sealed under the sealing key (a rekey
// leaves it alone).
func (k *Keyring) Current(blob []byte) bool { return SealedBy(blob) == k.KeyID() }

// Open decrypts blob, checking ad. It returns ErrUnknownKey when no key
// of the keyring sealed it, and ErrTampered when it fails authentication
// or is not a sealed blob at all.
func (k *Keyring) Open(blob, ad []byte) ([]byte, error) {
	if len(blob) < len(magic)+idLen+nonceLen || !bytes.Equal(blob[:len(magic)], magic) {
		return nil, ErrTampered
	}
	var id [idLen]byte
	copy(id[:], blob[len(magic):])
	for _, s := range k.keys {
		if s.id != id {
			continue
		}
		body := blob[len(magic)+idLen:]
		plain, err := s.aead.Open(nil, body[:nonceLen], body[nonceLen:], ad)
		if err != nil {
			return nil, ErrTampered
		}
		return plain, nil
	}
	return nil, ErrUnknownKey
}

// Reseal opens blob with any key and seals it again under the first.
func (k *Keyring) Reseal(blob, ad []byte) ([]byte, error) {
	plain, err := k.Open(blob, ad)
	if err != nil {
		return nil, err
	}
	return k.Seal(plain, ad), nil
}
