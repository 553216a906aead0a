package main

import (
	"github.com/spf13/cobra"
)

func newMappingCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "mapping",
		Short: "Work with column mappings for banks' CSV and XLSX exports",
		Long: `A mapping file tells Ferry how to read a bank's CSV or XLSX export where its
automatic column recognition needs help: which column is what (by header text
or position), the sign column's values, date and number formats, balance rows,
where the account comes from. See docs/mapping.md.`,
		Example: `  ferry mapping suggest export.csv > banks/mybank.yaml`,
	}
	c.AddCommand(newMappingSuggestCmd(g))
	return c
}
