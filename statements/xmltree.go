package statements

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
)

// node is an XML element with namespaces dropped: ISO 20022 versions differ
// in their namespace, rarely in their element names.
type node struct {
	name     string
	attrs    []xml.Attr // nil for most elements
	text     string
	children []*node
	line     int
	pieces   int // text pieces read
}

// Bounds on what a hostile file can make us build or walk.
const (
	maxXMLDepth = 64
	// maxXMLLive bounds the elements held at once. Streaming callers drop
	// what they have read (camt entries), so a long file stays small.
	maxXMLLive = 2_000_000
	// maxTextPieces bounds the pieces one element's text may come in.
	maxTextPieces = 1000
	// maxXMLSize bounds the input in bytes.
	maxXMLSize = 1 << 30
)

// parseXMLStream reads a document into a tree, calling closed for each
// element when its end tag is read, with its parent. When closed returns
// drop, the element is taken out of the tree: a caller that turns each
// entry into a record as it ends holds one entry at a time, not the file.
// The parse is linear in the input.
func parseXMLStream(ctx context.Context, data []byte, closed func(n, parent *node) (drop bool, err error)) (*node, error) {
	if len(data) > maxXMLSize {
		return nil, fmt.Errorf("XML of %d bytes is over the %d-byte limit", len(data), maxXMLSize)
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	utf16 := false
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		// Windows tools save XML as UTF-16 with a byte-order mark, which
		// encoding/xml does not read: decode it first. Line numbers stay.
		dec, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("UTF-16 text: %w", err)
		}
		data, utf16 = dec, true
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		l := strings.ToLower(strings.TrimSpace(label))
		switch {
		case l == "utf-8" || l == "utf8" || l == "us-ascii" || l == "ascii":
			return in, nil
		case strings.HasPrefix(l, "utf-16") || strings.HasPrefix(l, "utf16"):
			if utf16 {
				return in, nil // already decoded from its byte-order mark
			}
			return nil, fmt.Errorf("XML declared %q has no UTF-16 byte-order mark", label)
		case l == "iso-8859-1" || l == "latin1" || l == "latin-1":
			// Not Windows-1252, as HTML would read it: in XML the label
			// means ISO-8859-1 itself.
			return charmap.ISO8859_1.NewDecoder().Reader(in), nil
		}
		// Every other single-byte set by its registered name or alias
		// (windows-1250, iso-8859-2, cp852 ...), as Central and Eastern
		// European banks declare them.
		if e, err := htmlindex.Get(l); err == nil {
			if n, _ := htmlindex.Name(e); n != "utf-8" && !strings.HasPrefix(n, "utf-16") {
				return e.NewDecoder().Reader(in), nil
			}
		}
		return nil, fmt.Errorf("unsupported XML encoding %q", label)
	}
	root := &node{name: "#document"}
	stack := []*node{root}
	live := 0
	line, last := 1, 0
	tokens := 0
	for {
		// Lines are counted from the last token on: linear, not from the
		// file's start each time.
		if off := int(dec.InputOffset()); off > last && off <= len(data) {
			line += bytes.Count(data[last:off], []byte("\n"))
			last = off
		}
		if tokens++; tokens%4096 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("line %d: parse stopped: %w", line, context.Cause(ctx))
		}
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			live++
			if live > maxXMLLive || len(stack) > maxXMLDepth {
				return nil, fmt.Errorf("line %d: XML too large or too deep", line)
			}
			n := &node{name: t.Name.Local, line: line}
			if len(t.Attr) > 0 {
				n.attrs = t.Attr
			}
			parent := stack[len(stack)-1]
			parent.children = append(parent.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) < 2 {
				return nil, fmt.Errorf("line %d: end tag </%s> without a start tag", line, t.Name.Local)
			}
			n := stack[len(stack)-1]
			if n.name != t.Name.Local {
				return nil, fmt.Errorf("line %d: element <%s> (line %d) closed by </%s>", line, n.name, n.line, t.Name.Local)
			}
			stack = stack[:len(stack)-1]
			if closed != nil {
				parent := stack[len(stack)-1]
				drop, err := closed(n, parent)
				if err != nil {
					return nil, err
				}
				if drop {
					parent.children = parent.children[:len(parent.children)-1]
					live -= count(n)
				}
			}
		case xml.CharData:
			n := stack[len(stack)-1]
			if n.text == "" && len(bytes.TrimSpace(t)) == 0 {
				continue // indentation between elements
			}
			if n.pieces++; n.pieces > maxTextPieces {
				// Text cut by comments or CDATA sections a million times
				// would be copied a million times.
				return nil, fmt.Errorf("line %d: the text of <%s> comes in more than %d pieces", line, n.name, maxTextPieces)
			}
			n.text += string(t)
		}
	}
	if len(stack) > 1 {
		return nil, fmt.Errorf("line %d: the document ends inside <%s> (line %d): the file is truncated", line, stack[len(stack)-1].name, stack[len(stack)-1].line)
	}
	return root, nil
}

// count is the number of elements in n's tree.
func count(n *node) int {
	c := 1
	for _, ch := range n.children {
		c += count(ch)
	}
	return c
}

// attr returns the value of the attribute with the local name, or "".
func (n *node) attr(name string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// child returns the first child along the path of element names.
func (n *node) child(path ...string) *node {
	cur := n
	for _, p := range path {
		if cur == nil {
			return nil
		}
		var next *node
		for _, c := range cur.children {
			if c.name == p {
				next = c
				break
			}
		}
		cur = next
	}
	return cur
}

// all returns every child named name.
func (n *node) all(name string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, c := range n.children {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

// str returns the trimmed text at path, or "".
func (n *node) str(path ...string) string {
	c := n.child(path...)
	if c == nil {
		return ""
	}
	return strings.TrimSpace(c.text)
}
