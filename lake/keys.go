package lake

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The top-level prefixes of the zones.
const (
	RawPrefix        = "raw/"
	RawFakestore     = "raw/fakestore/"
	RawEvents        = "raw/events/"
	QuarantinePrefix = "quarantine/"
	// QuarantineEvents is where the stream's consumer writes the records
	// that broke the event contract (QUARANTINE at the stream).
	QuarantineEvents = QuarantinePrefix + "events/"
	StagingPrefix    = "staging/"
	CuratedPrefix    = "curated/"
	CheckpointPrefix = "checkpoints/"
)

// keyPart is what a key segment built from data may contain: no '/', no
// '..', no control characters, nothing a shell or URL would reinterpret. A
// leading '_' marks the lake's own bookkeeping (raw/_commits).
var keyPart = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.=-]*$`)

// ValidatePart returns ErrInvalidKey if s cannot be used as one segment of
// an object key.
func ValidatePart(s string) error {
	if !keyPart.MatchString(s) || strings.Contains(s, "..") || len(s) > 255 {
		return fmt.Errorf("%w: segment %q", ErrInvalidKey, s)
	}
	return nil
}

// ValidateKey returns ErrInvalidKey unless every '/'-separated segment of key
// is valid, so that no key can escape its prefix.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	for _, p := range strings.Split(key, "/") {
		if err := ValidatePart(p); err != nil {
			return fmt.Errorf("key %q: %w", key, err)
		}
	}
	return nil
}

// DateFormat is the layout of dt= partitions.
const DateFormat = "2006-01-02"

// PartitionDate returns the value of key's first dt= segment
// ("2026-01-05"); ok is false when it has none.
func PartitionDate(key string) (date string, ok bool) {
	for _, part := range strings.Split(key, "/") {
		if d, found := strings.CutPrefix(part, "dt="); found {
			return d, true
		}
	}
	return "", false
}

// RawFakestoreKey is the key of one FakeStore response for a logical date:
// raw/fakestore/<entity>/dt=<date>/<sha256>.json.
func RawFakestoreKey(entity string, logicalDate time.Time, sha256hex string) (string, error) {
	k := fmt.Sprintf("%s%s/dt=%s/%s.json", RawFakestore, entity, logicalDate.UTC().Format(DateFormat), sha256hex)
	return k, ValidateKey(k)
}

// RawEventsKey is the key of one micro-batch of stream records, derived from
// the stream position it covers so that a replay rewrites the same key:
// raw/events/dt=<arrival date>/hr=<HH>/<stream>-<shard>-<first seq>-<last seq>.ndjson.gz.
func RawEventsKey(arrival time.Time, stream, shard, firstSeq, lastSeq string) (string, error) {
	a := arrival.UTC()
	k := fmt.Sprintf("%sdt=%s/hr=%02d/%s-%s-%s-%s.ndjson.gz", RawEvents, a.Format(DateFormat), a.Hour(), stream, shard, firstSeq, lastSeq)
	return k, ValidateKey(k)
}

// CheckpointKey is where a consumer group keeps the checkpoint of one shard.
func CheckpointKey(group, stream, shard string) (string, error) {
	k := fmt.Sprintf("%s%s/%s/%s.json", CheckpointPrefix, group, stream, shard)
	return k, ValidateKey(k)
}
