// Package pdfcompare measures how closely Ferry's PDF text agrees with a
// reference text (poppler's pdftotext -layout): per page, the longest
// common subsequence of the non-blank characters over the longer of the
// two texts. Blank characters are layout, not content, and are ignored.
package pdfcompare

import "unicode"

// Content returns the non-blank characters of s.
func Content(s string) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if !unicode.IsSpace(r) {
			out = append(out, r)
		}
	}
	return out
}

// LCS returns the length of the longest common subsequence of a and b.
func LCS[T comparable](a, b []T) int {
	if len(a) < len(b) {
		a, b = b, a
	}
	prev := make([]int32, len(b)+1)
	cur := make([]int32, len(b)+1)
	for i := 1; i <= len(a); i++ {
		ai := a[i-1]
		for j := 1; j <= len(b); j++ {
			switch {
			case ai == b[j-1]:
				cur[j] = prev[j-1] + 1
			case prev[j] >= cur[j-1]:
				cur[j] = prev[j]
			default:
				cur[j] = cur[j-1]
			}
		}
		prev, cur = cur, prev
	}
	return int(prev[len(b)])
}

// Agreement compares two page texts: matched characters and the count
// they are out of (the longer text).
func Agreement(ours, ref string) (matched, of int) {
	a, b := Content(ours), Content(ref)
	return LCS(a, b), max(len(a), len(b))
}
