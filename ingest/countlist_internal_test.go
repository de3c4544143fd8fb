package ingest

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

// TestCountList: reading a list element by element counts its rows and
// duplicate ids as Parse does, and refuses what Parse refuses, with the
// same sentinel; a read that fails is returned as it is.
func TestCountList(t *testing.T) {
	for _, body := range []string{
		`[]`,
		`[{"id":1},{"id":2,"email":"a@b"},{"id":1}]`,
		` [ {"id":3} ] `,
		`[{"id":1}] [`,
		`[{"id":1},`,
		`[{"id":1}`,
		``,
		`null`,
		`{"id":1}`,
		`"x"`,
		`12`,
		`[{"id":1},2]`,
		`[{"id":"1"}]`,
		`[{"id":1.5}]`,
		`[{"id":1,"createdAt":"yesterday"}]`,
		`[{"id":1},,]`,
	} {
		snap, perr := Parse("users", []byte(body))
		rows, dups, cerr := countList("users", &hashingReader{r: strings.NewReader(body), h: sha256.New()})
		switch {
		case (perr == nil) != (cerr == nil):
			t.Errorf("%q: Parse err %v, countList err %v", body, perr, cerr)
		case perr == nil && (rows != snap.Rows || dups != snap.DuplicateIDs):
			t.Errorf("%q: countList %d rows, %d duplicates; Parse %d, %d", body, rows, dups, snap.Rows, snap.DuplicateIDs)
		case perr != nil && (errors.Is(perr, ErrSchema) != errors.Is(cerr, ErrSchema) || errors.Is(perr, ErrMalformed) != errors.Is(cerr, ErrMalformed)):
			t.Errorf("%q: Parse err %v, countList err %v: not the same kind", body, perr, cerr)
		}
	}
	broken := errors.New("connection reset")
	r := &hashingReader{r: &failAfter{b: []byte(`[{"id":1},{"id":2}`), err: broken}, h: sha256.New()}
	if _, _, err := countList("users", r); !errors.Is(err, broken) || errors.Is(err, ErrMalformed) {
		t.Errorf("a read that fails: err = %v, want it as it is", err)
	}
}

// failAfter yields b, then fails with err.
type failAfter struct {
	b   []byte
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, f.err
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}
