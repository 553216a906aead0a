package templates

import "strings"

// unece maps units of measure as invoices print them to UN/ECE
// Recommendation 20 codes, which finance systems import (invoice2data
// fills unece_code the same way).
var unece = map[string]string{}

func init() {
	for code, names := range map[string]string{
		"LTR": "l ltr lt ℓ liter litre liters litres",
		"MLT": "ml millilitre milliliter",
		"KGM": "kg kgm kgs kilogram kilograms",
		"GRM": "g gr grm gram grams",
		"MTR": "m mtr meter metre meters metres",
		"CMT": "cm",
		"MMT": "mm",
		"KMT": "km",
		"H87": "pcs pc piece pieces ea each ps st stk stk. stuk stuks stück stueck unit units x",
		"SET": "set sets",
		"HUR": "h hr hrs hour hours uur uren",
		"MIN": "min minute minutes",
		"DAY": "d day days dag dagen",
		"MON": "month months maand maanden mnd",
		"ANN": "year years jaar",
	} {
		for _, n := range strings.Fields(names) {
			unece[n] = code
		}
	}
}

// uneceCodes sets unece_code on every line and tax line that has a known
// uom and no code of its own.
func uneceCodes(out Result) {
	for _, field := range []string{"lines", "tax_lines"} {
		rows, _ := out[field].([]any)
		for _, r := range rows {
			row, ok := r.(map[string]any)
			if !ok {
				continue
			}
			if c, _ := row["unece_code"].(string); c != "" {
				continue
			}
			uom, _ := row["uom"].(string)
			if code, ok := unece[strings.ToLower(strings.TrimSpace(uom))]; ok {
				row["unece_code"] = code
			}
		}
	}
}
