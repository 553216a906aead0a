package console

// Statements for finance: a list with filters across runs, a statement's
// lines and check results, and CSV/XLSX exports.

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/service"
	"github.com/xuri/excelize/v2"
)

// registerFinance adds the challenge, statement, invoice and canary
// routes.
func (s *Server) registerFinance() {
	s.handle("POST /runs/{id}/answer", s.answerChallenge)
	s.handle("GET /runs/{id}/challenge/image", s.challengeImage)
	s.handle("GET /statements", s.statementsPage)
	s.handle("GET /statements/export", s.statementsExport)
	s.handle("GET /statements/{run}/{id}", s.statementPage)
	s.handle("GET /invoices", s.invoicesPage)
	s.handle("GET /invoices/export", s.invoicesExport)
	s.handle("GET /invoices/{key}", s.invoicePage)
	s.handle("POST /selectors/{site}/canary", s.runCanary)
}

// statementSource is the store as the statement pages read it.
func (s *Server) statementSource(w http.ResponseWriter, r *http.Request) (service.StatementSource, bool) {
	src, ok := s.cfg.Store.(service.StatementSource)
	if !ok {
		s.fail(w, r, pageRoute, http.StatusNotImplemented, "this store keeps no statements")
	}
	return src, ok
}

func statementQuery(r *http.Request) service.StatementQuery {
	q := r.URL.Query()
	return service.StatementQuery{Account: q.Get("account"), Status: q.Get("status"), From: q.Get("from"), To: q.Get("to")}
}

// statements reads the filtered list; on a bad filter or a store error it
// has answered itself and says false.
func (s *Server) statements(w http.ResponseWriter, r *http.Request) ([]ferry.StatementRow, service.StatementQuery, bool) {
	src, ok := s.statementSource(w, r)
	if !ok {
		return nil, service.StatementQuery{}, false
	}
	q := statementQuery(r)
	rows, err := service.Statements(r.Context(), src, q)
	if errors.Is(err, service.ErrStatementFilter) {
		s.fail(w, r, pageRoute, http.StatusBadRequest, err.Error())
		return nil, q, false
	}
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return nil, q, false
	}
	return rows, q, true
}

func (s *Server) statementsPage(w http.ResponseWriter, r *http.Request, who *identity) {
	rows, q, ok := s.statements(w, r)
	if !ok {
		return
	}
	s.render(w, r, who, http.StatusOK, "statements", pageData{Title: "Statements", Data: map[string]any{"Query": q, "Statements": rows, "Export": r.URL.RawQuery}})
}

// statementView is a statement's page: the row, its checks and its lines
// (those stored for its account in its period).
type statementView struct {
	Statement ferry.StatementRow
	Checks    []service.CheckResult
	Lines     []ferry.LineRecord
}

func (s *Server) statementPage(w http.ResponseWriter, r *http.Request, who *identity) {
	src, ok := s.statementSource(w, r)
	if !ok {
		return
	}
	runID, err1 := strconv.ParseInt(r.PathValue("run"), 10, 64)
	id, err2 := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err1 != nil || err2 != nil {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such statement")
		return
	}
	st, err := service.Statement(r.Context(), src, runID, id)
	if errors.Is(err, ferry.ErrNotFound) {
		s.fail(w, r, pageRoute, http.StatusNotFound, "no such statement")
		return
	}
	if err != nil {
		s.internal(w, r, pageRoute, err)
		return
	}
	v := statementView{Statement: st, Checks: service.StatementChecks(st), Lines: []ferry.LineRecord{}}
	if rs, ok := s.cfg.Store.(recordStore); ok {
		recs, err := rs.LineRecords(r.Context(), st.From, st.To)
		if err != nil {
			s.internal(w, r, pageRoute, err)
			return
		}
		for _, l := range recs {
			if l.Account == st.Account && l.Currency == st.Currency {
				v.Lines = append(v.Lines, l)
			}
		}
	}
	s.render(w, r, who, http.StatusOK, "statement", pageData{Title: fmt.Sprintf("Statement %d", st.ID), Data: v})
}

func statementTable(rows []ferry.StatementRow) (header []string, out [][]string, numeric map[int]bool) {
	header = []string{"id", "run_id", "account", "currency", "from", "to", "opening", "closing", "lines", "new_lines", "duplicates", "status", "problem"}
	for _, st := range rows {
		out = append(out, []string{strconv.FormatInt(st.ID, 10), strconv.FormatInt(st.RunID, 10), st.Account, st.Currency, st.From, st.To, st.Opening, st.Closing,
			strconv.Itoa(st.Lines), strconv.Itoa(st.NewLines), strconv.Itoa(st.Duplicates), st.Status, st.Problem})
	}
	return header, out, map[int]bool{0: true, 1: true, 6: true, 7: true, 8: true, 9: true, 10: true}
}

func (s *Server) statementsExport(w http.ResponseWriter, r *http.Request, who *identity) {
	format, ok := s.exportFormat(w, r)
	if !ok {
		return
	}
	rows, _, ok := s.statements(w, r)
	if !ok {
		return
	}
	h, out, num := statementTable(rows)
	s.exportTable(w, r, "statements", format, h, out, num)
}

// exportFormat reads ?format= (csv, the default, or xlsx).
func (s *Server) exportFormat(w http.ResponseWriter, r *http.Request) (string, bool) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "xlsx" {
		s.fail(w, r, pageRoute, http.StatusBadRequest, fmt.Sprintf("format: %q is neither csv nor xlsx", format))
		return "", false
	}
	return format, true
}

// exportTable downloads a table as ferry-NAME.csv or .xlsx. Text cells
// are defused (csvSafe) in CSV and stored as strings in XLSX, never as
// formulas; numeric columns are decimal text, never a float.
func (s *Server) exportTable(w http.ResponseWriter, r *http.Request, name, format string, header []string, rows [][]string, numeric map[int]bool) {
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="ferry-`+name+`.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write(header)
		for _, row := range rows {
			out := make([]string, len(row))
			for i, v := range row {
				out[i] = v
				if !numeric[i] {
					out[i] = csvSafe(v)
				}
			}
			_ = cw.Write(out)
		}
		cw.Flush()
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := name
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		s.internal(w, r, pageRoute, fmt.Errorf("console: xlsx: %w", err))
		return
	}
	for n, row := range append([][]string{header}, rows...) {
		for i, v := range row {
			cell, err := excelize.CoordinatesToCellName(i+1, n+1)
			if err == nil {
				if n > 0 && numeric[i] && v != "" {
					err = f.SetCellDefault(sheet, cell, v)
				} else {
					err = f.SetCellStr(sheet, cell, v)
				}
			}
			if err != nil {
				s.internal(w, r, pageRoute, fmt.Errorf("console: xlsx row %d: %w", n+1, err))
				return
			}
		}
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="ferry-`+name+`.xlsx"`)
	if err := f.Write(w); err != nil {
		s.cfg.Logger.Warn().Err(err).Str("export", name).Msg("console: export")
	}
}
