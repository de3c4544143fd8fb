// Package rng is the one way to get randomness in shoplake: every *rand.Rand
// is derived from the run's seed and a stream name, so that adding a consumer
// of randomness in one place does not shift the numbers drawn in another.
package rng

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
)

// New returns a generator for the named stream of the run's seed. The same
// (seed, name) always yields the same sequence; different names yield
// independent sequences.
func New(seed uint64, name string) *rand.Rand {
	return rand.New(Source(seed, name))
}

// Source returns the PCG source behind New, for libraries (gofakeit) that
// take a rand.Source.
func Source(seed uint64, name string) rand.Source {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return rand.NewPCG(seed, h.Sum64())
}

// UUID draws a version-4 UUID from r.
func UUID(r *rand.Rand) string {
	hi, lo := r.Uint64(), r.Uint64()
	hi = (hi &^ (0xf << 12)) | (0x4 << 12) // version 4
	lo = (lo &^ (0x3 << 62)) | (0x2 << 62) // RFC 4122 variant
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
		hi>>32, (hi>>16)&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}
