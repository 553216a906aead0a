package einvoice

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/pdftext"
	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// maxOFDPart bounds what one part of an OFD package may unpack to, and
// maxOFDTotal what all the parts read may unpack to together, so that a
// decompression bomb is refused instead of exhausting memory.
const (
	maxOFDPart  = 32 << 20
	maxOFDTotal = 128 << 20
	maxGlyphs   = 1 << 20 // glyphs on all pages of one OFD
	// maxPageGlyphs bounds one page's glyphs, template included: a dense
	// 销货清单 page has a few thousand, and laying out a row costs more
	// than linear time in its length.
	maxPageGlyphs = 20000
)

type ofdPackage struct {
	name     string
	files    map[string]*zip.File
	folded   map[string]*zip.File // by lower-case name
	unpacked int64                // bytes unpacked so far
}

func newOFDPackage(name string, zr *zip.Reader) *ofdPackage {
	p := &ofdPackage{name: name, files: map[string]*zip.File{}, folded: map[string]*zip.File{}}
	for _, f := range zr.File {
		n := strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(f.Name, "\\", "/")), "/")
		p.files[n] = f
		p.folded[strings.ToLower(n)] = f
	}
	return p
}

// part finds a part by name. Producers on Windows write references whose
// case differs from the stored name (BaseLoc="TPLS/Tpl_0/Content.xml" for
// Doc_0/Tpls/Tpl_0/Content.xml), which their readers resolve because
// Windows paths ignore case: so does this one, when the exact name is
// missing.
func (p *ofdPackage) part(name string) (*zip.File, bool) {
	n := strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(name, "\\", "/")), "/")
	if f, ok := p.files[n]; ok {
		return f, true
	}
	f, ok := p.folded[strings.ToLower(n)]
	return f, ok
}

func (p *ofdPackage) has(name string) bool {
	_, ok := p.part(name)
	return ok
}

func (p *ofdPackage) read(name string) ([]byte, error) {
	f, ok := p.part(name)
	if !ok {
		return nil, fmt.Errorf("%s: no part %s", p.name, name)
	}
	if f.UncompressedSize64 > maxOFDPart {
		return nil, fmt.Errorf("%s: part %s unpacks to %d bytes, over the %d limit", p.name, name, f.UncompressedSize64, maxOFDPart)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", p.name, name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxOFDPart+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", p.name, name, err)
	}
	if len(b) > maxOFDPart {
		return nil, fmt.Errorf("%s: part %s unpacks past the %d-byte limit", p.name, name, maxOFDPart)
	}
	p.unpacked += int64(len(b))
	if p.unpacked > maxOFDTotal {
		return nil, fmt.Errorf("%s: the parts read unpack past the %d-byte limit", p.name, maxOFDTotal)
	}
	return b, nil
}

// xmlElem is a namespace-free XML element.
type xmlElem struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []xmlElem  `xml:",any"`
}

func (e *xmlElem) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// walk visits e and its descendants; the decoder's depth limit bounds it.
func (e *xmlElem) walk(fn func(*xmlElem)) {
	fn(e)
	for i := range e.Children {
		e.Children[i].walk(fn)
	}
}

func parseElem(b []byte) (*xmlElem, error) {
	var e xmlElem
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "utf8":
			return r, nil
		case "gbk", "gb2312", "gb18030", "cp936":
			// Chinese producers' XML declared in the national encodings
			// (GB18030 is a superset of GBK and GB2312).
			return simplifiedchinese.GB18030.NewDecoder().Reader(r), nil
		}
		return nil, fmt.Errorf("encoding %s: only UTF-8 and GB18030 (GBK, GB2312) are read", label)
	}
	if err := dec.Decode(&e); err != nil {
		return nil, err
	}
	return &e, nil
}

func floats(s string) []float64 {
	var out []float64
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil
		}
		out = append(out, v)
	}
	return out
}

// deltas expands an OFD DeltaX/DeltaY list: "g N v" repeats v N times.
func deltas(s string, limit int) []float64 {
	fs := strings.Fields(s)
	var out []float64
	for i := 0; i < len(fs) && len(out) < limit; i++ {
		if fs[i] == "g" && i+2 < len(fs) {
			n, err1 := strconv.Atoi(fs[i+1])
			v, err2 := strconv.ParseFloat(fs[i+2], 64)
			if err1 != nil || err2 != nil || n < 0 {
				return out
			}
			for j := 0; j < n && len(out) < limit; j++ {
				out = append(out, v)
			}
			i += 2
			continue
		}
		v, err := strconv.ParseFloat(fs[i], 64)
		if err != nil {
			return out
		}
		out = append(out, v)
	}
	return out
}

// ofdText is one text object: its glyphs in page space (millimetres, y
// down) and its text.
type ofdText struct {
	id     string
	text   string
	glyphs []pdftext.Glyph
}

// textObjects lays out the text objects of a page or template content:
// Boundary gives the object's origin, CTM scales within it, TextCode X/Y
// start a run and DeltaX/DeltaY step from glyph to glyph.
func textObjects(e *xmlElem, height float64, budget *int) []ofdText {
	var out []ofdText
	e.walk(func(o *xmlElem) {
		if o.XMLName.Local != "TextObject" || *budget <= 0 {
			return
		}
		bd := floats(o.attr("Boundary"))
		if len(bd) < 2 {
			return
		}
		ctm := []float64{1, 0, 0, 1, 0, 0}
		if c := floats(o.attr("CTM")); len(c) == 6 {
			ctm = c
		}
		size, _ := strconv.ParseFloat(o.attr("Size"), 64)
		if size <= 0 {
			size = 3.5
		}
		t := ofdText{id: o.attr("ID")}
		// Text turned on the page (the seal's ring of characters) is no
		// field's value and would scatter over the rows it crosses: keep
		// its text for the tags, lay none of its glyphs out.
		turned := math.Abs(ctm[1]) > 1e-3*math.Abs(ctm[0]) || math.Abs(ctm[2]) > 1e-3*math.Abs(ctm[3]) || ctm[0] <= 0 || ctm[3] <= 0
		var x, y float64
		for _, c := range o.Children {
			if c.XMLName.Local != "TextCode" {
				continue
			}
			if v, err := strconv.ParseFloat(c.attr("X"), 64); err == nil {
				x = v
			}
			if v, err := strconv.ParseFloat(c.attr("Y"), 64); err == nil {
				y = v
			}
			text := c.Text
			if strings.HasPrefix(strings.TrimLeft(text, " \t\r"), "\n") {
				// Whitespace with a line break around a value is an XML
				// pretty-printer's indentation, not printed text: drawn,
				// it would push every glyph off its DeltaX.
				text = strings.TrimLeft(text, " \t\r\n")
			}
			if t := strings.TrimRight(text, " \t\r"); strings.HasSuffix(t, "\n") {
				text = strings.TrimRight(text, " \t\r\n")
			}
			n := utf8.RuneCountInString(text)
			dx, dy := deltas(c.attr("DeltaX"), n), deltas(c.attr("DeltaY"), n)
			i := 0
			for _, r := range text {
				if *budget <= 0 {
					break
				}
				*budget--
				adv := size
				if r < 0x2E80 {
					adv = size / 2
				}
				if i < len(dx) {
					adv = dx[i]
				}
				px := bd[0] + ctm[0]*x + ctm[2]*y + ctm[4]
				py := bd[1] + ctm[1]*x + ctm[3]*y + ctm[5]
				// A glyph is as wide as the font draws it, at most an em,
				// not as far as DeltaX moves on: labels spread out by
				// DeltaX (月 … 日) must show their gaps.
				em := size * ctm[3]
				w := math.Min(adv*ctm[0], em)
				if w <= 0 {
					w = em
				}
				s := string(r)
				if !turned {
					t.glyphs = append(t.glyphs, pdftext.Glyph{X: px, Y: height - py, W: w, Size: size * ctm[3], Text: s, Space: strings.TrimSpace(s) == ""})
				}
				x += adv
				if i < len(dy) {
					y += dy[i]
				}
				i++
			}
			t.text += text
		}
		out = append(out, t)
	})
	return out
}

// ParseOFD reads an OFD invoice package (GB/T 33190).
func ParseOFD(name string, data []byte) (ferry.Invoice, error) {
	return ParseOFDContext(context.Background(), name, data)
}

// ParseOFDContext reads an OFD invoice package (GB/T 33190): its pages'
// text objects, with the template pages that hold the printed labels and
// the title (电子发票（增值税专用发票）…), are read like a PDF page; the
// fields that Doc_0/Tags/CustomTag.xml maps to text objects then take
// precedence, and a tag that disagrees with the page is a flag.
func ParseOFDContext(ctx context.Context, name string, data []byte) (ferry.Invoice, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return ferry.Invoice{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "not an OFD package (a ZIP): %v", err)
	}
	pkg := newOFDPackage(name, zr)
	bad := func(format string, args ...any) error {
		return ferry.Errorf(ferry.ClassDocumentChanged, name, format, args...)
	}
	if !pkg.has("OFD.xml") {
		// Invoicing platforms also send ZIP bundles of an invoice's PDF, OFD
		// and XML: name them, so that a person unpacks the bundle.
		var inner []string
		for n := range pkg.files {
			if ext := strings.ToLower(path.Ext(n)); (ext == ".pdf" || ext == ".ofd" || ext == ".xml") && len(inner) < 8 {
				inner = append(inner, n)
			}
		}
		sort.Strings(inner)
		if len(inner) > 0 {
			return ferry.Invoice{}, bad("a ZIP without OFD.xml holding %s: a bundle of invoice files, not an OFD package; unpack it and parse the files", strings.Join(inner, ", "))
		}
		return ferry.Invoice{}, bad("a ZIP without OFD.xml: not an OFD package (closest: an OFD invoice)")
	}
	docRoot := "Doc_0/Document.xml"
	var custom map[string]string
	if b, err := pkg.read("OFD.xml"); err == nil {
		if e, err := parseElem(b); err == nil {
			if s := findText(e, "DocRoot"); s != "" {
				docRoot = strings.TrimPrefix(path.Clean("/"+s), "/")
			}
			custom = map[string]string{}
			e.walk(func(c *xmlElem) {
				if c.XMLName.Local == "CustomData" {
					custom[c.attr("Name")] = strings.TrimSpace(c.Text)
				}
			})
		}
	}
	docDir := path.Dir(docRoot)
	docXML, err := pkg.read(docRoot)
	if err != nil {
		return ferry.Invoice{}, bad("%v", err)
	}
	doc, err := parseElem(docXML)
	if err != nil {
		return ferry.Invoice{}, bad("%s: %v", docRoot, err)
	}
	// Some producers write the invoice as plain labelled lines.
	var lines []string
	for _, c := range doc.Children {
		if c.XMLName.Local == "Line" {
			lines = append(lines, strings.TrimSpace(c.Text))
		}
	}
	if len(lines) > 0 {
		inv, err := ParseText(name, strings.Join(lines, "\n"))
		if err == nil {
			inv.Notes = append(inv.Notes, "read from the labelled lines of "+docRoot)
		}
		return inv, err
	}
	pages, texts, err := ofdPages(ctx, pkg, doc, docDir, docRoot)
	if err != nil {
		return ferry.Invoice{}, bad("%v", err)
	}
	inv, err := fromPages(name, pages)
	if err != nil {
		return inv, err
	}
	r := &reader{where: name, inv: inv}
	r.overlayTags(pkg, doc, docDir, texts)
	r.overlayCustomData(custom)
	r.overlayAttachment(pkg)
	r.inv.Red = r.inv.Total.IsNegative()
	return r.inv, nil
}

// ofdPages lays out the text of every page of an OFD document, with the
// template pages that hold its printed labels, as lines like a PDF page's;
// texts maps each text object's id to its text, for CustomTag.xml.
func ofdPages(ctx context.Context, pkg *ofdPackage, doc *xmlElem, docDir, docRoot string) (pages [][]pdftext.Line, texts map[string]string, err error) {
	height := 140.0
	if pb := floats(findText(doc, "PhysicalBox")); len(pb) == 4 {
		height = pb[3]
	}
	templates := map[string]string{}
	var pagePaths []string
	doc.walk(func(e *xmlElem) {
		switch e.XMLName.Local {
		case "TemplatePage":
			templates[e.attr("ID")] = locate(docDir, e.attr("BaseLoc"))
		case "Page":
			if e.attr("BaseLoc") != "" {
				pagePaths = append(pagePaths, locate(docDir, e.attr("BaseLoc")))
			}
		}
	})
	if len(pagePaths) == 0 {
		return nil, nil, fmt.Errorf("%s lists no pages", docRoot)
	}
	if len(pagePaths) > maxPages {
		return nil, nil, fmt.Errorf("%d pages: more than an invoice has (limit %d)", len(pagePaths), maxPages)
	}
	budget := maxGlyphs
	texts = map[string]string{}   // text object id → text
	tpls := map[string]*xmlElem{} // parsed template pages, read once
	for n, pp := range pagePaths {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		b, err := pkg.read(pp)
		if err != nil {
			return nil, nil, err
		}
		pe, err := parseElem(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", pp, err)
		}
		h := height
		if pb := floats(findText(pe, "PhysicalBox")); len(pb) == 4 {
			h = pb[3]
		}
		pg := &pdftext.Page{Height: h}
		left := min(budget, maxPageGlyphs)
		for _, t := range textObjects(pe, h, &left) {
			texts[t.id] = t.text
			pg.Glyphs = append(pg.Glyphs, t.glyphs...)
		}
		// The template holds the labels and the title: read it with the page.
		var tplIDs []string
		pe.walk(func(e *xmlElem) {
			if e.XMLName.Local == "Template" {
				tplIDs = append(tplIDs, e.attr("TemplateID"))
			}
		})
		if len(tplIDs) == 0 && len(templates) == 1 {
			for id := range templates {
				tplIDs = append(tplIDs, id)
			}
		}
		for _, id := range tplIDs {
			tp, ok := templates[id]
			if !ok {
				continue
			}
			te := tpls[tp]
			if te == nil {
				tb, err := pkg.read(tp)
				if err != nil {
					return nil, nil, err
				}
				if te, err = parseElem(tb); err != nil {
					return nil, nil, fmt.Errorf("%s: %w", tp, err)
				}
				tpls[tp] = te
			}
			for _, t := range textObjects(te, h, &left) {
				pg.Glyphs = append(pg.Glyphs, t.glyphs...)
			}
		}
		switch {
		case left <= 0 && budget <= maxPageGlyphs:
			return nil, nil, fmt.Errorf("more than %d characters of text: not an invoice", maxGlyphs)
		case left <= 0:
			return nil, nil, fmt.Errorf("page %d has more than %d characters: not an invoice's page", n+1, maxPageGlyphs)
		}
		budget -= min(budget, maxPageGlyphs) - left
		sortGlyphs(pg.Glyphs)
		pages = append(pages, pg.Lines())
	}
	return pages, texts, nil
}

// sortGlyphs puts an OFD page's glyphs in reading order along each
// baseline, word by word. OFD positions every glyph exactly, and the values
// on the page and the labels on its template are separate objects that
// interleave on one baseline (a date's 2024 … 11 … 07 between the
// template's 年, 月 and 日): in drawing order they would read as
// overlapping strings. Words (glyphs without a space or a gap between
// them) stay whole, so that two strings that do overlap are not mixed
// character by character.
//
// Baselines are snapped to a 0.05 mm grid first: a label on the template
// and its value on the page share a baseline up to the last bits of their
// arithmetic, and must not fall on different sides of a row's tolerance.
// Rows are then clustered by baseline.
func sortGlyphs(gs []pdftext.Glyph) {
	for i := range gs {
		gs[i].Y = math.Round(gs[i].Y*20) / 20
	}
	var words [][]pdftext.Glyph
	for i, g := range gs {
		if n := len(words); n > 0 && i > 0 {
			last := gs[i-1]
			size := math.Max(math.Max(g.Size, last.Size), 1e-3)
			gap := g.X - (last.X + last.W)
			if !g.Space && !last.Space && g.Y == last.Y && gap < 0.6*size && gap > -0.3*size {
				words[n-1] = append(words[n-1], g)
				continue
			}
		}
		words = append(words, []pdftext.Glyph{g})
	}
	// Rows: baselines within a fifth of the font size (a colon set a
	// little lower than its label) go together, left to right.
	sort.SliceStable(words, func(i, j int) bool { return words[i][0].Y > words[j][0].Y })
	out := gs[:0:0]
	for i := 0; i < len(words); {
		ref := words[i][0]
		j := i + 1
		for j < len(words) && ref.Y-words[j][0].Y <= 0.2*math.Max(ref.Size, words[j][0].Size) {
			j++
		}
		row := words[i:j]
		sort.SliceStable(row, func(a, b int) bool { return row[a][0].X < row[b][0].X })
		for _, w := range row {
			out = append(out, w...)
		}
		i = j
	}
	copy(gs, out)
}

// locate resolves a part reference (ST_Loc) made in directory dir: a
// reference that starts with "/" is from the package root (GB/T 33190
// allows both, and producers use both).
func locate(dir, loc string) string {
	loc = strings.ReplaceAll(strings.TrimSpace(loc), "\\", "/")
	if strings.HasPrefix(loc, "/") {
		return strings.TrimPrefix(path.Clean(loc), "/")
	}
	return path.Join(dir, loc)
}

func findText(e *xmlElem, name string) string {
	var out string
	found := false
	e.walk(func(c *xmlElem) {
		if !found && c.XMLName.Local == name {
			out, found = strings.TrimSpace(c.Text), true
		}
	})
	return out
}

// overlayTags takes the fields CustomTag.xml names: a semantic map from
// field to text objects that the tax bureau's producers write.
func (r *reader) overlayTags(pkg *ofdPackage, doc *xmlElem, docDir string, texts map[string]string) {
	tagPath := path.Join(docDir, "Tags", "CustomTag.xml")
	if idx := findText(doc, "CustomTags"); idx != "" {
		ip := locate(docDir, idx)
		if b, err := pkg.read(ip); err == nil {
			if e, err := parseElem(b); err == nil {
				if loc := findText(e, "FileLoc"); loc != "" {
					tagPath = locate(path.Dir(ip), loc)
				}
			}
		}
	}
	if !pkg.has(tagPath) {
		return
	}
	b, err := pkg.read(tagPath)
	if err != nil {
		r.flag("%s: %v", tagPath, err)
		return
	}
	tags, err := parseElem(b)
	if err != nil {
		r.flag("%s: %v", tagPath, err)
		return
	}
	vals := map[string][]string{}
	tags.walk(func(e *xmlElem) {
		var parts []string
		refs := 0
		for _, c := range e.Children {
			if c.XMLName.Local == "ObjectRef" {
				refs++
				parts = append(parts, texts[strings.TrimSpace(c.Text)])
			}
		}
		if refs > 0 {
			vals[e.XMLName.Local] = append(vals[e.XMLName.Local], strings.TrimSpace(normalize(strings.Join(parts, ""))))
		}
	})
	get := func(k string) string {
		if v := vals[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	inv := &r.inv
	for _, f := range []struct {
		tag, field string
		dst        *string
		id         bool
	}{
		{"InvoiceNo", "发票号码", &inv.Number, true}, {"InvoiceCode", "发票代码", &inv.Code, true},
		{"InvoiceCheckCode", "校验码", &inv.CheckCode, true}, {"MachineNo", "机器编号", &inv.MachineNo, true},
		{"BuyerName", "购买方名称", &inv.BuyerName, false}, {"BuyerTaxID", "购买方纳税人识别号", &inv.BuyerTaxID, true},
		{"SellerName", "销售方名称", &inv.SellerName, false}, {"SellerTaxID", "销售方纳税人识别号", &inv.SellerTaxID, true},
	} {
		v := get(f.tag)
		if f.id {
			v = strings.ToUpper(strings.ReplaceAll(halfwidth(v), " ", ""))
		}
		r.takeTag(f.tag, f.field, v, f.dst)
	}
	if s := get("IssueDate"); s != "" {
		if d, ok := parseDate(s); !ok {
			r.flag("CustomTag IssueDate %q is not a date", s)
		} else if inv.IssueDate.IsZero() {
			inv.IssueDate = d
		} else if d != inv.IssueDate {
			r.flag("开票日期: CustomTag says %s, the page %s", d, inv.IssueDate)
		}
	}
	for _, f := range []struct {
		tag, field string
		dst        *decimalField
	}{
		{"TaxExclusiveTotalAmount", "合计金额", &decimalField{&inv.Amount, &inv.AmountStated}},
		{"TaxTotalAmount", "合计税额", &decimalField{&inv.Tax, nil}},
		{"TaxInclusiveTotalAmount", "价税合计", &decimalField{&inv.Total, nil}},
	} {
		r.takeFigure(f.tag, f.field, get(f.tag), f.dst)
	}
	if n := len(vals["Item"]); n > 0 && n != len(inv.Items) {
		r.flag("CustomTag lists %d items, the page's item table %d", n, len(inv.Items))
	}
}

// takeTag sets a text field from a tag: the tag wins where the page gave
// nothing; a tag that differs from the page is a flag.
func (r *reader) takeTag(tag, field, v string, dst *string) {
	switch {
	case v == "":
	case *dst == "":
		*dst = v
	case *dst != v:
		r.flag("%s: CustomTag %s says %q, the page %q", field, tag, v, *dst)
	}
}

func (r *reader) takeFigure(tag, field, v string, f *decimalField) {
	if v == "" {
		return
	}
	if taxWord(v) {
		if !f.d.IsZero() {
			r.flag("%s: CustomTag %s says %q, the page %s", field, tag, v, f.d.StringFixed(2))
		}
		return
	}
	d, err := parseMoney(v)
	if err != nil {
		r.flag("%s: CustomTag %s: %v", field, tag, err)
		return
	}
	if f.stated != nil && !*f.stated || f.stated == nil && f.d.IsZero() {
		*f.d = d
		if f.stated != nil {
			*f.stated = true
		}
		return
	}
	if !f.d.Equal(d) {
		r.flag("%s: CustomTag %s says %s, the page %s", field, tag, d.StringFixed(2), f.d.StringFixed(2))
	}
}

// decimalField is a figure of the invoice and, where it has one, the flag
// that says it was printed.
type decimalField struct {
	d      *decimal.Decimal
	stated *bool
}

// overlayCustomData checks the fields OFD.xml's CustomData repeat
// (发票号码, 合计金额 …) against what the pages say.
func (r *reader) overlayCustomData(custom map[string]string) {
	inv := &r.inv
	for _, f := range []struct {
		key string
		dst *string
	}{{"发票号码", &inv.Number}, {"发票代码", &inv.Code}, {"销售方纳税人识别号", &inv.SellerTaxID}, {"购买方纳税人识别号", &inv.BuyerTaxID}} {
		r.takeTag("CustomData", f.key, strings.ToUpper(strings.TrimSpace(halfwidth(custom[f.key]))), f.dst)
	}
	for _, f := range []struct {
		key string
		dst *decimalField
	}{{"合计金额", &decimalField{&inv.Amount, &inv.AmountStated}}, {"合计税额", &decimalField{&inv.Tax, nil}}} {
		r.takeFigure("CustomData", f.key, custom[f.key], f.dst)
	}
	if s := custom["开票日期"]; s != "" {
		if d, ok := parseDate(s); ok && inv.IssueDate.IsZero() {
			inv.IssueDate = d
		} else if ok && d != inv.IssueDate {
			r.flag("开票日期: CustomData says %s, the page %s", d, inv.IssueDate)
		}
	}
	for _, k := range []string{"发票类型", "发票种类"} {
		if s := kindOf(custom[k]); s != "" && inv.Kind == "" {
			inv.Kind = s
		}
	}
}

// overlayAttachment reads the invoice data that 增值税电子发票 OFDs carry
// as an attachment (Doc_0/Attachs/original_invoice.xml, root <Invoice>):
// its fields fill what the pages did not give, and a field that differs
// from the page is a flag. Its goods fill the items only when the page's
// table gave none.
func (r *reader) overlayAttachment(pkg *ofdPackage) {
	var names []string
	for n := range pkg.files {
		if strings.Contains(n, "Attachs/") && strings.HasSuffix(strings.ToLower(n), ".xml") && !strings.HasSuffix(n, "Attachments.xml") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := pkg.read(n)
		if err != nil {
			r.flag("%v", err)
			return
		}
		e, err := parseElem(b)
		if err == nil && strings.EqualFold(e.XMLName.Local, "xbrl") && findText(e, "NumberOfInvoice") != "" {
			r.overlayXBRL(n, e)
			return
		}
		if err != nil || !strings.EqualFold(strings.TrimPrefix(strings.ToLower(e.XMLName.Local), "e"), "invoice") {
			continue
		}
		inv := &r.inv
		r.overlayFields(n, e, attachedTags{
			number: "InvoiceNo", code: "InvoiceCode", check: "InvoiceCheckCode", machine: "MachineNo",
			buyer: "BuyerName", buyerID: "BuyerTaxID", seller: "SellerName", sellerID: "SellerTaxID",
			date: "IssueDate", amount: "TaxExclusiveTotalAmount", tax: "TaxTotalAmount", total: "TaxInclusiveTotalAmount",
		})
		var goods []ferry.InvoiceItem
		e.walk(func(g *xmlElem) {
			if len(goods) >= maxItems || g.find("Item") == "" || g.XMLName.Local == "Invoice" || g.XMLName.Local == "GoodsInfos" || len(g.Children) == 0 {
				return
			}
			if g.Children[0].XMLName.Local == "Item" || hasChild(g, "Amount") && hasChild(g, "Item") {
				var c cells
				for _, k := range []struct {
					tag string
					col colKind
				}{{"Item", cName}, {"Specification", cSpec}, {"MeasurementDimension", cUnit}, {"Quantity", cQty}, {"Price", cPrice}, {"Amount", cAmount}, {"TaxScheme", cRate}, {"TaxAmount", cTax}} {
					if v := strings.TrimSpace(g.find(k.tag)); v != "" {
						c[k.col] = []string{v}
					}
				}
				goods = append(goods, r.item(c))
			}
		})
		switch {
		case len(goods) == 0:
		case len(inv.Items) == 0:
			inv.Items = goods
			r.note("items read from %s: the page's item table gave none", n)
			r.inv.Flags = dropFlag(dropFlag(r.inv.Flags, "no item read"), "no item table")
		case len(goods) != len(inv.Items):
			r.flag("%s lists %d items, the page's item table %d", n, len(goods), len(inv.Items))
		}
		return
	}
}

// attachedTags names an attachment's elements for the invoice's fields: the
// issuer's original_invoice.xml and the XBRL voucher name them differently.
type attachedTags struct {
	number, code, check, machine, buyer, buyerID, seller, sellerID string
	date, amount, tax, total                                       string
}

// overlayFields checks the page's fields against attachment e (named n):
// a field the page lacks is taken from it, one that differs is a flag.
func (r *reader) overlayFields(n string, e *xmlElem, t attachedTags) {
	inv := &r.inv
	for _, f := range []struct {
		tag, field string
		dst        *string
		id         bool
	}{
		{t.number, "发票号码", &inv.Number, true}, {t.code, "发票代码", &inv.Code, true},
		{t.check, "校验码", &inv.CheckCode, true}, {t.machine, "机器编号", &inv.MachineNo, true},
		{t.buyer, "购买方名称", &inv.BuyerName, false}, {t.buyerID, "购买方纳税人识别号", &inv.BuyerTaxID, true},
		{t.seller, "销售方名称", &inv.SellerName, false}, {t.sellerID, "销售方纳税人识别号", &inv.SellerTaxID, true},
	} {
		v := strings.TrimSpace(normalize(e.find(f.tag)))
		if f.id {
			v = strings.ToUpper(strings.ReplaceAll(halfwidth(v), " ", ""))
		}
		r.takeTag(n+" "+f.tag, f.field, v, f.dst)
	}
	if s := e.find(t.date); s != "" {
		if d, ok := parseDate(s); !ok {
			r.flag("%s %s %q is not a date", n, t.date, s)
		} else if inv.IssueDate.IsZero() {
			inv.IssueDate = d
		} else if d != inv.IssueDate {
			r.flag("开票日期: %s says %s, the page %s", n, d, inv.IssueDate)
		}
	}
	r.takeFigure(n+" "+t.amount, "合计金额", e.find(t.amount), &decimalField{&inv.Amount, &inv.AmountStated})
	r.takeFigure(n+" "+t.tax, "合计税额", e.find(t.tax), &decimalField{&inv.Tax, nil})
	r.takeFigure(n+" "+t.total, "价税合计", e.find(t.total), &decimalField{&inv.Total, nil})
}

// overlayXBRL checks the page against an XBRL attachment written to the
// Ministry of Finance's accounting data standard for electronic vouchers
// (电子凭证会计数据标准, taxonomy inv): the invoice's fields and its items
// as facts. A field the page lacks is taken from it; one that differs is
// a flag, as is a different number of items.
func (r *reader) overlayXBRL(n string, e *xmlElem) {
	inv := &r.inv
	r.overlayFields(n, e, attachedTags{
		number: "NumberOfInvoice", code: "CodeOfInvoice", check: "IdentifyingCode", machine: "NumberOfInvoiceMachine",
		buyer: "NameOfPurchaser", buyerID: "TaxpayerIdentificationNumberUnifiedSocialCreditCodeOfPurchaser",
		seller: "NameOfSeller", sellerID: "TaxpayerIdentificationNumberUnifiedSocialCreditCodeOfSeller",
		date: "DateOfIssue", amount: "TotalAmountExcludingTax", tax: "TotalTaxAmount", total: "TaxIncludedAmountInFigures",
	})
	items := 0
	e.walk(func(c *xmlElem) {
		if strings.HasSuffix(c.XMLName.Local, "DetailItemsTuple") {
			items++
		}
	})
	if items > 0 && items != len(inv.Items) {
		r.flag("%s lists %d items, the page's item table %d", n, items, len(inv.Items))
	}
}

func hasChild(e *xmlElem, name string) bool {
	for _, c := range e.Children {
		if c.XMLName.Local == name {
			return true
		}
	}
	return false
}

// dropFlag removes the flags that contain s.
func dropFlag(flags []string, s string) []string {
	out := flags[:0]
	for _, f := range flags {
		if !strings.Contains(f, s) {
			out = append(out, f)
		}
	}
	return out
}
