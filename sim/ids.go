package sim

import "math/rand/v2"

const hexDigits = "0123456789abcdef"

// uuidString formats hi and lo as a version-4 RFC 4122 UUID, exactly as
// rng.UUID does for the same two draws, without fmt.
func uuidString(hi, lo uint64) string {
	hi = (hi &^ (0xf << 12)) | (0x4 << 12)
	lo = (lo &^ (0x3 << 62)) | (0x2 << 62)
	var b [36]byte
	put := func(at int, v uint64, digits int) {
		for i := digits - 1; i >= 0; i-- {
			b[at+i] = hexDigits[v&0xf]
			v >>= 4
		}
	}
	put(0, hi>>32, 8)
	b[8] = '-'
	put(9, (hi>>16)&0xffff, 4)
	b[13] = '-'
	put(14, hi&0xffff, 4)
	b[18] = '-'
	put(19, lo>>48, 4)
	b[23] = '-'
	put(24, lo&0xffffffffffff, 12)
	return string(b[:])
}

// newUUID draws a UUID from r, like rng.UUID.
func newUUID(r *rand.Rand) string {
	hi := r.Uint64()
	return uuidString(hi, r.Uint64())
}
