package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/ferry-rpa/ferry/vault"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// VaultConfig is the configuration's vault: section.
//
//	vault:
//	  key_file: /etc/ferry/vault.key   # or FERRY_VAULT_KEY / FERRY_VAULT_KEY_FILE
//
// The key is an age X25519 identity (ferry credentials keygen makes one).
// FERRY_VAULT_KEY (the key itself) and FERRY_VAULT_KEY_FILE override
// key_file.
type VaultConfig struct {
	KeyFile string `yaml:"key_file"`
}

// vaultConfigured reports whether a vault key is configured (in the
// config or the environment): runs then take their credentials from the
// vault.
func (c *Config) vaultConfigured() bool {
	return c.Vault.KeyFile != "" || os.Getenv(vault.EnvKey) != "" || os.Getenv(vault.EnvKeyFile) != ""
}

// vaultKey loads the configured master key (vault.ErrNoKey when none).
func (c *Config) vaultKey() (vault.Key, error) {
	return vault.LoadKey(os.Getenv, c.Vault.KeyFile)
}

// openVault opens the vault over db with the configured key.
func (c *Config) openVault(db *storage.DB) (*vault.Vault, error) {
	k, err := c.vaultKey()
	if err != nil {
		return nil, err
	}
	return vault.New(db, k, nil)
}

// vaultCredentials reads the logins from the vault (only those named,
// when names are given): a snapshot, as credentials: is. Errors name the
// credential and field, never a value.
func (c *Config) vaultCredentials(names ...string) (runner.StaticCredentials, error) {
	ctx := context.Background()
	k, err := c.vaultKey()
	if err != nil {
		return nil, err
	}
	out := runner.StaticCredentials{}
	db, err := openExisting(ctx, c)
	var nd *service.NoDatabaseError
	if errors.As(err, &nd) {
		return out, nil // no database yet: an empty vault
	}
	if err != nil {
		return nil, err
	}
	defer db.Close()
	v, err := vault.New(db, k, nil)
	if err != nil {
		return nil, err
	}
	all, err := v.All(ctx)
	if err != nil {
		return nil, err
	}
	for name, cr := range all {
		if len(names) == 0 || containsString(names, name) {
			out[name] = cr
		}
	}
	return out, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// credentialsEnv is what the credentials commands share: the --data flag.
type credentialsEnv struct {
	g       *globals
	dataDir string
}

func newCredentialsCmd(g *globals) *cobra.Command {
	e := &credentialsEnv{g: g}
	c := &cobra.Command{
		Use:   "credentials",
		Short: "Manage the credential vault: set, list, rm, rekey, migrate, keygen",
		Long: `Keep the logins bots use in the database, each value sealed with age to the
vault key (an X25519 identity from FERRY_VAULT_KEY, the file
FERRY_VAULT_KEY_FILE names, or the config's vault.key_file). With a key
configured, runs take their credentials from the vault and the config's
credentials: block is not read. Values are read from standard input (a
prompt without echo on a terminal) and never printed: list shows names,
fields and when each was set. TOTP seeds are fields like passwords (totp).
Every change is written to the audit log as cli:<os user>.`,
		Example: `  ferry credentials keygen /etc/ferry/vault.key
  export FERRY_VAULT_KEY_FILE=/etc/ferry/vault.key
  ferry credentials migrate --config ferry.yaml     # then delete credentials: from the file
  ferry credentials set acme password               # prompts twice, without echo
  printf '%s\n' "$SEED" | ferry credentials set acme totp
  ferry credentials list
  ferry credentials rekey --to /etc/ferry/vault.key.new`,
	}
	c.PersistentFlags().StringVar(&e.dataDir, "data", "", "data directory (default: the config's data_dir)")
	c.AddCommand(e.setCmd(), e.listCmd(), e.rmCmd(), e.rekeyCmd(), e.migrateCmd(), e.keygenCmd())
	return c
}

// open opens the database (creating it: a vault may be filled before
// anything has run) and the vault with the configured key.
func (e *credentialsEnv) open(ctx context.Context) (*Config, *storage.DB, *vault.Vault, error) {
	cfg, err := e.g.loadConfig(e.dataDir)
	if err != nil {
		return nil, nil, nil, err
	}
	k, err := cfg.vaultKey()
	if err != nil {
		return nil, nil, nil, vaultError(err)
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	v, err := vault.New(db, k, nil)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return cfg, db, v, nil
}

// vaultError makes a missing key or a bad name a usage error.
func vaultError(err error) error {
	if errors.Is(err, vault.ErrNoKey) || errors.Is(err, vault.ErrNotFound) || strings.Contains(err.Error(), "name ") {
		return &exitError{exitUsage, err}
	}
	return err
}

// readSecret reads a secret (what names it: a password, a value) without
// echo after a prompt on a terminal, twice to catch typos; else the first
// line of standard input. Neither the secret nor its length is ever
// printed.
func readSecret(cmd *cobra.Command, prompt, what string) (string, error) {
	if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(cmd.ErrOrStderr(), prompt+": ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("read %s: %w", what, err)
		}
		fmt.Fprint(cmd.ErrOrStderr(), "again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("read %s: %w", what, err)
		}
		if string(a) != string(b) {
			return "", &exitError{exitUsage, fmt.Errorf("the two %ss differ", what)}
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read %s from standard input: %w", what, err)
	}
	v := strings.TrimRight(line, "\r\n")
	if v == "" {
		return "", &exitError{exitUsage, fmt.Errorf("no %s on standard input", what)}
	}
	return v, nil
}

func (e *credentialsEnv) setCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "set NAME FIELD",
		Short: "Add or replace a credential's field; the value comes from standard input or a prompt",
		Example: `  ferry credentials set acme user
  ferry credentials set acme password
  printf '%s\n' "$SEED" | ferry credentials set acme totp`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, field := args[0], args[1]
			if err := vault.CheckName(name); err != nil {
				return &exitError{exitUsage, err}
			}
			if err := vault.CheckField(field); err != nil {
				return &exitError{exitUsage, err}
			}
			_, db, v, err := e.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			val, err := readSecret(cmd, field+" of "+name, "value")
			if err != nil {
				return err
			}
			if err := console.SetCredential(cmd.Context(), db, v, actor(), "", name, field, val); err != nil {
				return vaultError(err)
			}
			fmt.Fprintf(e.g.stdout, "saved %s of %s (sealed to %s)\n", field, name, v.Recipient())
			return nil
		},
	}
}

// credentialJSON is a credential as `credentials list --json` prints it.
type credentialJSON struct {
	Name   string            `json:"name"`
	Fields []vault.FieldInfo `json:"fields"`
}

func (e *credentialsEnv) listCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the vault's credentials: names, fields and when each was set, never a value",
		Long: `List the vault's credentials by name with their fields and when each was set.
No value is decrypted or shown. A field sealed to another key than the
configured one (after a rekey, the old key still configured) is marked.`,
		Example: `  ferry credentials list
  ferry credentials list --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			views := []credentialJSON{}
			cfg, err := e.g.loadConfig(e.dataDir)
			if err != nil {
				return err
			}
			k, err := cfg.vaultKey()
			if err != nil {
				return vaultError(err)
			}
			db, err := openExisting(cmd.Context(), cfg)
			if e.g.noDatabase(err) {
				return e.g.printEmpty(views)
			}
			if err != nil {
				return err
			}
			defer db.Close()
			v, err := vault.New(db, k, nil)
			if err != nil {
				return err
			}
			list, err := v.List(cmd.Context())
			if err != nil {
				return err
			}
			for _, c := range list {
				views = append(views, credentialJSON{Name: c.Name, Fields: c.Fields})
			}
			if e.g.json {
				return e.g.printJSON(views)
			}
			tw := tabwriter.NewWriter(e.g.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tFIELD\tSET")
			for _, c := range views {
				for _, f := range c.Fields {
					note := ""
					if f.Stale {
						note = "  (sealed to another key)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s%s\n", c.Name, f.Name, f.SetAt.Format("2006-01-02T15:04:05Z07:00"), note)
				}
			}
			return tw.Flush()
		},
	}
}

func (e *credentialsEnv) rmCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME [FIELD]",
		Short: "Remove a credential, or one of its fields",
		Example: `  ferry credentials rm acme totp
  ferry credentials rm old-bank`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			field := ""
			if len(args) == 2 {
				field = args[1]
			}
			_, db, v, err := e.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := console.RemoveCredential(cmd.Context(), db, v, actor(), "", args[0], field); err != nil {
				return vaultError(err)
			}
			if field != "" {
				fmt.Fprintf(e.g.stdout, "removed %s of %s\n", field, args[0])
			} else {
				fmt.Fprintf(e.g.stdout, "removed %s\n", args[0])
			}
			return nil
		},
	}
}

func (e *credentialsEnv) rekeyCmd() *cobra.Command {
	var to string
	c := &cobra.Command{
		Use:   "rekey --to NEW_KEY_FILE",
		Short: "Seal every value again to a new key, in one transaction",
		Long: `Open every value with the configured key and seal it to the key in
NEW_KEY_FILE (made by ferry credentials keygen), in one transaction: all
values move to the new key or none does. Then configure the new key
(FERRY_VAULT_KEY_FILE or vault.key_file) and restart; the old key no longer
opens the vault. Running it again with the same new key changes nothing.`,
		Example: `  ferry credentials keygen /etc/ferry/vault.key.new
  ferry credentials rekey --to /etc/ferry/vault.key.new`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			next, err := vault.ReadKeyFile(to)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			_, db, v, err := e.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := console.RekeyVault(cmd.Context(), db, v, actor(), "", next)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.g.stdout, "resealed %d values to %s: now configure %s as the vault key\n", n, next.Recipient(), to)
			return nil
		},
	}
	c.Flags().StringVar(&to, "to", "", "file holding the new key")
	_ = c.MarkFlagRequired("to")
	return c
}

func (e *credentialsEnv) migrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Copy the config's credentials: block into the vault",
		Long: `Read every login of the config's credentials: block (literals, env: and
file: values alike) and seal it into the vault: missing fields are added,
changed ones replaced, equal ones left, so running it again changes nothing.
Afterwards delete the credentials: block from the config file: with a vault
key configured it is no longer read.`,
		Example: `  FERRY_VAULT_KEY_FILE=/etc/ferry/vault.key ferry credentials migrate --config ferry.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, db, v, err := e.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if len(cfg.Credentials) == 0 {
				fmt.Fprintf(e.g.stdout, "%s has no credentials: block: nothing to migrate\n", cfg.path)
				return nil
			}
			creds, err := cfg.yamlCredentials()
			if err != nil {
				return err
			}
			done, err := console.ImportCredentials(cmd.Context(), db, v, actor(), "", creds)
			if err != nil {
				return err
			}
			changed := 0
			for _, d := range done {
				fmt.Fprintf(e.g.stdout, "%s %s of %s\n", d.Action, d.Field, d.Credential)
				if d.Action != "same" {
					changed++
				}
			}
			fmt.Fprintf(e.g.stdout, "%d of %d fields written to the vault. Now delete the credentials: block from %s: with a vault key configured it is no longer read.\n",
				changed, len(done), cfg.path)
			return nil
		},
	}
}

func (e *credentialsEnv) keygenCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "keygen FILE",
		Short: "Make a new vault key in FILE (readable by its owner only; never overwritten)",
		Example: `  ferry credentials keygen /etc/ferry/vault.key
  export FERRY_VAULT_KEY_FILE=/etc/ferry/vault.key`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := vault.NewKey()
			if err != nil {
				return err
			}
			if err := vault.WriteKeyFile(args[0], k); err != nil {
				return &exitError{exitUsage, err}
			}
			fmt.Fprintf(e.g.stdout, "wrote a new vault key to %s (public key %s); keep a copy somewhere safe: without it the vault does not open\n", args[0], k.Recipient())
			return nil
		},
	}
}

// liveVault is the runner's Credentials under serve with a vault key:
// each run reads its credential from the vault as it is then, so a value
// replaced or a credential added on the console is used by the next run
// without a restart. It is bound to the database once the app has opened
// it; before that every read is an error.
type liveVault struct {
	key vault.Key
	mu  sync.Mutex
	v   *vault.Vault
}

var _ runner.ContextCredentials = (*liveVault)(nil)

// liveCredentials returns a liveVault when a vault key is configured,
// else nil (the runner then keeps the static credentials). Errors are
// the key's.
func (c *Config) liveCredentials() (*liveVault, error) {
	if !c.vaultConfigured() {
		return nil, nil
	}
	k, err := c.vaultKey()
	if err != nil {
		return nil, err
	}
	return &liveVault{key: k}, nil
}

// bind opens the vault over db.
func (l *liveVault) bind(db *storage.DB) error {
	v, err := vault.New(db, l.key, nil)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.v = v
	return nil
}

// Credential implements runner.Credentials: the vault's credential now,
// checked as StaticCredentials checks (no empty field). Errors name the
// credential and field, never a value.
func (l *liveVault) Credential(name string) (ferry.Credential, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return l.CredentialContext(ctx, name)
}

// CredentialContext implements runner.ContextCredentials: Credential,
// read in ctx (the transaction of a run the console starts).
func (l *liveVault) CredentialContext(ctx context.Context, name string) (ferry.Credential, error) {
	l.mu.Lock()
	v := l.v
	l.mu.Unlock()
	if v == nil {
		return ferry.Credential{}, fmt.Errorf("credential %s: the vault is not open yet", name)
	}
	c, err := v.Get(ctx, name)
	if err != nil {
		return ferry.Credential{}, err
	}
	if err := runner.CheckCredential(c, nil); err != nil {
		return ferry.Credential{}, err
	}
	return c, nil
}
