package pdftext

// The cross-reference chain, object resolution and repair. Every loop here
// is bounded by the file: /Prev chains and object streams are followed
// with visited sets, a reference chain at most maxRefChain deep, and an
// object that is being resolved and is asked for again (an object stream
// that contains itself, a /Length that refers to its own stream) resolves
// as null instead of recursing.

import (
	"bytes"
	"fmt"
	"sort"
)

type xrefEntry struct {
	kind uint8  // 1: at an offset in the file; 2: in an object stream
	gen  uint16 // kind 1
	off  int    // kind 1: file offset; kind 2: the object stream's number
	idx  int    // kind 2: index inside the object stream
}

// objStm is a decoded object stream: object number → offset in data.
type objStm struct {
	data []byte
	offs map[uint32]int
}

const (
	// maxRefChain bounds a reference to a reference to …
	maxRefChain = 32
	// maxXrefSections bounds a /Prev chain (incremental updates).
	maxXrefSections = 4096
	// maxResolveDepth bounds nested resolution (an object in an object
	// stream whose /Length is in another object stream …).
	maxResolveDepth = 16
	// maxRetained bounds the decoded bytes a document keeps (object
	// streams, ToUnicode CMaps, cached form contents), against many
	// streams that each stay under maxStreamBytes.
	maxRetained = 256 << 20
)

// load reads the cross-reference chain from startxref, or repairs it by
// scanning the file when it is missing or broken.
func (d *Document) load() error {
	d.cache = map[ref]any{}
	d.busy = map[ref]bool{}
	d.objstms = map[uint32]*objStm{}
	tail := d.data[max(0, len(d.data)-1024):]
	if !bytes.Contains(tail, []byte("%%EOF")) {
		return fmt.Errorf("the file ends early (no %%%%EOF at its end: a truncated download?): %w", ErrMalformed)
	}
	err := d.readXrefChain()
	if err == nil && d.trailer["Encrypt"] != nil {
		return nil // its objects are read once decrypted
	}
	if (err != nil || d.catalog() == nil) && !d.repaired {
		if rerr := d.repair(); rerr != nil {
			if err == nil {
				err = rerr
			}
			return err
		}
	}
	if d.trailer["Encrypt"] != nil {
		return nil
	}
	if d.catalog() == nil {
		return fmt.Errorf("no document catalog (/Root): %w", ErrMalformed)
	}
	return nil
}

func (d *Document) catalog() dict {
	c, _ := d.resolve(d.trailer["Root"]).(dict)
	return c
}

// readXrefChain reads the newest cross-reference section and every older
// one it links to; newer entries win.
func (d *Document) readXrefChain() error {
	tail := d.data[max(0, len(d.data)-2048):]
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return fmt.Errorf("no startxref: %w", ErrMalformed)
	}
	p := parser{b: tail, pos: i + len("startxref")}
	p.skipSpace()
	off, ok := parseInt(p.regular())
	if !ok || off <= 0 || off >= int64(len(d.data)) {
		return fmt.Errorf("startxref %d is outside the file: %w", off, ErrMalformed)
	}
	d.xref = map[uint32]xrefEntry{}
	d.trailer = dict{}
	seen := map[int64]bool{}
	for next := []int64{off}; len(next) > 0; {
		off := next[0]
		next = next[1:]
		if seen[off] {
			continue // a /Prev that loops back: every section is read once
		}
		if len(seen) >= maxXrefSections {
			return fmt.Errorf("more than %d cross-reference sections: %w", maxXrefSections, ErrMalformed)
		}
		seen[off] = true
		if off <= 0 || off >= int64(len(d.data)) {
			return fmt.Errorf("cross-reference offset %d is outside the file: %w", off, ErrMalformed)
		}
		trailer, err := d.readXrefSection(int(off))
		if err != nil {
			return err
		}
		for k, v := range trailer {
			if _, ok := d.trailer[k]; !ok && k != "Prev" && k != "XRefStm" {
				d.trailer[k] = v
			}
		}
		// A hybrid file's table names a stream with the objects the
		// table leaves out; it comes before the older sections.
		if x, ok := trailer["XRefStm"].(int64); ok {
			next = append([]int64{x}, next...)
		}
		if prev, ok := trailer["Prev"].(int64); ok {
			next = append(next, prev)
		}
	}
	return nil
}

func (d *Document) setEntry(num uint32, e xrefEntry) {
	if _, ok := d.xref[num]; !ok {
		d.xref[num] = e
	}
}

// readXrefSection reads a table ("xref" … "trailer" <<…>>) or a
// cross-reference stream at off and returns its trailer dictionary.
func (d *Document) readXrefSection(off int) (dict, error) {
	p := parser{b: d.data, pos: off, doc: d}
	p.skipSpace()
	if bytes.HasPrefix(d.data[p.pos:], []byte("xref")) {
		p.pos += 4
		for {
			if err := d.ctxErr(); err != nil {
				return nil, err
			}
			p.skipSpace()
			if bytes.HasPrefix(d.data[p.pos:], []byte("trailer")) {
				p.pos += len("trailer")
				t, err := p.object(0)
				if err != nil {
					return nil, fmt.Errorf("trailer: %w", err)
				}
				td, ok := t.(dict)
				if !ok {
					return nil, fmt.Errorf("trailer is not a dictionary: %w", ErrMalformed)
				}
				return td, nil
			}
			start, ok1 := parseInt(p.regular())
			p.skipSpace()
			count, ok2 := parseInt(p.regular())
			if !ok1 || !ok2 || start < 0 || count < 0 || start+count > 1<<31 || count > int64(len(d.data)-p.pos)/10 {
				return nil, fmt.Errorf("cross-reference table at %d: bad subsection: %w", off, ErrMalformed)
			}
			for i := int64(0); i < count; i++ {
				p.skipSpace()
				o, ok1 := parseInt(p.regular())
				p.skipSpace()
				g, ok2 := parseInt(p.regular())
				p.skipSpace()
				kw := p.regular()
				if !ok1 || !ok2 || len(kw) != 1 || kw[0] != 'n' && kw[0] != 'f' {
					return nil, fmt.Errorf("cross-reference table at %d: bad entry %d: %w", off, start+i, ErrMalformed)
				}
				num := uint32(start + i)
				if kw[0] == 'f' || o <= 0 || o >= int64(len(d.data)) {
					d.setEntry(num, xrefEntry{})
					continue
				}
				d.setEntry(num, xrefEntry{kind: 1, gen: uint16(g), off: int(o)})
			}
		}
	}
	v, err := p.indirectAt()
	if err != nil {
		return nil, fmt.Errorf("cross-reference stream at %d: %w", off, err)
	}
	s, ok := v.(*stream)
	if !ok || s.dict["Type"] != name("XRef") {
		return nil, fmt.Errorf("no cross-reference table or stream at %d: %w", off, ErrMalformed)
	}
	if err := d.readXrefStream(s); err != nil {
		return nil, fmt.Errorf("cross-reference stream at %d: %w", off, err)
	}
	return s.dict, nil
}

// indirectAt reads the indirect object at the parser's position, whatever
// its number.
func (p *parser) indirectAt() (any, error) {
	save := p.pos
	p.skipSpace()
	num, ok1 := parseInt(p.regular())
	p.skipSpace()
	gen, ok2 := parseInt(p.regular())
	if !ok1 || !ok2 || num < 0 || num > 1<<31 || gen < 0 || gen > 65535 {
		return nil, fmt.Errorf("no object header: %w", ErrMalformed)
	}
	p.pos = save
	return p.indirect(ref{uint32(num), uint16(gen)})
}

func (d *Document) readXrefStream(s *stream) error {
	data, err := d.decodeStream(s, maxStreamBytes)
	if err != nil {
		return err
	}
	var w [3]int
	wa, _ := s.dict["W"].(array)
	if len(wa) < 3 {
		return fmt.Errorf("/W is not three widths: %w", ErrMalformed)
	}
	rowLen := 0
	for i := 0; i < 3; i++ {
		n, ok := wa[i].(int64)
		if !ok || n < 0 || n > 8 {
			return fmt.Errorf("/W %v: %w", objString(wa), ErrMalformed)
		}
		w[i] = int(n)
		rowLen += int(n)
	}
	if rowLen == 0 {
		return fmt.Errorf("/W is all zero: %w", ErrMalformed)
	}
	size, _ := s.dict["Size"].(int64)
	index, _ := s.dict["Index"].(array)
	if index == nil {
		index = array{int64(0), size}
	}
	field := func(b []byte) int64 {
		var v int64
		for _, c := range b {
			v = v<<8 | int64(c)
		}
		return v
	}
	pos := 0
	for i := 0; i+1 < len(index); i += 2 {
		start, ok1 := index[i].(int64)
		count, ok2 := index[i+1].(int64)
		if !ok1 || !ok2 || start < 0 || count < 0 || start+count > 1<<31 {
			return fmt.Errorf("/Index %v: %w", objString(index), ErrMalformed)
		}
		for k := int64(0); k < count && pos+rowLen <= len(data); k++ {
			row := data[pos : pos+rowLen]
			pos += rowLen
			typ := int64(1)
			if w[0] > 0 {
				typ = field(row[:w[0]])
			}
			f2, f3 := field(row[w[0]:w[0]+w[1]]), field(row[w[0]+w[1]:])
			num := uint32(start + k)
			switch typ {
			case 0:
				d.setEntry(num, xrefEntry{})
			case 1:
				if f2 <= 0 || f2 >= int64(len(d.data)) {
					d.setEntry(num, xrefEntry{})
					continue
				}
				d.setEntry(num, xrefEntry{kind: 1, gen: uint16(f3), off: int(f2)})
			case 2:
				if f2 < 0 || f2 > 1<<31 {
					continue
				}
				d.setEntry(num, xrefEntry{kind: 2, off: int(f2), idx: int(f3)})
			}
		}
	}
	return nil
}

// resolve follows references to the object they name; a reference that
// leads nowhere (a missing or free object, a cycle) is null, as the
// specification reads a reference to a missing object.
func (d *Document) resolve(v any) any {
	for i := 0; i < maxRefChain; i++ {
		r, ok := v.(ref)
		if !ok {
			return v
		}
		v = d.lookup(r)
	}
	return nil
}

func (d *Document) lookup(r ref) any {
	if v, ok := d.cache[r]; ok {
		return v
	}
	if d.fault != nil {
		return nil
	}
	if d.busy[r] || len(d.busy) >= maxResolveDepth {
		return nil // it needs itself: a cycle
	}
	d.busy[r] = true
	v, err := d.read(r)
	if err != nil && !d.repaired {
		// Offsets that point elsewhere: rebuild the table from the
		// objects in the file, as readers do, and try once more.
		if d.repair() == nil {
			v, err = d.read(r)
		}
	}
	delete(d.busy, r)
	if err != nil {
		v = nil
	}
	d.cache[r] = v
	return v
}

func (d *Document) read(r ref) (any, error) {
	e, ok := d.xref[r.num]
	switch {
	case !ok || e.kind == 0:
		return nil, nil
	case e.kind == 1:
		if e.gen != r.gen {
			return nil, nil
		}
		p := parser{b: d.data, pos: e.off, doc: d}
		v, err := p.indirect(r)
		d.scanned(p.pos - e.off)
		return v, err
	}
	if r.gen != 0 {
		return nil, nil
	}
	os, err := d.objectStream(uint32(e.off))
	if err != nil {
		return nil, fmt.Errorf("%v: %w", r, err)
	}
	off, ok := os.offs[r.num]
	if !ok {
		return nil, fmt.Errorf("%v is not in its object stream %d: %w", r, e.off, ErrMalformed)
	}
	p := parser{b: os.data, pos: off}
	v, err := p.object(0)
	d.scanned(p.pos - off)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", r, err)
	}
	if _, kw := v.(keyword); kw {
		return nil, fmt.Errorf("%v: keyword %q where an object belongs: %w", r, v, ErrMalformed)
	}
	return v, nil
}

// objectStream decodes object stream num once.
func (d *Document) objectStream(num uint32) (*objStm, error) {
	if os, ok := d.objstms[num]; ok {
		if os == nil {
			return nil, fmt.Errorf("object stream %d is unreadable: %w", num, ErrMalformed)
		}
		return os, nil
	}
	d.objstms[num] = nil // while it is read, and if it fails
	s, ok := d.resolve(ref{num, 0}).(*stream)
	if !ok || s.dict["Type"] != name("ObjStm") {
		return nil, fmt.Errorf("object %d is not an object stream: %w", num, ErrMalformed)
	}
	data, err := d.decodeStream(s, maxStreamBytes)
	if err != nil {
		return nil, fmt.Errorf("object stream %d: %w", num, err)
	}
	if err := d.retain(len(data)); err != nil {
		return nil, fmt.Errorf("object stream %d: %w", num, err)
	}
	n, _ := d.resolve(s.dict["N"]).(int64)
	first, _ := d.resolve(s.dict["First"]).(int64)
	if n < 0 || first < 0 || first > int64(len(data)) || n > int64(len(data)) {
		return nil, fmt.Errorf("object stream %d: /N %d /First %d: %w", num, n, first, ErrMalformed)
	}
	os := &objStm{data: data, offs: make(map[uint32]int, n)}
	p := parser{b: data[:first]}
	for i := int64(0); i < n; i++ {
		p.skipSpace()
		obj, ok1 := parseInt(p.regular())
		p.skipSpace()
		off, ok2 := parseInt(p.regular())
		if !ok1 || !ok2 || obj < 0 || obj > 1<<31 || off < 0 || first+off > int64(len(data)) {
			break
		}
		if _, dup := os.offs[uint32(obj)]; !dup {
			os.offs[uint32(obj)] = int(first + off)
		}
	}
	d.objstms[num] = os
	return os, nil
}

// scanned counts n bytes read by the object parser. Every object is read
// once, so a document's total is about its size; objects that overlap
// (an unterminated string under thousands of object headers) would make
// it quadratic, and stop the work instead.
func (d *Document) scanned(n int) {
	d.scan += int64(max(n, 0))
	if limit := 8*int64(len(d.data)) + maxStreamBytes; d.scan > limit && d.fault == nil {
		d.fault = fmt.Errorf("objects overlap: more than %d MiB read to parse them: %w", limit>>20, ErrTooLarge)
	}
}

// retain counts n decoded bytes that the document keeps; beyond
// maxRetained the document stops with ErrTooLarge.
func (d *Document) retain(n int) error {
	d.retained += int64(n)
	if d.retained > maxRetained {
		err := fmt.Errorf("more than %d MiB of decoded object data: %w", maxRetained>>20, ErrTooLarge)
		if d.fault == nil {
			d.fault = err // what was not kept cannot be read: stop
		}
		return err
	}
	return nil
}

// endstreamAfter finds the end of a stream's data that starts at start
// when its /Length is wrong: the first "endstream" after it, without the
// end-of-line before it. The keyword's places are found once per file.
func (d *Document) endstreamAfter(start int) int {
	if d.endstreams == nil {
		d.endstreams = []int{}
		kw := []byte("endstream")
		for i := 0; ; {
			j := bytes.Index(d.data[i:], kw)
			if j < 0 {
				break
			}
			d.endstreams = append(d.endstreams, i+j)
			i += j + len(kw)
		}
	}
	k := sort.SearchInts(d.endstreams, start)
	if k == len(d.endstreams) {
		return -1
	}
	end := d.endstreams[k]
	if end > start && d.data[end-1] == '\n' {
		end--
	}
	if end > start && d.data[end-1] == '\r' {
		end--
	}
	return end
}

// repair rebuilds the cross-reference table from the "N G obj" headers in
// the file (later ones win, as in an incrementally updated file), the
// objects inside object streams, and the last trailer with a /Root.
func (d *Document) repair() error {
	if d.repaired {
		return fmt.Errorf("the cross-reference table cannot be rebuilt: %w", ErrMalformed)
	}
	d.repaired = true
	d.xref = map[uint32]xrefEntry{}
	clear(d.cache)
	clear(d.objstms)
	data := d.data
	var order []uint32
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("obj"))
		if j < 0 {
			break
		}
		at := i + j
		i = at + 3
		if at+3 < len(data) && !isWhite(data[at+3]) && !isDelim(data[at+3]) {
			continue
		}
		// back over "<num> <gen> "
		k := at
		if k == 0 || !isWhite(data[k-1]) {
			continue
		}
		for k > 0 && isWhite(data[k-1]) {
			k--
		}
		ge := k
		for k > 0 && data[k-1] >= '0' && data[k-1] <= '9' {
			k--
		}
		gs := k
		if gs == ge || k == 0 || !isWhite(data[k-1]) {
			continue
		}
		for k > 0 && isWhite(data[k-1]) {
			k--
		}
		ne := k
		for k > 0 && data[k-1] >= '0' && data[k-1] <= '9' {
			k--
		}
		if k == ne || k > 0 && !isWhite(data[k-1]) && !isDelim(data[k-1]) {
			continue
		}
		num, ok1 := parseInt(data[k:ne])
		gen, ok2 := parseInt(data[gs:ge])
		if !ok1 || !ok2 || num > 1<<31 || gen > 65535 {
			continue
		}
		if _, seen := d.xref[uint32(num)]; !seen {
			order = append(order, uint32(num))
		}
		d.xref[uint32(num)] = xrefEntry{kind: 1, gen: uint16(gen), off: k}
	}
	if err := d.ctxErr(); err != nil {
		return err
	}
	// Trailers: the last one with a /Root.
	var root any
	for i := len(data); i > 0; {
		j := bytes.LastIndex(data[:i], []byte("trailer"))
		if j < 0 {
			break
		}
		i = j
		p := parser{b: data, pos: j + len("trailer"), doc: d}
		if t, err := p.object(0); err == nil {
			if td, ok := t.(dict); ok && td["Root"] != nil {
				d.trailer = td
				root = td["Root"]
				break
			}
		}
	}
	// Object streams and cross-reference streams (which hold the trailer
	// of files without a trailer keyword).
	var catalogs []ref
	for _, num := range order {
		e := d.xref[num]
		r := ref{num, e.gen}
		v := d.resolve(r)
		switch v := v.(type) {
		case *stream:
			switch v.dict["Type"] {
			case name("ObjStm"):
				if r.gen != 0 {
					continue
				}
				os, err := d.objectStream(num)
				if err != nil {
					continue
				}
				for obj := range os.offs {
					if _, ok := d.xref[obj]; !ok {
						d.xref[obj] = xrefEntry{kind: 2, off: int(num)}
					}
				}
			case name("XRef"):
				if root == nil && v.dict["Root"] != nil {
					d.trailer = v.dict
					root = v.dict["Root"]
				}
			}
		case dict:
			if v["Type"] == name("Catalog") {
				catalogs = append(catalogs, r)
			}
		}
	}
	if root == nil {
		for num, e := range d.xref {
			if e.kind != 2 {
				continue
			}
			if c, ok := d.resolve(ref{num, 0}).(dict); ok && c["Type"] == name("Catalog") {
				catalogs = append(catalogs, ref{num, 0})
			}
		}
	}
	if root == nil && len(catalogs) > 0 {
		sort.Slice(catalogs, func(i, j int) bool { return catalogs[i].num < catalogs[j].num })
		root = catalogs[len(catalogs)-1]
		d.trailer = dict{"Root": root}
	}
	// Objects resolved above as null for want of their object streams
	// are read again.
	clear(d.cache)
	if root == nil {
		return fmt.Errorf("no trailer and no catalog: %w", ErrMalformed)
	}
	return nil
}
