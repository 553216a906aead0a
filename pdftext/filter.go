package pdftext

// Stream filters (ISO 32000-1, 7.4): the ones that carry text and page
// structure. Image codecs (DCT, JPX, CCITT, JBIG2) are never decoded: text
// extraction only needs to know that an image was drawn. Every stage stops
// at a limit of decoded bytes, so a decompression bomb costs at most that.

import (
	"bytes"
	"compress/flate"
	"compress/lzw"
	"compress/zlib"
	"encoding/ascii85"
	"errors"
	"fmt"
	"io"

	tifflzw "golang.org/x/image/tiff/lzw"
)

// decodeStream returns a stream's data with its filters applied, refusing
// more than limit bytes.
func (d *Document) decodeStream(s *stream, limit int) ([]byte, error) {
	var filters []name
	var parms []dict
	switch f := d.resolve(s.dict["Filter"]).(type) {
	case nil:
	case name:
		filters = []name{f}
		p, _ := d.resolve(s.dict["DecodeParms"]).(dict)
		parms = []dict{p}
	case array:
		pa, _ := d.resolve(s.dict["DecodeParms"]).(array)
		for i, e := range f {
			n, ok := d.resolve(e).(name)
			if !ok {
				return nil, fmt.Errorf("%v: filter %s is not a name: %w", s.ref, objString(e), ErrMalformed)
			}
			filters = append(filters, n)
			var p dict
			if i < len(pa) {
				p, _ = d.resolve(pa[i]).(dict)
			}
			parms = append(parms, p)
		}
	default:
		return nil, fmt.Errorf("%v: /Filter %s: %w", s.ref, objString(f), ErrMalformed)
	}
	data := s.raw
	for i, f := range filters {
		var err error
		data, err = d.applyFilter(f, parms[i], data, limit)
		if err != nil {
			return nil, fmt.Errorf("%v: /%s: %w", s.ref, f, err)
		}
	}
	if len(data) > limit {
		return nil, tooLarge(limit)
	}
	return data, nil
}

func tooLarge(limit int) error {
	return fmt.Errorf("a stream decodes to more than %d MiB: %w", limit>>20, ErrTooLarge)
}

// errImageFilter reports an image codec, which text extraction does not
// decode.
var errImageFilter = errors.New("an image codec")

func (d *Document) applyFilter(f name, parms dict, data []byte, limit int) ([]byte, error) {
	intParm := func(key name, def int64) int64 {
		if v, ok := d.resolve(parms[key]).(int64); ok {
			return v
		}
		return def
	}
	var out []byte
	var err error
	switch f {
	case "FlateDecode", "Fl":
		out, err = inflate(data, limit)
	case "LZWDecode", "LZW":
		var r io.ReadCloser
		if intParm("EarlyChange", 1) == 0 {
			r = lzw.NewReader(bytes.NewReader(data), lzw.MSB, 8)
		} else {
			r = tifflzw.NewReader(bytes.NewReader(data), tifflzw.MSB, 8)
		}
		out, err = readAtMost(r, limit, 4*len(data))
		if err != nil && len(out) > 0 && errors.Is(err, io.ErrUnexpectedEOF) {
			err = nil // a missing end-of-data code after complete data
		}
	case "ASCIIHexDecode", "AHx":
		out = unhexStream(data)
	case "ASCII85Decode", "A85":
		out, err = unascii85(data, limit)
	case "RunLengthDecode", "RL":
		out, err = unrunlength(data, limit)
	case "Crypt":
		return data, nil // the identity crypt filter: decryption happened before
	case "DCTDecode", "DCT", "JPXDecode", "CCITTFaxDecode", "CCF", "JBIG2Decode":
		return nil, errImageFilter
	default:
		return nil, fmt.Errorf("unknown filter: %w", ErrMalformed)
	}
	if err != nil {
		return nil, err
	}
	if len(out) > limit {
		return nil, tooLarge(limit)
	}
	if pred := intParm("Predictor", 1); pred > 1 {
		return unpredict(out, pred, intParm("Colors", 1), intParm("BitsPerComponent", 8), intParm("Columns", 1))
	}
	return out, nil
}

// readAtMost reads r to its end, or fails beyond limit bytes; hint is the
// size to expect.
func readAtMost(r io.Reader, limit, hint int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(min(max(hint, 512), limit+1))
	n, err := buf.ReadFrom(io.LimitReader(r, int64(limit)+1))
	if n > int64(limit) {
		return nil, tooLarge(limit)
	}
	return buf.Bytes(), err
}

// inflate reads zlib data (raw deflate when the zlib header is missing). A
// wrong checksum after complete data is accepted, as every reader does; a
// stream that stops early is an error, since text would be lost.
func inflate(data []byte, limit int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	var r io.Reader = zr
	if err != nil {
		r = flate.NewReader(bytes.NewReader(data))
	}
	// Content streams inflate about fourfold.
	out, err := readAtMost(r, limit, 4*len(data))
	if errors.Is(err, zlib.ErrChecksum) {
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	return out, nil
}

func unhexStream(data []byte) []byte {
	out := make([]byte, 0, len(data)/2)
	var hi byte
	half := false
	for _, c := range data {
		if c == '>' {
			break
		}
		if !isHex(c) {
			continue
		}
		if half {
			out = append(out, hi<<4|unhex(c))
		} else {
			hi = unhex(c)
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	return out
}

func unascii85(data []byte, limit int) ([]byte, error) {
	if i := bytes.Index(data, []byte("~>")); i >= 0 {
		data = data[:i]
	}
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n\f\x00"), []byte("<~")) {
		data = bytes.TrimLeft(data, " \t\r\n\f\x00")[2:]
	}
	// 'z' stands for four zero bytes; the rest decodes 5:4.
	z := bytes.Count(data, []byte("z"))
	if 4*z > limit {
		return nil, tooLarge(limit)
	}
	out := make([]byte, 4*len(data)/5+4*z+4)
	n, _, err := ascii85.Decode(out, data, true)
	if err != nil {
		return nil, fmt.Errorf("ascii85: %w", err)
	}
	return out[:n], nil
}

func unrunlength(data []byte, limit int) ([]byte, error) {
	var out []byte
	for i := 0; i < len(data); {
		n := int(data[i])
		i++
		switch {
		case n == 128:
			return out, nil
		case n < 128:
			end := min(i+n+1, len(data))
			out = append(out, data[i:end]...)
			i = end
		default:
			if i < len(data) {
				for k := 0; k < 257-n; k++ {
					out = append(out, data[i])
				}
				i++
			}
		}
		if len(out) > limit {
			return nil, tooLarge(limit)
		}
	}
	return out, nil
}

// unpredict undoes a PNG (10–15) or TIFF (2) predictor.
func unpredict(data []byte, pred, colors, bpc, columns int64) ([]byte, error) {
	if colors < 1 || colors > 32 || bpc < 1 || bpc > 16 || columns < 1 || columns > 1<<24 {
		return nil, fmt.Errorf("predictor parameters /Colors %d /BitsPerComponent %d /Columns %d: %w", colors, bpc, columns, ErrMalformed)
	}
	bpp := int(max((colors*bpc+7)/8, 1))
	rowLen := int((colors*bpc*columns + 7) / 8)
	switch {
	case pred == 2:
		if bpc != 8 {
			return nil, fmt.Errorf("TIFF predictor with %d bits per component: %w", bpc, ErrMalformed)
		}
		for r := 0; r+rowLen <= len(data); r += rowLen {
			row := data[r : r+rowLen]
			for i := bpp; i < len(row); i++ {
				row[i] += row[i-bpp]
			}
		}
		return data, nil
	case pred >= 10:
		out := make([]byte, 0, len(data))
		prev := make([]byte, rowLen)
		for r := 0; r < len(data); r += rowLen + 1 {
			ft := data[r]
			end := min(r+1+rowLen, len(data))
			row := make([]byte, rowLen)
			copy(row, data[r+1:end])
			for i := 0; i < rowLen; i++ {
				var left, upLeft byte
				if i >= bpp {
					left, upLeft = row[i-bpp], prev[i-bpp]
				}
				up := prev[i]
				switch ft {
				case 0:
				case 1:
					row[i] += left
				case 2:
					row[i] += up
				case 3:
					row[i] += byte((int(left) + int(up)) / 2)
				case 4:
					row[i] += paeth(left, up, upLeft)
				default:
					return nil, fmt.Errorf("PNG predictor: row filter %d: %w", ft, ErrMalformed)
				}
			}
			out = append(out, row[:end-r-1]...)
			prev = row
		}
		return out, nil
	}
	return nil, fmt.Errorf("predictor %d: %w", pred, ErrMalformed)
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
