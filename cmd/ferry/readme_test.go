package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// checkCommandLine checks one `ferry …` line as documentation writes it
// against the real command tree: every subcommand exists and every flag
// exists on the command it is given to. The notation: [optional] parts,
// "a | b" alternatives (after the first, each names a sibling of the first
// alternative's last command: "ferry runs list | show ID"), "x|y" values,
// UPPERCASE placeholders, and a trailing "# comment".
func checkCommandLine(root *cobra.Command, line string) error {
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimSpace(line)
	rest, ok := strings.CutPrefix(line, "ferry")
	if !ok {
		return fmt.Errorf("not a ferry command line")
	}
	// Split on " | " outside brackets.
	var alts []string
	depth, start := 0, 0
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '|':
			if depth == 0 && i > 0 && rest[i-1] == ' ' && i+1 < len(rest) && rest[i+1] == ' ' {
				alts = append(alts, rest[start:i])
				start = i + 1
			}
		}
	}
	alts = append(alts, rest[start:])
	var parent *cobra.Command
	for n, alt := range alts {
		cmd := root
		if n > 0 {
			cmd = parent
		}
		descended, skipValue := false, false
		for _, tok := range strings.Fields(strings.NewReplacer("[", " ", "]", " ").Replace(alt)) {
			for _, word := range strings.Split(tok, "|") {
				if word == "" {
					continue
				}
				if strings.HasPrefix(word, "-") {
					f, err := checkFlag(cmd, word)
					if err != nil {
						return err
					}
					skipValue = f != nil && f.Value.Type() != "bool" && !strings.Contains(word, "=")
					continue
				}
				if skipValue {
					skipValue = false // the flag's value
					continue
				}
				if sub := findSub(cmd, word); sub != nil {
					cmd, descended = sub, true
					continue
				}
				// No Ferry command with subcommands takes arguments of its
				// own: a word there is a misspelt subcommand.
				if cmd.HasSubCommands() {
					return fmt.Errorf("%q: %s has no subcommand %q", line, cmd.CommandPath(), word)
				}
				if n > 0 && !descended {
					return fmt.Errorf("%q: alternative %q does not start with a subcommand of %s", line, strings.TrimSpace(alt), parent.CommandPath())
				}
				// A positional argument or a flag's value.
			}
		}
		if n == 0 {
			if cmd.HasParent() {
				parent = cmd.Parent()
			} else {
				parent = cmd
			}
		}
	}
	return nil
}

func findSub(c *cobra.Command, name string) *cobra.Command {
	for _, s := range c.Commands() {
		if s.Name() == name || s.HasAlias(name) {
			return s
		}
	}
	return nil
}

// checkFlag finds the flag a word names on c (its own or inherited); help
// is on every command. It returns nil and no error for help.
func checkFlag(c *cobra.Command, word string) (*pflag.Flag, error) {
	name, _, _ := strings.Cut(word, "=")
	if name == "--help" || name == "-h" {
		return nil, nil
	}
	var f *pflag.Flag
	if long, ok := strings.CutPrefix(name, "--"); ok {
		if f = c.Flags().Lookup(long); f == nil {
			f = c.InheritedFlags().Lookup(long)
		}
	} else if short := strings.TrimPrefix(name, "-"); len(short) == 1 {
		if f = c.Flags().ShorthandLookup(short); f == nil {
			f = c.InheritedFlags().ShorthandLookup(short)
		}
	}
	if f == nil {
		return nil, fmt.Errorf("%s has no flag %s", c.CommandPath(), name)
	}
	return f, nil
}

var inlineCommandRe = regexp.MustCompile("`(ferry(?: [^`]*)?)`")

// readmeCommandLines returns every ferry command line in README.md: the
// lines of code blocks and the inline code spans that start with "ferry".
func readmeCommandLines(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	inBlock := false
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inBlock = !inBlock
			continue
		}
		if inBlock {
			if strings.HasPrefix(strings.TrimSpace(l), "ferry ") {
				lines = append(lines, strings.TrimSpace(l))
			}
			continue
		}
		for _, m := range inlineCommandRe.FindAllStringSubmatch(l, -1) {
			lines = append(lines, m[1])
		}
	}
	return lines
}

// Every command line the README shows exists, with those flags.
func TestREADMECommandsExist(t *testing.T) {
	t.Parallel()
	root := newRoot(&globals{})
	lines := readmeCommandLines(t)
	if len(lines) < 20 {
		t.Fatalf("found only %d ferry command lines in README.md", len(lines))
	}
	for _, l := range lines {
		if err := checkCommandLine(root, l); err != nil {
			t.Errorf("README.md: %v", err)
		}
	}
}

// Every example in every command's help is a command line that exists.
func TestHelpExamplesExist(t *testing.T) {
	t.Parallel()
	root := newRoot(&globals{})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, l := range strings.Split(c.Example, "\n") {
			l = strings.TrimSpace(l)
			// "ferry sandbox &  ferry serve": each command of a shell line.
			for _, part := range strings.Split(l, "&") {
				part = strings.TrimSpace(part)
				if !strings.HasPrefix(part, "ferry ") && part != "ferry" {
					continue
				}
				if i := strings.Index(part, " >"); i >= 0 {
					part = part[:i]
				}
				if err := checkCommandLine(root, part); err != nil {
					t.Errorf("%s --help example: %v", c.CommandPath(), err)
				}
			}
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
}

// The check fails on what does not exist.
func TestCheckCommandLineFindsMistakes(t *testing.T) {
	t.Parallel()
	root := newRoot(&globals{})
	for _, l := range []string{
		"ferry selectors heals acept 4",
		"ferry runs list --bogus",
		"ferry deliveries list | shw ID",
		"ferry selectors heals [show ID] | approve ID",
		"ferry export --format csv -q",
	} {
		if err := checkCommandLine(root, l); err == nil {
			t.Errorf("%q passed the check", l)
		}
	}
	for _, l := range []string{
		"ferry selectors heals [show ID] | accept ID | reject ID    # the healer's proposals",
		"ferry deliveries list [--state parked] | show ID | retry ID...|--all",
		"ferry sandbox [--redesign | --rollout 0.5]",
		"ferry runs list --json",
	} {
		if err := checkCommandLine(root, l); err != nil {
			t.Errorf("%q: %v", l, err)
		}
	}
}
