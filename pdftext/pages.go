package pdftext

import "fmt"

// pageInfo is a leaf of the page tree with the attributes it inherits.
type pageInfo struct {
	dict      dict
	ref       ref // zero for a page written directly inside its parent
	resources any // dict, possibly inherited
	mediaBox  any
	rotate    any
}

// maxPageTreeDepth bounds the page tree's height; real ones are a few
// levels deep.
const maxPageTreeDepth = 256

// walkPages lists the pages in order. It visits every node of the tree at
// most once: a node that is reached again (a /Kids cycle, or a subtree
// listed twice) makes the document malformed, and inherited attributes are
// carried down the walk instead of being looked up through /Parent links,
// which may loop too.
func (d *Document) walkPages() ([]pageInfo, error) {
	root := d.catalog()["Pages"]
	type node struct {
		v         any
		depth     int
		resources any
		mediaBox  any
		rotate    any
	}
	var pages []pageInfo
	seen := map[ref]bool{}
	stack := []node{{v: root}}
	for steps := 0; len(stack) > 0; steps++ {
		if steps%1024 == 0 {
			if err := d.ctxErr(); err != nil {
				return nil, err
			}
		}
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		r, isRef := n.v.(ref)
		if isRef {
			if seen[r] {
				return nil, fmt.Errorf("page tree: %v is reached twice (a cycle in /Kids?): %w", r, ErrMalformed)
			}
			seen[r] = true
		}
		if n.depth > maxPageTreeDepth {
			return nil, fmt.Errorf("page tree deeper than %d levels: %w", maxPageTreeDepth, ErrMalformed)
		}
		nd, ok := d.resolve(n.v).(dict)
		if !ok {
			if n.depth == 0 {
				return nil, fmt.Errorf("the catalog has no page tree (/Pages): %w", ErrMalformed)
			}
			return nil, fmt.Errorf("page tree: a kid (%s) is not a dictionary: %w", objString(n.v), ErrMalformed)
		}
		if res, ok := nd["Resources"]; ok {
			n.resources = res
		}
		if mb, ok := nd["MediaBox"]; ok {
			n.mediaBox = mb
		}
		if r, ok := nd["Rotate"]; ok {
			n.rotate = r
		}
		kids, hasKids := d.resolve(nd["Kids"]).(array)
		if nd["Type"] == name("Page") || !hasKids && nd["Type"] != name("Pages") {
			pi := pageInfo{dict: nd, resources: n.resources, mediaBox: n.mediaBox, rotate: n.rotate}
			if isRef {
				pi.ref = r
			}
			pages = append(pages, pi)
			continue
		}
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, node{v: kids[i], depth: n.depth + 1, resources: n.resources, mediaBox: n.mediaBox, rotate: n.rotate})
		}
	}
	return pages, nil
}
