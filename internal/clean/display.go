package clean

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Display returns text as a terminal may show it: unchanged, or, when it
// holds a character a terminal would act on (a control character, an
// escape sequence, invalid UTF-8: source data may hold any), quoted with
// those characters escaped, so that it stays on one line and nothing
// reaches the terminal raw. The CLI's tables and the TUI both use it.
func Display(text string) string {
	if strings.IndexFunc(text, func(r rune) bool { return !unicode.IsPrint(r) || r == utf8.RuneError }) >= 0 {
		return strconv.Quote(text)
	}
	return text
}
