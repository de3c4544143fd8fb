package clean

import "testing"

func TestDisplay(t *testing.T) {
	for in, want := range map[string]string{
		"jewelery":       "jewelery",
		"électronique":   "électronique",
		"two words":      "two words",
		"\x1b[31mred":    `"\x1b[31mred"`,
		"line\nbreak":    `"line\nbreak"`,
		"bad\xffutf8":    `"bad\xffutf8"`,
		"tab\tseparated": `"tab\tseparated"`,
	} {
		if got := Display(in); got != want {
			t.Errorf("Display(%q) = %s, want %s", in, got, want)
		}
	}
}
