package statements

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ferry-rpa/ferry"
)

// Candidate is a format a file may be in: how sure the content makes
// Detect (0 to 100) and what it saw. When no reader accepts a file, the
// best candidates are the readers that came closest.
type Candidate struct {
	Format Format
	Score  int
	Reason string
}

// detectWindow is how much of a file detection reads: enough for any
// format's header and the first records, bounded for huge files.
const detectWindow = 64 << 10

// minScore is the least a candidate needs for Detect to choose it.
const minScore = 30

// Detect tells a file's format from its content, falling back to its
// name's extension where the content is ambiguous. When nothing fits, the
// error names the candidates that came closest.
func Detect(name string, data []byte) (Format, error) {
	cands := DetectCandidates(name, data)
	if len(cands) > 0 && cands[0].Score >= minScore {
		return cands[0].Format, nil
	}
	if len(data) >= 8 && bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}) {
		return "", ferry.Errorf(ferry.ClassDocumentChanged, name, "%w", oleError(data))
	}
	var near []string
	for _, c := range cands {
		near = append(near, fmt.Sprintf("%s (%s)", c.Format, c.Reason))
	}
	if len(near) == 0 {
		return "", ferry.Errorf(ferry.ClassDocumentChanged, name, "unrecognised statement file: not PDF, XLSX, CSV, camt, MT940, OFX or BAI2 (give --format to force one)")
	}
	return "", ferry.Errorf(ferry.ClassDocumentChanged, name, "unrecognised statement file; closest: %s (give --format to force one)", strings.Join(near, "; "))
}

// DetectCandidates returns every format the file may be in, most likely
// first, each with the reason. It looks at the content first; the name's
// extension only breaks ties and lifts weak evidence.
func DetectCandidates(name string, data []byte) []Candidate {
	head := data[:min(len(data), detectWindow)]
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(name), "."))
	var out []Candidate
	add := func(f Format, score int, reason string) {
		out = append(out, Candidate{Format: f, Score: min(score, 100), Reason: reason})
	}
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		add(PDF, 100, "starts with %PDF-")
	case bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")):
		add(PDF, 90, "%PDF- header within the first 1024 bytes")
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		switch {
		case bytes.Contains(head, []byte("xl/")):
			add(XLSX, 100, "ZIP package with an Excel workbook part")
		case bytes.Contains(head, []byte("OFD.xml")) || bytes.Contains(head, []byte("Doc_0/")):
			add(XLSX, 5, "an OFD document (a Chinese e-invoice), not a statement")
		case bytes.Contains(head, []byte("[Content_Types].xml")):
			add(XLSX, 60, "Office Open XML package; no xl/ part among its first entries")
		default:
			add(XLSX, 40, "ZIP archive; no Excel workbook part among its first entries")
		}
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return nil // legacy Excel: Detect explains
	}
	if len(out) > 0 {
		return out
	}
	text := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")), " \t\r\n")
	utf16 := false
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) || bytes.ContainsRune(head, 0) {
		// UTF-16 text, with or without a byte-order mark: look at it as
		// UTF-8.
		if enc, err := sniffEncoding(bytes.NewReader(head[:len(head)&^1])); err == nil && strings.HasPrefix(enc.name, "UTF-16") {
			if dec, err := io.ReadAll(enc.decoder(bytes.NewReader(head[:len(head)&^1]))); err == nil && printable(dec) {
				text, utf16 = bytes.TrimLeft(dec, " \t\r\n"), true
			}
		}
	}
	if c, ok := detectCAMT(text); ok {
		add(CAMT, c.Score, c.Reason)
	}
	if c, ok := detectOFX(text); ok {
		add(OFX, c.Score, c.Reason)
	}
	if c, ok := detectBAI2(text); ok {
		add(BAI2, c.Score, c.Reason)
	}
	if c, ok := detectMT940(text, ext); ok {
		add(MT940, c.Score, c.Reason)
	}
	if len(data) > 0 && !bytes.ContainsRune(head, 0) || utf16 {
		score, reason := 30, "plain text"
		switch {
		case bytes.HasPrefix(text, []byte("<?xml")) || bytes.HasPrefix(text, []byte("<")) && bytes.HasSuffix(bytes.TrimSpace(head), []byte(">")):
			score, reason = 10, "XML, not a table"
		case ext == "csv" || ext == "tsv" || ext == "txt":
			score, reason = 50, "text named ."+ext
		}
		add(CSV, score, reason)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}

func detectCAMT(text []byte) (Candidate, bool) {
	if !bytes.HasPrefix(text, []byte("<")) {
		return Candidate{}, false
	}
	switch {
	case bytes.Contains(text, []byte("urn:iso:std:iso:20022:tech:xsd:camt.052")) || bytes.Contains(text, []byte("urn:iso:std:iso:20022:tech:xsd:camt.053")) ||
		bytes.Contains(text, []byte("urn:iso:std:iso:20022:tech:xsd:camt.054")):
		return Candidate{Score: 100, Reason: "ISO 20022 camt.052/053/054 namespace"}, true
	case bytes.Contains(text, []byte("BkToCstmrStmt")) || bytes.Contains(text, []byte("BkToCstmrAcctRpt")) || bytes.Contains(text, []byte("BkToCstmrDbtCdtNtfctn")):
		return Candidate{Score: 90, Reason: "ISO 20022 bank-to-customer message element"}, true
	case bytes.Contains(text, []byte("urn:iso:std:iso:20022")):
		msg := "XML"
		if i := bytes.Index(text, []byte("<Document")); i >= 0 {
			if j := bytes.IndexByte(text[i+1:], '<'); j >= 0 {
				name := text[i+1+j+1:]
				k := 0
				for k < len(name) && k < 64 && (isAlnum(name[k]) || name[k] >= 'a' && name[k] <= 'z' || name[k] == ':') {
					k++
				}
				msg = string(name[:k]) + " message"
			}
		}
		return Candidate{Score: 20, Reason: "ISO 20022 " + msg + ", not a camt.052/053/054 statement"}, true
	}
	return Candidate{}, false
}

func detectOFX(text []byte) (Candidate, bool) {
	upper := bytes.ToUpper(text[:min(len(text), 4096)])
	switch {
	case bytes.Contains(upper, []byte("OFXHEADER")):
		return Candidate{Score: 100, Reason: "OFXHEADER"}, true
	case bytes.Contains(bytes.ToUpper(text), []byte("<OFX>")):
		return Candidate{Score: 100, Reason: "<OFX> element"}, true
	}
	return Candidate{}, false
}

// detectBAI2 looks for BAI2 records: a two-digit record code, a comma,
// fields, and "/" at the record's end.
func detectBAI2(text []byte) (Candidate, bool) {
	lines := 0
	good := 0
	first := ""
	shaped := true // every line is "NN,...,/"
	for len(text) > 0 && lines < 20 {
		line, rest, _ := bytes.Cut(text, []byte("\n"))
		text = rest
		l := strings.TrimRight(string(line), " \r")
		if l == "" {
			continue
		}
		lines++
		if first == "" {
			first = l
		}
		if !(len(l) >= 4 && isDigit(l[0]) && isDigit(l[1]) && l[2] == ',' && strings.HasSuffix(l, "/")) {
			shaped = false
		}
		if len(l) >= 3 && isDigit(l[0]) && isDigit(l[1]) && l[2] == ',' {
			switch l[:2] {
			case "01", "02", "03", "16", "49", "88", "98", "99":
				good++
			}
		}
	}
	switch {
	case strings.HasPrefix(first, "01,") && good >= 2:
		return Candidate{Score: 100, Reason: "BAI2 file header (01) and records"}, true
	case good >= 3 && good*2 >= lines:
		return Candidate{Score: 80, Reason: fmt.Sprintf("%d of the first %d lines are BAI2 records", good, lines)}, true
	case strings.HasPrefix(first, "01,"):
		return Candidate{Score: 40, Reason: "starts like a BAI2 file header (01)"}, true
	case shaped && lines > 0:
		return Candidate{Score: 60, Reason: "every line is a BAI2-shaped record (NN,fields/)"}, true
	}
	return Candidate{}, false
}

// mt940Exts are the names banks give MT940 and MT942 files.
var mt940Exts = map[string]bool{"sta": true, "940": true, "mt940": true, "942": true, "mt942": true, "swi": true, "stm": true, "mt9": true}

// detectMT940 counts the distinct MT940 field tags at line starts. A
// statement for a day without transactions has no :61:, and some exports
// separate records with "@@": both count.
func detectMT940(text []byte, ext string) (Candidate, bool) {
	seen := map[string]bool{}
	swiftHeader := bytes.Contains(text, []byte("{2:O940")) || bytes.Contains(text, []byte("{2:I940")) ||
		bytes.Contains(text, []byte("{2:O942")) || bytes.Contains(text, []byte("{2:I942"))
	for len(text) > 0 {
		line, rest, _ := bytes.Cut(text, []byte("\n"))
		text = rest
		for _, rec := range bytes.Split(line, []byte("@@")) {
			rec = bytes.TrimLeft(rec, " \t")
			if i := bytes.Index(rec, []byte("{4:")); i >= 0 {
				rec = rec[i+3:]
			}
			if tag, _, ok := cutTag(string(rec[:min(len(rec), 6)])); ok && mtTag(tag) {
				seen[tag] = true
			}
		}
	}
	named := mt940Exts[ext]
	n := len(seen)
	score := 0
	var tags []string
	for t := range seen {
		tags = append(tags, ":"+t+":")
	}
	sort.Strings(tags)
	reason := "MT940 fields " + strings.Join(tags, " ")
	switch {
	case swiftHeader:
		score, reason = 100, "SWIFT MT940/MT942 message header"
	case n >= 3:
		score = 100
	case n == 2:
		score = 90
	case n == 1:
		score = 60
	}
	if named {
		if n == 0 && !swiftHeader {
			reason = "named ." + ext + " but has no MT940 field"
			score = 35
		} else {
			score += 30
			reason += ", named ." + ext
		}
	}
	return Candidate{Score: score, Reason: reason}, score > 0
}

// printable reports whether decoded text reads as text: no control
// characters but tabs and line ends, and no replacement characters.
func printable(text []byte) bool {
	if len(bytes.TrimSpace(text)) == 0 {
		return false
	}
	for _, r := range string(text) {
		if r == utf8.RuneError || r < 0x20 && r != '\t' && r != '\r' && r != '\n' {
			return false
		}
	}
	return true
}
