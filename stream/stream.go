// Package stream carries clickstream events through Kinesis: the event
// contract, a producer that batches within AWS's limits and retries only
// what failed, and a consumer that reads every shard (parents before
// children), validates each record, drops duplicates within a bounded
// window (Dedup), sends invalid records to QUARANTINE, writes micro-batches
// to RAW under keys derived from the stream position (batch.go: a replay
// cuts the same batches), and checkpoints a sequence number only after the
// batch that holds it is durable, through a lease no other consumer can
// overwrite (LakeCheckpointer). LambdaHandler is the same consumer for a
// Lambda event source mapping.
//
// The same code talks to AWS and to stream/kinesislocal: the client is
// always aws-sdk-go-v2's; only its endpoint differs.
package stream

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// KinesisAPI is the part of *kinesis.Client the producer and consumer use.
type KinesisAPI interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, opts ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, opts ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

var _ KinesisAPI = (*kinesis.Client)(nil)

// NewKinesisClient returns the stream's client: AWS when endpoint is empty,
// otherwise that endpoint (the local server).
func NewKinesisClient(cfg aws.Config, endpoint string) *kinesis.Client {
	return kinesis.NewFromConfig(cfg, func(o *kinesis.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// Endpoint names the Kinesis endpoint client reaches: the URL of a
// configured or resolved endpoint (AWS_ENDPOINT_URL_KINESIS,
// AWS_ENDPOINT_URL), or AWS's regional endpoint.
func Endpoint(client *kinesis.Client) string {
	o := client.Options()
	if o.BaseEndpoint != nil {
		return *o.BaseEndpoint
	}
	return "https://kinesis." + o.Region + ".amazonaws.com (AWS)"
}
