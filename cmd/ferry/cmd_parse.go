package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"

	"github.com/ferry-rpa/ferry/statements"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/spf13/cobra"
)

func newParseCmd(g *globals) *cobra.Command {
	var asJSON, asCSV bool
	c := &cobra.Command{
		Use:   "parse FILE...",
		Short: "Parse statement files (XLSX, CSV, PDF, camt.05x) and print the normalized records",
		Long: `Detect each file's format, parse it into a statement and its lines, check that
it reconciles, and print the records. A file that cannot be parsed exits
non-zero with a message naming the file and the row, line or page.`,
		Example: `  ferry parse 对账单.xlsx
  ferry parse statement.pdf --json
  ferry parse *.csv --csv > lines.csv`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cw := csv.NewWriter(g.stdout)
			if asCSV {
				_ = cw.Write([]string{"dedup_key", "account", "booking_date", "value_date", "amount", "currency", "counterparty", "description", "reference", "balance_after"})
			}
			enc := json.NewEncoder(g.stdout)
			for _, f := range args {
				data, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				sts, err := statements.ParseAll(f, data)
				if err != nil {
					return err
				}
				for _, st := range sts {
					recErr := st.Reconcile()
					switch {
					case asJSON:
						lines := make([]storage.LineRecord, len(st.Lines))
						for i, l := range st.Lines {
							lines[i] = storage.NewLineRecord(0, l)
							lines[i].RunID = 0
						}
						out := map[string]any{"file": f, "account": st.Account, "name": st.Name, "currency": st.Currency,
							"from": st.From, "to": st.To, "opening": st.Opening.StringFixed(2), "closing": st.Closing.StringFixed(2),
							"reconciles": recErr == nil, "lines": lines}
						if recErr != nil {
							out["problem"] = recErr.Error()
						}
						if err := enc.Encode(out); err != nil {
							return err
						}
					case asCSV:
						for _, l := range st.Lines {
							_ = cw.Write([]string{l.DedupKey(), l.Account, l.BookingDate.String(), l.ValueDate.String(), l.Amount.StringFixed(2), l.Currency, l.Counterparty, l.Description, l.Reference, l.BalanceAfter.StringFixed(2)})
						}
					default:
						fmt.Fprintf(g.stdout, "%s: account %s (%s) %s, %s to %s, opening %s, closing %s, %d lines\n", f, st.Account, st.Name, st.Currency, st.From, st.To, st.Opening.StringFixed(2), st.Closing.StringFixed(2), len(st.Lines))
						for _, l := range st.Lines {
							fmt.Fprintf(g.stdout, "  %s %14s %s  %-30s %-28s %s\n", l.BookingDate, l.Amount.StringFixed(2), l.Currency, l.Counterparty, l.Description, l.Reference)
						}
					}
					if recErr != nil && !asJSON {
						fmt.Fprintf(g.stderr, "%s: %v\n", f, recErr)
					}
				}
			}
			cw.Flush()
			return cw.Error()
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON, one statement per line")
	c.Flags().BoolVar(&asCSV, "csv", false, "print the lines as CSV")
	c.MarkFlagsMutuallyExclusive("json", "csv")
	return c
}
