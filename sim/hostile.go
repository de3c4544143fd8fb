package sim

import (
	"math/rand/v2"
	"strings"
)

// hostileParts are the fragments HostileString draws from: quotes, path
// traversal, SQL, shell, markup, format verbs, backslashes, control
// characters and unicode that breaks naive handling (combining marks,
// right-to-left override, zero-width joiner, emoji, a lone byte-order mark).
//
// Control characters are limited to \t, \n, \r, \x1b (escape), \x7f (delete)
// and \x00 (NUL). All of them are valid in UTF-8 and JSON carries them
// escaped ("\u0000"); a stage that cannot store NUL (PostgreSQL text) must
// quarantine or escape it, never crash. Every string is valid UTF-8.
var hostileParts = []string{
	`'`, `"`, `''`, `\"`, "`", `\`, `\\`, `\n`,
	`../`, `../../etc/passwd`, `..\..\windows`, `/`, `%2e%2e%2f`,
	`'; DROP TABLE x; --`, `" OR "1"="1`, `1; DELETE FROM orders`, `$(rm -rf /)`,
	`<script>alert(1)</script>`, `%s%d%n`, `{{.}}`, `${jndi:ldap://x}`,
	"\t", "\n", "\r\n", "\x1b[31m", "\x7f", "\x00",
	"é", "ñ", "Straße", "日本語", "🛒", "👩‍💻", "e\u0301", "\u202eevil", "\ufeff", "\u200d",
	",", ";", "|", "NULL", "null",
}

// hostileWords are ordinary words the fragments are mixed with, so that a
// hostile title still looks like a product.
var hostileWords = []string{"Deluxe", "Shirt", "Ring", "Cable", "Jacket", "Lamp", "Case", "Band"}

// HostileString draws a string meant to break naive code: it mixes one to
// four fragments of hostileParts with product-like words, for instance
// `Deluxe '; DROP TABLE x; -- Ring` or "Case\x00../". It is always valid
// UTF-8, at most a few dozen bytes, and never empty.
func HostileString(r *rand.Rand) string {
	var b strings.Builder
	n := 1 + r.IntN(4)
	for i := range n {
		if i > 0 && r.IntN(2) == 0 {
			b.WriteByte(' ')
		}
		if r.IntN(3) == 0 {
			b.WriteString(hostileWords[r.IntN(len(hostileWords))])
			b.WriteByte(' ')
		}
		b.WriteString(hostileParts[r.IntN(len(hostileParts))])
	}
	return b.String()
}
