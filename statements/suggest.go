package statements

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ferry-rpa/ferry"
	"gopkg.in/yaml.v3"
)

// SuggestMapping reads the first rows of a CSV or XLSX export and
// returns, as YAML for a person to review, the mapping Ferry infers for
// it, with a comment on each choice. When the table cannot be recognised
// it returns a skeleton naming the columns it found, and the error.
func SuggestMapping(ctx context.Context, name string, f io.ReaderAt, size int64, o Options) ([]byte, error) {
	src, err := openSource(context.Background(), name, f, size, o)
	if err != nil {
		return nil, err
	}
	defer src.close()
	var sample []tableRow
	for len(sample) < sampleRows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		row, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, ferry.Errorf(ferry.ClassDocumentChanged, name+": "+src.where(row.num), "%w", err)
		}
		sample = append(sample, row.clone())
	}
	s, rerr := recognise(name, sample, src, o.Mapping, o)
	if rerr == nil {
		rerr = s.decideAccount(name, sample, o)
	}
	doc := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, val *yaml.Node, comment string) {
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: key}
		val.LineComment = comment
		doc.Content = append(doc.Content, k, val)
	}
	scalar := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
	quoted := func(v string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Value: v, Style: yaml.DoubleQuotedStyle}
	}
	doc.HeadComment = fmt.Sprintf("Mapping inferred by Ferry from %s. Review every line; see docs/mapping.md.", name)
	add("bank", quoted(""), "name the bank for people reading this file")
	for _, n := range src.notes() {
		switch {
		case strings.HasPrefix(n, "encoding: "):
			enc, why, _ := strings.Cut(strings.TrimPrefix(n, "encoding: "), " (")
			add("encoding", scalar(strings.ToLower(enc)), "by content: "+strings.TrimSuffix(why, ")"))
		case strings.HasPrefix(n, "delimiter: "):
			if cs, ok := src.(*csvSource); ok {
				d := string(cs.delim)
				if cs.delim == '\t' {
					d = `\t`
				}
				add("delimiter", quoted(d), delimName(rune(cs.delim)))
			}
		}
	}
	if s == nil {
		// A skeleton: the most header-like row's cells, unplaced.
		cols := &yaml.Node{Kind: yaml.MappingNode}
		best := -1
		for i, r := range sample {
			if i > 50 {
				break
			}
			if filled := len(r.cells) - strings.Count(strings.Join(r.cells, "\x00")+"\x00", "\x00\x00"); best < 0 || filled > len(sample[best].cells) {
				if !hasDate(r) {
					best = i
				}
			}
		}
		for _, k := range []string{"booking_date", "amount"} {
			n := quoted("")
			n.LineComment = "required: the header text, or the position (1, 2, ...) with header: false"
			cols.Content = append(cols.Content, scalar(k), n)
		}
		if best >= 0 {
			var names []string
			for j, c := range sample[best].cells {
				names = append(names, fmt.Sprintf("%d %q", j+1, strings.TrimSpace(c)))
			}
			cols.HeadComment = "columns found: " + strings.Join(names, ", ")
		}
		add("columns", cols, "")
		out, err := encodeYAML(doc)
		if err != nil {
			return nil, err
		}
		return out, rerr
	}
	if s.headerIdx < 0 {
		add("header", scalar("false"), "no header row: columns by position")
	}
	ref := func(j int) *yaml.Node {
		if s.headerIdx >= 0 && j < len(s.header) && strings.TrimSpace(s.header[j]) != "" {
			return quoted(strings.TrimSpace(s.header[j]))
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(j + 1)}
	}
	why := map[int]string{}
	for _, n := range s.notes {
		if !strings.HasPrefix(n, "column ") {
			continue
		}
		var j int
		if _, err := fmt.Sscanf(n, "column %d", &j); err == nil {
			if _, rest, ok := strings.Cut(n, ": "); ok {
				if _, inner, ok := strings.Cut(rest, " ("); ok && !strings.HasPrefix(rest, "date order") {
					rest = strings.TrimSuffix(inner, ")")
				}
				if why[j-1] != "" {
					why[j-1] += "; "
				}
				why[j-1] += rest
			}
		}
	}
	cols := &yaml.Node{Kind: yaml.MappingNode}
	placed := map[int]bool{}
	for r := role(1); r < numRoles; r++ {
		if r == roleIgnore || len(s.col[r]) == 0 {
			continue
		}
		var v *yaml.Node
		if len(s.col[r]) == 1 {
			v = ref(s.col[r][0])
			v.LineComment = why[s.col[r][0]]
		} else {
			v = &yaml.Node{Kind: yaml.SequenceNode}
			for _, j := range s.col[r] {
				e := ref(j)
				e.LineComment = why[j]
				v.Content = append(v.Content, e)
			}
		}
		for _, j := range s.col[r] {
			placed[j] = true
		}
		cols.Content = append(cols.Content, scalar(r.String()), v)
	}
	var unused []string
	for j := range s.header {
		if !placed[j] && strings.TrimSpace(s.header[j]) != "" {
			unused = append(unused, fmt.Sprintf("%q", strings.TrimSpace(s.header[j])))
		}
	}
	if len(unused) > 0 {
		cols.HeadComment = "not used: " + strings.Join(unused, ", ")
	}
	add("columns", cols, "")
	if s.has(roleSign) {
		sign := &yaml.Node{Kind: yaml.MappingNode}
		seen := map[string]bool{}
		var deb, cred []string
		for _, r := range sample {
			v := strings.TrimSpace(r.cell(s.first(roleSign)))
			f := fold(v)
			if v == "" || seen[f] {
				continue
			}
			seen[f] = true
			if s.debitW[f] {
				deb = append(deb, v)
			} else if s.creditW[f] {
				cred = append(cred, v)
			}
		}
		seq := func(vs []string) *yaml.Node {
			n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, v := range vs {
				n.Content = append(n.Content, quoted(v))
			}
			return n
		}
		sign.Content = append(sign.Content, scalar("debit"), seq(deb), scalar("credit"), seq(cred))
		add("sign", sign, "the values of the sign column seen in the first rows")
	}
	for _, r := range []role{roleBooking, roleValue} {
		if j := s.first(r); j >= 0 {
			f := s.dates[j]
			add("date_format", scalar(map[dateOrder]string{orderDMY: "DMY", orderMDY: "MDY", orderYMD: "YMD"}[f.order]), why[j])
			break
		}
	}
	if s.dec != 0 {
		add("decimal_separator", quoted(string(s.dec)), "the amounts in the first rows")
	}
	switch {
	case s.has(roleAccount):
	case s.account != "":
		add("account", quoted(s.account), s.accountWhy)
	default:
		doc.FootComment = "The file names no account. Give one: account: NL91ABNA0417164300, or\naccount: {parameter: true} (the caller's), {cell: B2}, {label: \"Konto:\"}, {file_name: iban}."
	}
	if s.currency != "" && !s.has(roleCurrency) {
		add("currency", scalar(s.currency), s.currencyWhy)
	}
	return encodeYAML(doc)
}

func encodeYAML(doc *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{doc}}); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}
