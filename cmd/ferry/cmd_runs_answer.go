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
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/service"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func (e *runsEnv) answerCmd() *cobra.Command {
	var resend bool
	c := &cobra.Command{
		Use:   "answer RUN [VALUE|-]",
		Short: "Answer the code a run waits for (waiting_for_input), from any terminal",
		Long: `Answer the challenge a run waits for: the SMS or e-mail code its portal asked.
It works from any terminal on any machine that reaches the database, beside
the process that runs the bot. Without VALUE, or with -, the code is read
from standard input (so that it stays out of the shell's history).

Answering twice with the same code is no error; a run that no longer waits
(answered, timed out, ended) refuses the answer and says since when. A QR
scan or an app approval is answered on the phone, not here.

--resend asks for a new code instead, when the code expired or never
arrived: the run clicks the portal's resend control (when its script names
one), after the portal's cooldown, and asks again; a step asks for a few
new codes at most (its script's resends, default 3).`,
		Example: `  ferry runs answer 12 482913
  ferry runs answer 12          # reads the code from standard input
  ferry runs answer 12 --resend # no code arrived: ask the portal for a new one
  ferry runs answer 12 --json 482913`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			g := e.g
			id, err := parseID("run", args[0])
			if err != nil {
				return err
			}
			if resend {
				if len(args) == 2 {
					return &exitError{exitUsage, errors.New("runs answer --resend takes no code")}
				}
				db, err := e.open(cmd.Context())
				if err != nil {
					return err
				}
				defer db.Close()
				res, err := service.Resend(cmd.Context(), db, id, "cli")
				if err != nil {
					return err
				}
				if g.json {
					return g.printJSON(res)
				}
				if res.First {
					fmt.Fprintf(g.stdout, "run %d: a new code asked for (challenge %d); the run asks again once the portal sent it\n", id, res.ChallengeID)
				} else {
					fmt.Fprintf(g.stdout, "run %d: a new code was already asked for (challenge %d); nothing changed\n", id, res.ChallengeID)
				}
				return nil
			}
			value := ""
			if len(args) == 2 && args[1] != "-" {
				value = args[1]
			} else {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("runs answer: no code on standard input")
				}
				value = strings.TrimSpace(line)
			}
			db, err := e.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := service.Answer(cmd.Context(), db, id, value, "cli")
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(res)
			}
			if res.First {
				fmt.Fprintf(g.stdout, "run %d: answer to challenge %d (%s) recorded; the run goes on\n", id, res.ChallengeID, res.Kind)
			} else {
				fmt.Fprintf(g.stdout, "run %d: challenge %d was already answered with this code; nothing changed\n", id, res.ChallengeID)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&resend, "resend", false, "ask the portal for a new code (it expired or never arrived) instead of answering")
	return c
}

// prompter asks at the terminal for the codes the runs of an interactive
// `ferry run` wait for: the code is typed without echo and recorded as any
// other answer (service.Answer), so that an answer from another terminal
// is just as good.
type prompter struct {
	g    *globals
	db   ferry.ChallengeStore
	wake func(int64) bool
	in   *os.File
	mu   sync.Mutex
	cur  ferry.Challenge
	once sync.Once
}

// interactivePrompt returns a prompter when standard input is a terminal,
// else nil.
func interactivePrompt(g *globals, in io.Reader) *prompter {
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &prompter{g: g, in: f}
}

// ask is the runner's OnAsk: it must not block the run.
func (p *prompter) ask(c ferry.Challenge) {
	p.mu.Lock()
	p.cur = c
	p.mu.Unlock()
	w := p.g.stdout
	fmt.Fprintf(w, "\nrun %d is waiting_for_input: %s", c.RunID, c.Kind)
	if c.Destination != "" {
		fmt.Fprintf(w, " sent to %s", c.Destination)
	}
	fmt.Fprintf(w, ", until %s", c.Deadline.Local().Format("15:04:05"))
	if c.AttemptsLeft >= 0 {
		fmt.Fprintf(w, ", %d attempts left", c.AttemptsLeft)
	}
	fmt.Fprintln(w)
	if c.Message != "" {
		fmt.Fprintf(w, "  the portal said: %s\n", c.Message)
	}
	if !c.Kind.Typed() {
		if len(c.Screenshot) > 0 {
			f, err := os.CreateTemp("", fmt.Sprintf("ferry-run-%d-qr-*.png", c.RunID))
			if err == nil {
				_, _ = f.Write(c.Screenshot)
				f.Close()
				fmt.Fprintf(w, "  %s: open %s, scan it with the portal's app and confirm there\n", c.Prompt, f.Name())
			}
		} else {
			fmt.Fprintf(w, "  %s\n", c.Prompt)
		}
		return
	}
	fmt.Fprintf(w, "  %s (typed without echo, or resend for a new code; or from any terminal: ferry runs answer %d CODE): ", c.Prompt, c.RunID)
	p.once.Do(func() { go p.read() })
}

// read answers the current challenge with each line typed.
func (p *prompter) read() {
	for {
		b, err := term.ReadPassword(int(p.in.Fd()))
		if err != nil {
			return
		}
		fmt.Fprintln(p.g.stdout)
		p.mu.Lock()
		c := p.cur
		p.mu.Unlock()
		code := strings.TrimSpace(string(b))
		if code == "" || c.ID == 0 || p.db == nil {
			continue
		}
		var res service.AnswerResult
		if code == "resend" {
			res, err = service.Resend(context.Background(), p.db, c.RunID, "prompt")
		} else {
			res, err = service.Answer(context.Background(), p.db, c.RunID, code, "prompt")
		}
		switch {
		case err != nil:
			fmt.Fprintf(p.g.stdout, "  not taken: %v\n", err)
		case res.First:
			p.wake(res.ChallengeID)
			fmt.Fprintln(p.g.stdout, "  answer recorded; the run goes on")
		}
	}
}

// watch prompts for the challenges of run id, which another process (a
// serve) works, until ctx ends: the answer goes through the store, where
// the serve's run finds it.
func (p *prompter) watch(ctx context.Context, db ferry.ChallengeStore, id int64) {
	p.db, p.wake = db, func(int64) bool { return false }
	var last int64
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		if c, err := db.LatestChallenge(ctx, id); err == nil && c.ID != last && c.State == ferry.ChallengePending {
			last = c.ID
			p.ask(c)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
