package warehouse

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestEachElement: the elements of a JSON array exactly as written, one
// by one, however the reader cuts the bytes, and what is not one array
// refused.
func TestEachElement(t *testing.T) {
	elements := func(body string, oneByte bool) ([]string, error) {
		var r io.Reader = strings.NewReader(body)
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		var got []string
		err := eachElement(r, func(raw []byte) error {
			got = append(got, string(raw))
			return nil
		})
		return got, err
	}
	for _, oneByte := range []bool{false, true} {
		got, err := elements(" [ {\"a\": [1, 2]} ,\n\"x\",3 , null,[ ] ] \n", oneByte)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{`{"a": [1, 2]}`, `"x"`, `3`, `null`, `[ ]`}
		if len(got) != len(want) {
			t.Fatalf("%d elements, want %d: %q", len(got), len(want), got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("element %d = %q, want %q", i, got[i], want[i])
			}
		}
		if got, err := elements("[]", oneByte); err != nil || len(got) != 0 {
			t.Errorf("[] gives %q, %v; want no element", got, err)
		}
		for body, msg := range map[string]string{
			"null":      "not a JSON array",
			`{"a":1}`:   "not a JSON array",
			"[1,2] [3]": "trailing data",
			"[1,2":      "EOF",
			"[1,,2]":    "invalid character",
			"":          "EOF",
		} {
			if _, err := elements(body, oneByte); err == nil || !strings.Contains(err.Error(), msg) {
				t.Errorf("%q: err = %v, want one saying %q", body, err, msg)
			}
		}
	}
}
