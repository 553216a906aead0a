package console

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ferry-rpa/ferry"
	"github.com/xuri/excelize/v2"
)

// recordStore is what the records pages read. *storage.DB is one.
type recordStore interface {
	// LineRecords returns the stored statement lines as records, booked
	// from..to (YYYY-MM-DD, either may be empty).
	LineRecords(ctx context.Context, from, to string) ([]ferry.LineRecord, error)
}

// recordCols is how many columns a record has in an export.
const recordCols = 12

// recordHeader names the export's columns, in order; amounts are the
// stored decimal text, never a float.
func recordHeader() [recordCols]string {
	return [...]string{"dedup_key", "run_id", "account", "booking_date", "value_date", "amount", "currency", "counterparty", "description", "reference", "transaction_id", "balance_after"}
}

func recordRow(r ferry.LineRecord) [recordCols]string {
	return [...]string{r.DedupKey, strconv.FormatInt(r.RunID, 10), r.Account, r.BookingDate, r.ValueDate, r.Amount, r.Currency, r.Counterparty, r.Description, r.Reference, r.TransactionID, r.BalanceAfter}
}

// recordsQuery reads ?from=&to= (YYYY-MM-DD); errors name the field.
func recordsQuery(r *http.Request) (from, to string, err error) {
	from, to = r.URL.Query().Get("from"), r.URL.Query().Get("to")
	if from != "" {
		if _, err := ferry.ParseDate(from); err != nil {
			return "", "", fmt.Errorf("from: %w", err)
		}
	}
	if to != "" {
		if _, err := ferry.ParseDate(to); err != nil {
			return "", "", fmt.Errorf("to: %w", err)
		}
	}
	return from, to, nil
}

func (s *Server) records(w http.ResponseWriter, r *http.Request) ([]ferry.LineRecord, string, string, bool) {
	rs, ok := s.cfg.Store.(recordStore)
	if !ok {
		s.fail(w, r, pageRoute, http.StatusNotImplemented, "this store keeps no records")
		return nil, "", "", false
	}
	from, to, err := recordsQuery(r)
	if err != nil {
		s.fail(w, r, pageRoute, http.StatusBadRequest, err.Error())
		return nil, "", "", false
	}
	recs, err := rs.LineRecords(r.Context(), from, to)
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return nil, "", "", false
	}
	return recs, from, to, true
}

// recordsPage shows the records of a period (the first 200) with links
// to download them all.
func (s *Server) recordsPage(w http.ResponseWriter, r *http.Request, who *identity) {
	recs, from, to, ok := s.records(w, r)
	if !ok {
		return
	}
	shown := recs
	if len(shown) > 200 {
		shown = shown[:200]
	}
	s.render(w, r, who, http.StatusOK, "records", pageData{Title: "Records", Data: map[string]any{
		"From": from, "To": to, "Total": len(recs), "Records": shown}})
}

// recordsExport downloads the records of a period as CSV (?format=csv,
// the default) or XLSX (?format=xlsx).
func (s *Server) recordsExport(w http.ResponseWriter, r *http.Request, who *identity) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "xlsx" {
		s.fail(w, r, pageRoute, http.StatusBadRequest, fmt.Sprintf("format: %q is neither csv nor xlsx", format))
		return
	}
	recs, _, _, ok := s.records(w, r)
	if !ok {
		return
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="ferry-records.csv"`)
		cw := csv.NewWriter(w)
		h := recordHeader()
		_ = cw.Write(h[:])
		for _, rec := range recs {
			row := recordRow(rec)
			for i, v := range row {
				// Text a bank or counterparty chose cannot become a
				// formula; amounts and dates are ours.
				if i != 5 && i != 11 {
					row[i] = csvSafe(v)
				}
			}
			_ = cw.Write(row[:])
		}
		cw.Flush()
		return
	}
	f, err := recordsXLSX(recs)
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="ferry-records.xlsx"`)
	if err := f.Write(w); err != nil {
		s.cfg.Logger.Warn().Err(err).Msg("console: records export")
	}
}

// recordsXLSX lays records out on one sheet. Text cells are strings
// (never formulas: excelize stores them as shared strings); amounts are
// number cells written from their decimal text, so no float rounds them.
func recordsXLSX(recs []ferry.LineRecord) (*excelize.File, error) {
	f := excelize.NewFile()
	const sheet = "Records"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		f.Close()
		return nil, fmt.Errorf("console: xlsx: %w", err)
	}
	set := func(col, row int, v string, number bool) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		if number {
			return f.SetCellDefault(sheet, cell, v)
		}
		return f.SetCellStr(sheet, cell, v)
	}
	for i, h := range recordHeader() {
		if err := set(i+1, 1, h, false); err != nil {
			f.Close()
			return nil, fmt.Errorf("console: xlsx header: %w", err)
		}
	}
	for n, rec := range recs {
		for i, v := range recordRow(rec) {
			number := (i == 1 || i == 5 || i == 11) && v != ""
			if err := set(i+1, n+2, v, number); err != nil {
				f.Close()
				return nil, fmt.Errorf("console: xlsx row %d: %w", n+2, err)
			}
		}
	}
	return f, nil
}
