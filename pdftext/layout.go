package pdftext

import (
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

// Layout renders the page as text on a character grid, the way
// `pdftotext -layout` does: each run starts at the column its x position
// maps to, so columns line up and indentation survives. Extraction
// templates written against pdftotext's output depend on that spacing.
func (p *Page) Layout() string {
	lines := p.Lines()
	cw := p.charWidth()
	minX := math.Inf(1)
	for _, l := range lines {
		if len(l.Runs) > 0 {
			minX = math.Min(minX, l.Runs[0].X)
		}
	}
	var b strings.Builder
	var prevY float64
	for i, l := range lines {
		if i > 0 {
			// Blank lines where pdftotext leaves vertical gaps: one per
			// extra line height.
			gap := l.Y - prevY
			h := lineHeight(l)
			for k := 1.0; h > 0 && gap > h*(k+0.8) && k < 4; k++ {
				b.WriteByte('\n')
			}
		}
		prevY = l.Y
		col := 0
		for _, r := range l.Runs {
			want := int(math.Round((r.X - minX) / cw))
			if want <= col && col > 0 {
				want = col + 1
			}
			for col < want {
				b.WriteByte(' ')
				col++
			}
			b.WriteString(r.S)
			col += utf8.RuneCountInString(r.S)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func lineHeight(l Line) float64 {
	h := 0.0
	for _, g := range l.Glyphs {
		h = math.Max(h, g.Size)
	}
	return h
}

// charWidth is the page's typical character advance: the median width of
// its visible glyphs (a CJK glyph counts as two cells, as in pdftotext).
func (p *Page) charWidth() float64 {
	var ws []float64
	for _, g := range p.Glyphs {
		if g.Space || g.W <= 0 {
			continue
		}
		w := g.W
		if r, _ := utf8.DecodeRuneInString(g.Text); r >= 0x2e80 {
			w /= 2
		}
		ws = append(ws, w)
	}
	if len(ws) == 0 {
		return 5
	}
	sort.Float64s(ws)
	return math.Max(ws[len(ws)/2], 0.5)
}
