package stream

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/lake"
)

// Consumer drains a stream into RAW. It reads each shard from its
// checkpoint, groups records into micro-batches, writes each batch with a
// conditional put under a key derived from the shard and sequence range,
// and only then checkpoints the batch's last sequence number. A consumer
// that dies between the write and the checkpoint re-reads the batch on
// restart; its records are then in RAW twice at most, never missing, and the
// warehouse removes the repeat by event_id.
type Consumer struct {
	Client       KinesisAPI
	Stream       string
	Store        lake.Store
	Checkpointer Checkpointer
	// BatchRecords is the most records in one RAW object (default 500).
	BatchRecords int
	Log          *slog.Logger
}

// ConsumeStats counts one Drain.
type ConsumeStats struct {
	Shards      int
	Records     int // records read from the stream
	Valid       int // records written to RAW
	Invalid     int // records written to QUARANTINE
	Objects     int // RAW objects written
	Existing    int // RAW objects already present (a replay)
	Checkpoints int // checkpoints moved
}

// Drain reads every shard until it is caught up (an empty read with
// MillisBehindLatest 0, or the end of a closed shard), in shard-id order,
// and returns what it did. It stops at the first error; everything
// checkpointed before it is durable.
func (c *Consumer) Drain(ctx context.Context) (ConsumeStats, error) {
	var st ConsumeStats
	shards, err := c.listShards(ctx)
	if err != nil {
		return st, err
	}
	st.Shards = len(shards)
	for _, sh := range shards {
		if err := c.drainShard(ctx, aws.ToString(sh.ShardId), &st); err != nil {
			return st, fmt.Errorf("drain shard %s: %w", aws.ToString(sh.ShardId), err)
		}
	}
	return st, nil
}

func (c *Consumer) listShards(ctx context.Context) ([]types.Shard, error) {
	var shards []types.Shard
	in := &kinesis.ListShardsInput{StreamName: aws.String(c.Stream)}
	for {
		out, err := c.Client.ListShards(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list shards of %s: %w", c.Stream, err)
		}
		shards = append(shards, out.Shards...)
		if out.NextToken == nil {
			break
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
	sort.Slice(shards, func(i, j int) bool { return aws.ToString(shards[i].ShardId) < aws.ToString(shards[j].ShardId) })
	return shards, nil
}

func (c *Consumer) drainShard(ctx context.Context, shardID string, st *ConsumeStats) error {
	from, err := c.Checkpointer.Get(ctx, shardID)
	if err != nil {
		return err
	}
	in := &kinesis.GetShardIteratorInput{StreamName: aws.String(c.Stream), ShardId: aws.String(shardID), ShardIteratorType: types.ShardIteratorTypeTrimHorizon}
	if from != "" {
		in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
		in.StartingSequenceNumber = aws.String(from)
	}
	it, err := c.Client.GetShardIterator(ctx, in)
	if err != nil {
		return fmt.Errorf("get iterator: %w", err)
	}
	iter := it.ShardIterator
	max := c.BatchRecords
	if max <= 0 {
		max = 500
	}
	var pending []types.Record
	for iter != nil {
		out, err := c.Client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(int32(max))})
		if err != nil {
			return fmt.Errorf("get records: %w", err)
		}
		st.Records += len(out.Records)
		pending = append(pending, out.Records...)
		for len(pending) >= max {
			if err := c.writeBatch(ctx, shardID, pending[:max], st); err != nil {
				return err
			}
			pending = pending[max:]
		}
		iter = out.NextShardIterator
		if len(out.Records) == 0 && aws.ToInt64(out.MillisBehindLatest) == 0 {
			break
		}
	}
	if len(pending) > 0 {
		return c.writeBatch(ctx, shardID, pending, st)
	}
	return nil
}

// writeBatch writes the valid records of one batch to RAW and the invalid
// ones to QUARANTINE, then checkpoints the batch's last sequence number.
func (c *Consumer) writeBatch(ctx context.Context, shardID string, recs []types.Record, st *ConsumeStats) error {
	first, last := aws.ToString(recs[0].SequenceNumber), aws.ToString(recs[len(recs)-1].SequenceNumber)
	arrival := aws.ToTime(recs[0].ApproximateArrivalTimestamp)
	var good, bad bytes.Buffer
	var nGood, nBad int
	for _, r := range recs {
		ev, err := ParseEvent(r.Data)
		if err != nil {
			nBad++
			line, _ := json.Marshal(Rejected{
				Reason: err.Error(), ShardID: shardID, SequenceNumber: aws.ToString(r.SequenceNumber),
				IngestionTime: aws.ToTime(r.ApproximateArrivalTimestamp).UTC(), Data: string(r.Data),
			})
			bad.Write(line)
			bad.WriteByte('\n')
			continue
		}
		nGood++
		line, err := json.Marshal(RawRecord{
			Event: ev, IngestionTime: aws.ToTime(r.ApproximateArrivalTimestamp).UTC(),
			ShardID: shardID, SequenceNumber: aws.ToString(r.SequenceNumber),
		})
		if err != nil {
			return fmt.Errorf("encode record %s: %w", aws.ToString(r.SequenceNumber), err)
		}
		good.Write(line)
		good.WriteByte('\n')
	}
	if nGood > 0 {
		key, err := lake.RawEventsKey(arrival, c.Stream, shardID, first, last)
		if err != nil {
			return err
		}
		if err := c.putGzip(ctx, key, good.Bytes(), st); err != nil {
			return err
		}
	}
	if nBad > 0 {
		key, err := QuarantineKey(arrival, c.Stream, shardID, first, last)
		if err != nil {
			return err
		}
		if err := c.putGzip(ctx, key, bad.Bytes(), st); err != nil {
			return err
		}
	}
	st.Valid += nGood
	st.Invalid += nBad
	if err := c.Checkpointer.Set(ctx, shardID, last); err != nil {
		return err
	}
	st.Checkpoints++
	c.logger().Debug("batch durable, checkpoint moved", "shard", shardID, "first", first, "last", last, "valid", nGood, "invalid", nBad)
	return nil
}

func (c *Consumer) putGzip(ctx context.Context, key string, ndjson []byte, st *ConsumeStats) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf) // zero header: same input, same bytes
	if _, err := zw.Write(ndjson); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	switch err := c.Store.PutIfAbsent(ctx, key, buf.Bytes()); {
	case errors.Is(err, lake.ErrExists):
		st.Existing++
		c.logger().Info("raw batch already present (replay), skipped", "key", key)
	case err != nil:
		return err
	default:
		st.Objects++
	}
	return nil
}

func (c *Consumer) logger() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

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
	k := fmt.Sprintf("%sevents/dt=%s/%s-%s-%s-%s.ndjson.gz", lake.QuarantinePrefix, arrival.UTC().Format(lake.DateFormat), stream, shard, first, last)
	return k, lake.ValidateKey(k)
}
