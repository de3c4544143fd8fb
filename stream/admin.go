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

// EncryptAPI is the part of *kinesis.Client that encrypts streams.
type EncryptAPI interface {
	AdminAPI
	StartStreamEncryption(ctx context.Context, in *kinesis.StartStreamEncryptionInput, opts ...func(*kinesis.Options)) (*kinesis.StartStreamEncryptionOutput, error)
}

var _ EncryptAPI = (*kinesis.Client)(nil)

// StreamSpec is the stream shoplake setup creates.
type StreamSpec struct {
	Name string
	// Shards of a provisioned stream; ignored when OnDemand.
	Shards   int
	OnDemand bool
}

// StreamState is what DescribeStream says of an existing stream.
type StreamState struct {
	Exists   bool
	Status   types.StreamStatus
	Shards   int // open shards
	OnDemand bool
	// KMSKey is the stream's encryption key, "" when not encrypted.
	KMSKey string
}

// DescribeStream returns the state of the stream name; Exists is false
// when there is no such stream.
func DescribeStream(ctx context.Context, api AdminAPI, name string) (StreamState, error) {
	out, err := api.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		return StreamState{}, nil
	case err != nil:
		return StreamState{}, fmt.Errorf("describe stream %s: %w", name, err)
	}
	d := out.StreamDescriptionSummary
	st := StreamState{Exists: true, Status: d.StreamStatus, Shards: int(aws.ToInt32(d.OpenShardCount))}
	if d.StreamModeDetails != nil && d.StreamModeDetails.StreamMode == types.StreamModeOnDemand {
		st.OnDemand = true
	}
	if d.EncryptionType == types.EncryptionTypeKms {
		st.KMSKey = aws.ToString(d.KeyId)
	}
	return st, nil
}

// CreateStreamSpec creates the stream spec names, provisioned or on
// demand, and waits (on clk) until it is active; an existing stream is
// left as it is (created false): shoplake never reshards or changes the
// mode of a stream behind its operator's back.
func CreateStreamSpec(ctx context.Context, api AdminAPI, clk clock.Clock, spec StreamSpec) (created bool, err error) {
	in := &kinesis.CreateStreamInput{StreamName: aws.String(spec.Name)}
	if spec.OnDemand {
		in.StreamModeDetails = &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand}
	} else {
		in.ShardCount = aws.Int32(int32(spec.Shards))
	}
	return ensureStream(ctx, api, clk, in)
}

// EncryptStream turns on server-side encryption of the stream with the KMS
// key keyID (alias/aws/kinesis: the AWS-managed key).
func EncryptStream(ctx context.Context, api EncryptAPI, name, keyID string) error {
	_, err := api.StartStreamEncryption(ctx, &kinesis.StartStreamEncryptionInput{
		StreamName: aws.String(name), EncryptionType: types.EncryptionTypeKms, KeyId: aws.String(keyID),
	})
	if err != nil {
		return fmt.Errorf("encrypt stream %s with %s: %w", name, keyID, err)
	}
	return nil
}

var _ AdminAPI = (*kinesis.Client)(nil)

// EnsureStream creates the stream with shards shards unless it exists, and
// waits (on clk, at most 5 minutes) until it is ACTIVE. created says whether
// this call made it.
func EnsureStream(ctx context.Context, api AdminAPI, clk clock.Clock, name string, shards int) (created bool, err error) {
	return ensureStream(ctx, api, clk, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(int32(shards))})
}

func ensureStream(ctx context.Context, api AdminAPI, clk clock.Clock, in *kinesis.CreateStreamInput) (created bool, err error) {
	name := aws.ToString(in.StreamName)
	_, err = api.CreateStream(ctx, in)
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
