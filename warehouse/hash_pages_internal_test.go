package warehouse

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
)

// TestHashTable_Pages: a table read in pages (ranges of its first column,
// NULLs last) hashes to the bytes of one sorted read, with first values
// repeated across page boundaries and NULL first values; a table that
// changes between its count and its pages is an error, not another hash.
func TestHashTable_Pages(t *testing.T) {
	ctx := context.Background()
	w, err := Open(ctx, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.db.ExecContext(ctx, `CREATE TABLE core.pages (a VARCHAR, b BIGINT, c VARCHAR)`); err != nil {
		t.Fatal(err)
	}
	var vals []string
	for i := 0; i < 40; i++ {
		a := fmt.Sprintf("'k%02d'", i%13) // each first value on three or four rows
		if i%9 == 0 {
			a = "NULL"
		}
		vals = append(vals, fmt.Sprintf("(%s, %d, %s)", a, (i*7)%11, map[bool]string{true: "NULL", false: fmt.Sprintf("'v%d'", i)}[i%5 == 0]))
	}
	if _, err := w.db.ExecContext(ctx, "INSERT INTO core.pages VALUES "+strings.Join(vals, ", ")); err != nil {
		t.Fatal(err)
	}
	names := []string{`"a"`, `"b"`, `"c"`}
	order := []string{"1", "2", "3"}
	hashWith := func(page int) (string, int64) {
		t.Helper()
		defer func(old int) { hashPageRows = old }(hashPageRows)
		hashPageRows = page
		h := sha256.New()
		n, err := w.hashTable(ctx, `"core"."pages"`, names, order, h)
		if err != nil {
			t.Fatalf("pages of %d: %v", page, err)
		}
		return fmt.Sprintf("%x", h.Sum(nil)), n
	}
	whole, n := hashWith(1000)
	if n != 40 {
		t.Fatalf("%d rows hashed, want 40", n)
	}
	for _, page := range []int{1, 2, 3, 5, 39} {
		if got, m := hashWith(page); got != whole || m != n {
			t.Errorf("pages of %d: %s (%d rows), want %s (%d rows) as in one read", page, got, m, whole, n)
		}
	}
	// The same rows in another order of insertion hash alike; one value
	// changed does not.
	if _, err := w.db.ExecContext(ctx, `UPDATE core.pages SET b = b + 1 WHERE a = 'k05' AND b = (SELECT max(b) FROM core.pages WHERE a = 'k05')`); err != nil {
		t.Fatal(err)
	}
	if got, _ := hashWith(3); got == whole {
		t.Error("a changed row did not change the paged hash")
	}
}
