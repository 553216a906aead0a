package statements

import (
	"math"
	"regexp"
	"sort"
	"strings"
)

// pdfCol is a table column, located by its header label and, for money
// columns, by the amounts printed under it.
type pdfCol struct {
	role   pdfRole
	label  string
	x0, x1 float64 // the label's extent
	// Learned from the amounts under a money column: amounts are usually
	// right-pdfAligned, so their right edges line up even when the label is
	// centred or shorter than the numbers.
	align        int // 0 not known, pdfAlignRight, pdfAlignLeft
	edge         float64
	minX0, maxX1 float64
	samples      int
	// dateEnd is where the dates under a date column end.
	dateEnd float64
}

const (
	pdfAlignRight = 1
	pdfAlignLeft  = 2
)

// pdfGroup is one set of columns. Most tables have one; a checks table
// printed twice side by side ("Date Check # Amount Date Check # Amount")
// has two.
type pdfGroup struct {
	cols   []pdfCol
	x0, x1 float64 // the words of the group lie in [x0, x1)
}

// pdfSection is a heading that says what the rows under it are.
type pdfSection struct {
	kind  pdfSectionKind
	title string
	row   *pdfRow
}

// pdfTable is a header and the rows under it, up to the next header or a
// heading that ends it, across pages.
type pdfTable struct {
	groups  []pdfGroup
	header  []*pdfRow
	section *pdfSection // the section the header is in, if any
	skip    bool        // under a summary or daily-balance heading
	rows    []pdfTableRow
}

type pdfTableRow struct {
	row     *pdfRow
	section *pdfSection
}

// pdfLabelCells splits a row into column labels: the longest run of close
// words that the vocabulary knows makes one label ("Transaction Date",
// "Payment type and details"); decorations ("(SGD)", "£") join the label
// before them; other words make unknown cells.
func pdfLabelCells(r *pdfRow) []pdfCol {
	ws := r.words
	em := r.em()
	var out []pdfCol
	for i := 0; i < len(ws); {
		best, role := -1, pdfRoleNone
		// Every word of a label is a label word: the span to try ends
		// before the first word that is not.
		last := i - 1
		for last+1 < len(ws) && last+1 <= i+5 && (pdfIsLabelWord(ws[last+1].text) || pdfHasCJK(ws[last+1].text)) {
			last++
		}
		for j := last; j >= i; j-- {
			wide := false
			for k := i + 1; k <= j; k++ {
				if ws[k].x0-ws[k-1].x1 > 1.2*em {
					wide = true
				}
			}
			if wide {
				continue
			}
			if rl := pdfLabelRole(pdfJoinWords(ws[i : j+1])); rl != pdfRoleNone {
				best, role = j, rl
				break
			}
		}
		if best >= 0 {
			out = append(out, pdfCol{role: role, label: pdfJoinWords(ws[i : best+1]), x0: ws[i].x0, x1: ws[best].x1})
			i = best + 1
			continue
		}
		w := ws[i]
		i++
		if n := len(out); n > 0 && w.x0-out[n-1].x1 < 1.0*em && (pdfDecoration.MatchString(w.text) || out[n-1].role == pdfRoleNone && w.x0-out[n-1].x1 < 0.8*em) {
			out[n-1].label += " " + w.text
			out[n-1].x1 = math.Max(out[n-1].x1, w.x1)
			continue
		}
		out = append(out, pdfCol{role: pdfRoleNone, label: w.text, x0: w.x0, x1: w.x1})
	}
	return out
}

// pdfHeaderScore tells whether cells make a transaction table's header: a date
// column, a money column other than the balance, three known labels, and
// few unknown ones.
func pdfHeaderScore(cols []pdfCol, em float64) (known int, ok bool) {
	var date, money bool
	for i, c := range cols {
		if c.role == pdfRoleNone {
			continue
		}
		known++
		date = date || c.role.isDate()
		money = money || c.role == pdfRoleAmount || c.role == pdfRoleDebit || c.role == pdfRoleCredit
		// Labels of a table stand apart; words of a sentence do not.
		if i > 0 && cols[i-1].role != pdfRoleNone && c.x0-cols[i-1].x1 < 0.5*em {
			return known, false
		}
	}
	return known, date && money && known >= 3 && known*10 >= len(cols)*6
}

// pdfRowHasValues reports whether a row holds an amount or a date: a header
// holds neither.
func pdfRowHasValues(r *pdfRow) bool {
	if r.values == 0 {
		r.values = 1
		for _, t := range r.tokens() {
			if t.money != nil {
				r.values = 2
			}
		}
		for _, p := range pdfPhrases(r.words, 0.8) {
			if r.values == 1 {
				if _, ok, _ := pdfScanDate(pdfJoinWords(p)); ok {
					r.values = 2
				}
			}
		}
	}
	return r.values == 2
}

// pdfMaxHeaderWords bounds a header line: real ones have a few dozen words,
// and the work on one grows with the square of its labels.
const pdfMaxHeaderWords = 64

// pdfHeaderAt reads a table header starting at rows[i]: one line, or two
// stacked lines ("Deposits/" over "Credits"). n is how many rows it takes.
func pdfHeaderAt(rows []pdfRow, i int) (cols []pdfCol, n int) {
	a := &rows[i]
	// A header's labels may stand on two lines, with one known word each
	// ("Check" over "Number"): the two lines together need two.
	na, sa := a.labelWords()
	if len(a.words) < 2 || len(a.words) > pdfMaxHeaderWords || na == 0 {
		return nil, 0
	}
	if na < 2 || !sa {
		if i+1 >= len(rows) || rows[i+1].page != a.page {
			return nil, 0
		}
		nb, sb := rows[i+1].labelWords()
		if na+nb < 2 || !sa && !sb {
			return nil, 0
		}
	}
	if pdfRowHasValues(a) {
		return nil, 0
	}
	ca := pdfLabelCells(a)
	knownA, okA := pdfHeaderScore(ca, a.em())
	if i+1 < len(rows) {
		b := &rows[i+1]
		if b.page == a.page && b.y-a.y > 0 && b.y-a.y <= 1.8*a.em() && len(b.words) <= pdfMaxHeaderWords && !pdfRowHasValues(b) && pdfSectionOf(a) == nil && len(ca) >= 2 {
			cb := pdfLabelCells(b)
			if merged, ok := pdfStackLabels(ca, cb); ok {
				knownM, okM := pdfHeaderScore(merged, a.em())
				_, okB := pdfHeaderScore(cb, b.em())
				if okM && knownM >= knownA && (okB || !okA || knownM > knownA) {
					return merged, 2
				}
			}
		}
	}
	if okA {
		return ca, 1
	}
	return nil, 0
}

// pdfStackLabels joins a two-line header: each lower label goes with the
// upper one it lies under ("Deposits/" over "Credits"). Labels of their own
// under one upper label ("Debit" and "Credit" under "Amount") replace it.
// ok is false when a lower label lies under two upper ones.
func pdfStackLabels(top, bottom []pdfCol) ([]pdfCol, bool) {
	under := make([][]pdfCol, len(top))
	var alone []pdfCol
	for _, b := range bottom {
		best, bestOv := -1, 0.0
		hits := 0
		for k, t := range top {
			ov := pdfOverlap(t.x0, t.x1, b.x0, b.x1)
			if ov > 0.3*math.Min(t.x1-t.x0, b.x1-b.x0) {
				hits++
			}
			if ov > bestOv {
				best, bestOv = k, ov
			}
		}
		if hits > 1 {
			return nil, false
		}
		if best < 0 || bestOv <= 0 {
			alone = append(alone, b)
			continue
		}
		under[best] = append(under[best], b)
	}
	var out []pdfCol
	for k, t := range top {
		bs := under[k]
		known := 0
		for _, b := range bs {
			if b.role != pdfRoleNone {
				known++
			}
		}
		if len(bs) > 1 && known == len(bs) {
			for _, b := range bs {
				b.label = t.label + " " + b.label
				out = append(out, b)
			}
			continue
		}
		for _, b := range bs {
			t.label += " " + b.label
			if r := pdfLabelRole(t.label); r != pdfRoleNone {
				t.role = r
			} else if t.role == pdfRoleNone {
				t.role = b.role
			}
			t.x0, t.x1 = math.Min(t.x0, b.x0), math.Max(t.x1, b.x1)
		}
		out = append(out, t)
	}
	out = append(out, alone...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].x0 < out[j].x0 })
	return out, true
}

// pdfSectionOf reads a row as a section heading: a line of words only, that
// names a section ("DEPOSITS AND ADDITIONS", "Checks paid (continued)").
func pdfSectionOf(r *pdfRow) *pdfSection {
	if len(r.words) == 0 || len(r.words) > 12 {
		return nil
	}
	for _, t := range r.tokens() {
		if t.money != nil {
			return nil
		}
	}
	if !pdfHeadingFirstWords[strings.ToLower(strings.Trim(r.words[0].text, ":&"))] {
		return nil
	}
	ps := pdfPhrases(r.words, 1.5)
	if len(ps) > 2 {
		return nil
	}
	title := pdfJoinWords(ps[0])
	kind, ok := pdfSectionHeadings[pdfNormHeading(title)]
	if !ok {
		return nil
	}
	return &pdfSection{kind: kind, title: strings.TrimSpace(pdfHeadingNoise.ReplaceAllString(title, "")), row: r}
}

// pdfGroupsOf splits a header into side-by-side copies when its roles repeat.
func pdfGroupsOf(cols []pdfCol) []pdfGroup {
	n := len(cols)
	for p := 2; p <= n/2; p++ {
		if n%p != 0 {
			continue
		}
		repeats := true
		for i := p; i < n; i++ {
			if cols[i].role != cols[i-p].role {
				repeats = false
				break
			}
		}
		if !repeats {
			continue
		}
		var gs []pdfGroup
		for g := 0; g < n/p; g++ {
			gs = append(gs, pdfGroup{cols: append([]pdfCol(nil), cols[g*p:(g+1)*p]...)})
		}
		return pdfBoundGroups(gs)
	}
	return pdfBoundGroups([]pdfGroup{{cols: cols}})
}

func pdfBoundGroups(gs []pdfGroup) []pdfGroup {
	for i := range gs {
		gs[i].x0 = math.Inf(-1)
		gs[i].x1 = math.Inf(1)
		if i > 0 {
			prev := gs[i-1].cols[len(gs[i-1].cols)-1]
			gs[i].x0 = (prev.x1 + gs[i].cols[0].x0) / 2
			gs[i-1].x1 = gs[i].x0
		}
	}
	return gs
}

// pdfToken is a word, or an amount with the currency and sign marks printed
// apart from it.
type pdfToken struct {
	x0, x1 float64
	numX1  float64 // where an amount's number ends, before a mark printed after it
	text   string
	money  *pdfMoney
	words  []pdfWord
}

// pdfTokenize joins amounts with the marks printed beside them.
func pdfTokenize(ws []pdfWord) []pdfToken {
	var out []pdfToken
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		em := math.Max(w.size, 1)
		start, end := i, i
		if pdfIsCurrencyWord(w.text) && i+1 < len(ws) && ws[i+1].x0-w.x1 < 0.6*em {
			if _, ok := pdfParseMoneyToken(ws[i+1].text); ok {
				end = i + 1
			}
		}
		if _, ok := pdfParseMoneyToken(pdfJoinWords(ws[start : end+1])); ok {
			// Marks and a currency code printed after it: "1,234.56 CR",
			// "1,234.56 USD".
			// A mark may stand a little apart, in a narrow column of its
			// own; a currency code stands close.
			for k := 0; k < 2 && end+1 < len(ws) && (pdfIsMarkWord(ws[end+1].text) && ws[end+1].x0-ws[end].x1 < 1.5*em ||
				pdfIsCurrencyWord(ws[end+1].text) && ws[end+1].x0-ws[end].x1 < 0.6*em); k++ {
				if _, ok := pdfParseMoneyToken(pdfJoinWords(ws[start : end+2])); !ok {
					break
				}
				end++
			}
			m, _ := pdfParseMoneyToken(pdfJoinWords(ws[start : end+1]))
			numEnd := end
			for numEnd > start && !strings.ContainsAny(ws[numEnd].text, "0123456789") {
				numEnd-- // the number, not the mark or code after it
			}
			out = append(out, pdfToken{x0: ws[start].x0, x1: ws[end].x1, numX1: ws[numEnd].x1, text: pdfJoinWords(ws[start : end+1]), money: &m, words: ws[start : end+1]})
			i = end
			continue
		}
		out = append(out, pdfToken{x0: w.x0, x1: w.x1, text: w.text, words: ws[i : i+1]})
	}
	return out
}

// pdfInGroup returns the tokens of a row that lie in a group's x-range.
func pdfInGroup(ts []pdfToken, g *pdfGroup) []pdfToken {
	if math.IsInf(g.x0, -1) && math.IsInf(g.x1, 1) {
		return ts // the only group
	}
	var out []pdfToken
	for _, t := range ts {
		if t.x0 >= g.x0 && t.x0 < g.x1 {
			out = append(out, t)
		}
	}
	return out
}

// learn finds how the amounts and dates under each column are placed.
func (t *pdfTable) learn() {
	for gi := range t.groups {
		g := &t.groups[gi]
		rights := make([][]float64, len(g.cols))
		lefts := make([][]float64, len(g.cols))
		for k := range g.cols {
			g.cols[k].minX0, g.cols[k].maxX1 = math.Inf(1), math.Inf(-1)
		}
		for _, tr := range t.rows {
			em := tr.row.em()
			toks := pdfInGroup(tr.row.tokens(), g)
			for _, tok := range toks {
				if tok.money == nil {
					continue
				}
				hit := -1
				for k, c := range g.cols {
					if c.role.isMoney() && pdfOverlap(c.x0-0.3*em, c.x1+0.3*em, tok.x0, tok.x1) > 0 {
						if hit >= 0 {
							hit = -2
							break
						}
						hit = k
					}
				}
				if hit >= 0 {
					rights[hit] = append(rights[hit], tok.numX1)
					lefts[hit] = append(lefts[hit], tok.x0)
					c := &g.cols[hit]
					c.minX0, c.maxX1 = math.Min(c.minX0, tok.x0), math.Max(c.maxX1, tok.x1)
				}
			}
			// Dates: the first phrase of the row, when it lies under a
			// date column and reads as a date.
			for k, c := range g.cols {
				if !c.role.isDate() {
					continue
				}
				for _, p := range pdfPhrases(pdfWordsOf(toks), 0.6) {
					x0, x1 := pdfSpanOf(p)
					if pdfOverlap(x0, x1, c.x0-2*em, c.x1+2*em) <= 0 {
						continue
					}
					if _, ok, _ := pdfScanDate(pdfJoinWords(p)); ok {
						g.cols[k].dateEnd = math.Max(g.cols[k].dateEnd, x1)
					}
				}
			}
		}
		for k := range g.cols {
			c := &g.cols[k]
			c.samples = len(rights[k])
			if c.samples == 0 {
				c.minX0, c.maxX1 = c.x0, c.x1
				continue
			}
			em := t.header[0].em()
			if e, ok := pdfAligned(rights[k], em); ok {
				c.align, c.edge = pdfAlignRight, e
			} else if e, ok := pdfAligned(lefts[k], em); ok {
				c.align, c.edge = pdfAlignLeft, e
			}
		}
	}
}

// pdfAligned reports whether most of xs line up, and where.
func pdfAligned(xs []float64, em float64) (float64, bool) {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	med := s[len(s)/2]
	n := 0
	for _, x := range s {
		if math.Abs(x-med) <= 0.6*em {
			n++
		}
	}
	return med, n*10 >= len(s)*8
}

func pdfWordsOf(ts []pdfToken) []pdfWord {
	var out []pdfWord
	for _, t := range ts {
		out = append(out, t.words...)
	}
	return out
}

// moneyColumn tells which money column an amount belongs to: the one whose
// amounts it lines up with, else the one whose label it lies under. It
// returns -1 when the amount is not in a money column (a number inside a
// description), and -2 when two columns fit it equally.
func (g *pdfGroup) moneyColumn(tok pdfToken, em float64) int {
	best, second := -1, math.Inf(1)
	bestD := math.Inf(1)
	for k, c := range g.cols {
		if !c.role.isMoney() {
			continue
		}
		d := math.Inf(1)
		switch c.align {
		case pdfAlignRight:
			d = math.Min(math.Abs(tok.numX1-c.edge), math.Abs(tok.x1-c.edge))
		case pdfAlignLeft:
			d = math.Abs(tok.x0 - c.edge)
		}
		if d > 1.0*em {
			d = math.Inf(1)
		}
		if math.IsInf(d, 1) && pdfOverlap(c.x0-0.3*em, c.x1+0.3*em, tok.x0, tok.x1) > 0 {
			d = 1.5 * em // under the label, not lined up with the others
		}
		if math.IsInf(d, 1) && c.samples > 0 && pdfOverlap(c.minX0, c.maxX1, tok.x0, tok.x1) > 0 {
			d = 2 * em
		}
		if d < bestD {
			best, second, bestD = k, bestD, d
		} else if d < second {
			second = d
		}
	}
	if best < 0 || math.IsInf(bestD, 1) {
		return -1
	}
	if !math.IsInf(second, 1) && second-bestD < 0.3*em {
		return -2
	}
	return best
}

// zoneOf returns the money column whose printed area holds x, or -1.
func (g *pdfGroup) moneyZoneAt(x, em float64) int {
	for k, c := range g.cols {
		if !c.role.isMoney() {
			continue
		}
		x0, x1 := math.Min(c.x0, c.minX0), math.Max(c.x1, c.maxX1)
		if c.align == pdfAlignRight {
			x1 = math.Max(x1, c.edge)
		}
		if x >= x0-0.3*em && x <= x1+0.3*em {
			return k
		}
	}
	return -1
}

// textColumnAt returns the text column a word starting at x belongs to.
func (g *pdfGroup) textColumnAt(x, em float64) int {
	col := -1
	for k, c := range g.cols {
		if c.role.isMoney() || c.role == pdfRoleNone && k > 0 {
			continue
		}
		start := c.x0 - 0.5*em
		if col >= 0 && g.cols[col].role.isDate() && g.cols[col].dateEnd > 0 {
			// A date column ends where its dates end, even when the next
			// label is centred further right.
			start = math.Min(start, g.cols[col].dateEnd+0.4*em)
		}
		if col < 0 || x >= start {
			col = k
		}
	}
	return col
}

// atLeftEdge reports whether a row starts in the group's first column, as
// headings and labels do, not under a later one, as a description does.
func (g *pdfGroup) atLeftEdge(r *pdfRow) bool {
	if len(r.words) == 0 || len(g.cols) < 2 {
		return false
	}
	em := r.em()
	x := r.words[0].x0
	return x < g.cols[1].x0-0.5*em && g.textColumnAt(x, em) <= 0
}

// pdfRowCells is a table row read through its columns.
type pdfRowCells struct {
	entries  []pdfCellText      // the row's words by column, left to right
	dates    map[pdfRole]string // date column texts
	text     map[pdfRole][]string
	money    map[pdfRole]pdfMoney
	moneyCol map[pdfRole]string // the label of the column each amount came from
	moneyTok map[int]pdfToken   // the amounts by column index
	// err is why the row cannot be read, if it is a transaction line;
	// unread is words in a money column, an error on a transaction line.
	err, unread error
	all         []pdfMoney // every amount in the row, left to right
	leftText    bool       // text (not a date) starts in the first column
}

func (rc *pdfRowCells) fail(err error) {
	if rc.err == nil {
		rc.err = err
	}
}

// pdfNumberLike is a number with a separator or a sign mark ("1.234,56",
// "12,5", "(7.5)"): in a money column, an amount in a form Ferry does not
// read, never text.
var pdfNumberLike = regexp.MustCompile(`^[-+(]?[$£€]?\d[\d,.' ]*[.,][\d,.' ]*\d\)?(CR|DR|-)?$|^[-+(]?[$£€]?\d+[.,]\d\)?$`)

type pdfCellText struct {
	role pdfRole
	col  int
	text string
}

// cellsOf reads a row's tokens through the group's columns. An amount that
// two columns fit equally, two amounts in one column, or words that are no
// amount in a money column are errors.
func (g *pdfGroup) cellsOf(r *pdfRow, toks []pdfToken) (pdfRowCells, error) {
	em := r.em()
	rc := pdfRowCells{dates: map[pdfRole]string{}, text: map[pdfRole][]string{}, money: map[pdfRole]pdfMoney{}, moneyCol: map[pdfRole]string{}, moneyTok: map[int]pdfToken{}}
	prevCol, prevX1 := -1, math.Inf(-1)
	for _, t := range toks {
		if t.money != nil {
			rc.all = append(rc.all, *t.money)
			k := g.moneyColumn(t, em)
			if k == -2 {
				rc.fail(pdfErrorfAt(r, "amount %q lies between two columns", t.text))
				continue
			}
			if k >= 0 {
				role := g.cols[k].role
				if _, dup := rc.money[role]; dup {
					rc.fail(pdfErrorfAt(r, "two amounts in the %s column (%q)", strings.ToLower(g.cols[k].label), t.text))
					continue
				}
				rc.money[role] = *t.money
				rc.moneyCol[role] = g.cols[k].label
				rc.moneyTok[k] = t
				prevCol, prevX1 = -1, t.x1
				continue
			}
			// An amount under a label Ferry does not know: a column of
			// money it cannot name is an error, never description text.
			for _, c := range g.cols[1:] {
				if c.role == pdfRoleNone && pdfOverlap(c.x0-0.5*em, c.x1+0.5*em, t.x0, t.x1) > 0 {
					rc.fail(pdfErrorfAt(r, "amount %q is under the column %q, which Ferry does not know", t.text, c.label))
				}
			}
		}
		k := g.textColumnAt(t.x0, em)
		cont := prevCol >= 0 && t.x0-prevX1 < 0.45*em
		if cont && k != prevCol && !g.cols[prevCol].role.isDate() {
			k = prevCol // a description running on under the next label
		}
		if z := g.moneyZoneAt(t.x0, em); z >= 0 && !cont {
			if pdfIsPlaceholder(t.text) {
				prevCol, prevX1 = -1, t.x1
				continue
			}
			// Words that start inside a money column, left of any text
			// column there: an amount Ferry cannot read in full.
			if k < 0 || g.cols[k].x0 < g.cols[z].x0 {
				err := pdfErrorfAt(r, "%s column: %q is not an amount Ferry can read", strings.ToLower(g.cols[z].label), t.text)
				if pdfNumberLike.MatchString(t.text) {
					rc.fail(err) // a number Ferry cannot read: never text
					continue
				}
				rc.unread = err // words: an error only on a transaction line
			}
		}
		if k < 0 {
			continue
		}
		role := g.cols[k].role
		if role == pdfRoleNone {
			role = pdfRoleDescription
		}
		rc.entries = append(rc.entries, pdfCellText{role: role, col: k, text: t.text})
		prevCol, prevX1 = k, t.x1
	}
	for _, e := range rc.entries {
		if e.role.isDate() {
			rc.dates[e.role] = strings.TrimSpace(rc.dates[e.role] + " " + e.text)
		}
	}
	// A date column that holds no date holds text: "BALANCE B/F" printed
	// from the left edge.
	for role, s := range rc.dates {
		if _, ok, _ := pdfScanDate(s); !ok {
			delete(rc.dates, role)
			for i := range rc.entries {
				if rc.entries[i].role == role {
					rc.entries[i].role = pdfRoleDescription
				}
			}
		}
	}
	for _, e := range rc.entries {
		if !e.role.isDate() {
			rc.text[e.role] = append(rc.text[e.role], e.text)
			if e.col == 0 {
				rc.leftText = true
			}
		}
	}
	return rc, nil
}

func pdfIsPlaceholder(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "-", "--", "—", "nil", "n/a", "–":
		return true
	}
	return false
}
