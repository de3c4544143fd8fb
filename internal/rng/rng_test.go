package rng_test

import (
	"regexp"
	"testing"

	"github.com/shoplake/shoplake/internal/rng"
)

func TestNew_SameSeedSameSequence(t *testing.T) {
	a, b := rng.New(42, "sim/users"), rng.New(42, "sim/users")
	for i := 0; i < 100; i++ {
		if x, y := a.Uint64(), b.Uint64(); x != y {
			t.Fatalf("draw %d: %d != %d", i, x, y)
		}
	}
}

func TestNew_StreamsDiffer(t *testing.T) {
	if rng.New(42, "a").Uint64() == rng.New(42, "b").Uint64() {
		t.Fatal("streams a and b drew the same first number")
	}
	if rng.New(1, "a").Uint64() == rng.New(2, "a").Uint64() {
		t.Fatal("seeds 1 and 2 drew the same first number")
	}
}

func TestUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	r := rng.New(7, "uuid")
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		u := rng.UUID(r)
		if !re.MatchString(u) {
			t.Fatalf("UUID %q is not a version-4 UUID", u)
		}
		if seen[u] {
			t.Fatalf("UUID %q drawn twice", u)
		}
		seen[u] = true
	}
	if got, want := rng.UUID(rng.New(7, "uuid")), rng.UUID(rng.New(7, "uuid")); got != want {
		t.Fatalf("same seed gave %s and %s", got, want)
	}
}
