package warehouse

import (
	"strings"
	"unicode/utf8"
)

// Dispositions of a staging.quarantine row.
const (
	// rejected: the row failed typing or its contract and is not in
	// staging; the reason says why.
	dispRejected = "rejected"
	// repaired: the row is in staging with a value changed by CleanText (a
	// NUL byte or invalid UTF-8 replaced); the record keeps the original.
	dispRepaired = "repaired"
)

// quarantined is one staging.quarantine row of an object, before Load
// knows the object's load_seq.
type quarantined struct {
	rowNo       int64
	disposition string
	reason      string
	record      string
}

// quarantineColumns are staging.quarantine's columns in row order.
var quarantineColumns = []string{"raw_key", "load_seq", "entity", "row_no", "disposition", "reason", "record"}

// CleanText is how Load stores every text value from a source, on every
// engine alike: NUL bytes and invalid UTF-8 become U+FFFD (the Unicode
// replacement character), then leading and trailing ASCII spaces are
// removed. repaired reports a replacement (not a trim): Load then records
// the row in staging.quarantine as repaired, with the record as served.
//
// Why replace NUL rather than reject the row: PostgreSQL (and Redshift)
// cannot store U+0000 in text, and DuckDB can; storing the same bytes on
// both engines needs one rule, and rejecting a product for a NUL in its
// title would drop it from CORE, unprice its order lines and change every
// revenue figure. The replacement keeps the row and its numbers, and the
// original stays in RAW and in the quarantine record (JSON escapes NUL as
// \u0000). A test that compares marts with the simulator's oracle maps the
// oracle's strings through CleanText.
func CleanText(s string) (clean string, repaired bool) {
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
		repaired = true
	}
	return strings.Trim(s, " "), repaired
}

// CleanCategory is CleanText, lower-cased (Go's Unicode lower-casing, the
// same on every engine, unlike SQL lower() under PostgreSQL's C ctype): the
// category key of docs/MARTS.md §5, with NUL replaced as CleanText does.
func CleanCategory(s string) (clean string, repaired bool) {
	c, r := CleanText(s)
	return strings.ToLower(c), r
}

// cleanID replaces NUL bytes and invalid UTF-8 in an identifier, without
// trimming it: two ids that differ only in spaces stay two ids.
func cleanID(s string) (string, bool) {
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD"), true
	}
	return s, false
}

// recordText is a source record as quarantine stores it: valid UTF-8
// without NUL bytes (JSON text is already; a malformed record may not be).
func recordText(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	return strings.ReplaceAll(s, "\x00", `\u0000`)
}

// cleaner collects which fields of one row CleanText repaired.
type cleaner struct{ fields []string }

func (c *cleaner) text(field, s string) string {
	out, r := CleanText(s)
	if r {
		c.fields = append(c.fields, field)
	}
	return out
}

func (c *cleaner) category(field, s string) string {
	out, r := CleanCategory(s)
	if r {
		c.fields = append(c.fields, field)
	}
	return out
}

func (c *cleaner) id(field, s string) string {
	out, r := cleanID(s)
	if r {
		c.fields = append(c.fields, field)
	}
	return out
}

func (c *cleaner) optText(field string, p *string) any {
	if p == nil {
		return nil
	}
	return c.text(field, *p)
}

// repair returns the quarantine row that records the repairs, if any.
func (c *cleaner) repair(rowNo int64, record []byte) []quarantined {
	if len(c.fields) == 0 {
		return nil
	}
	return []quarantined{{rowNo: rowNo, disposition: dispRepaired,
		reason: "NUL bytes or invalid UTF-8 replaced by U+FFFD in " + strings.Join(c.fields, ", "), record: recordText(record)}}
}
