package kinesislocal

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// timestamp is a time on the wire: epoch seconds as a JSON number with
// millisecond precision, the awsJson1_1 default the AWS SDKs send and read.
type timestamp time.Time

// MarshalJSON writes t as epoch seconds with three decimals.
func (t timestamp) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1e3, 'f', 3, 64), nil
}

// UnmarshalJSON reads epoch seconds, rounded to the millisecond.
func (t *timestamp) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*t = timestamp(time.UnixMilli(int64(math.Round(f * 1e3))).UTC())
	return nil
}

func ts(t time.Time) *timestamp { v := timestamp(t); return &v }

// streamRef names a stream by StreamName or StreamARN.
type streamRef struct {
	StreamName *string
	StreamARN  *string
}

type streamModeDetails struct {
	StreamMode string
}

type createStreamInput struct {
	StreamName         string
	ShardCount         *int
	StreamModeDetails  *streamModeDetails
	MaxRecordSizeInKiB *int
}

type deleteStreamInput struct {
	streamRef
}

type describeStreamInput struct {
	streamRef
	Limit                 *int
	ExclusiveStartShardId *string
}

type describeStreamSummaryInput struct {
	streamRef
}

type listStreamsInput struct {
	Limit                    *int
	ExclusiveStartStreamName *string
	NextToken                *string
}

type listShardsInput struct {
	streamRef
	NextToken             *string
	ExclusiveStartShardId *string
	MaxResults            *int
	ShardFilter           *shardFilterIn
}

type shardFilterIn struct {
	Type      string
	ShardId   *string
	Timestamp *timestamp
}

type splitShardInput struct {
	streamRef
	ShardToSplit       *string
	NewStartingHashKey *string
}

type mergeShardsInput struct {
	streamRef
	ShardToMerge         *string
	AdjacentShardToMerge *string
}

type putRecordInput struct {
	streamRef
	Data                      []byte
	PartitionKey              *string
	ExplicitHashKey           *string
	SequenceNumberForOrdering *string
}

type putRecordsEntry struct {
	Data            []byte
	PartitionKey    *string
	ExplicitHashKey *string
}

type putRecordsInput struct {
	streamRef
	Records []putRecordsEntry
}

type getShardIteratorInput struct {
	streamRef
	ShardId                *string
	ShardIteratorType      string
	StartingSequenceNumber *string
	Timestamp              *timestamp
}

type getRecordsInput struct {
	ShardIterator string
	Limit         *int
}

type hashKeyRange struct {
	StartingHashKey string
	EndingHashKey   string
}

type sequenceNumberRange struct {
	StartingSequenceNumber string
	EndingSequenceNumber   *string `json:",omitempty"`
}

type shardOut struct {
	ShardId               string
	ParentShardId         *string `json:",omitempty"`
	AdjacentParentShardId *string `json:",omitempty"`
	HashKeyRange          hashKeyRange
	SequenceNumberRange   sequenceNumberRange
}

type childShard struct {
	ShardId      string
	ParentShards []string
	HashKeyRange hashKeyRange
}

type enhancedMetrics struct {
	ShardLevelMetrics []string
}

type streamDescription struct {
	StreamName              string
	StreamARN               string
	StreamStatus            string
	StreamModeDetails       streamModeDetails
	Shards                  []shardOut
	HasMoreShards           bool
	RetentionPeriodHours    int
	StreamCreationTimestamp *timestamp
	EnhancedMonitoring      []enhancedMetrics
	EncryptionType          string
}

type streamDescriptionSummary struct {
	StreamName              string
	StreamARN               string
	StreamStatus            string
	StreamModeDetails       streamModeDetails
	RetentionPeriodHours    int
	StreamCreationTimestamp *timestamp
	EnhancedMonitoring      []enhancedMetrics
	EncryptionType          string
	OpenShardCount          int
	ConsumerCount           int
	MaxRecordSizeInKiB      int
}

type streamSummary struct {
	StreamName              string
	StreamARN               string
	StreamStatus            string
	StreamModeDetails       streamModeDetails
	StreamCreationTimestamp *timestamp
}

type listStreamsOutput struct {
	StreamNames     []string
	HasMoreStreams  bool
	NextToken       *string `json:",omitempty"`
	StreamSummaries []streamSummary
}

type listShardsOutput struct {
	Shards    []shardOut
	NextToken *string `json:",omitempty"`
}

type putRecordOutput struct {
	ShardId        string
	SequenceNumber string
	EncryptionType string
}

type putRecordsResultEntry struct {
	SequenceNumber *string `json:",omitempty"`
	ShardId        *string `json:",omitempty"`
	ErrorCode      *string `json:",omitempty"`
	ErrorMessage   *string `json:",omitempty"`
}

type putRecordsOutput struct {
	FailedRecordCount int
	Records           []putRecordsResultEntry
	EncryptionType    string
}

type getShardIteratorOutput struct {
	ShardIterator string
}

type recordOut struct {
	SequenceNumber              string
	ApproximateArrivalTimestamp *timestamp
	Data                        []byte
	PartitionKey                string
}

type getRecordsOutput struct {
	Records            []recordOut
	NextShardIterator  *string `json:",omitempty"`
	MillisBehindLatest int64
	ChildShards        []childShard `json:",omitempty"`
}
