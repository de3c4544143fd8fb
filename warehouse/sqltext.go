package warehouse

import "strings"

// splitStatements splits the text of one embedded SQL file into its
// statements, at the semicolons that are outside string literals ('...',
// with ” inside), quoted identifiers ("..."), line comments (-- ...) and
// block comments (/* ... */). Statements that hold only whitespace and
// comments are dropped; the others are returned trimmed, without their
// semicolon. The files are ours (never data), so this small lexer is enough:
// no dollar quoting, no E” escapes.
func splitStatements(text string) []string {
	var out []string
	start := 0
	flush := func(end int) {
		s := strings.TrimSpace(text[start:end])
		if stripComments(s) != "" {
			out = append(out, s)
		}
	}
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\'' || c == '"':
			for i++; i < len(text); i++ {
				if text[i] == c {
					if i+1 < len(text) && text[i+1] == c {
						i++ // doubled quote
						continue
					}
					break
				}
			}
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			if end := strings.Index(text[i+2:], "*/"); end >= 0 {
				i += 2 + end + 1
			} else {
				i = len(text)
			}
		case c == ';':
			flush(i)
			start = i + 1
		}
	}
	if start < len(text) {
		flush(len(text))
	}
	return out
}

// stripComments returns s without its comments and surrounding whitespace,
// for looking at what kind of statement s is: each comment becomes a
// space. String literals are kept.
func stripComments(s string) string { return scanComments(s, false) }

// withoutComments is s without its comments (-- to the end of the line,
// /* ... */), line breaks kept, trimmed: the text a dialect rewrites and
// runs. String literals and quoted identifiers are kept as they are.
func withoutComments(s string) string { return scanComments(s, true) }

// scanComments removes the comments of s outside string literals and
// quoted identifiers. A -- comment becomes a space with its line break,
// or, with keepLines, goes with the blanks before it and leaves the line
// break; a /* */ comment becomes a space. The result is trimmed.
func scanComments(s string, keepLines bool) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'' || c == '"':
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						j++
						continue
					}
					break
				}
			}
			j = min(j, len(s)-1)
			b = append(b, s[i:j+1]...)
			i = j
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			if keepLines {
				for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
					b = b[:len(b)-1]
				}
				for i+1 < len(s) && s[i+1] != '\n' {
					i++
				}
				continue
			}
			for i < len(s) && s[i] != '\n' {
				i++
			}
			b = append(b, ' ')
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			if end := strings.Index(s[i+2:], "*/"); end >= 0 {
				i += 2 + end + 1
			} else {
				i = len(s)
			}
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return strings.TrimSpace(string(b))
}

// statementKind is the first keyword of a statement, upper-cased: "MERGE",
// "CREATE", "DELETE"...
func statementKind(stmt string) string {
	s := stripComments(stmt)
	if i := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '\r' || r == '(' }); i >= 0 {
		s = s[:i]
	}
	return strings.ToUpper(s)
}
