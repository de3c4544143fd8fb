// Package money holds amounts as integer cents so that no price or revenue
// is ever a float. JSON carries them as decimal numbers (109.95, 695).
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Cents is an amount of money in hundredths of the currency unit.
type Cents int64

// ErrInvalid is returned when a string or JSON value is not an amount with at
// most two decimals.
var ErrInvalid = errors.New("invalid amount")

// String formats c as a decimal with two places: "109.95", "-0.50".
func (c Cents) String() string {
	sign := ""
	v := int64(c)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Parse reads a decimal amount with at most two decimals ("22.3", "695",
// "7.95"). It rejects exponents, more than two decimals and anything that is
// not a number, with an error that wraps ErrInvalid.
func Parse(s string) (Cents, error) {
	orig := s
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && (frac == "" || len(frac) > 2)) {
		return 0, fmt.Errorf("%w: %q", ErrInvalid, orig)
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%w: %q", ErrInvalid, orig)
		}
	}
	for len(frac) < 2 {
		frac += "0"
	}
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q: %v", ErrInvalid, orig, err)
	}
	if neg {
		v = -v
	}
	return Cents(v), nil
}

// MarshalJSON writes c as a JSON number with two decimals.
func (c Cents) MarshalJSON() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalJSON reads a JSON number (integer or decimal). A string, such as
// the "price as a string" drift of some APIs, is an error.
func (c *Cents) UnmarshalJSON(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}
