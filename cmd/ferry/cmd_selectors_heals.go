package main

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// parseID reads a numeric id ("42" or "#42") given on the command line;
// what names the kind of id in the usage error.
func parseID(what, s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil {
		return 0, &exitError{exitUsage, fmt.Errorf("%s id %q is not a number", what, s)}
	}
	return id, nil
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02 15:04:05 MST")
}

// healsCmd is `selectors heals`: by itself it lists the proposals (as
// `heals list` does); its subcommands show and decide one.
func (e *selectorsEnv) healsCmd() *cobra.Command {
	var site, status string
	list := func(cmd *cobra.Command, args []string) error {
		g := e.g
		views := []healJSON{}
		db, _, err := e.db(cmd.Context())
		if g.noDatabase(err) {
			return g.printEmpty(views)
		}
		if err != nil {
			return err
		}
		defer db.Close()
		hs, err := db.Heals(cmd.Context(), site, status)
		if err != nil {
			return err
		}
		if g.json {
			for _, h := range hs {
				views = append(views, healView(h))
			}
			return g.printJSON(views)
		}
		tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tSITE\tELEMENT\tVARIANT\tPAGE\tPROPOSED WAY\tSCORE\tRUNNER-UP\tRUN")
		for _, h := range hs {
			v := healView(h)
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%d\n", h.ID, h.Status, h.Site, h.Element, h.Variant, h.Page, v.Way, h.Score, h.RunnerUp, h.RunID)
		}
		return tw.Flush()
	}
	c := &cobra.Command{
		Use:   "heals",
		Short: "List heal proposals (the changes the healer proposes for broken selectors); show, accept or reject one",
		Example: `  ferry selectors heals
  ferry selectors heals --site demobank --status proposed
  ferry selectors heals show 4
  ferry selectors heals accept 4
  ferry selectors heals reject 5`,
		RunE: list,
	}
	ls := &cobra.Command{
		Use:     "list",
		Short:   "List heal proposals",
		Example: "  ferry selectors heals list --status proposed --json",
		Args:    cobra.NoArgs,
		RunE:    list,
	}
	for _, cc := range []*cobra.Command{c, ls} {
		cc.Flags().StringVar(&site, "site", "", "only this site")
		cc.Flags().StringVar(&status, "status", "", "only proposed, accepted or rejected")
	}
	c.AddCommand(ls, e.healShowCmd(), e.acceptCmd(), e.rejectCmd())
	return c
}
