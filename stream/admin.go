package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/internal/clock"
)

// AdminAPI is the part of *kinesis.Client that creates streams.
type AdminAPI interface {
	CreateStream(ctx context.Context, in *kinesis.CreateStreamInput, opts ...func(*kinesis.Options)) (*kinesis.CreateStreamOutput, error)
	DescribeStreamSummary(ctx context.Context, in *kinesis.DescribeStreamSummaryInput, opts ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error)
}

var _ AdminAPI = (*kinesis.Client)(nil)

// EnsureStream creates the stream with shards shards unless it exists, and
// waits (on clk, at most 5 minutes) until it is ACTIVE. created says whether
// this call made it.
func EnsureStream(ctx context.Context, api AdminAPI, clk clock.Clock, name string, shards int) (created bool, err error) {
	_, err = api.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(int32(shards))})
	var inUse *types.ResourceInUseException
	switch {
	case err == nil:
		created = true
	case errors.As(err, &inUse):
	default:
		return false, fmt.Errorf("create stream %s: %w", name, err)
	}
	for waited := time.Duration(0); ; waited += time.Second {
		out, err := api.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err != nil {
			return created, fmt.Errorf("describe stream %s: %w", name, err)
		}
		if s := out.StreamDescriptionSummary.StreamStatus; s == types.StreamStatusActive || s == types.StreamStatusUpdating {
			return created, nil
		}
		if waited >= 5*time.Minute {
			return created, fmt.Errorf("stream %s not active after %s", name, waited)
		}
		if err := clk.Sleep(ctx, time.Second); err != nil {
			return created, err
		}
	}
}
