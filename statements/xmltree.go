package statements

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// node is an XML element with namespaces dropped: ISO 20022 versions differ
// in their namespace, rarely in their element names.
type node struct {
	name     string
	attrs    map[string]string
	text     string
	children []*node
	line     int
}

// maxXMLDepth and maxXMLNodes bound what a hostile file can make us build.
const (
	maxXMLDepth = 64
	maxXMLNodes = 2_000_000
)

func parseXML(data []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "utf-8") || strings.EqualFold(label, "us-ascii") {
			return in, nil
		}
		return nil, fmt.Errorf("unsupported XML encoding %q", label)
	}
	root := &node{name: "#document"}
	stack := []*node{root}
	count := 0
	for {
		offset := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > maxXMLNodes || len(stack) > maxXMLDepth {
				return nil, fmt.Errorf("XML too large or too deep")
			}
			n := &node{name: t.Name.Local, attrs: map[string]string{}, line: 1 + bytes.Count(data[:offset], []byte("\n"))}
			for _, a := range t.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			parent := stack[len(stack)-1]
			parent.children = append(parent.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			stack[len(stack)-1].text += string(t)
		}
	}
	return root, nil
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
