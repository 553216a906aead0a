package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

func (e *selectorsEnv) healShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one heal: the diff, the score and its breakdown, the screenshots",
		Example: `  ferry selectors heals show 4
  ferry selectors heals show 4 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g := e.g
			id, err := parseID("heal", args[0])
			if err != nil {
				return err
			}
			db, _, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			h, err := db.Heal(cmd.Context(), id)
			if err != nil {
				return err
			}
			arts, err := db.Artifacts(cmd.Context(), h.RunID)
			if err != nil {
				return err
			}
			v := healView(h)
			v.Diff = h.Diff
			var breakdown any
			if json.Unmarshal([]byte(h.Breakdown), &breakdown) == nil {
				v.Breakdown = breakdown
			}
			for _, a := range arts {
				switch a.ID {
				case h.BeforeArtifact:
					v.Before = db.ArtifactPath(a.SHA256)
				case h.AfterArtifact:
					v.After = db.ArtifactPath(a.SHA256)
				}
			}
			if g.json {
				return g.printJSON(v)
			}
			w := g.stdout
			fmt.Fprintf(w, "heal %d: %s %s (variant %q) on %s, from run %d\n  status:    %s %s %s\n  score:     %.2f (runner-up %.2f)\n  breakdown: %s\n",
				h.ID, h.Site, h.Element, h.Variant, h.Page, h.RunID, h.Status, h.DecidedBy, fmtTime(h.DecidedAt), h.Score, h.RunnerUp, h.Breakdown)
			for _, p := range []string{v.Before, v.After} {
				if p != "" {
					fmt.Fprintf(w, "  screenshot: %s\n", p)
				}
			}
			fmt.Fprintf(w, "\n%s", h.Diff)
			return nil
		},
	}
}
