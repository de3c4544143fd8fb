package stream

import (
	"fmt"
	"time"

	"github.com/shoplake/shoplake/lake"
)

// The dead letters. A record that breaks the event contract is never
// retried and never blocks its shard: it goes, whole, to a QUARANTINE
// object beside the batch's RAW object (same stream position in the key),
// with the reason and where the stream held it, and the checkpoint moves
// past it like past any other record.

// Rejected is one line of a QUARANTINE object: a record that broke the
// event contract, kept whole with the reason and its stream position.
type Rejected struct {
	Reason         string    `json:"reason"`
	ShardID        string    `json:"shard_id"`
	SequenceNumber string    `json:"sequence_number"`
	IngestionTime  time.Time `json:"ingestion_time"`
	Data           string    `json:"data"`
}

// QuarantineKey is where the invalid records of one batch go:
// quarantine/events/dt=<arrival date>/<stream>-<shard>-<first>-<last>.ndjson.gz.
func QuarantineKey(arrival time.Time, stream, shard, first, last string) (string, error) {
	k := fmt.Sprintf("%s%s/dt=%s/%s-%s-%s-%s.ndjson.gz", lake.QuarantinePrefix, quarantineSource, arrival.UTC().Format(lake.DateFormat), stream, shard, first, last)
	return k, lake.ValidateKey(k)
}

// quarantineSource is the <source> of stream records under quarantine/.
const quarantineSource = "events"
