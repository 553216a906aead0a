package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/ferry-rpa/ferry/service"
	"github.com/spf13/cobra"
)

// invoicesEnv is what the invoices commands share: the --data flag.
type invoicesEnv struct {
	g       *globals
	dataDir string
}

func newInvoicesCmd(g *globals) *cobra.Command {
	e := &invoicesEnv{g: g}
	c := &cobra.Command{
		Use:   "invoices",
		Short: "Stored invoices: list them by direction, status and date, show one with its items and files",
		Example: `  ferry invoices list --direction received --status void --from 2026-01-01 --to 2026-01-31
  ferry invoices list --state held
  ferry invoices show 26312000000001000002`,
	}
	c.PersistentFlags().StringVar(&e.dataDir, "data", "", "data directory (default: the config's data_dir)")
	c.AddCommand(e.listCmd(), e.showCmd())
	return c
}

func (e *invoicesEnv) listCmd() *cobra.Command {
	var q service.InvoiceQuery
	c := &cobra.Command{
		Use:   "list",
		Short: "List stored invoices by issue date",
		Example: `  ferry invoices list --direction issued --from 2026-01-01 --to 2026-03-31
  ferry invoices list --status void --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			g := e.g
			if _, err := q.Filter(); err != nil {
				return &exitError{exitUsage, err}
			}
			cfg, err := g.loadConfig(e.dataDir)
			if err != nil {
				return err
			}
			views := []service.InvoiceView{}
			db, err := openExisting(cmd.Context(), cfg)
			if g.noDatabase(err) {
				return g.printEmpty(views)
			}
			if err != nil {
				return err
			}
			defer db.Close()
			rows, err := service.Invoices(cmd.Context(), db, q)
			if err != nil {
				return err
			}
			if g.json {
				for _, r := range rows {
					views = append(views, service.ViewInvoice(r, false))
				}
				return g.printJSON(views)
			}
			tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DATE\tNUMBER\tDIRECTION\tSTATUS\tSTATE\tTOTAL\tCOUNTERPARTY")
			for _, r := range rows {
				inv := r.Invoice
				no := inv.Number
				if inv.Code != "" {
					no = inv.Code + "-" + inv.Number
				}
				party := inv.SellerName
				if r.Direction == "issued" {
					party = inv.BuyerName
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s %s\t%s\n", inv.IssueDate, no, r.Direction, r.Status, r.State, inv.Total.StringFixed(2), inv.Currency, party)
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&q.Direction, "direction", "", "only issued (销项) or received (进项)")
	c.Flags().StringVar(&q.Status, "status", "", "only normal, void, red_letter or partial_red")
	c.Flags().StringVar(&q.State, "state", "", "only queued (for the sinks) or held (problems keep it back)")
	c.Flags().StringVar(&q.From, "from", "", "first issue date (YYYY-MM-DD)")
	c.Flags().StringVar(&q.To, "to", "", "last issue date (YYYY-MM-DD)")
	c.Flags().IntVar(&q.Limit, "limit", 0, "at most this many (0: all)")
	return c
}

func (e *invoicesEnv) showCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show NUMBER|CODE-NUMBER|KEY",
		Short: "Show one invoice: parties, figures, items, status, problems and the files it was read from",
		Example: `  ferry invoices show 26312000000001000002
  ferry invoices show 033002000211-83089647 --json`,
		Args: cobra.ExactArgs(1),
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
			r, err := service.Invoice(cmd.Context(), db, args[0])
			if err != nil {
				return err
			}
			v := service.ViewInvoice(r, true)
			if g.json {
				return g.printJSON(v)
			}
			w := g.stdout
			fmt.Fprintf(w, "invoice %s (%s)\n  kind:      %s\n  code:      %s\n  number:    %s\n  date:      %s\n  direction: %s\n  status:    %s\n  state:     %s\n",
				v.Key, v.Number, v.Kind, v.Code, v.Number, v.IssueDate, v.Direction, v.Status, v.State)
			fmt.Fprintf(w, "  seller:    %s %s\n  buyer:     %s %s\n  amount:    %s\n  tax:       %s\n  total:     %s %s\n",
				v.SellerName, v.SellerTaxID, v.BuyerName, v.BuyerTaxID, v.Amount, v.Tax, v.Total, v.Currency)
			for i, it := range v.Items {
				fmt.Fprintf(w, "  item %d:    %s %s %s %s × %s = %s, %s tax %s\n", i+1, it.Name, it.Spec, it.Unit, it.Quantity, it.UnitPrice, it.Amount, it.TaxRate, it.Tax)
			}
			for _, p := range v.Problems {
				fmt.Fprintf(w, "  problem:   %s\n", p)
			}
			for _, s := range v.Sources {
				fmt.Fprintf(w, "  file:      %s (%s, artifact %d of run %d)\n", s.Name, s.Format, s.ArtifactID, s.RunID)
			}
			return nil
		},
	}
}
