package statements

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/ferry-rpa/ferry/pdftext"
)

// A PDF statement is read from its printed lines: each line becomes a row of
// words with their x-ranges, and columns are found from where words sit.

// pdfWord is a run of glyphs on one line with no space between them.
type pdfWord struct {
	x0, x1 float64
	size   float64
	text   string
}

// pdfRow is one printed line of a page.
type pdfRow struct {
	page, line int // 1-based, for error messages
	y          float64
	size       float64 // the line's typical font size
	words      []pdfWord
	// toks and values cache what several passes ask of the row.
	toks   []pdfToken
	tokOK  bool
	values int8 // 0 not known, 1 no date or amount, 2 one of them
	// labels is 1 + the number of label words (0: not counted yet).
	labels      int
	strongLabel bool
}

// tokens returns the row's words with amounts joined to their marks.
func (r *pdfRow) tokens() []pdfToken {
	if !r.tokOK {
		r.toks, r.tokOK = pdfTokenize(r.words), true
	}
	return r.toks
}

func (r *pdfRow) where() string { return fmt.Sprintf("page %d line %d", r.page, r.line) }

// text joins the row's words with single spaces.
func (r *pdfRow) text() string { return pdfJoinWords(r.words) }

func pdfJoinWords(ws []pdfWord) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w.text)
	}
	return b.String()
}

// em is the row's font size, never below one point.
func (r *pdfRow) em() float64 { return math.Max(r.size, 1) }

// Limits that keep one page's reading bounded whatever the file holds.
const (
	pdfMaxRowWords = 4000 // words on one printed line
	pdfMaxWordLen  = 512  // bytes in one word
)

// pdfRowsOfPage turns a page's lines into rows. Glyphs drawn twice at the same
// place (a common way to fake bold type) are read once.
func pdfRowsOfPage(pg *pdftext.Page) []pdfRow {
	lines := pg.Lines()
	out := make([]pdfRow, 0, len(lines))
	for _, l := range lines {
		gs := make([]pdftext.Glyph, 0, len(l.Glyphs))
		for _, g := range l.Glyphs {
			if g.Text == "" || math.IsNaN(g.X) || math.IsInf(g.X, 0) || math.IsNaN(g.W) || math.IsInf(g.W, 0) {
				continue
			}
			gs = append(gs, g)
		}
		sort.SliceStable(gs, func(i, j int) bool { return gs[i].X < gs[j].X })
		row := pdfRow{page: pg.Number, line: len(out) + 1}
		var sizes []float64
		var ysum float64
		var cur *pdfWord
		var buf []byte // the current word's text
		var last pdftext.Glyph
		for i, g := range gs {
			size := math.Max(g.Size, 1)
			if i > 0 && !g.Space && g.Text == last.Text && math.Abs(g.X-last.X) < 0.15*size {
				continue // the same glyph again: fake bold
			}
			ysum += g.Y
			sizes = append(sizes, size)
			if g.Space || strings.TrimSpace(g.Text) == "" {
				cur = nil
				last = g
				continue
			}
			if cur != nil {
				gap := g.X - (last.X + last.W)
				if gap > 0.2*size || gap < -0.6*size || len(buf) > pdfMaxWordLen {
					cur = nil
				}
			}
			if cur == nil {
				if len(row.words) >= pdfMaxRowWords {
					break
				}
				if len(row.words) > 0 {
					row.words[len(row.words)-1].text = string(buf)
				}
				buf = buf[:0]
				row.words = append(row.words, pdfWord{x0: g.X, x1: g.X, size: size})
				cur = &row.words[len(row.words)-1]
			}
			buf = append(buf, g.Text...)
			cur.x1 = math.Max(cur.x1, g.X+math.Max(g.W, 0))
			cur.size = math.Max(cur.size, size)
			last = g
		}
		if len(row.words) == 0 {
			continue
		}
		row.words[len(row.words)-1].text = string(buf)
		sort.Float64s(sizes)
		row.size = sizes[len(sizes)/2]
		row.y = pg.Height - ysum/float64(len(sizes))
		for i := range row.words {
			row.words[i].text = pdfCleanText(row.words[i].text)
		}
		row.line = len(out) + 1
		out = append(out, row)
	}
	return out
}

// pdfCleanText maps typographic variants to plain ones: non-breaking and other
// Unicode spaces, the minus sign and dashes used as minus.
func pdfCleanText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\u2212' || r == '\u2012' || r == '\u2013' || r == '\uFE63' || r == '\uFF0D':
			return '-'
		case r == '\u00A0' || r == '\u202F' || unicode.IsSpace(r):
			return ' '
		case r == '\u2019' || r == '\u2018':
			return '\''
		}
		return r
	}, s)
}

// pdfPhrases groups a row's words into cells: words closer than gapEm font
// sizes stay together.
func pdfPhrases(ws []pdfWord, gapEm float64) [][]pdfWord {
	var out [][]pdfWord
	for i, w := range ws {
		if i == 0 || w.x0-ws[i-1].x1 > gapEm*math.Max(math.Max(w.size, ws[i-1].size), 1) {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], w)
	}
	return out
}

func pdfSpanOf(ws []pdfWord) (x0, x1 float64) {
	x0, x1 = math.Inf(1), math.Inf(-1)
	for _, w := range ws {
		x0, x1 = math.Min(x0, w.x0), math.Max(x1, w.x1)
	}
	return x0, x1
}

func pdfOverlap(a0, a1, b0, b1 float64) float64 { return math.Min(a1, b1) - math.Max(a0, b0) }
