package statements

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	stdunicode "unicode"
	"unicode/utf8"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// MT940 (SWIFT customer statement) and MT942 (interim transaction report).
//
// The reader is strict about what carries money: every amount and balance
// must be read to its last character, a statement must end with its
// closing balance (:62F: or :62M:), and a {4: block must be closed by -}.
// Anything else a real bank writes outside the SWIFT standard (a decimal
// point, a blank entry date, a space before the transaction type, no type
// at all, a balance without its currency, 30 February) is accepted and
// named in the statement's Notes; ParseMT940Strict refuses it instead.

// ParseMT940 reads SWIFT MT940 statements and MT942 interim reports, one
// statement per :20: block, accepting the variants real banks write.
func ParseMT940(name string, data []byte) ([]ferry.Statement, error) {
	return parseMT940(context.Background(), name, data, false)
}

// ParseMT940Context is ParseMT940 that stops with an error when ctx is
// done.
func ParseMT940Context(ctx context.Context, name string, data []byte) ([]ferry.Statement, error) {
	return parseMT940(ctx, name, data, false)
}

// ParseMT940Strict reads MT940 and MT942 as the SWIFT standard defines
// them and refuses every deviation that ParseMT940 tolerates, naming the
// line. Use it to check what a bank sends against the standard.
func ParseMT940Strict(name string, data []byte) ([]ferry.Statement, error) {
	return parseMT940(context.Background(), name, data, true)
}

// max86 bounds the :86: fields one line may have: banks write one or two;
// each joins the ones before, so a hostile file must not have a million.
const max86 = 100

// maxMT940Size bounds the text we take in: a statement file of this size
// is already far beyond any bank's daily export.
const maxMT940Size = 1 << 30

// mtTags are the field tags of MT940 and MT942. Any other ":NN:" at a
// line's start is text that wrapped (a time such as ":12:11").
func mtTag(tag string) bool {
	switch tag {
	case "13", "13D", "20", "21", "25", "25P", "28", "28C", "34F", "60F", "60M", "61", "62F", "62M", "64", "65", "86", "90D", "90C", "NS":
		return true
	}
	return false
}

// cutTag splits ":TAG:rest" into its tag and the rest.
func cutTag(line string) (tag, rest string, ok bool) {
	if len(line) < 4 || line[0] != ':' {
		return "", "", false
	}
	if line[1] == 'N' && line[2] == 'S' && line[3] == ':' {
		return "NS", line[4:], true
	}
	if !isDigit(line[1]) || !isDigit(line[2]) {
		return "", "", false
	}
	if line[3] == ':' {
		return line[1:3], line[4:], true
	}
	if len(line) >= 5 && line[3] >= 'A' && line[3] <= 'Z' && line[4] == ':' {
		return line[1:4], line[5:], true
	}
	return "", "", false
}

// mtText returns the file as text with every line ending ("\r\n", "\r",
// and the "@@" some exports put in place of line breaks) made "\n", in one
// copy: every field the reader keeps is a substring of it.
func mtText(data []byte) (string, []string) {
	var notes []string
	src := bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if bytes.HasPrefix(src, []byte{0xFF, 0xFE}) || bytes.HasPrefix(src, []byte{0xFE, 0xFF}) {
		// Windows tools save MT940 as UTF-16 with a byte-order mark.
		if dec, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder().Bytes(src); err == nil {
			src = dec
			notes = append(notes, "text is UTF-16")
		}
	}
	if utf8.Valid(src) {
		if fixed, label, ok := mtMojibake(src); ok {
			src = fixed
			notes = append(notes, "text is "+label+" that was read as Windows-1252 before it was saved as UTF-8: read as "+label)
		}
	} else {
		enc, label := mtCharset(src)
		if dec, err := enc.NewDecoder().Bytes(src); err == nil {
			src = dec
			notes = append(notes, "text is not UTF-8: read as "+label)
		}
	}
	atat := strings.Contains(string(src[:min(len(src), 1<<16)]), "@@:")
	if atat {
		notes = append(notes, atatNote)
	}
	if !atat && bytes.IndexByte(src, '\r') < 0 {
		return string(src), notes
	}
	var b strings.Builder
	b.Grow(len(src))
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\r':
			if i+1 < len(src) && src[i+1] == '\n' {
				continue
			}
			b.WriteByte('\n')
		case atat && c == '@' && i+1 < len(src) && src[i+1] == '@':
			b.WriteByte('\n')
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), notes
}

// mtCharsets are the single-byte character sets European banks write
// MT940 in, the most common first: Western banks' Windows-1252, and for
// Polish, Czech and Hungarian text Windows-1250, ISO-8859-2 (mBank) and
// the DOS code page 852 (Raiffeisen Hungary); German savings banks'
// exports in the DOS code page 850 (0x9A is Ü there, š in Windows-1252).
var mtCharsets = []struct {
	cm    *charmap.Charmap
	label string
}{
	{charmap.Windows1252, "Windows-1252"},
	{charmap.Windows1250, "Windows-1250"},
	{charmap.ISO8859_2, "ISO-8859-2"},
	{charmap.CodePage852, "code page 852"},
	{charmap.CodePage850, "code page 850"},
}

// mtCharset chooses the character set in which the text's bytes above
// 0x7F make the most words: each byte scores where it decodes to a letter,
// more for a cased letter (ü, not ⁿ), and less where its case breaks the
// word it stands in ("MšLLER" against "MÜLLER"). The same bytes are
// symbols, control codes or odd-cased letters in the wrong set. A tie
// keeps the earlier, more common set.
func mtCharset(src []byte) (*charmap.Charmap, string) {
	best, bestN := 0, -1
	for i, cs := range mtCharsets {
		if n := mtWordScore(cs.cm, src); n > bestN {
			best, bestN = i, n
		}
	}
	return mtCharsets[best].cm, mtCharsets[best].label
}

// mtWordScore scores how well cm makes words of src's bytes above 0x7F.
func mtWordScore(cm *charmap.Charmap, src []byte) int {
	n := 0
	for j, c := range src {
		if c < 0x80 {
			continue
		}
		r := cm.DecodeByte(c)
		if !stdunicode.IsLetter(r) {
			continue
		}
		upper, lower := stdunicode.IsUpper(r), stdunicode.IsLower(r)
		score := 1
		if upper || lower {
			score = 3
		}
		var prev, next byte
		if j > 0 {
			prev = src[j-1]
		}
		if j+1 < len(src) {
			next = src[j+1]
		}
		if isUpper(prev) && isUpper(next) && lower || isLowerASCII(prev) && isLowerASCII(next) && upper {
			score = 1 // a word's case broken in the middle
		}
		n += score
	}
	return n
}

// mtMojibake repairs UTF-8 text that was decoded with the wrong code page
// before it was saved: a DOS code page 850 export read as Windows-1252
// turns MÜLLER into "MšLLER" (0x9A). Such text has characters of
// Windows-1252's 0x80–0x9F block (š, œ, ž, „ ...) and encodes back to
// Windows-1252 whole; the repair is taken only where another code page
// makes more words of those bytes than Windows-1252 does.
func mtMojibake(src []byte) ([]byte, string, bool) {
	signal := false
	for _, r := range string(src) {
		if r >= 0x80 {
			if b, ok := charmap.Windows1252.EncodeRune(r); ok && b >= 0x80 && b < 0xA0 {
				signal = true
				break
			}
		}
	}
	if !signal {
		return nil, "", false
	}
	raw, err := charmap.Windows1252.NewEncoder().Bytes(src)
	if err != nil {
		return nil, "", false // characters Windows-1252 has not: real UTF-8 text
	}
	base := mtWordScore(charmap.Windows1252, raw)
	cm, label := mtCharset(raw)
	if cm == charmap.Windows1252 || mtWordScore(cm, raw) <= base {
		return nil, "", false
	}
	fixed, err := cm.NewDecoder().Bytes(raw)
	if err != nil {
		return nil, "", false
	}
	return fixed, label, true
}

func isLowerASCII(c byte) bool { return c >= 'a' && c <= 'z' }

const atatNote = `records separated by "@@" instead of line breaks`

// mtFraming are the control characters that frame or end messages in
// real files: SOH and ETX around each SWIFT message (PostFinance writes
// "-}\x03\x01{1:" on one line), SUB, the DOS end-of-file mark that
// Rabobank's exports put after the last balance or before the next
// statement's ":20:", and NUL padding. They separate text like a line
// break and are never part of a field.
const mtFraming = "\x00\x01\x02\x03\x04\x1a"

const framingNote = "control characters (SOH, ETX, SUB) between messages are read as separators"

// mtDate reads YYMMDD. A day past the month's end (30 February, written
// by banks that count 30-day months) is the month's last day, and noted.
func mtDate(yymmdd string) (ferry.Date, bool, error) {
	if len(yymmdd) != 6 || !allDigits(yymmdd) {
		return ferry.Date{}, false, fmt.Errorf("bad date %q (want YYMMDD)", yymmdd)
	}
	y, _ := strconv.Atoi(yymmdd[:2])
	m, _ := strconv.Atoi(yymmdd[2:4])
	d, _ := strconv.Atoi(yymmdd[4:])
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return ferry.Date{}, false, fmt.Errorf("bad date %q (want YYMMDD)", yymmdd)
	}
	year := 2000 + y
	if y >= 80 {
		year = 1900 + y
	}
	last := time.Date(year, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return ferry.NewDate(year, time.Month(m), min(d, last)), d > last, nil
}

// currencyDecimals is the ISO 4217 minor unit of a currency.
func currencyDecimals(ccy string) int32 {
	switch ccy {
	case "JPY", "KRW", "CLP", "ISK", "VND", "PYG", "UGX", "XAF", "XOF":
		return 0
	case "BHD", "KWD", "JOD", "OMR", "TND", "IQD", "LYD":
		return 3
	}
	return 2
}

// mtAmount reads the SWIFT decimal form "1234,56": digits and one decimal
// comma, nothing else. A decimal point instead of the comma (an old Dutch
// bank format) or no separator at all (Knab writes "500") is read and
// reported through odd, for the caller to note or refuse. An amount with
// more decimals than its currency has is refused: it is a misread
// thousands separator or a wrong field, never money to round.
func mtAmount(s, ccy string) (d decimal.Decimal, odd string, err error) {
	if s == "" {
		return decimal.Zero, "", fmt.Errorf("no amount")
	}
	sep := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
		case c == ',' || c == '.':
			if sep >= 0 {
				return decimal.Zero, "", fmt.Errorf("bad amount %q: two decimal separators", s)
			}
			sep = i
		default:
			return decimal.Zero, "", fmt.Errorf("bad amount %q", s)
		}
	}
	intPart, frac := s, ""
	if sep >= 0 {
		intPart, frac = s[:sep], s[sep+1:]
	}
	if intPart == "" && frac == "" {
		return decimal.Zero, "", fmt.Errorf("bad amount %q: no digits", s)
	}
	if ccy != "" && int32(len(frac)) > currencyDecimals(ccy) {
		return decimal.Zero, "", fmt.Errorf("bad amount %q: %d decimals, but %s has %d", s, len(frac), ccy, currencyDecimals(ccy))
	}
	if len(frac) > 6 {
		return decimal.Zero, "", fmt.Errorf("bad amount %q: too many decimals", s)
	}
	d, err = decimal.NewFromString("0" + intPart + "." + frac + "0")
	if err != nil {
		return decimal.Zero, "", fmt.Errorf("bad amount %q", s)
	}
	switch {
	case intPart == "":
		// ",50": SWIFT wants a digit before the comma; the value is whole.
		odd = "amounts without a digit before the decimal comma (,50 read as 0,50)"
	case sep < 0:
		odd = "amounts written without a decimal comma (whole units)"
	case s[sep] == '.':
		odd = "amounts written with a decimal point instead of the SWIFT decimal comma"
	}
	return d, odd, nil
}

// placeholderRef reports whether a reference is one of the fillers banks
// write where there is no reference.
func placeholderRef(s string) bool {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "NONREF", "NOTPROVIDED", "NOT PROVIDED", "NONE", "N/A", "NA", "-", "/", "KREF+", "EREF+", "NONREFERENCE":
		return true
	case "EREF", "MARF", "PREF", "KREF":
		// ING writes the name of the :86: field that holds the reference
		// (/EREF/, /MARF/ mandate, /PREF/ batch), not the reference.
		return true
	}
	return false
}

// mtWhere names a field's place for messages; the text is made only
// when a message needs it.
type mtWhere struct {
	name string
	line int
	tag  string
}

func (w mtWhere) String() string {
	if w.line == 0 {
		return w.name
	}
	return fmt.Sprintf("%s: line %d :%s:", w.name, w.line, w.tag)
}

// mtAccount finds the IBAN in the forms banks write in :25: around it
// ("NL91RABO0123456789 EUR", "/PL68…", "INGBNL2A/NL91…", "DE89 3704 …"),
// so a statement names its account as camt does. Anything else is kept as
// written.
func mtAccount(acct, ccy string) string {
	acct = strings.TrimSpace(acct)
	candidates := []string{strings.ReplaceAll(acct, " ", "")}
	if ccy != "" {
		if a, ok := strings.CutSuffix(candidates[0], ccy); ok {
			candidates = append(candidates, a)
		}
	}
	for _, c := range candidates[:len(candidates):len(candidates)] {
		if i := strings.LastIndexByte(c, '/'); i >= 0 {
			candidates = append(candidates, c[i+1:])
		}
	}
	for _, c := range candidates {
		if validIBAN(c) {
			return c
		}
	}
	if a, ok := strings.CutSuffix(acct, " "+ccy); ok && ccy != "" && strings.TrimSpace(a) != "" {
		return strings.TrimSpace(a) // "0123456789 EUR"
	}
	return acct
}

// validIBAN checks an IBAN's form and its ISO 7064 mod-97 check digits.
func validIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 || !isUpper(s[0]) || !isUpper(s[1]) || !isDigit(s[2]) || !isDigit(s[3]) {
		return false
	}
	rem := 0
	for i := 0; i < len(s); i++ {
		c := s[(i+4)%len(s)]
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		case isUpper(c):
			rem = (rem*100 + int(c-'A'+10)) % 97
		default:
			return false
		}
	}
	return rem == 1
}

// mtParser holds one file's parse.
type mtParser struct {
	name   string
	strict bool
	notes  []string
	noted  map[string]bool
	out    []ferry.Statement
	lines  []ferry.StatementLine // one backing array for every statement's lines
	cur    *mtStatement
}

// mtStatement is the statement being read.
type mtStatement struct {
	st                ferry.Statement
	line              int // the :20: line
	first             int // index of its first line in mtParser.lines
	hasOpen, hasClose bool
	closedAt          int  // line of the closing balance
	mt942             bool // :13D: or :34F: seen: an interim report
	debits, credits   *mt90
	last              int // index in mtParser.lines of the line a :86: belongs to, or -1
	noEntryDate       bool
	n86               int    // :86: fields of the last line
	supp              string // the last line's :61: supplementary details
	text86            string // the last line's :86: texts
	endedAt           int    // line of the "-" or "-}" that ended the message, or 0
}

// mt90 is an MT942 :90D:/:90C: summary: a count and a sum.
type mt90 struct {
	n    int
	sum  decimal.Decimal
	line int
}

// tolerate accepts a deviation from the standard, noting it once per file,
// or refuses it in strict mode.
func (p *mtParser) tolerate(where mtWhere, note string) error {
	if p.strict {
		return ferry.Errorf(ferry.ClassDocumentChanged, where.String(), "not standard SWIFT: %s", note)
	}
	if !p.noted[note] {
		p.noted[note] = true
		p.notes = append(p.notes, note)
	}
	return nil
}

func parseMT940(ctx context.Context, name string, data []byte, strict bool) ([]ferry.Statement, error) {
	if len(data) > maxMT940Size {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "MT940 file of %d bytes is over the %d-byte limit", len(data), maxMT940Size)
	}
	text, notes := mtText(data)
	p := &mtParser{name: name, strict: strict, noted: map[string]bool{}}
	for _, n := range notes {
		if n == atatNote {
			if err := p.tolerate(mtWhere{name: name}, n); err != nil {
				return nil, err
			}
			continue
		}
		p.noted[n] = true
		p.notes = append(p.notes, n)
	}
	// One array for every statement line in the file: no regrowth copies.
	n61 := strings.Count(text, "\n:61:")
	if strings.HasPrefix(text, ":61:") {
		n61++
	}
	p.lines = make([]ferry.StatementLine, 0, n61)

	var (
		tag          string
		tagLine      int
		valStart     int
		valEnd       int
		inBlock      bool // inside {4: ... -}
		blockLine    int
		sawTag       bool
		afterEnd     bool // after a "-" message end: text until the next tag is not ours
		pendingColon bool // a line holding only ":" (a tag wrapped after its colon)
		framed       bool // SOH, ETX or SUB characters seen
	)
	flush := func() error {
		if tag == "" {
			return nil
		}
		v := text[valStart:valEnd]
		t := tag
		tag = ""
		return p.field(t, v, tagLine)
	}
	lineNo := 0
	// segment handles one piece of a line: the whole line, or the part
	// between SWIFT framing characters (see mtFraming).
	segment := func(line string, lineStart, end int, last bool) error {
		trimmed := strings.TrimSpace(line)
		// SWIFT FIN blocks: {1:...}{2:...}{3:...}{4: opens the text,
		// -} closes it (then {5:...} trailers).
		if strings.HasPrefix(trimmed, "{") {
			if i := strings.Index(trimmed, "{4:"); i >= 0 {
				if err := flush(); err != nil {
					return err
				}
				if inBlock {
					return ferry.Errorf(ferry.ClassDocumentChanged, fmt.Sprintf("%s: line %d", name, blockLine), "message text block {4: is not closed by -} before the next one on line %d: the file is truncated or damaged", lineNo)
				}
				inBlock, blockLine, afterEnd = true, lineNo, false
				rest := trimmed[i+3:]
				if !strings.HasPrefix(rest, ":") {
					return nil
				}
				// "{4::20:..." on one line.
				line, lineStart = rest, lineStart+strings.Index(line, rest)
				trimmed = rest
			} else if tag != "86" {
				return nil // {1:}{2:}{3:} headers or {5:} trailers alone on a line
			}
		}
		if strings.HasPrefix(trimmed, "-}") || trimmed == "-" {
			if err := flush(); err != nil {
				return err
			}
			if strings.HasPrefix(trimmed, "-}") {
				if !inBlock {
					return ferry.Errorf(ferry.ClassDocumentChanged, fmt.Sprintf("%s: line %d", name, lineNo), "-} closes a {4: block that was never opened")
				}
				inBlock = false
			}
			afterEnd = true
			if p.cur != nil && p.cur.endedAt == 0 {
				p.cur.endedAt = lineNo
			}
			return nil
		}
		if pendingColon {
			pendingColon = false
			if t, rest, ok := cutTag(":" + line); ok && mtTag(t) {
				if err := flush(); err != nil {
					return err
				}
				tag, tagLine, sawTag, afterEnd = t, lineNo-1, true, false
				valStart = lineStart + len(line) - len(rest)
				valEnd = end
				return nil
			}
		}
		if t, rest, ok := cutTag(line); ok && mtTag(t) {
			if err := flush(); err != nil {
				return err
			}
			tag, tagLine, sawTag, afterEnd = t, lineNo, true, false
			valStart = lineStart + len(line) - len(rest)
			valEnd = end
			return nil
		}
		if trimmed == ":" && !last {
			pendingColon = true
			return nil
		}
		if tag == "" || afterEnd || trimmed == "" && tag != "86" {
			return nil
		}
		// A continuation line of the current field.
		valEnd = end
		return nil
	}
	for pos := 0; pos <= len(text); {
		end := strings.IndexByte(text[pos:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += pos
		}
		line := text[pos:end]
		lineStart := pos
		pos = end + 1
		lineNo++
		if lineNo%4096 == 0 && ctx.Err() != nil {
			return nil, ferry.Errorf(ferry.ClassDocumentChanged, fmt.Sprintf("%s: line %d", name, lineNo), "parse stopped: %v", context.Cause(ctx))
		}
		if pos > len(text) && line == "" {
			break
		}
		last := pos >= len(text)
		// Framing characters split a line into pieces read one by one:
		// "-}\x03\x01{1:...}{4:" ends one message and opens the next.
		for {
			i := strings.IndexAny(line, mtFraming)
			if i < 0 {
				break
			}
			if err := segment(line[:i], lineStart, lineStart+i, false); err != nil {
				return nil, err
			}
			framed = true
			line, lineStart = line[i+1:], lineStart+i+1
		}
		if err := segment(line, lineStart, end, last); err != nil {
			return nil, err
		}
	}
	if framed {
		if err := p.tolerate(mtWhere{name: name}, framingNote); err != nil {
			return nil, err
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if !sawTag {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "no MT940 fields (:20:, :25:, :60F: ...) found")
	}
	if inBlock {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, fmt.Sprintf("%s: line %d", name, blockLine), "message text block {4: is not closed by -}: the file is truncated")
	}
	if err := p.finish(lineNo); err != nil {
		return nil, err
	}
	if len(p.out) == 0 {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "no statement (:20:) found")
	}
	// What the reader tolerated is said on every statement of the file,
	// wherever in the file it was met.
	for i := range p.out {
		p.out[i].Notes = append(append([]string(nil), p.notes...), p.out[i].Notes...)
	}
	settleTransactionIDs(p.out)
	return p.out, nil
}

// begin starts a statement at a :20: field (or, for files that omit it,
// at the first field that needs one).
func (p *mtParser) begin(id string, line int) {
	p.cur = &mtStatement{st: ferry.Statement{ID: id}, line: line, first: len(p.lines), last: -1}
}

// finish closes the current statement, checking it is whole.
func (p *mtParser) finish(lineNo int) error {
	c := p.cur
	if c == nil {
		return nil
	}
	p.cur = nil
	where := fmt.Sprintf("%s: line %d", p.name, c.line)
	st := &c.st
	st.Lines = p.lines[c.first:len(p.lines):len(p.lines)]
	if len(st.Lines) == 0 {
		st.Lines = nil
	}
	switch {
	case c.hasOpen && c.hasClose:
	case c.mt942 && !c.hasOpen && !c.hasClose:
		// An interim report states no balances; its :90D:/:90C: counts
		// must match the lines it carries.
		st.NoBalances = true
		if err := p.check90(c); err != nil {
			return err
		}
	case !c.hasClose && c.hasOpen && c.endedAt > 0:
		// mBank's intraday MT940 ends its message with "-" after the
		// day's lines and states no closing balance: the message is
		// whole, so every line is read, but nothing can be reconciled.
		if err := p.tolerate(mtWhere{name: p.name, line: c.endedAt, tag: "62F"}, "messages that end without a closing balance (:62F:)"); err != nil {
			return err
		}
		st.NoBalances = true
		st.Warnings = append(st.Warnings, fmt.Sprintf("line %d: the closing balance (:62F:) is missing: the message ends without it, as an intraday statement does, so its lines cannot be reconciled", c.endedAt))
	case !c.hasClose:
		return ferry.Errorf(ferry.ClassDocumentChanged, where, "statement %q ends at line %d without its closing balance (:62F:): the file is truncated or incomplete", st.ID, lineNo)
	default:
		return ferry.Errorf(ferry.ClassDocumentChanged, where, "statement %q has no opening balance (:60F:)", st.ID)
	}
	mtPeriod(st)
	if acct := mtAccount(st.Account, st.Currency); acct != st.Account {
		st.Notes = append(st.Notes, fmt.Sprintf("account %q read as %s", st.Account, acct))
		st.Account = acct
		for i := range st.Lines {
			st.Lines[i].Account = acct
		}
	}
	if strings.TrimSpace(st.Account) == "" {
		return ferry.Errorf(ferry.ClassDocumentChanged, where, "statement %q names no account (:25:)", st.ID)
	}
	textRefs := 0
	for i := range st.Lines {
		// Text after "//" (Danske Bank wraps its booking text there:
		// "Gebyrer ifolge//nota") is no id: it stays with the reference
		// and so joins the line's content key.
		if l := &st.Lines[i]; l.TransactionID != "" && !idLike(l.TransactionID) {
			l.Reference = joinReference(l.Reference, l.TransactionID)
			l.TransactionID = ""
			textRefs++
		}
	}
	if textRefs > 0 {
		st.Notes = append(st.Notes, fmt.Sprintf("%d lines have text, not an identifier, as the bank's reference after //: it is kept in the reference, not used as their transaction id", textRefs))
	}
	if c.noEntryDate && len(st.Lines) > 0 {
		st.Notes = append(st.Notes, "lines without an entry date: booked on their value date")
	}
	p.out = append(p.out, *st)
	return nil
}

// mtPeriod keeps a statement's period from running backwards. Zenith
// Bank dates its :60F: opening balance on the day it printed the
// statement (2020-12-18) and its :62F: on the period's last day
// (2020-11-30): a period that ends before it starts is none. The
// balances' dates stay as written; the period is taken from the earliest
// booking and the closing balance's date, and the statement says so.
func mtPeriod(st *ferry.Statement) {
	if st.From.IsZero() || st.To.IsZero() || !st.From.After(st.To) {
		return
	}
	from := st.To
	for _, l := range st.Lines {
		if !l.BookingDate.IsZero() && l.BookingDate.Before(from) {
			from = l.BookingDate
		}
	}
	st.Notes = append(st.Notes, fmt.Sprintf("the opening balance is dated %s, after the closing balance (%s): the period is taken as %s to %s from the lines and the closing balance", st.From, st.To, from, st.To))
	st.From = from
}

func (p *mtParser) check90(c *mtStatement) error {
	var nd, nc int
	sd, sc := decimal.Zero, decimal.Zero
	for _, l := range c.st.Lines {
		if l.Amount.IsNegative() {
			nd++
			sd = sd.Add(l.Amount.Neg())
		} else {
			nc++
			sc = sc.Add(l.Amount)
		}
	}
	for _, x := range []struct {
		s    *mt90
		n    int
		sum  decimal.Decimal
		what string
	}{{c.debits, nd, sd, "debit"}, {c.credits, nc, sc, "credit"}} {
		if x.s == nil {
			continue
		}
		if x.s.n != x.n || !x.s.sum.Equal(x.sum) {
			// Interim reports are often cut by the bank's own window; the
			// lines are still the bank's, so this is shown, not refused.
			c.st.Warnings = append(c.st.Warnings, fmt.Sprintf("line %d: the report counts %d %s entries totalling %s, but carries %d totalling %s",
				x.s.line, x.s.n, x.what, x.s.sum.StringFixed(2), x.n, x.sum.StringFixed(2)))
		}
	}
	return nil
}

// field handles one field: tag, its value (continuation lines joined by
// "\n") and the line it starts on.
func (p *mtParser) field(tag, v string, line int) error {
	where := mtWhere{p.name, line, tag}
	bad := func(format string, args ...any) error {
		return ferry.Errorf(ferry.ClassDocumentChanged, where.String(), format, args...)
	}
	if tag == "20" {
		if err := p.finish(line - 1); err != nil {
			return err
		}
		p.begin(strings.TrimSpace(v), line)
		return nil
	}
	if p.cur == nil {
		if err := p.tolerate(where, "statement without a :20: reference"); err != nil {
			return err
		}
		p.begin("", line)
	}
	c := p.cur
	st := &c.st
	switch tag {
	case "25", "25P":
		st.Account = strings.TrimSpace(firstLine(v))
	case "28", "28C", "21":
	case "13", "13D":
		c.mt942 = true
	case "34F":
		// MT942 floor limit: currency, optional D/C mark, amount. The only
		// currency an interim report without balances states.
		c.mt942 = true
		s := strings.TrimSpace(v)
		if len(s) < 3 {
			return bad("floor limit %q has no currency", s)
		}
		if st.Currency == "" {
			st.Currency = s[:3]
		}
	case "60F", "60M", "62F", "62M", "64", "65":
		b, err := p.balance(where, v, st.Currency)
		if err != nil {
			return err
		}
		if st.Currency != "" && b.Currency != st.Currency {
			return bad("balance in %s, but the statement is in %s", b.Currency, st.Currency)
		}
		st.Currency = b.Currency
		switch tag {
		case "60F", "60M":
			if c.hasOpen {
				return bad("a second opening balance in statement %q", st.ID)
			}
			if len(p.lines) > c.first {
				return bad("opening balance after the statement's lines")
			}
			b.Type = "opening"
			if tag == "60M" {
				b.Type = "intermediate_opening"
			}
			st.Opening, st.From, c.hasOpen = b.Amount, b.Date, true
		case "62F", "62M":
			if c.hasClose {
				return bad("a second closing balance in statement %q", st.ID)
			}
			b.Type = "closing"
			if tag == "62M" {
				b.Type = "intermediate_closing"
			}
			st.Closing, st.To, c.hasClose, c.closedAt = b.Amount, b.Date, true, line
			c.last = -1 // a :86: after the closing balance is about the statement
		case "64":
			b.Type = "closing_available"
		case "65":
			b.Type = "forward_available"
		}
		st.Balances = append(st.Balances, b)
	case "61":
		if c.hasClose {
			return bad("statement line after the closing balance (line %d)", c.closedAt)
		}
		if !c.hasOpen && !c.mt942 {
			// A statement line needs the currency its balances state.
			return bad("statement line before the opening balance (:60F:)")
		}
		c.supp, c.text86 = "", ""
		l, err := p.statementLine(where, v, st)
		if err != nil {
			return err
		}
		p.lines = append(p.lines, l)
		c.last, c.n86 = len(p.lines)-1, 0
	case "86":
		if c.last < 0 {
			return nil // information about the whole statement
		}
		l := &p.lines[c.last]
		if c.n86++; c.n86 > max86 {
			return bad("more than %d :86: fields for one statement line", max86)
		}
		d := trimLines(v)
		if c.text86 != "" {
			// Some banks write one :86: per line; they add up.
			d = c.text86 + "\n" + d
		}
		c.text86 = d
		if l.Details != "" {
			l.Details += "\n" + trimLines(v)
		} else {
			l.Details = d
		}
		cp, desc, eref, structured := details86(d)
		if l.Reference == "" && !placeholderRef(eref) {
			// The SEPA end-to-end reference, where :61: carries none.
			l.Reference = eref
		}
		if cp != "" {
			l.Counterparty = cp
		}
		if !structured && c.supp != "" && !suppRepeated(c.supp, desc) {
			// Free text after the :61: supplementary details goes on
			// from them (HBOS: "REFUNDED CHARGES ..." then :86:4547).
			desc = joinSupplementary(c.supp, desc)
		}
		if desc != "" || l.Description == "" {
			l.Description = desc
		}
	case "90D", "90C":
		s := strings.TrimSpace(v)
		i := 0
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == 0 || len(s) < i+3 {
			return bad("bad entry count and sum %q (want count, currency, amount)", s)
		}
		n, _ := strconv.Atoi(s[:i])
		amt, odd, err := mtAmount(s[i+3:], s[i:i+3])
		if err == nil && odd != "" {
			err = p.tolerate(where, odd)
		}
		if err != nil {
			return bad("%v", err)
		}
		x := &mt90{n: n, sum: amt, line: line}
		if tag == "90D" {
			c.debits = x
		} else {
			c.credits = x
		}
	case "NS":
		// Non-SWIFT bank fields, numbered sub-lines "NNtext". After a
		// :61: (the German "MT940 mit Feld NS" layout) 01–14 are the
		// purpose, 15–16 the counterparty's name and 17 the booking text;
		// other codes and the statement's own :NS: (its holder, the bank
		// code) are kept in Details only: the standard fields carry the
		// money.
		if strings.TrimSpace(v) == "" {
			return nil
		}
		if c.last < 0 {
			return p.tolerate(where, "non-SWIFT :NS: fields about the statement are not read")
		}
		if err := p.tolerate(where, "non-SWIFT :NS: fields after :61: read as purpose (01–14), name (15–16) and booking text (17)"); err != nil {
			return err
		}
		l := &p.lines[c.last]
		purpose, name, text := nsFields(v)
		if name != "" && l.Counterparty == "" {
			l.Counterparty = name
		}
		if purpose == "" {
			purpose = text
		}
		if purpose != "" && l.Description == "" {
			l.Description = purpose
		}
		d := ":NS:" + trimLines(v)
		if l.Details != "" {
			d = l.Details + "\n" + d
		}
		l.Details = d
	}
	return nil
}

// balance reads a balance field, 1!a6!n3!a15d: D/C mark, YYMMDD, currency,
// amount, to its last character.
func (p *mtParser) balance(where mtWhere, v, stCcy string) (ferry.Balance, error) {
	bad := func(format string, args ...any) (ferry.Balance, error) {
		return ferry.Balance{}, ferry.Errorf(ferry.ClassDocumentChanged, where.String(), format, args...)
	}
	s := strings.TrimSpace(v)
	if strings.Contains(s, "\n") {
		return bad("balance %q runs over several lines", s)
	}
	if len(s) < 8 || (s[0] != 'C' && s[0] != 'D') {
		return bad("bad balance %q (want C or D, YYMMDD, currency, amount)", s)
	}
	date, clamped, err := mtDate(s[1:7])
	if err != nil {
		return bad("balance %q: %v", s, err)
	}
	if clamped {
		if err := p.tolerate(where, "dates past the month's end (30 February) read as its last day"); err != nil {
			return ferry.Balance{}, err
		}
	}
	rest := s[7:]
	ccy := ""
	if len(rest) >= 3 && isUpper(rest[0]) && isUpper(rest[1]) && isUpper(rest[2]) {
		ccy, rest = rest[:3], rest[3:]
	} else {
		if stCcy == "" {
			return bad("balance %q has no currency", s)
		}
		if err := p.tolerate(where, "a balance without its currency: the statement's currency is used"); err != nil {
			return ferry.Balance{}, err
		}
		ccy = stCcy
	}
	amt, odd, err := mtAmount(rest, ccy)
	if err != nil {
		return bad("balance %q: %v", s, err)
	}
	if odd != "" {
		if err := p.tolerate(where, odd); err != nil {
			return ferry.Balance{}, err
		}
	}
	if s[0] == 'D' {
		amt = amt.Neg()
	}
	return ferry.Balance{Amount: amt, Currency: ccy, Date: date}, nil
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

func isTypeChar(c byte) bool { return isAlnum(c) || c == ' ' }

// statementLine reads a :61: field:
//
//	6!n [4!n] 2a [1!a] 15d 1!a3!c 16x [//16x] [34x]
//
// value date, entry date (MMDD), mark (C, D, RC, RD), funds code (the
// currency's third letter), amount, transaction type, the customer's
// reference, the bank's reference and, on the next line, supplementary
// details.
func (p *mtParser) statementLine(where mtWhere, v string, st *ferry.Statement) (ferry.StatementLine, error) {
	bad := func(format string, args ...any) (ferry.StatementLine, error) {
		return ferry.StatementLine{}, ferry.Errorf(ferry.ClassDocumentChanged, where.String(), format, args...)
	}
	first, supp, _ := strings.Cut(v, "\n")
	s := strings.TrimRight(first, " \t")
	if len(s) < 6 {
		return bad("statement line %q is too short", s)
	}
	vd, clamped, err := mtDate(s[:6])
	if err != nil {
		return bad("statement line %q: value %v", s, err)
	}
	if clamped {
		if err := p.tolerate(where, "dates past the month's end (30 February) read as its last day"); err != nil {
			return ferry.StatementLine{}, err
		}
	}
	l := ferry.StatementLine{Account: strings.TrimSpace(st.Account), ValueDate: vd, BookingDate: vd, Currency: st.Currency}
	i := 6
	switch {
	case len(s) >= 10 && allDigits(s[6:10]) && s[6:10] != "0000":
		bd, err := mtEntryDate(vd, s[6:10])
		if err != nil {
			return bad("statement line %q: %v", s, err)
		}
		l.BookingDate = bd
		i = 10
	case len(s) >= 10 && (s[6:10] == "    " || s[6:10] == "0000"):
		// Citi and ASN write four spaces for "no entry date", others 0000.
		if err := p.tolerate(where, "an entry date of four spaces or 0000"); err != nil {
			return ferry.StatementLine{}, err
		}
		p.cur.noEntryDate = true
		i = 10
	default:
		p.cur.noEntryDate = true
	}
	// Mark: C, D, RC (reversal of a credit: a debit), RD (reversal of a
	// debit: a credit).
	neg := false
	switch {
	case strings.HasPrefix(s[i:], "RC"):
		neg, i = true, i+2
	case strings.HasPrefix(s[i:], "RD"):
		neg, i = false, i+2
	case strings.HasPrefix(s[i:], "C"):
		neg, i = false, i+1
	case strings.HasPrefix(s[i:], "D"):
		neg, i = true, i+1
	default:
		return bad("statement line %q: no debit/credit mark (C, D, RC or RD) after the dates", s)
	}
	if i == len(s) || (i+1 == len(s) && isUpper(s[i])) {
		// Sparkasse exports wrap a line after its mark: the amount is
		// on the next line.
		next, more, _ := strings.Cut(supp, "\n")
		if strings.TrimSpace(next) == "" {
			return bad("statement line %q has no amount", s)
		}
		if err := p.tolerate(where, "statement lines wrapped before their amount"); err != nil {
			return ferry.StatementLine{}, err
		}
		s, supp = s+strings.TrimRight(next, " \t"), more
	}
	// Funds code: one letter before the amount.
	if i+1 < len(s) && isUpper(s[i]) && isDigit(s[i+1]) {
		i++
	}
	j := i
	for j < len(s) && (isDigit(s[j]) || s[j] == ',' || s[j] == '.') {
		j++
	}
	amt, odd, err := mtAmount(s[i:j], st.Currency)
	if err != nil {
		return bad("statement line %q: %v", s, err)
	}
	if odd != "" {
		if err := p.tolerate(where, odd); err != nil {
			return ferry.StatementLine{}, err
		}
	}
	if neg {
		amt = amt.Neg()
	}
	l.Amount = amt
	if j < len(s) && s[j] == ' ' {
		// German banks: a space between the amount and the type.
		k := j
		for k < len(s) && s[k] == ' ' {
			k++
		}
		if k+4 <= len(s) && isUpper(s[k]) {
			if err := p.tolerate(where, "a space between the amount and the transaction type"); err != nil {
				return ferry.StatementLine{}, err
			}
			j = k
		}
	}
	rest := s[j:]
	// Transaction type: a letter and three letters or digits (NTRF, N051,
	// FMSC, S103). Files that leave it out go straight to the reference.
	// Sberbank pads a message-type code with blanks ("S   ").
	if len(rest) >= 4 && isUpper(rest[0]) && isTypeChar(rest[1]) && isTypeChar(rest[2]) && isTypeChar(rest[3]) && !startsWithPlaceholder(rest) {
		rest = rest[4:]
	} else if err := p.tolerate(where, "statement lines without a transaction type"); err != nil {
		return ferry.StatementLine{}, err
	}
	cust, bank, hasBank := strings.Cut(rest, "//")
	if !hasBank && len(cust) > 16 && cust[15] == ' ' {
		// Rabobank's old format pads the 16-character reference with
		// blanks and writes the counterparty after it: its name, not
		// supplementary text for the description.
		l.Counterparty = strings.Join(strings.Fields(cust[16:]), " ")
		cust = cust[:16]
	}
	if !placeholderRef(cust) {
		l.Reference = strings.TrimSpace(cust)
	}
	if !placeholderRef(bank) {
		// Kept here until the statement ends: finish moves text that is
		// no id into the reference, after :86: has given its own.
		l.TransactionID = strings.TrimSpace(bank)
	}
	p.cur.supp = strings.Trim(supp, "\n")
	if supp = strings.TrimSpace(supp); supp != "" {
		l.Description = strings.Join(strings.Fields(supp), " ")
	}
	return l, nil
}

// nsFields reads the numbered sub-lines of a statement line's :NS: field
// ("01Verwendungszweck 1", "15Empfänger", "17Buchungstext").
func nsFields(v string) (purpose, name, text string) {
	var p, n []string
	for _, line := range strings.Split(v, "\n") {
		line = strings.TrimSpace(line)
		if len(line) < 2 || !isDigit(line[0]) || !isDigit(line[1]) {
			continue
		}
		code, val := int(line[0]-'0')*10+int(line[1]-'0'), strings.TrimSpace(line[2:])
		switch {
		case val == "":
		case code >= 1 && code <= 14:
			p = append(p, val)
		case code == 15 || code == 16:
			if len(n) == 1 && len(n[0]) >= 27 {
				// Name lines are 27 characters wide, cut mid-word
				// ("...AG Fiokte" then "lep").
				n[0] += val
				continue
			}
			n = append(n, val)
		case code == 17:
			text = val
		}
	}
	return strings.Join(strings.Fields(strings.Join(p, " ")), " "), strings.Join(n, " "), text
}

// suppRepeated reports whether the :61: supplementary details add
// nothing to the :86: text: most banks repeat them there, whole or
// abbreviated (mBank: "843-OPŁ. POCZTOWA. NORM" before "843 OPŁATA
// POCZTOWA: NORM"), so that every word of them begins a word of the
// text, or begin with its transaction code ("945-PRZEL.KRAJ..." before
// "945 IBRE PRZELEW ZUS"). SWIFT's coded details (/OCMT/ original
// amount, /CHGS/ charges, Citi's /ABC/...) and a lone reference number
// (PostFinance) are no text either.
func suppRepeated(supp, text string) bool {
	t := strings.TrimSpace(supp)
	if strings.HasPrefix(t, "/") || !strings.ContainsAny(t, " ") && idLike(t) {
		return true
	}
	words := func(s string) []string {
		return strings.FieldsFunc(strings.ToUpper(s), func(r rune) bool { return !stdunicode.IsLetter(r) && !stdunicode.IsDigit(r) })
	}
	have, ws := words(text), words(supp)
	if len(have) > 0 && len(ws) > 0 && have[0] == ws[0] && allDigits(ws[0]) {
		return true // the same transaction code first: a short form of the text
	}
	for _, w := range ws {
		found := false
		for _, h := range have {
			if strings.HasPrefix(h, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// mtSuppWidth is the width of the :61: supplementary details (34x).
const mtSuppWidth = 34

// joinSupplementary puts the free text of :86: after the :61:
// supplementary details. Details that fill their 34 characters were cut
// there and go on in :86: mid-word (HBOS: "...FOREIGN E" then "UR"), so
// they join without a space.
func joinSupplementary(supp, text string) string {
	last := supp[strings.LastIndexByte(supp, '\n')+1:]
	flat := strings.Join(strings.Fields(supp), " ")
	switch {
	case text == "":
		return flat
	case utf8.RuneCountInString(last) >= mtSuppWidth:
		return flat + text
	}
	return flat + " " + text
}

func startsWithPlaceholder(s string) bool {
	for _, p := range []string{"NONREF", "NOTPROVIDED"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// trimLines drops trailing blanks of each line and blank lines at the
// ends, copying only when there is something to drop.
func trimLines(s string) string {
	s = strings.Trim(s, "\n")
	clean := !strings.Contains(s, "\n\n")
	for i := 0; i < len(s); i++ {
		if (s[i] == ' ' || s[i] == '\t') && (i+1 == len(s) || s[i+1] == '\n' || s[i+1] == ' ' || s[i+1] == '\t') {
			clean = false
			break
		}
	}
	if clean {
		return strings.TrimSpace(s)
	}
	lines := strings.Split(s, "\n")
	keep := lines[:0]
	for _, l := range lines {
		// Blank lines inside a field are padding, not content.
		if l = strings.TrimRight(l, " \t"); l != "" {
			keep = append(keep, l)
		}
	}
	return strings.TrimSpace(strings.Join(keep, "\n"))
}

// mtEntryDate puts an MMDD booking date in the year nearest the value
// date: a line valued on 2 January may have been booked on 31 December.
func mtEntryDate(value ferry.Date, mmdd string) (ferry.Date, error) {
	m, _ := strconv.Atoi(mmdd[:2])
	d, _ := strconv.Atoi(mmdd[2:])
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return ferry.Date{}, fmt.Errorf("bad entry date %q (want MMDD)", mmdd)
	}
	vt := value.Time(time.UTC)
	best := ferry.Date{}
	bestDiff := time.Duration(1<<63 - 1)
	for _, y := range []int{vt.Year() - 1, vt.Year(), vt.Year() + 1} {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Month() != time.Month(m) {
			// 30 February and the like: the month's last day.
			t = time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC)
		}
		diff := t.Sub(vt)
		if diff < 0 {
			diff = -diff
		}
		if diff < bestDiff {
			best, bestDiff = ferry.DateOf(t), diff
		}
	}
	return best, nil
}

// details86 reads the common structured :86: dialects: German and Polish
// banks' numbered sub-fields (?20–?29 and ?60–?63 purpose, ?32–?33
// counterparty name; other banks write ^, ~, < or > for ?) and the /CODE/value/
// form of Dutch and SEPA banks (/NAME/, /CNTP/, /REMI/). Unstructured text
// becomes the description.
func details86(s string) (counterparty, description, endToEnd string, structured bool) {
	if !strings.Contains(s, "\n") {
		return details86Flat(s, s)
	}
	if cp, desc, ref, ok := details86Party(s); ok {
		return cp, desc, ref, true
	}
	// The joined copy is dropped: keep only what is taken from it.
	cp, desc, eref, structured := details86Flat(s, strings.ReplaceAll(s, "\n", ""))
	return strings.Clone(cp), strings.Clone(desc), strings.Clone(eref), structured
}

// details86Party reads the line-structured party form of SWIFT's MT103
// fields 50K and 59, which Komercijalna banka (MK) writes in :86::
//
//	/BENM/300000000000133          the party's account (/ORDP/ for the payer)
//	/KOMERCIJALNA BANKA AD SKOPJE  its name
//	/Mesecna provizija//1603095    purpose code // reference (optional)
//	/Mesecen nadomest za ...       the remittance text
//
// Each line starts with "/" and none is a /KEY/ of its own: flattened and
// split at keys, the whole would be one /BENM/ value whose first part is
// the account, not the name.
func details86Party(s string) (counterparty, description, ref string, ok bool) {
	lines := strings.Split(s, "\n")
	if len(lines) < 2 {
		return "", "", "", false
	}
	acct := ""
	for _, k := range []string{"/BENM/", "/ORDP/"} {
		if v, found := strings.CutPrefix(strings.TrimSpace(lines[0]), k); found {
			acct = strings.TrimSpace(v)
		}
	}
	if acct == "" || strings.ContainsAny(acct, " /") {
		return "", "", "", false
	}
	var parts []string
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "/") {
			return "", "", "", false
		}
		if f := slashFields(l); f != nil {
			return "", "", "", false // a /KEY/ of the ordinary form
		}
		parts = append(parts, strings.TrimSpace(strings.TrimPrefix(l, "/")))
	}
	counterparty = strings.TrimSuffix(parts[0], "/")
	var text []string
	for i, p := range parts[1:] {
		if code, r, found := strings.Cut(p, "//"); i == 0 && found && len(parts) > 2 {
			// The purpose code line: its reference, where it is one.
			_ = code
			if r = strings.TrimSpace(r); !placeholderRef(r) {
				ref = r
			}
			continue
		}
		if p = strings.Trim(p, "/"); p != "" && p != "EMPTY" {
			text = append(text, p)
		}
	}
	return counterparty, strings.Join(strings.Fields(strings.Join(text, " ")), " "), ref, true
}

// sepaKeys are the SEPA identifiers German banks write in ?20–?29.
var sepaKeys = []string{"EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "SVWZ+", "ABWA+", "ABWE+", "COAM+", "OAMT+", "BREF+", "RREF+", "IBAN+", "BIC+"}

// sepaValue returns the value after key in a SEPA purpose text, up to the
// next identifier.
func sepaValue(text, key string) string {
	_, after, ok := strings.Cut(text, key)
	if !ok {
		return ""
	}
	end := len(after)
	for _, k := range sepaKeys {
		if i := strings.Index(after, k); i >= 0 && i < end {
			end = i
		}
	}
	return strings.TrimSpace(after[:end])
}

func details86Flat(s, flat string) (counterparty, description, endToEnd string, structured bool) {
	if sep := subfieldSep(flat); sep != 0 {
		// The purpose (?20–?29, ?60–?63) and the name (?32, ?33) in file
		// order, each built once: no map, no copy per sub-field.
		var purpose, name strings.Builder
		for i := 0; i < len(flat); {
			k := strings.IndexByte(flat[i:], sep)
			if k < 0 {
				break
			}
			k += i
			if k+2 < len(flat) && isDigit(flat[k+1]) && isDigit(flat[k+2]) {
				code := int(flat[k+1]-'0')*10 + int(flat[k+2]-'0')
				start := k + 3
				end := start
				for end < len(flat) {
					n := strings.IndexByte(flat[end:], sep)
					if n < 0 {
						end = len(flat)
						break
					}
					end += n
					if end+2 < len(flat) && isDigit(flat[end+1]) && isDigit(flat[end+2]) {
						break
					}
					end++
				}
				switch {
				case code >= 20 && code <= 29 && (ibanShaped(flat[start:end]) || bicShaped(flat[start:end]) && nextIBAN(flat[end:], sep)):
					// Triodos puts the counterparty's BIC and IBAN in the
					// first purpose sub-fields: they are no text.

				case code >= 20 && code <= 29 || code >= 60 && code <= 63:
					purpose.WriteString(flat[start:end])
				case code == 32 || code == 33:
					name.WriteString(flat[start:end])
				}
				i = end
				continue
			}
			i = k + 1
		}
		desc := strings.TrimRight(purpose.String(), string(sep))
		eref := sepaValue(desc, "EREF+")
		// SEPA in ?20–?29: identifiers (EREF+, KREF+, MREF+ ...) come first,
		// the remittance text follows SVWZ+.
		if _, after, ok := strings.Cut(desc, "SVWZ+"); ok {
			desc = after
		}
		return strings.TrimSpace(name.String()), strings.TrimSpace(desc), eref, true
	}
	if rest := strings.TrimSpace(flat); strings.HasPrefix(rest, "/") {
		if fields := slashFields(rest); len(fields) > 0 {
			name := fields["NAME"]
			if name == "" && fields["CNTP"] != "" {
				// /CNTP/account/BIC/name/city/
				if parts := strings.Split(fields["CNTP"], "/"); len(parts) >= 3 {
					name = parts[2]
				}
			}
			for _, k := range []string{"ORDP", "BENM"} {
				// /ORDP/name/ without a /NAME/ inside.
				if v := strings.TrimPrefix(fields[k], "/"); name == "" && v != "" {
					name, _, _ = strings.Cut(v, "/")
				}
			}
			remi := fields["REMI"]
			for _, pre := range []string{"USTD//", "USTD/", "STRD/CUR/", "STRD//"} {
				remi = strings.TrimPrefix(remi, pre)
			}
			return strings.TrimSpace(name), strings.TrimSpace(strings.TrimRight(remi, "/")), strings.TrimSpace(fields["EREF"]), true
		}
	}
	return "", strings.TrimSpace(strings.Join(strings.Fields(s), " ")), "", false
}

// ibanShaped reports whether a sub-field holds only an IBAN's shape
// (country, check digits, bank code letters, number), check digits not
// verified: sample files anonymise them.
func ibanShaped(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) < 15 || len(v) > 34 || !isUpper(v[0]) || !isUpper(v[1]) || !isDigit(v[2]) || !isDigit(v[3]) {
		return false
	}
	letters := 0
	for i := 4; i < len(v); i++ {
		switch {
		case isUpper(v[i]):
			letters++
		case !isDigit(v[i]):
			return false
		}
	}
	return letters <= 6 && !allUpper(v[4:])
}

// bicShaped reports whether a sub-field holds only a BIC: four letters of
// bank, two of country, two of place, optionally three of branch.
func bicShaped(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) != 8 && len(v) != 11 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if i < 6 && !isUpper(v[i]) || !isAlnum(v[i]) {
			return false
		}
	}
	return true
}

func allUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isUpper(s[i]) {
			return false
		}
	}
	return true
}

// nextIBAN reports whether the sub-field that starts rest (its mark and
// code first) holds an IBAN.
func nextIBAN(rest string, sep byte) bool {
	if len(rest) < 3 || rest[0] != sep || !isDigit(rest[1]) || !isDigit(rest[2]) {
		return false
	}
	v := rest[3:]
	if n := strings.IndexByte(v, sep); n >= 0 {
		v = v[:n]
	}
	return ibanShaped(v)
}

// subfieldSep finds the sub-field mark of a structured :86: (a business
// code such as "166" then "?00", or "?20" at once), or 0. Germans write
// "?", Polish banks "^", "~" or "<", Triodos and Polish ING ">".
func subfieldSep(s string) byte {
	for _, at := range []int{0, 3} {
		if len(s) < at+3 || (at == 3 && !allDigits(s[:3])) {
			continue
		}
		c := s[at]
		if (c == '?' || c == '^' || c == '~' || c == '<' || c == '>') && isDigit(s[at+1]) && isDigit(s[at+2]) && strings.Count(s, string(c)) >= 2 {
			return c
		}
	}
	return 0
}

// dutchKeys are the /KEY/ codes of Dutch and SEPA :86: fields.
var dutchKeys = []string{"TRTP", "IBAN", "BIC", "NAME", "CNTP", "REMI", "EREF", "MARF", "CSID", "ORDP", "BENM", "ULTC", "ULTD", "ULTB", "PURP", "RTRN", "ISDT", "SVCL", "ACCW", "ADDR", "CDTRREF", "CDTRREFTP", "PREF", "CHGS", "EXCH", "OCMT", "BUSP", "CODE", "ID"}

// slashFields splits "/KEY/value/KEY/value" at the known keys.
func slashFields(s string) map[string]string {
	type at struct {
		key        string
		start, end int
	}
	var found []at
	for i := 0; i < len(s); i++ {
		if s[i] != '/' {
			continue
		}
		for _, k := range dutchKeys {
			if strings.HasPrefix(s[i+1:], k) && i+1+len(k) < len(s) && s[i+1+len(k)] == '/' {
				found = append(found, at{key: k, start: i, end: i + 2 + len(k)})
				i += len(k)
				break
			}
		}
	}
	if len(found) == 0 || found[0].start != 0 {
		return nil
	}
	out := map[string]string{}
	for n, f := range found {
		end := len(s)
		if n+1 < len(found) {
			end = found[n+1].start
		}
		if _, ok := out[f.key]; !ok {
			out[f.key] = strings.TrimSuffix(s[f.end:end], "/")
		}
	}
	return out
}
