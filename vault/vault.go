// Package vault keeps credentials encrypted at rest: each field's value is
// sealed with age to the vault's X25519 key, whose secret half (the master
// key) comes from the environment or a file, never from the database. The
// database holds names, fields, when each was set, the public key each
// value is sealed to, and ciphertext. Values are never listed or shown:
// they are only set, replaced, removed and, for a run, read.
package vault

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"filippo.io/age"
	"github.com/ferry-rpa/ferry"
)

// Entry is one stored field of a credential, as the database keeps it.
type Entry struct {
	Credential string
	Field      string
	// Sealed is the age ciphertext (base64) of the field's value, bound to
	// its credential and field names (see seal).
	Sealed string
	// Recipient is the public key (age1…) the value is sealed to: it tells
	// a wrong master key apart from damaged data, and what a rekey left.
	Recipient string
	SetAt     time.Time
}

// Store keeps the vault's entries. *storage.DB implements it, on SQLite
// and PostgreSQL.
type Store interface {
	ferry.Transactor
	// PutVaultEntry stores e, replacing the entry of the same credential
	// and field. Errors are the database's and name the credential and
	// field, never the sealed value.
	PutVaultEntry(ctx context.Context, e Entry) error
	// VaultEntries lists the entries of credential ("" for every
	// credential), by credential then field. Errors are the database's.
	VaultEntries(ctx context.Context, credential string) ([]Entry, error)
	// DeleteVaultEntries removes credential's field, or all its fields when
	// field is "", and says how many it removed (0 is no error). Errors
	// are the database's.
	DeleteVaultEntries(ctx context.Context, credential, field string) (int, error)
}

// EnvKey and EnvKeyFile are the environment variables the master key is
// read from: the key itself, or a file holding it.
const (
	EnvKey     = "FERRY_VAULT_KEY"
	EnvKeyFile = "FERRY_VAULT_KEY_FILE"
)

// ErrNoKey reports that no master key is configured.
var ErrNoKey = errors.New("vault: no master key configured (set " + EnvKey + " or " + EnvKeyFile + ", or vault.key_file in the config)")

// ErrNotFound is wrapped by errors about a credential or field the vault
// does not hold.
var ErrNotFound = errors.New("not in the vault")

// ErrWrongKey is wrapped by errors about values sealed to another key
// than the configured one (a rekey done and the old key still configured,
// or the wrong key file).
var ErrWrongKey = errors.New("sealed to another key")

// Key is a vault master key: an age X25519 identity. Its String shows
// only the public half.
type Key struct {
	id *age.X25519Identity
}

// NewKey makes a random master key.
func NewKey() (Key, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return Key{}, fmt.Errorf("vault: new key: %w", err)
	}
	return Key{id: id}, nil
}

// ParseKey reads a master key in age's form (AGE-SECRET-KEY-1…), ignoring
// surrounding space and # comment lines as age-keygen writes them. The
// error never holds the text given.
func ParseKey(text string) (Key, error) {
	var line string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if line != "" {
			return Key{}, errors.New("vault: the key holds more than one line (one AGE-SECRET-KEY-1… line expected)")
		}
		line = l
	}
	if line == "" {
		return Key{}, errors.New("vault: the key is empty")
	}
	id, err := age.ParseX25519Identity(line)
	if err != nil {
		// age's error may quote the text: say only what was expected.
		return Key{}, errors.New("vault: the key is not an age X25519 identity (AGE-SECRET-KEY-1…)")
	}
	return Key{id: id}, nil
}

// LoadKey reads the master key from the environment: EnvKey itself, else
// the file EnvKeyFile names, else file (a config's key_file, "" for none).
// ErrNoKey when none is set. Errors name the variable or file, never the
// key.
func LoadKey(getenv func(string) string, file string) (Key, error) {
	if v := getenv(EnvKey); v != "" {
		k, err := ParseKey(v)
		if err != nil {
			return Key{}, fmt.Errorf("%s: %w", EnvKey, err)
		}
		return k, nil
	}
	if f := getenv(EnvKeyFile); f != "" {
		file = f
	}
	if file == "" {
		return Key{}, ErrNoKey
	}
	return ReadKeyFile(file)
}

// ReadKeyFile reads a master key from a file. Errors name the file, never
// the key.
func ReadKeyFile(path string) (Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("vault: key file: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return Key{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// WriteKeyFile writes k to a new file readable by its owner only, in
// age-keygen's form; it refuses to overwrite a file.
func WriteKeyFile(path string, k Key) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("vault: key file: %w", err)
	}
	_, err = fmt.Fprintf(f, "# ferry vault key, public key: %s\n%s\n", k.Recipient(), k.id.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("vault: write key file %s: %w", path, err)
	}
	return nil
}

// Recipient is the key's public half (age1…), safe to show and store.
func (k Key) Recipient() string {
	if k.id == nil {
		return ""
	}
	return k.id.Recipient().String()
}

// String shows the public half only.
func (k Key) String() string { return "vault key " + k.Recipient() }

// GoString is String, for %#v.
func (k Key) GoString() string { return k.String() }

// Vault reads and changes the credentials in a Store with one master key.
// It is safe for concurrent use (a console's requests, a runner's runs).
type Vault struct {
	store Store
	now   func() time.Time
	mu    sync.RWMutex // guards key, which Rekey replaces
	key   Key
}

// current is the key values are sealed to and opened with now.
func (v *Vault) current() Key {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.key
}

// New returns a vault over store with key; now is the clock (time.Now
// when nil).
func New(store Store, key Key, now func() time.Time) (*Vault, error) {
	if store == nil {
		return nil, errors.New("vault: no store")
	}
	if key.id == nil {
		return nil, ErrNoKey
	}
	if now == nil {
		now = time.Now
	}
	return &Vault{store: store, key: key, now: now}, nil
}

// Recipient is the public key new values are sealed to.
func (v *Vault) Recipient() string { return v.current().Recipient() }

// CheckName checks a credential's name: 1 to 128 characters, no space,
// slash (it is a URL path segment in the console) or control character. The error quotes the name (names are not secret).
func CheckName(name string) error {
	if name == "" || len(name) > 128 {
		return fmt.Errorf("credential name %q: 1 to 128 characters", name)
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' {
			return fmt.Errorf("credential name %q: no spaces, slashes or control characters", name)
		}
	}
	return nil
}

// CheckField checks a field's name as scripts use it (${cred.FIELD}):
// letters, digits, _ and -, 1 to 64 of them.
func CheckField(field string) error {
	if field == "" || len(field) > 64 {
		return fmt.Errorf("field name %q: 1 to 64 characters", field)
	}
	for _, r := range field {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Errorf("field name %q: only letters, digits, _ and -", field)
		}
	}
	return nil
}

// Set seals value and stores it as credential's field, replacing any
// value it had. An empty value is refused (an empty password counts
// toward a bank's lockout like a wrong one). Run in a transaction ctx
// carries to be stored with it (an audit entry). Errors never hold the
// value.
func (v *Vault) Set(ctx context.Context, credential, field, value string) error {
	if err := CheckName(credential); err != nil {
		return fmt.Errorf("vault: set: %w", err)
	}
	if err := CheckField(field); err != nil {
		return fmt.Errorf("vault: set %s: %w", credential, err)
	}
	if value == "" {
		return fmt.Errorf("vault: set %s %s: the value is empty", credential, field)
	}
	// Held while the value is stored: a rekey in this process waits.
	v.mu.RLock()
	defer v.mu.RUnlock()
	key := v.key
	sealed, err := seal(key, credential, field, value)
	if err != nil {
		return fmt.Errorf("vault: set %s %s: %w", credential, field, err)
	}
	if err := v.store.PutVaultEntry(ctx, Entry{Credential: credential, Field: field, Sealed: sealed, Recipient: key.Recipient(), SetAt: v.now()}); err != nil {
		return fmt.Errorf("vault: set %s %s: %w", credential, field, err)
	}
	return nil
}

// Remove removes credential's field, or the whole credential when field
// is "". Nothing to remove wraps ErrNotFound.
func (v *Vault) Remove(ctx context.Context, credential, field string) error {
	n, err := v.store.DeleteVaultEntries(ctx, credential, field)
	if err != nil {
		return fmt.Errorf("vault: remove: %w", err)
	}
	if n == 0 {
		if field == "" {
			return fmt.Errorf("vault: credential %q: %w", credential, ErrNotFound)
		}
		return fmt.Errorf("vault: credential %q field %q: %w", credential, field, ErrNotFound)
	}
	return nil
}

// FieldInfo is what is shown of a field: its name and when it was set.
type FieldInfo struct {
	Name  string    `json:"name"`
	SetAt time.Time `json:"set_at"`
	// Stale: sealed to another key than the vault's (a rekey under way,
	// or the wrong key configured).
	Stale bool `json:"stale,omitempty"`
}

// Info is what is shown of a credential: names and times, never a value.
type Info struct {
	Name   string      `json:"name"`
	Fields []FieldInfo `json:"fields"`
}

// FieldNames lists the fields' names.
func (i Info) FieldNames() []string {
	out := make([]string, len(i.Fields))
	for j, f := range i.Fields {
		out[j] = f.Name
	}
	return out
}

// List lists the credentials by name with their fields by name; it
// decrypts nothing.
func (v *Vault) List(ctx context.Context) ([]Info, error) {
	es, err := v.store.VaultEntries(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("vault: list: %w", err)
	}
	var out []Info
	mine := v.Recipient()
	for _, e := range es {
		if len(out) == 0 || out[len(out)-1].Name != e.Credential {
			out = append(out, Info{Name: e.Credential})
		}
		last := &out[len(out)-1]
		last.Fields = append(last.Fields, FieldInfo{Name: e.Field, SetAt: e.SetAt, Stale: e.Recipient != mine})
	}
	return out, nil
}

// Get returns a credential with its values, for a run. An unknown one
// wraps ErrNotFound; a value sealed to another key wraps ErrWrongKey.
// Errors name the credential and field, never a value.
func (v *Vault) Get(ctx context.Context, name string) (ferry.Credential, error) {
	es, err := v.store.VaultEntries(ctx, name)
	if err != nil {
		return ferry.Credential{}, fmt.Errorf("vault: credential %s: %w", name, err)
	}
	if len(es) == 0 {
		return ferry.Credential{}, fmt.Errorf("vault: no credential named %q: %w", name, ErrNotFound)
	}
	return v.open(name, es)
}

// open decrypts one credential's entries.
func (v *Vault) open(name string, es []Entry) (ferry.Credential, error) {
	c := ferry.Credential{Name: name, Fields: make(map[string]string, len(es))}
	key := v.current()
	for _, e := range es {
		val, err := unseal(key, e)
		if err != nil {
			return ferry.Credential{}, fmt.Errorf("vault: credential %s field %s: %w", e.Credential, e.Field, err)
		}
		c.Fields[e.Field] = val
	}
	return c, nil
}

// Credential implements the runner's Credentials: the named credential
// as it is in the vault now (a value replaced in the console is used by
// the next run). Errors as Get's.
func (v *Vault) Credential(name string) (ferry.Credential, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return v.Get(ctx, name)
}

// CredentialContext is Get: Credential read in ctx, so that a caller's
// transaction (which on SQLite holds the only connection) is used
// (runner.ContextCredentials).
func (v *Vault) CredentialContext(ctx context.Context, name string) (ferry.Credential, error) {
	return v.Get(ctx, name)
}

// All returns every credential with its values, by name. Errors as Get's.
func (v *Vault) All(ctx context.Context) (map[string]ferry.Credential, error) {
	es, err := v.store.VaultEntries(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("vault: credentials: %w", err)
	}
	out := map[string]ferry.Credential{}
	for i := 0; i < len(es); {
		j := i
		for j < len(es) && es[j].Credential == es[i].Credential {
			j++
		}
		c, err := v.open(es[i].Credential, es[i:j])
		if err != nil {
			return nil, err
		}
		out[c.Name] = c
		i = j
	}
	return out, nil
}

// Rekey seals every value again to next, in one transaction: either all
// of them are under next afterwards, or (on an error) all stay as they
// were. Values already under next (a rekey run twice) are left. It
// returns how many values it resealed; afterwards only next opens the
// vault. Another process setting a value meanwhile may seal it to the old
// key (List marks it; run rekey again): rekey with serve stopped. Errors
// name the credential and field, never a value.
func (v *Vault) Rekey(ctx context.Context, next Key) (int, error) {
	if next.id == nil {
		return 0, ErrNoKey
	}
	n := 0
	// One rekey at a time, and no value is sealed to the old key while
	// it runs: Set waits.
	v.mu.Lock()
	defer v.mu.Unlock()
	err := v.store.InTx(ctx, func(ctx context.Context) error {
		es, err := v.store.VaultEntries(ctx, "")
		if err != nil {
			return err
		}
		for _, e := range es {
			if e.Recipient == next.Recipient() {
				if _, err := unseal(next, e); err != nil {
					return fmt.Errorf("credential %s field %s: %w", e.Credential, e.Field, err)
				}
				continue
			}
			val, err := unseal(v.key, e)
			if err != nil {
				return fmt.Errorf("credential %s field %s: %w", e.Credential, e.Field, err)
			}
			sealed, err := seal(next, e.Credential, e.Field, val)
			if err != nil {
				return fmt.Errorf("credential %s field %s: %w", e.Credential, e.Field, err)
			}
			// The time set stays: the value did not change.
			if err := v.store.PutVaultEntry(ctx, Entry{Credential: e.Credential, Field: e.Field, Sealed: sealed, Recipient: next.Recipient(), SetAt: e.SetAt}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("vault: rekey: %w", err)
	}
	v.key = next
	return n, nil
}

// Imported says what Import did to each credential field.
type Imported struct {
	Credential, Field string
	// Action is "added", "replaced" or "same" (already in the vault with
	// this value: nothing written).
	Action string
}

// Import puts creds into the vault (ferry credentials migrate), in one
// transaction: fields the vault lacks are added, fields with another
// value replaced, equal ones left, so running it again changes nothing.
// Fields of the vault that creds lack are kept. Errors name the
// credential and field, never a value.
func (v *Vault) Import(ctx context.Context, creds map[string]ferry.Credential) ([]Imported, error) {
	names := make([]string, 0, len(creds))
	for n := range creds {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Imported
	err := v.store.InTx(ctx, func(ctx context.Context) error {
		out = out[:0]
		for _, name := range names {
			c := creds[name]
			have := map[string]string{}
			es, err := v.store.VaultEntries(ctx, name)
			if err != nil {
				return err
			}
			if len(es) > 0 {
				cur, err := v.open(name, es)
				if err != nil {
					return err
				}
				have = cur.Fields
			}
			fields := make([]string, 0, len(c.Fields))
			for f := range c.Fields {
				fields = append(fields, f)
			}
			sort.Strings(fields)
			for _, f := range fields {
				old, ok := have[f]
				action := "added"
				switch {
				case ok && old == c.Fields[f]:
					out = append(out, Imported{name, f, "same"})
					continue
				case ok:
					action = "replaced"
				}
				if err := v.Set(ctx, name, f, c.Fields[f]); err != nil {
					return err
				}
				out = append(out, Imported{name, f, action})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("vault: import: %w", err)
	}
	return out, nil
}

// sealHeader starts every plaintext: the credential's and field's names
// are sealed with the value and checked on opening, so that a value
// copied in the database to another credential or field does not open
// there.
const sealHeader = "ferry-vault-v1\x00"

func seal(k Key, credential, field, value string) (string, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, k.id.Recipient())
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	if _, err := io.WriteString(w, sealHeader+credential+"\x00"+field+"\x00"+value); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

func unseal(k Key, e Entry) (string, error) {
	if e.Recipient != k.Recipient() {
		return "", fmt.Errorf("%w %s, not the configured key %s (after a rekey, configure the new key)", ErrWrongKey, e.Recipient, k.Recipient())
	}
	raw, err := base64.StdEncoding.DecodeString(e.Sealed)
	if err != nil {
		return "", errors.New("the stored value is damaged (not base64)")
	}
	r, err := age.Decrypt(bytes.NewReader(raw), k.id)
	if err != nil {
		return "", fmt.Errorf("the stored value does not open with the configured key: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return "", fmt.Errorf("the stored value does not open with the configured key: %w", err)
	}
	rest, ok := strings.CutPrefix(string(b), sealHeader+e.Credential+"\x00"+e.Field+"\x00")
	if !ok {
		return "", errors.New("the stored value belongs to another credential or field (moved in the database?)")
	}
	return rest, nil
}
