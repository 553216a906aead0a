package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/ferry-rpa/ferry/service"
	"github.com/spf13/cobra"
)

func (e *runsEnv) answerCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "answer RUN [VALUE|-]",
		Short: "Answer the code a run waits for (waiting_for_input), from any terminal",
		Long: `Answer the challenge a run waits for: the SMS or e-mail code its portal asked.
It works from any terminal on any machine that reaches the database, beside
the process that runs the bot. Without VALUE, or with -, the code is read
from standard input (so that it stays out of the shell's history).

Answering twice with the same code is no error; a run that no longer waits
(answered, timed out, ended) refuses the answer and says since when. A QR
scan or an app approval is answered on the phone, not here.`,
		Example: `  ferry runs answer 12 482913
  ferry runs answer 12          # reads the code from standard input
  ferry runs answer 12 --json 482913`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			g := e.g
			id, err := parseID("run", args[0])
			if err != nil {
				return err
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
}
