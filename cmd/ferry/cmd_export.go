package main

import (
	"fmt"
	"io"
	"os"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/ledger"
	"github.com/ferry-rpa/ferry/service"
	"github.com/spf13/cobra"
)

func newExportCmd(g *globals) *cobra.Command {
	var format, mapping, out, from, to, dataDir, records string
	c := &cobra.Command{
		Use:   "export --format beancount|csv|xlsx --mapping ACCOUNTS.yaml",
		Short: "Export the stored records as double-entry transactions for finance systems that take files",
		Example: `  ferry export --format beancount --mapping accounts.yaml -o books.beancount
  ferry export --format csv --mapping accounts.yaml --from 2026-10-01 --to 2026-10-31
  ferry export --records all --format beancount --mapping accounts.yaml -o books.beancount
  ferry export --records invoices --format xlsx --mapping accounts.yaml -o invoices.xlsx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if mapping == "" {
				return &exitError{exitUsage, fmt.Errorf("--mapping is required: it maps bank accounts and counterparties to ledger accounts")}
			}
			m, err := ledger.LoadMapping(mapping)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			cfg, err := g.loadConfig(dataDir)
			if err != nil {
				return err
			}
			db, err := openExisting(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			lines, invoices, err := exportRecords(records, format)
			if err != nil {
				return err
			}
			var txs []ledger.Transaction
			if lines {
				recs, err := db.LineRecords(cmd.Context(), from, to)
				if err != nil {
					return err
				}
				for _, r := range recs {
					t, err := m.Transaction(r)
					if err != nil {
						return fmt.Errorf("export: %w", err)
					}
					txs = append(txs, t)
				}
			}
			var invRows []ferry.InvoiceRow
			if invoices {
				if invRows, err = service.Invoices(cmd.Context(), db, service.InvoiceQuery{From: from, To: to}); err != nil {
					return &exitError{exitUsage, err}
				}
				its, held, err := m.InvoiceTransactions(invRows)
				if err != nil {
					return fmt.Errorf("export: %w", err)
				}
				if held > 0 && format == "beancount" {
					fmt.Fprintf(g.stderr, "%d held invoices not booked (ferry invoices list --state held)\n", held)
				}
				txs = append(txs, its...)
			}
			var w io.Writer = g.stdout
			if out != "" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			switch format {
			case "beancount":
				err = ledger.WriteBeancount(w, txs)
			case "csv":
				if !lines {
					err = ledger.WriteInvoicesCSV(w, invRows)
					break
				}
				err = ledger.WriteCSV(w, txs)
			case "xlsx":
				if out == "" {
					return &exitError{exitUsage, fmt.Errorf("xlsx needs -o FILE")}
				}
				if !lines {
					err = ledger.WriteInvoicesXLSX(w, invRows)
					break
				}
				err = ledger.WriteXLSX(w, txs)
			default:
				return &exitError{exitUsage, fmt.Errorf("--format %q: want beancount, csv or xlsx", format)}
			}
			if err == nil && out != "" {
				if !lines && format != "beancount" {
					fmt.Fprintf(g.stderr, "%d invoices written to %s\n", len(invRows), out)
				} else {
					fmt.Fprintf(g.stderr, "%d transactions written to %s\n", len(txs), out)
				}
			}
			return err
		},
	}
	c.Flags().StringVar(&format, "format", "beancount", "beancount, csv or xlsx")
	c.Flags().StringVar(&mapping, "mapping", "", "account mapping YAML (accounts, rules, suspense)")
	c.Flags().StringVarP(&out, "output", "o", "", "write to this file (default: standard output)")
	c.Flags().StringVar(&from, "from", "", "first booking date (YYYY-MM-DD)")
	c.Flags().StringVar(&to, "to", "", "last booking date (YYYY-MM-DD)")
	c.Flags().StringVar(&dataDir, "data", "", "data directory (default: the config's data_dir)")
	c.Flags().StringVar(&records, "records", "lines", "lines (statement lines), invoices (CSV/XLSX: the invoice table; Beancount: their transactions) or all (Beancount only)")
	return c
}

// exportRecords reads --records: which records an export takes. CSV and
// XLSX hold one table, so all is Beancount's alone.
func exportRecords(records, format string) (lines, invoices bool, err error) {
	switch records {
	case "", "lines":
		return true, false, nil
	case "invoices":
		return false, true, nil
	case "all":
		if format != "beancount" {
			return false, false, &exitError{exitUsage, fmt.Errorf("--records all is for --format beancount; CSV and XLSX take lines or invoices")}
		}
		return true, true, nil
	}
	return false, false, &exitError{exitUsage, fmt.Errorf("--records %q: want lines, invoices or all", records)}
}
