package statements

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/pdftext"
)

// pdfColumn is a table column located on the page by its header label.
type pdfColumn struct {
	col     column
	x, endX float64
}

var pageFooter = regexp.MustCompile(`^第\s*\d+\s*页|(?i)^page \d+ of \d+`)

// cellsOf splits a line into clusters of glyphs separated by a gap wider
// than half the font size: the cells of a header row.
func cellsOf(l pdftext.Line) []pdftext.Text {
	var out []pdftext.Text
	var last *pdftext.Glyph
	for i := range l.Glyphs {
		g := &l.Glyphs[i]
		if g.Space {
			continue
		}
		if last == nil || g.X-(last.X+last.W) > math.Max(g.Size, 1)*0.5 {
			out = append(out, pdftext.Text{X: g.X})
		} else if g.X-(last.X+last.W) > math.Max(g.Size, 1)*0.15 {
			out[len(out)-1].S += " "
		}
		t := &out[len(out)-1]
		t.S += g.Text
		t.EndX = g.X + g.W
		last = g
	}
	return out
}

// columnsOf reads the table header's geometry, or nil if l is not a header.
func columnsOf(l pdftext.Line) []pdfColumn {
	var cols []pdfColumn
	var cells []string
	for _, c := range cellsOf(l) {
		cells = append(cells, c.S)
		cols = append(cols, pdfColumn{col: classifyHeader(c.S), x: c.X, endX: c.EndX})
	}
	b := newBuilder("")
	if !b.header(cells) {
		return nil
	}
	return cols
}

// assign distributes a line's glyphs over the columns. Amount columns are
// right-aligned by banking convention, so the boundary before one is the
// midpoint of the gap between the labels; before a text column it is just
// left of that column's label.
func assign(l pdftext.Line, cols []pdfColumn) []string {
	bounds := make([]float64, len(cols)) // bounds[i]: where column i starts
	for i := 1; i < len(cols); i++ {
		if cols[i].col.isAmount() {
			bounds[i] = (cols[i-1].endX + cols[i].x) / 2
		} else {
			bounds[i] = cols[i].x - 2
		}
	}
	bounds[0] = math.Inf(-1)
	cells := make([]strings.Builder, len(cols))
	lastEnd := make([]float64, len(cols))
	for _, g := range l.Glyphs {
		mid := g.X + g.W/2
		i := len(cols) - 1
		for i > 0 && mid < bounds[i] {
			i--
		}
		if g.Space {
			if cells[i].Len() > 0 {
				cells[i].WriteByte(' ')
			}
		} else {
			if cells[i].Len() > 0 && g.X-lastEnd[i] > math.Max(g.Size, 1)*0.2 && !strings.HasSuffix(cells[i].String(), " ") {
				cells[i].WriteByte(' ')
			}
			cells[i].WriteString(g.Text)
		}
		lastEnd[i] = g.X + g.W
	}
	out := make([]string, len(cols))
	for i := range cells {
		out[i] = strings.Join(strings.Fields(cells[i].String()), " ")
	}
	return out
}

// ParsePDF reads a PDF statement through Ferry's text layer, page by page.
func ParsePDF(ctx context.Context, name string, data []byte) (ferry.Statement, error) {
	return parsePDF(ctx, name, data, "")
}

func parsePDF(ctx context.Context, name string, data []byte, password string) (st ferry.Statement, err error) {
	doc, err := pdftext.OpenContext(ctx, data, password)
	if err != nil {
		return st, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
	}
	b := newBuilder(name)
	var cols []pdfColumn
	done := false
	for p := 1; p <= doc.NumPages() && !done; p++ {
		page, err := doc.Page(p)
		if err != nil {
			return st, ferry.Errorf(ferry.ClassDocumentChanged, name, "page %d: %v", p, err)
		}
		lines := page.Lines()
		if len(lines) == 0 {
			return st, ferry.Errorf(ferry.ClassDocumentChanged, fmt.Sprintf("%s: page %d", name, p), "%v", pdftext.ErrNoText)
		}
		inTable := false
		for i, l := range lines {
			where := fmt.Sprintf("page %d line %d", p, i+1)
			if !inTable {
				if c := columnsOf(l); c != nil {
					cols, inTable = c, true
					b.cols = b.cols[:0]
					for _, pc := range c {
						b.cols = append(b.cols, pc.col)
					}
					continue
				}
				if p == 1 && cols == nil && len(l.Runs) >= 2 {
					b.header([]string{l.Runs[0].S, l.Runs[1].S})
				}
				continue
			}
			text := l.String()
			if pageFooter.MatchString(text) {
				continue
			}
			if headerKey(l.Runs[0].S) == "closing" && len(l.Runs) >= 2 {
				done, err = b.line(where, []string{l.Runs[0].S, l.Runs[1].S})
				if err != nil {
					return st, err
				}
				break
			}
			cells := assign(l, cols)
			if known := countHeaders(cells); known >= 4 {
				continue // the header's second (English) line
			}
			if done, err = b.line(where, cells); err != nil {
				return st, err
			}
		}
	}
	return b.finish()
}

func countHeaders(cells []string) int {
	n := 0
	for _, c := range cells {
		if classifyHeader(c) != colNone {
			n++
		}
	}
	return n
}
