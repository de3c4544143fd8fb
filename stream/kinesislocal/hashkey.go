package kinesislocal

import (
	"crypto/md5"
	"math/big"
	"regexp"
)

// maxHashKey is 2^128-1, the last key of the hash key space.
var maxHashKey = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))

// hashKeyPattern is the model's pattern for HashKey members.
var hashKeyPattern = regexp.MustCompile(`^(0|[1-9][0-9]{0,38})$`)

// partitionHashKey returns MD5(key) read as a big-endian unsigned 128-bit
// integer, which is how Kinesis maps a partition key into the hash key space.
func partitionHashKey(key string) *big.Int {
	sum := md5.Sum([]byte(key))
	return new(big.Int).SetBytes(sum[:])
}

// parseExplicitHashKey parses an ExplicitHashKey. A string that does not
// match the model's pattern is a ValidationException; a number beyond
// 2^128-1 is an InvalidArgumentException, as on AWS.
func parseExplicitHashKey(s string) (*big.Int, error) {
	if !hashKeyPattern.MatchString(s) {
		return nil, errValidation("Value '%s' at 'explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})", s)
	}
	k, ok := new(big.Int).SetString(s, 10)
	if !ok || k.Cmp(maxHashKey) > 0 {
		return nil, errInvalid("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was %s", s)
	}
	return k, nil
}

// splitHashKeySpace divides [0, 2^128-1] into n contiguous ranges of equal
// size: range i is [i*2^128/n, (i+1)*2^128/n - 1] and the last one ends at
// 2^128-1. It returns the n starting keys and the n ending keys.
func splitHashKeySpace(n int) (starts, ends []*big.Int) {
	space := new(big.Int).Lsh(big.NewInt(1), 128)
	starts = make([]*big.Int, n)
	ends = make([]*big.Int, n)
	for i := range n {
		starts[i] = new(big.Int).Div(new(big.Int).Mul(space, big.NewInt(int64(i))), big.NewInt(int64(n)))
		if i > 0 {
			ends[i-1] = new(big.Int).Sub(starts[i], big.NewInt(1))
		}
	}
	ends[n-1] = new(big.Int).Set(maxHashKey)
	return starts, ends
}
