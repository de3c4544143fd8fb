// Package clean holds the text normalisation that the contract of the marts
// (docs/MARTS.md §5) defines, shared by the warehouse, which applies it at
// load, and the simulator's oracle, which must compute the same keys.
package clean

import (
	"strings"
	"unicode/utf8"
)

// Text replaces NUL bytes and invalid UTF-8 with U+FFFD (PostgreSQL cannot
// store NUL in text, so both engines store the replacement) and trims ASCII
// spaces. repaired reports whether anything was replaced.
func Text(s string) (clean string, repaired bool) {
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
		repaired = true
	}
	return strings.Trim(s, " "), repaired
}

// Category is Text, lower-cased with Go's Unicode rules (the same on every
// engine, unlike SQL lower() under PostgreSQL's C ctype): the category key
// of docs/MARTS.md §5.
func Category(s string) (key string, repaired bool) {
	c, r := Text(s)
	return strings.ToLower(c), r
}
