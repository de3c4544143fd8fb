package kinesislocal

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// iteratorTTL is how long a shard iterator stays valid after it was issued,
// by the server's clock. GetRecords with an older one fails with
// ExpiredIteratorException, as on AWS.
const iteratorTTL = 5 * time.Minute

// Shard iterator types, as in types.ShardIteratorType.
const (
	iterAtSequenceNumber    = "AT_SEQUENCE_NUMBER"
	iterAfterSequenceNumber = "AFTER_SEQUENCE_NUMBER"
	iterTrimHorizon         = "TRIM_HORIZON"
	iterLatest              = "LATEST"
	iterAtTimestamp         = "AT_TIMESTAMP"
)

// An iterator is the decoded form of a shard iterator: a position in one
// shard of one incarnation of a stream (a stream deleted and created again
// under the same name gets a new ordinal), and the time it was issued.
// On the wire it is the standard base64 encoding of its JSON.
type iterator struct {
	Stream  string `json:"s"`
	Ordinal uint64 `json:"o"`
	Shard   int    `json:"h"`
	Pos     uint64 `json:"p"` // index of the next record to return
	Issued  int64  `json:"t"` // Unix nanoseconds
}

// encode returns the opaque string handed to clients.
func (it iterator) encode() string {
	b, _ := json.Marshal(it) // cannot fail: only strings and integers
	return base64.StdEncoding.EncodeToString(b)
}

// decodeIterator parses a shard iterator. It returns ValidationException
// for a value outside the model's length bounds and InvalidArgumentException
// for one this server did not issue.
func decodeIterator(s string) (iterator, error) {
	var it iterator
	if len(s) < 1 || len(s) > 512 {
		return it, errValidation("Value at 'shardIterator' failed to satisfy constraint: Member must have length between 1 and 512")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &it) != nil || it.Stream == "" {
		return it, errInvalid("Invalid ShardIterator.")
	}
	return it, nil
}

// issued returns the time the iterator was issued.
func (it iterator) issued() time.Time { return time.Unix(0, it.Issued).UTC() }

// checkExpiry returns ExpiredIteratorException if it is older than
// iteratorTTL at now.
func (it iterator) checkExpiry(now time.Time) error {
	if now.Sub(it.issued()) > iteratorTTL {
		return newError(codeExpiredIterator, "Iterator expired. The iterator was created at time %s while right now it is %s which is further in the future than the tolerated delay of %d milliseconds.",
			it.issued().Format(time.RFC1123), now.Format(time.RFC1123), iteratorTTL.Milliseconds())
	}
	return nil
}

// startPosition returns the index of the first record an iterator of type
// typ returns. seq and at are the StartingSequenceNumber and Timestamp of
// the request (either may be empty or nil when typ does not use it).
func startPosition(st *stream, sh *shard, typ, seq string, at *time.Time) (uint64, error) {
	switch typ {
	case iterTrimHorizon:
		return sh.base, nil
	case iterLatest:
		return sh.next(), nil
	case iterAtTimestamp:
		if at == nil {
			return 0, errInvalid("Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.")
		}
		return sh.firstAtOrAfter(*at) // an error is an I/O error of the record file
	case iterAtSequenceNumber, iterAfterSequenceNumber:
		if seq == "" {
			return 0, errInvalid("Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified %s and no StartingSequenceNumber.", typ)
		}
		if !seqPattern.MatchString(seq) {
			return 0, errValidation("Value '%s' at 'startingSequenceNumber' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})", seq)
		}
		ordinal, shardIndex, index, ok := parseSeq(seq)
		if !ok || ordinal != st.ordinal || shardIndex != sh.index {
			return 0, errInvalid("StartingSequenceNumber %s used in GetShardIterator on shard %s in stream %s is invalid because it did not come from this stream.", seq, sh.id, st.name)
		}
		if typ == iterAfterSequenceNumber {
			index++
		}
		if index < sh.base {
			index = sh.base
		}
		return index, nil
	default:
		return 0, errValidation("Value '%s' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, AT_SEQUENCE_NUMBER, AT_TIMESTAMP, TRIM_HORIZON, LATEST]", typ)
	}
}
