// Command ferry runs Ferry's bots: the scheduler (serve), ad-hoc runs, the
// demo, the sandbox portals, the parsers and the run history. main only
// wires packages together and maps errors to exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

// Exit codes. Failure classes get their own so that schedulers and scripts
// around Ferry can tell them apart.
const (
	exitOK                  = 0
	exitFailed              = 1
	exitUsage               = 2
	exitMissingDependency   = 3
	exitCredentialsRejected = 10
	exitSiteChanged         = 11
	exitSiteUnavailable     = 12
	exitDocumentChanged     = 13
	exitHeld                = 14
	exitInterrupted         = 130 // SIGINT or SIGTERM stopped the command
)

// globals are the flags every command shares.
type globals struct {
	config    string
	logFormat string
	logLevel  string
	stdout    io.Writer
	stderr    io.Writer
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

func codeFor(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
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
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "auto", "log format: json, console, or auto (console on a terminal)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	// An explicit registry: every command is listed here.
	root.AddCommand(newDemoCmd(g), newSandboxCmd(g), newRunCmd(g), newServeCmd(g), newRunsCmd(g), newParseCmd(g), newSelectorsCmd(g), newDeliveriesCmd(g), newExportCmd(g), newMappingCmd(g))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{exitUsage, fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
	})
	return root
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "ferry:", err)
		return codeFor(err)
	}
	return exitOK
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
