package pdftext

import (
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

// Layout renders the page as text on a character grid, the way
// `pdftotext -layout` does, so that columns line up and indentation
// survives: extraction templates written against pdftotext's output depend
// on that spacing.
//
// It follows poppler's physical layout (written from its description, not
// its code): glyphs make words; words grow into blocks, regions of text
// whose lines touch; inside a block, words on one baseline close enough
// make a line, joined by single spaces; columns are counted in characters:
// a line starts at the character of the lines before it (left to right)
// whose middle it has passed, a block at the share of the columns of every
// block it starts inside of, or three columns after a block wholly to its
// left. Lines are then printed top to bottom, those on one baseline side by
// side.
//
// A page beyond what a real page holds (more than maxLayoutWords words, or
// a layout of more than maxLayoutBytes) is printed line by line instead,
// runs apart by two spaces, since laying it out costs quadratic time.
func (p *Page) Layout() string {
	if len(p.Glyphs) > 20*maxLayoutWords {
		return p.linesLayout()
	}
	words := p.words()
	if len(words) == 0 {
		return ""
	}
	if len(words) > maxLayoutWords {
		return p.linesLayout()
	}
	blocks := growBlocks(words)
	var frags []*lline
	for _, b := range blocks {
		b.lines = linesOf(b.words)
		b.assignLineColumns()
		frags = append(frags, b.lines...)
	}
	assignBlockColumns(blocks)
	for _, b := range blocks {
		for _, l := range b.lines {
			l.col += b.col
		}
	}
	if out, ok := dump(frags); ok {
		return out
	}
	return p.linesLayout()
}

// Bounds on Layout's work and output; real pages hold a few thousand words
// and lay out in tens of kilobytes.
const (
	maxLayoutWords = 20_000
	maxLayoutBytes = 8 << 20
)

// linesLayout prints the page's lines, one per line.
func (p *Page) linesLayout() string {
	var b strings.Builder
	for _, l := range p.Lines() {
		b.WriteString(l.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// lword is a word: glyphs on one baseline with no gap between them.
type lword struct {
	xMin, xMax float64
	base, size float64 // base grows downwards, from the top of the page
	text       []rune
	edges      []float64 // left edge of each rune, then xMax
	used       bool
}

func (p *Page) words() []*lword {
	var out []*lword
	var cur *lword
	for _, g := range p.Glyphs {
		base := p.Height - g.Y
		if g.Space || g.Size <= 0 {
			cur = nil
			continue
		}
		if cur != nil {
			gap := g.X - cur.xMax
			if math.Abs(base-cur.base) > 0.5*cur.size || gap > 0.1*cur.size || gap < -0.5*cur.size ||
				math.Abs(g.Size-cur.size) > 0.05*cur.size {
				cur = nil
			}
		}
		if cur == nil {
			cur = &lword{xMin: g.X, xMax: g.X, base: base, size: g.Size}
			out = append(out, cur)
		}
		n := utf8.RuneCountInString(g.Text)
		k := 0
		for _, r := range g.Text {
			cur.text = append(cur.text, r)
			cur.edges = append(cur.edges, g.X+g.W*float64(k)/float64(max(n, 1)))
			k++
		}
		cur.xMax = math.Max(cur.xMax, g.X+g.W)
	}
	for _, w := range out {
		w.edges = append(w.edges, w.xMax)
	}
	return out
}

type lblock struct {
	words            []*lword
	xMin, xMax       float64
	minBase, maxBase float64
	lines            []*lline
	nCols, col       int
}

func (b *lblock) add(w *lword) {
	w.used = true
	if len(b.words) == 0 {
		b.xMin, b.xMax = w.xMin, w.xMax
	} else {
		b.xMin, b.xMax = math.Min(b.xMin, w.xMin), math.Max(b.xMax, w.xMax)
	}
	b.words = append(b.words, w)
}

// growBlocks takes the top-left word and grows a block around it until no
// word touches it: the lines just above and below that overlap it (same
// font size), words on its lines that overlap it or nearly do, and, when
// nothing else was found, up to three close words to its left or right.
func growBlocks(words []*lword) []*lblock {
	sorted := append([]*lword(nil), words...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].base != sorted[j].base {
			return sorted[i].base < sorted[j].base
		}
		return sorted[i].xMin < sorted[j].xMin
	})
	// The words with a baseline in [lo, hi]: every test below looks only
	// at lines near the block, so a block's growth costs the words near
	// it, not the page's.
	window := func(lo, hi float64) []*lword {
		i := sort.Search(len(sorted), func(i int) bool { return sorted[i].base >= lo })
		j := i + sort.Search(len(sorted)-i, func(k int) bool { return sorted[i+k].base > hi })
		return sorted[i:j]
	}
	var blocks []*lblock
	used, head := 0, 0
	for {
		// Words already in blocks are dropped from the list once they
		// are half of it, so dropping costs linear time in all.
		if used*2 > len(sorted) {
			k := 0
			for _, w := range sorted {
				if !w.used {
					sorted[k] = w
					k++
				}
			}
			sorted, used, head = sorted[:k], 0, 0
		}
		for head < len(sorted) && sorted[head].used {
			head++
		}
		// the left-most word among the top four text lines left
		var start *lword
		top := math.Inf(1)
		for _, w := range sorted[head:] {
			if w.used {
				continue
			}
			if math.IsInf(top, 1) {
				top = w.base
			}
			if w.base > top+4*w.size*1.2 {
				break
			}
			if start == nil || w.xMin < start.xMin {
				start = w
			}
		}
		if start == nil {
			return blocks
		}
		b := &lblock{}
		b.add(start)
		fs := start.size
		b.minBase, b.maxBase = start.base, start.base
		colSpace1, colSpace2 := 0.3*fs, 1.0*fs
		lineSpace, intra := 1.5*fs, 0.5*fs
		for found := true; found; {
			found = false
			newMin, newMax := b.minBase, b.maxBase
			for _, w := range window(b.minBase-lineSpace, b.maxBase+lineSpace) {
				if w.used || math.Abs(w.size-fs) >= 0.05*fs || w.xMin >= b.xMax || w.xMax <= b.xMin {
					continue
				}
				if w.base < b.minBase && w.base >= b.minBase-lineSpace {
					b.add(w)
					newMin, found = math.Min(newMin, w.base), true
				} else if w.base > b.maxBase && w.base <= b.maxBase+lineSpace {
					b.add(w)
					newMax, found = math.Max(newMax, w.base), true
				}
			}
			b.minBase, b.maxBase = newMin, newMax
			for _, w := range window(b.minBase-intra, b.maxBase+intra) {
				if !w.used && w.xMin < b.xMax+colSpace1 && w.xMax > b.xMin-colSpace1 && math.Abs(w.size-fs) < 0.6*fs {
					b.add(w)
					found = true
				}
			}
			if found {
				continue
			}
			// outlying words beside the block, one per text line, when
			// there are three or fewer of them
			for _, left := range []bool{true, false} {
				var near []*lword
				lines := map[float64]bool{}
				for _, w := range window(b.minBase-intra, b.maxBase+intra) {
					if w.used || math.Abs(w.size-fs) >= 0.2*fs {
						continue
					}
					if left && w.xMax <= b.xMin && w.xMax > b.xMin-colSpace2 || !left && w.xMin >= b.xMax && w.xMin < b.xMax+colSpace2 {
						key := math.Round(w.base)
						if !lines[key] {
							lines[key] = true
							near = append(near, w)
						}
					}
				}
				if len(near) > 0 && len(near) <= 3 {
					for _, w := range near {
						b.add(w)
						b.minBase, b.maxBase = math.Min(b.minBase, w.base), math.Max(b.maxBase, w.base)
					}
					found = true
				}
			}
		}
		blocks = append(blocks, b)
		used += len(b.words)
	}
}

// lline is a line of a block: words on one baseline, joined by spaces.
type lline struct {
	xMin, xMax float64
	base, size float64
	text       []rune
	edges      []float64
	col        int // the column of text[0]
}

// linesOf splits a block's words into lines: from the top-left word, the
// nearest word to the right on its baseline while the gap is under one and
// a half font sizes and nothing overlaps.
func linesOf(words []*lword) []*lline {
	left := append([]*lword(nil), words...)
	for _, w := range left {
		w.used = false
	}
	sort.SliceStable(left, func(i, j int) bool { return left[i].xMin < left[j].xMin })
	var out []*lline
	for {
		var first *lword
		for _, w := range left {
			if !w.used && (first == nil || w.base < first.base-0.5*first.size ||
				math.Abs(w.base-first.base) <= 0.5*first.size && w.xMin < first.xMin) {
				first = w
			}
		}
		if first == nil {
			return out
		}
		first.used = true
		l := &lline{xMin: first.xMin, xMax: first.xMax, base: first.base, size: first.size}
		l.text = append(l.text, first.text...)
		l.edges = append(l.edges, first.edges[:len(first.text)]...)
		last := first
		for {
			var next *lword
			for _, w := range left {
				if !w.used && math.Abs(w.base-first.base) <= 0.5*first.size {
					next = w // the left-most word left on this baseline
					break
				}
			}
			if next == nil {
				break
			}
			delta := next.xMin - last.xMax
			if delta < -0.5*first.size || delta >= 1.5*first.size {
				break
			}
			next.used = true
			l.text = append(l.text, ' ')
			l.edges = append(l.edges, last.xMax)
			l.text = append(l.text, next.text...)
			l.edges = append(l.edges, next.edges[:len(next.text)]...)
			l.xMax = math.Max(l.xMax, next.xMax)
			last = next
		}
		l.edges = append(l.edges, l.xMax)
		out = append(out, l)
	}
}

// assignLineColumns places a block's lines left to right, each at the
// character of every earlier line whose middle it has passed, or one column
// after an earlier line wholly to its left.
func (b *lblock) assignLineColumns() {
	lines := append([]*lline(nil), b.lines...)
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].xMin < lines[j].xMin })
	for i, l0 := range lines {
		col := 0
		for _, l1 := range lines[:i] {
			var c int
			if l0.xMin >= l1.xMax {
				c = l1.col + len(l1.text) + 1
			} else {
				k := 0
				for k < len(l1.text) && l0.xMin >= 0.5*(l1.edges[k]+l1.edges[k+1]) {
					k++
				}
				c = l1.col + k
			}
			col = max(col, c)
		}
		l0.col = col
		b.nCols = max(b.nCols, col+len(l0.text))
	}
}

// assignBlockColumns places blocks left to right: three columns after every
// block wholly to the left, or at the share of the columns of every block
// a block starts inside of.
func assignBlockColumns(blocks []*lblock) {
	sorted := append([]*lblock(nil), blocks...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].xMin < sorted[j].xMin })
	for i, b0 := range sorted {
		col := 0
		for _, b1 := range sorted[:i] {
			var c int
			switch {
			case b0.xMin > b1.xMax:
				c = b1.col + b1.nCols + 3
			case b1.xMax == b1.xMin:
				c = b1.col
			default:
				c = b1.col + int((b0.xMin-b1.xMin)/(b1.xMax-b1.xMin)*float64(b1.nCols))
			}
			col = max(col, c)
		}
		b0.col = col
	}
}

// dump prints the lines top to bottom; lines on one baseline go side by
// side in column order, and vertical gaps become up to five blank lines.
// ok is false when the text would be larger than maxLayoutBytes.
func dump(frags []*lline) (out string, ok bool) {
	sort.SliceStable(frags, func(i, j int) bool {
		if frags[i].base != frags[j].base {
			return frags[i].base < frags[j].base
		}
		return frags[i].xMin < frags[j].xMin
	})
	for i := 0; i < len(frags); {
		j := i + 1
		for j < len(frags) && math.Abs(frags[j].base-frags[i].base) < 0.5*frags[i].size {
			j++
		}
		group := frags[i:j]
		sort.SliceStable(group, func(a, b int) bool { return group[a].col < group[b].col })
		i = j
	}
	var b strings.Builder
	col := 0
	for i, f := range frags {
		if b.Len()+max(f.col-col, 0)+4*len(f.text)+6 > maxLayoutBytes {
			return "", false
		}
		for ; col < f.col; col++ {
			b.WriteByte(' ')
		}
		b.WriteString(string(f.text))
		col += len(f.text)
		if i == len(frags)-1 || frags[i+1].col < col || math.Abs(frags[i+1].base-f.base) > 0.5*f.size {
			d := 1
			if i < len(frags)-1 {
				d = int((frags[i+1].base - f.base) / f.size)
				d = min(max(d, 1), 5)
			}
			for ; d > 0; d-- {
				b.WriteByte('\n')
			}
			col = 0
		}
	}
	return b.String(), true
}
