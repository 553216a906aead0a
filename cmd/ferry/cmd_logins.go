package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/seal"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/service"
	"github.com/spf13/cobra"
)

// defaultLoginKeyEnv holds the login keys unless logins.key_env says.
const defaultLoginKeyEnv = "FERRY_LOGIN_KEYS"

// LoginsConfig is logins: in ferry.yaml: keeping each login's browser
// state between runs, sealed with AES-256-GCM under keys from the
// environment or a file (one base64 key a line, the sealing key first;
// older keys after it still open what they sealed).
//
//	logins:
//	  keep: true
//	  key_file: /etc/ferry/login.keys   # or FERRY_LOGIN_KEYS
//	  warn_before: 48h
//	  refresh: true                     # run a refresh login in working hours
//	  work_hours: "09-17"
//	  zone: Asia/Shanghai
type LoginsConfig struct {
	Keep       bool          `yaml:"keep"`
	KeyEnv     string        `yaml:"key_env"`
	KeyFile    string        `yaml:"key_file"`
	WarnBefore time.Duration `yaml:"warn_before"`
	Refresh    bool          `yaml:"refresh"`
	WorkHours  string        `yaml:"work_hours"`
	Zone       string        `yaml:"zone"`

	keys   *seal.Keyring
	policy runner.RefreshPolicy
}

// checkLogins loads the keys and the refresh policy; errors name the key
// and never a key's value.
func (c *Config) checkLogins() []*configError {
	l := &c.Logins
	var errs []*configError
	p := runner.RefreshPolicy{WarnBefore: l.WarnBefore, Schedule: l.Refresh}
	if l.WorkHours != "" {
		a, b, ok := strings.Cut(l.WorkHours, "-")
		start, err1 := strconv.Atoi(strings.TrimSpace(a))
		end, err2 := strconv.Atoi(strings.TrimSpace(b))
		if !ok || err1 != nil || err2 != nil {
			errs = append(errs, c.errAt("logins.work_hours: %q: want HH-HH, such as 09-17", l.WorkHours)("logins", "work_hours"))
		}
		p.WorkStart, p.WorkEnd = start, end
	}
	if l.Zone != "" {
		loc, err := time.LoadLocation(l.Zone)
		if err != nil {
			errs = append(errs, c.errAt("logins.zone: %v", err)("logins", "zone"))
		}
		p.Location = loc
	}
	if err := p.Check(); err != nil {
		errs = append(errs, c.errAt("logins: %v", err)("logins", "work_hours"))
	}
	l.policy = p
	if l.KeyEnv == "" {
		l.KeyEnv = defaultLoginKeyEnv
	}
	if !l.Keep {
		return errs
	}
	keys, err := seal.Load(l.KeyEnv, l.KeyFile)
	if err != nil {
		errs = append(errs, c.errAt("logins: keep is set but the keys cannot be read: %v (ferry logins newkey prints a fresh key)", err)("logins", "keep"))
	}
	l.keys = keys
	return errs
}

type loginsEnv struct {
	g       *globals
	dataDir string
}

func newLoginsCmd(g *globals) *cobra.Command {
	e := &loginsEnv{g: g}
	c := &cobra.Command{
		Use:   "logins",
		Short: "The logins kept between runs: their state and trust window; rekey, forget, newkey",
		Long: `With logins.keep in the config, a successful run saves its browser state (cookies,
local and session storage, IndexedDB) per login, sealed with AES-256-GCM, and the
next run restores it and checks it with the script's session: page. This lists
each login by site and credential name (never the user), the key it is sealed
under, and the site's trust window: when the second factor was done, what the
script declares, the end that implies, and the end last observed.

Rotate the key: put a new key first in the key file (or FERRY_LOGIN_KEYS), the
old one after it, run "ferry logins rekey", then drop the old key.`,
		Example: `  ferry logins
  ferry logins newkey >> /etc/ferry/login.keys
  ferry logins rekey
  ferry logins forget etax etax-lina`,
		Args: cobra.NoArgs,
		RunE: e.list,
	}
	c.PersistentFlags().StringVar(&e.dataDir, "data", "", "data directory (default: the config's data_dir)")
	c.AddCommand(e.rekeyCmd(), e.forgetCmd(), e.newkeyCmd())
	return c
}

func (e *loginsEnv) list(cmd *cobra.Command, _ []string) error {
	g := e.g
	cfg, err := g.loadConfig(e.dataDir)
	if err != nil {
		return err
	}
	views := []service.LoginView{}
	db, err := openExisting(cmd.Context(), cfg)
	if g.noDatabase(err) {
		return g.printEmpty(views)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	if views, err = service.ListLogins(cmd.Context(), db, cfg.Logins.keys, time.Now(), cfg.Logins.policy); err != nil {
		return err
	}
	if g.json {
		return g.printJSON(views)
	}
	tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tCREDENTIAL\tLOGIN\tSAVED\tKEY\tSECOND FACTOR\tTRUST\tEXPIRES\tOBSERVED END\tREFRESH AT")
	day := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Local().Format("2006-01-02 15:04")
	}
	for _, v := range views {
		key := "-"
		switch {
		case !v.Sealed:
		case cfg.Logins.keys == nil:
			key = v.SealKey
		case !v.Readable:
			key = v.SealKey + " (unreadable)"
		case !v.Current:
			key = v.SealKey + " (old: rekey)"
		default:
			key = v.SealKey
		}
		trust := string(v.Trust)
		if v.TrustDeclared > 0 {
			trust += " (" + v.TrustDeclared.String() + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Site, v.Credential, v.Login, day(v.SavedAt), key, day(v.SecondFactorAt),
			trust, day(v.TrustExpires), day(v.ObservedExpiry), day(v.RefreshAt))
	}
	return tw.Flush()
}

func (e *loginsEnv) rekeyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rekey",
		Short: "Reseal every kept login under the first key (after putting a new key first)",
		Example: `  ferry logins newkey > new.key && cat new.key /etc/ferry/login.keys > keys.tmp && mv keys.tmp /etc/ferry/login.keys
  ferry logins rekey`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g := e.g
			cfg, err := g.loadConfig(e.dataDir)
			if err != nil {
				return err
			}
			if cfg.Logins.keys == nil {
				return &exitError{exitUsage, errors.New("logins.keep is not set in the config: there are no keys to rekey with")}
			}
			db, err := openExisting(cmd.Context(), cfg)
			if g.noDatabase(err) {
				return nil
			}
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := service.Rekey(cmd.Context(), db, cfg.Logins.keys)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(rep)
			}
			fmt.Fprintf(g.stdout, "resealed %d, already under key %s %d, saved by a run meanwhile %d\n", rep.Resealed, cfg.Logins.keys.KeyID(), rep.Current, rep.Raced)
			for _, r := range rep.Refused {
				fmt.Fprintf(g.stderr, "ferry: %s: no key opens it (tampered, or sealed under a key no longer given); its next run logs in fresh\n", r)
			}
			return nil
		},
	}
}

func (e *loginsEnv) forgetCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "forget SITE CREDENTIAL",
		Short:   "Drop a kept login: its next run logs in fresh",
		Example: `  ferry logins forget etax etax-lina`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			g := e.g
			cfg, err := g.loadConfig(e.dataDir)
			if err != nil {
				return err
			}
			db, err := openExisting(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := service.ForgetLogin(cmd.Context(), db, args[0], args[1]); err != nil {
				if errors.Is(err, ferry.ErrNoLoginState) {
					return &exitError{exitUsage, err}
				}
				return err
			}
			fmt.Fprintf(g.stdout, "forgot the login %s on %s\n", args[1], args[0])
			return nil
		},
	}
}

func (e *loginsEnv) newkeyCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "newkey",
		Short:   "Print a fresh random key (base64) for the key file",
		Example: `  (umask 077; ferry logins newkey > /etc/ferry/login.keys)`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), seal.NewKey())
			return err
		},
	}
}
