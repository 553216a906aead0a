// Command ferry runs Ferry's bots: the scheduler (serve), ad-hoc runs, the
// demo, the sandbox portals, the parsers and the run history. main only
// wires packages together and maps errors to exit codes.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/service"
	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

// Exit codes. Failure classes get their own so that schedulers and scripts
// around Ferry can tell them apart. exitCodesHelp lists them for --help and
// the README.
const (
	exitOK                  = 0
	exitFailed              = 1
	exitUsage               = 2 // a bad command line: unknown command or flag, bad argument
	exitMissingDependency   = 3
	exitConfig              = 4 // ferry.yaml or a credential is wrong: the message names file and line
	exitBusy                = 5 // the data directory is in use by another Ferry process
	exitLocked              = 6 // the database is locked by another process
	exitCredentialsRejected = 10
	exitSiteChanged         = 11
	exitSiteUnavailable     = 12
	exitDocumentChanged     = 13
	exitHeld                = 14
	exitInputTimeout        = 15  // nobody answered a challenge (a code, a QR scan) in time
	exitInterrupted         = 130 // SIGINT or SIGTERM stopped the command
)

// globals are the flags every command shares.
type globals struct {
	config    string
	database  string // --database: overrides the config's database and FERRY_DATABASE
	logFormat string
	logLevel  string
	json      bool // --json: list and show commands print JSON
	stdout    io.Writer
	stderr    io.Writer
}

// printJSON writes v as indented JSON on standard output: the --json form of
// every list and show command, a stable interface for scripts.
func (g *globals) printJSON(v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (g *globals) logger() zerolog.Logger {
	level, err := zerolog.ParseLevel(g.logLevel)
	if err != nil {
		level = zerolog.InfoLevel
	}
	var w io.Writer = g.stderr
	format := g.logFormat
	if format == "auto" {
		format = "json"
		if f, ok := g.stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			format = "console"
		}
	}
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: g.stderr, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

// exitError carries an exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// exitCodesHelp is the table of exit codes that --help and the README show.
const exitCodesHelp = `Exit codes:
  0    done
  1    failed (any other error)
  2    usage: unknown command or flag, bad argument
  3    a dependency is missing (Chromium)
  4    configuration: ferry.yaml or a credential is wrong (the message names file and line)
  5    busy: another Ferry process (serve or run) is using the data directory
  6    locked: another process holds the database's write lock
  10   credentials rejected by the site
  11   site changed (a selector failed)
  12   site unavailable after retries
  13   a document no longer parses
  14   records held back (a statement does not reconcile, an invoice is flagged)
  15   input timeout: nobody answered the code or QR scan the portal asked for in time
  130  interrupted (SIGINT or SIGTERM)`

func codeFor(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ce *configError
	if errors.As(err, &ce) || errors.Is(err, runner.ErrIncompleteCredential) {
		return exitConfig
	}
	var be *service.BusyError
	if errors.As(err, &be) {
		return exitBusy
	}
	var le *service.LockedError
	if errors.As(err, &le) || service.IsDatabaseLocked(err) {
		return exitLocked
	}
	var ie *service.InvalidError
	if errors.As(err, &ie) {
		return exitUsage
	}
	var he *service.HeldError
	if errors.As(err, &he) {
		return exitHeld
	}
	if errors.Is(err, service.ErrNoSelectorsDir) {
		return exitConfig
	}
	if errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	switch ferry.ClassOf(err) {
	case ferry.ClassCredentialsRejected:
		return exitCredentialsRejected
	case ferry.ClassSiteChanged:
		return exitSiteChanged
	case ferry.ClassSiteUnavailable:
		return exitSiteUnavailable
	case ferry.ClassDocumentChanged:
		return exitDocumentChanged
	case ferry.ClassValidationFailed:
		return exitHeld
	case ferry.ClassInputTimeout:
		return exitInputTimeout
	}
	return exitFailed
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "ferry",
		Short: "Ferry runs headless-browser bots that fetch bank statements and invoices from portals with no API",
		Long: `Ferry logs into portals that have no API, downloads statements and invoices,
parses them into normalized records and delivers each record exactly once to
the finance system, keeping evidence of every step.`,
		Example: `  ferry demo                                   # the whole path against the sandbox bank
  ferry sandbox                                # serve the sandbox bank on 127.0.0.1:8700
  ferry run demobank-statements --login demobank-zhangwei --from 2026-10-01 --to 2026-10-31
  ferry serve --config ferry.yaml              # run the schedules
  ferry runs list
  ferry parse statement.xlsx --json`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.PersistentFlags().StringVar(&g.config, "config", "", "configuration file (default: the built-in sandbox configuration)")
	root.PersistentFlags().StringVar(&g.database, "database", "", "where Ferry keeps its state: a postgres:// URL (default: the config's database, FERRY_DATABASE, else DATA_DIR/ferry.db)")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "auto", "log format: json, console, or auto (console on a terminal)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().BoolVar(&g.json, "json", false, "print JSON (every list and show command, parse, version)")
	// An explicit registry: every command is listed here, one file each.
	root.AddCommand(newDemoCmd(g), newSandboxCmd(g), newRunCmd(g), newServeCmd(g), newRunsCmd(g), newParseCmd(g), newSelectorsCmd(g),
		newDeliveriesCmd(g), newInvoicesCmd(g), newScriptsCmd(g), newExportCmd(g), newMappingCmd(g), newVersionCmd(g), newUsersCmd(g), newLoginsCmd(g),
		newCredentialsCmd(g), newSchedulesCmd(g))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{exitUsage, fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
	})
	root.SetUsageTemplate(root.UsageTemplate() + "\n" + exitCodesHelp + "\n")
	usageErrors(root)
	return root
}

// usageErrors makes every command-line mistake a usage error (exit 2):
// wrong arguments to a command, and an unknown subcommand, which cobra
// would otherwise answer with help and exit 0 below the top level.
func usageErrors(c *cobra.Command) {
	for _, sub := range c.Commands() {
		usageErrors(sub)
	}
	if c.HasSubCommands() {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
			}
			return &exitError{exitUsage, fmt.Errorf("%s (see %s --help)", msg, cmd.CommandPath())}
		}
		if c.RunE == nil && c.Run == nil {
			c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
		}
		return
	}
	if orig := c.Args; orig != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := orig(cmd, args); err != nil {
				return &exitError{exitUsage, fmt.Errorf("%s: %w (see %s --help)", cmd.CommandPath(), err, cmd.CommandPath())}
			}
			return nil
		}
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "ferry:", err)
		var be *service.BusyError
		var le *service.LockedError
		switch {
		case errors.As(err, &be) && be.Hint() != "":
			fmt.Fprintln(stderr, "hint:", be.Hint())
		case errors.As(err, &le) && le.Hint() != "":
			fmt.Fprintln(stderr, "hint:", le.Hint())
		}
		if ctx.Err() != nil {
			// Whatever the error says, the signal ended the command.
			return exitInterrupted
		}
		return codeFor(err)
	}
	// A command that stops cleanly on a signal (serve, sandbox) succeeded.
	return exitOK
}

func main() {
	// Everything Ferry writes (the database and its WAL, artifacts,
	// records, evidence, the lock) holds bank data: files are created 0600
	// and directories 0700 whatever the package that creates them asks for.
	syscall.Umask(0o077)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// loadConfig loads the configuration the global flags name, with the data
// directory dataDir (empty: the config's) and --database applied.
func (g *globals) loadConfig(dataDir string) (*Config, error) {
	c, err := loadConfig(g.config, dataDir)
	if err != nil {
		return nil, err
	}
	if g.database != "" {
		c.Database = g.database
	}
	return c, nil
}
