package warehouse

import (
	"strings"
	"testing"
)

// TestDecodeArray: the elements of a JSON array as slices of the body,
// exactly as written, and what is not one array refused.
func TestDecodeArray(t *testing.T) {
	got, err := decodeArray([]byte(" [ {\"a\": [1, 2]} ,\n\"x\",3 , null,[ ] ] \n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`{"a": [1, 2]}`, `"x"`, `3`, `null`, `[ ]`}
	if len(got) != len(want) {
		t.Fatalf("%d elements, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("element %d = %q, want %q", i, got[i], want[i])
		}
	}
	if got, err := decodeArray([]byte("[]")); err != nil || got == nil || len(got) != 0 {
		t.Errorf("[] gives %q, %v; want an empty, non-nil list", got, err)
	}
	for body, msg := range map[string]string{
		"null":      "not a JSON array",
		`{"a":1}`:   "not a JSON array",
		"[1,2] [3]": "trailing data",
		"[1,2":      "EOF",
		"[1,,2]":    "invalid character",
		"":          "EOF",
	} {
		if _, err := decodeArray([]byte(body)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: err = %v, want one saying %q", body, err, msg)
		}
	}
}
