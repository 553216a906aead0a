package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/spf13/cobra"
)

// usersEnv is what the users commands share: the --data flag.
type usersEnv struct {
	g       *globals
	dataDir string
}

func newUsersCmd(g *globals) *cobra.Command {
	e := &usersEnv{g: g}
	c := &cobra.Command{
		Use:   "users",
		Short: "Manage the console's accounts: add, list, disable, enable, passwd, token",
		Long: `Manage who may use the console and its API. Roles, least to most: viewer
(reads runs), finance (starts runs), ops, admin (users, audit log). Passwords
are read from standard input (a prompt on a terminal) and stored as argon2id
hashes; every change is written to the audit log as cli:<os user>.`,
		Example: `  ferry users add alice --role finance
  echo "$PASSWORD" | ferry users add bob --role admin
  ferry users list
  ferry users token alice --role viewer`,
	}
	c.PersistentFlags().StringVar(&e.dataDir, "data", "", "data directory (default: the config's data_dir)")
	c.AddCommand(e.addCmd(), e.listCmd(), e.setCmd("disable"), e.setCmd("enable"), e.passwdCmd(), e.tokenCmd())
	return c
}

// open opens the data directory's database, creating it if needed: the
// first admin is added before anything has run.
func (e *usersEnv) open(ctx context.Context) (*storage.DB, error) {
	cfg, err := e.g.loadConfig(e.dataDir)
	if err != nil {
		return nil, err
	}
	return openDB(ctx, cfg)
}

// actor is how the audit log names a command-line change.
func actor() string { return "cli:" + service.Author() }

// userError makes a bad request (weak password, taken name, bad role) a
// usage error.
func userError(err error) error {
	if errors.Is(err, console.ErrWeakPassword) || errors.Is(err, ferry.ErrUserExists) || errors.Is(err, ferry.ErrBadRole) || errors.Is(err, ferry.ErrNoUser) || strings.HasPrefix(err.Error(), "user name") {
		return &exitError{exitUsage, err}
	}
	return err
}

func (e *usersEnv) addCmd() *cobra.Command {
	var role string
	c := &cobra.Command{
		Use:   "add NAME --role viewer|finance|ops|admin",
		Short: "Add a console user; the password comes from standard input or a prompt",
		Example: `  ferry users add alice --role finance         # prompts twice, without echo
  printf '%s\n' "$PW" | ferry users add ci --role viewer`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := ferry.ParseRole(role)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			pw, err := readSecret(cmd, "password for "+args[0], "password")
			if err != nil {
				return err
			}
			db, err := e.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := console.AddUser(cmd.Context(), db, actor(), "", args[0], r, pw); err != nil {
				return userError(err)
			}
			fmt.Fprintf(e.g.stdout, "added %s (%s)\n", args[0], r)
			return nil
		},
	}
	c.Flags().StringVar(&role, "role", "", "viewer, finance, ops or admin")
	_ = c.MarkFlagRequired("role")
	return c
}

// userJSON is a user as `users list --json` prints it: never its hash.
type userJSON struct {
	Name        string `json:"name"`
	Role        string `json:"role"`
	Disabled    bool   `json:"disabled"`
	LockedUntil string `json:"locked_until,omitempty"`
	Created     string `json:"created"`
}

func (e *usersEnv) listCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the console's users and their roles",
		Long: `List the console's users, their roles and state (never a password hash). On
a data directory without a database it says so and creates nothing.`,
		Example: `  ferry users list
  ferry users list --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			views := []userJSON{}
			cfg, err := e.g.loadConfig(e.dataDir)
			if err != nil {
				return err
			}
			db, err := openExisting(cmd.Context(), cfg)
			if e.g.noDatabase(err) {
				if e.g.json {
					return e.g.printJSON(views)
				}
				return nil
			}
			if err != nil {
				return err
			}
			defer db.Close()
			users, err := db.Users(cmd.Context())
			if err != nil {
				return err
			}
			for _, u := range users {
				v := userJSON{Name: u.Name, Role: string(u.Role), Disabled: u.Disabled, Created: u.CreatedAt.Format("2006-01-02T15:04:05Z07:00")}
				if !u.LockedUntil.IsZero() {
					v.LockedUntil = u.LockedUntil.Format("2006-01-02T15:04:05Z07:00")
				}
				views = append(views, v)
			}
			if e.g.json {
				return e.g.printJSON(views)
			}
			tw := tabwriter.NewWriter(e.g.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tSTATE\tCREATED")
			for _, v := range views {
				state := "active"
				if v.Disabled {
					state = "disabled"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Name, v.Role, state, v.Created)
			}
			return tw.Flush()
		},
	}
}

func (e *usersEnv) setCmd(op string) *cobra.Command {
	return &cobra.Command{
		Use:     op + " NAME",
		Example: "  ferry users " + op + " alice",
		Short:   strings.ToUpper(op[:1]) + op[1:] + " a console user" + map[string]string{"disable": " and end their sessions", "enable": ""}[op],
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := e.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			u, err := db.UserByName(cmd.Context(), args[0])
			if err != nil {
				return userError(err)
			}
			if err := console.ChangeUser(cmd.Context(), db, actor(), "", u, op, ""); err != nil {
				return userError(err)
			}
			fmt.Fprintf(e.g.stdout, "%sd %s\n", op, u.Name)
			return nil
		},
	}
}

func (e *usersEnv) passwdCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "passwd NAME",
		Short:   "Set a console user's password (from standard input or a prompt) and end their sessions",
		Example: "  ferry users passwd alice",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := readSecret(cmd, "new password for "+args[0], "password")
			if err != nil {
				return err
			}
			db, err := e.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := console.SetPassword(cmd.Context(), db, actor(), "", args[0], pw); err != nil {
				return userError(err)
			}
			fmt.Fprintf(e.g.stdout, "password of %s changed\n", args[0])
			return nil
		},
	}
}

func (e *usersEnv) tokenCmd() *cobra.Command {
	var role, name string
	c := &cobra.Command{
		Use:   "token NAME",
		Short: "Make an API token for a user and print it once (only its hash is kept)",
		Long: `Make a Bearer token for the console's HTTP API, scoped to --role (default:
the user's role; never above it). It is printed once, on standard output;
Ferry keeps only its SHA-256.`,
		Example: `  ferry users token ci-bot --role viewer --name nightly-export`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := e.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			tok, err := console.MakeToken(cmd.Context(), db, actor(), "", args[0], ferry.Role(role), name)
			if err != nil {
				return userError(err)
			}
			fmt.Fprintln(e.g.stdout, tok)
			return nil
		},
	}
	c.Flags().StringVar(&role, "role", "", "the token's role (default: the user's)")
	c.Flags().StringVar(&name, "name", "", "what the token is for")
	return c
}
