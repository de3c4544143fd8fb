package warehouse

import (
	"github.com/shoplake/shoplake/internal/clean"
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

// CleanText and CleanCategory are the normalisation of docs/MARTS.md §5;
// see package clean, which the simulator's oracle shares.
var (
	CleanText     = clean.Text
	CleanCategory = clean.Category
)

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
type cleaner struct {
	fields  []string // repaired by CleanText or cleanID
	garbled []string // event dimensions sent with a value the contract does not accept
}

// dimension is the normalised value of an event dimension
// (clean.Dimension), noting a garbled one.
func (c *cleaner) dimension(name string, v *string) string {
	out, garbled := clean.Dimension(name, v)
	if garbled {
		c.garbled = append(c.garbled, name)
	}
	return out
}

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
	var reasons []string
	if len(c.fields) > 0 {
		reasons = append(reasons, "NUL bytes or invalid UTF-8 replaced by U+FFFD in "+strings.Join(c.fields, ", "))
	}
	if len(c.garbled) > 0 {
		reasons = append(reasons, "dimensions the contract does not accept stored as "+clean.Unknown+": "+strings.Join(c.garbled, ", "))
	}
	if len(reasons) == 0 {
		return nil
	}
	return []quarantined{{rowNo: rowNo, disposition: dispRepaired,
		reason: strings.Join(reasons, "; "), record: recordText(record)}}
}
