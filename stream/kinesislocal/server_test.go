package kinesislocal_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

func TestServer_CreateStream(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "clicks", 4)

		// The SDK's waiter sees the stream ACTIVE at once.
		w := kinesis.NewStreamExistsWaiter(c, func(o *kinesis.StreamExistsWaiterOptions) { o.MinDelay = time.Millisecond })
		if err := w.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("clicks")}, 5*time.Second); err != nil {
			t.Fatalf("StreamExistsWaiter: %v", err)
		}
		out, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("clicks")})
		if err != nil {
			t.Fatal(err)
		}
		d := out.StreamDescriptionSummary
		if got, want := d.StreamStatus, types.StreamStatusActive; got != want {
			t.Errorf("StreamStatus = %s, want %s", got, want)
		}
		if got, want := aws.ToInt32(d.OpenShardCount), int32(4); got != want {
			t.Errorf("OpenShardCount = %d, want %d", got, want)
		}
		if got, want := aws.ToString(d.StreamARN), "arn:aws:kinesis:us-east-1:000000000000:stream/clicks"; got != want {
			t.Errorf("StreamARN = %s, want %s", got, want)
		}
		if got, want := aws.ToTime(d.StreamCreationTimestamp), testStart; !got.Equal(want) {
			t.Errorf("StreamCreationTimestamp = %s, want %s", got, want)
		}
		if got, want := aws.ToInt32(d.RetentionPeriodHours), int32(24); got != want {
			t.Errorf("RetentionPeriodHours = %d, want %d", got, want)
		}
		if got, want := d.StreamModeDetails.StreamMode, types.StreamModeProvisioned; got != want {
			t.Errorf("StreamMode = %s, want %s", got, want)
		}
	})
	t.Run("DefaultShardCount", func(t *testing.T) {
		_, _, c := newTestServer(t)
		if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("s")}); err != nil {
			t.Fatal(err)
		}
		if got, want := len(listShards(t, c, "s")), 1; got != want {
			t.Errorf("shards = %d, want %d", got, want)
		}
	})
	t.Run("OnDemand", func(t *testing.T) {
		_, _, c := newTestServer(t)
		if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{
			StreamName:        aws.String("s"),
			StreamModeDetails: &types.StreamModeDetails{StreamMode: types.StreamModeOnDemand},
		}); err != nil {
			t.Fatal(err)
		}
		if got, want := len(listShards(t, c, "s")), 4; got != want {
			t.Errorf("shards = %d, want %d", got, want)
		}
	})
	t.Run("ErrInUse", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		_, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("s"), ShardCount: aws.Int32(1)})
		var e *types.ResourceInUseException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want ResourceInUseException", err)
		}
	})
	t.Run("ErrValidation", func(t *testing.T) {
		_, _, c := newTestServer(t)
		for _, in := range []*kinesis.CreateStreamInput{
			{StreamName: aws.String("s"), ShardCount: aws.Int32(0)},
			{StreamName: aws.String("no spaces")},
			{StreamName: aws.String("")},
		} {
			_, err := c.CreateStream(ctx, in)
			var e *types.ValidationException
			if !errors.As(err, &e) {
				t.Errorf("CreateStream(%q, %v): err = %v, want ValidationException", aws.ToString(in.StreamName), in.ShardCount, err)
			}
		}
	})
}

func TestServer_DeleteStream(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 2)
		if _, err := c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("s")}); err != nil {
			t.Fatal(err)
		}
		w := kinesis.NewStreamNotExistsWaiter(c, func(o *kinesis.StreamNotExistsWaiterOptions) { o.MinDelay = time.Millisecond })
		if err := w.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("s")}, 5*time.Second); err != nil {
			t.Fatalf("StreamNotExistsWaiter: %v", err)
		}
		// The name can be used again.
		mustCreateStream(t, c, "s", 1)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, c := newTestServer(t)
		_, err := c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("nope")})
		var e *types.ResourceNotFoundException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want ResourceNotFoundException", err)
		}
	})
}

func TestServer_DescribeStreamSummary(t *testing.T) {
	ctx := context.Background()
	t.Run("ByARN", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 3)
		out, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/s")})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(out.StreamDescriptionSummary.StreamName), "s"; got != want {
			t.Errorf("StreamName = %s, want %s", got, want)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, c := newTestServer(t)
		_, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("nope")})
		var e *types.ResourceNotFoundException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want ResourceNotFoundException", err)
		}
		if got, want := e.ErrorMessage(), "Stream nope under account 000000000000 not found."; got != want {
			t.Errorf("message = %q, want %q", got, want)
		}
	})
}

func TestServer_ListStreams(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		_, _, c := newTestServer(t)
		for _, name := range []string{"c", "a", "e", "b", "d"} {
			mustCreateStream(t, c, name, 1)
		}
		var names []string
		p := kinesis.NewListStreamsPaginator(c, &kinesis.ListStreamsInput{Limit: aws.Int32(2)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(out.StreamSummaries), len(out.StreamNames); got != want {
				t.Errorf("summaries = %d, want %d", got, want)
			}
			names = append(names, out.StreamNames...)
		}
		if got, want := fmt.Sprint(names), "[a b c d e]"; got != want {
			t.Errorf("names = %s, want %s", got, want)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		_, _, c := newTestServer(t)
		out, err := c.ListStreams(ctx, &kinesis.ListStreamsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(out.StreamNames), 0; got != want {
			t.Errorf("names = %d, want %d", got, want)
		}
		if got, want := aws.ToBool(out.HasMoreStreams), false; got != want {
			t.Errorf("HasMoreStreams = %v, want %v", got, want)
		}
	})
}

func TestServer_ListShards(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 3)
		shards := listShards(t, c, "s")
		if got, want := len(shards), 3; got != want {
			t.Fatalf("shards = %d, want %d", got, want)
		}
		// The ranges split [0, 2^128-1] evenly and contiguously.
		space := new(big.Int).Lsh(big.NewInt(1), 128)
		for i, sh := range shards {
			if got, want := aws.ToString(sh.ShardId), fmt.Sprintf("shardId-%012d", i); got != want {
				t.Errorf("ShardId = %s, want %s", got, want)
			}
			start := new(big.Int).Div(new(big.Int).Mul(space, big.NewInt(int64(i))), big.NewInt(3))
			end := new(big.Int).Sub(new(big.Int).Div(new(big.Int).Mul(space, big.NewInt(int64(i+1))), big.NewInt(3)), big.NewInt(1))
			if got, want := aws.ToString(sh.HashKeyRange.StartingHashKey), start.String(); got != want {
				t.Errorf("shard %d StartingHashKey = %s, want %s", i, got, want)
			}
			if got, want := aws.ToString(sh.HashKeyRange.EndingHashKey), end.String(); got != want {
				t.Errorf("shard %d EndingHashKey = %s, want %s", i, got, want)
			}
			if got, want := len(aws.ToString(sh.SequenceNumberRange.StartingSequenceNumber)), 56; got != want {
				t.Errorf("StartingSequenceNumber length = %d, want %d", got, want)
			}
		}
		if got, want := aws.ToString(shards[2].HashKeyRange.EndingHashKey), "340282366920938463463374607431768211455"; got != want {
			t.Errorf("last EndingHashKey = %s, want %s", got, want)
		}
	})
	t.Run("Paginated", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 5)
		var ids []string
		in := &kinesis.ListShardsInput{StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/s"), MaxResults: aws.Int32(2)}
		for {
			out, err := c.ListShards(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			for _, sh := range out.Shards {
				ids = append(ids, aws.ToString(sh.ShardId))
			}
			if out.NextToken == nil {
				break
			}
			in = &kinesis.ListShardsInput{NextToken: out.NextToken, MaxResults: aws.Int32(2)}
		}
		if got, want := len(ids), 5; got != want {
			t.Fatalf("ids = %v, want 5 of them", ids)
		}
		if got, want := ids[4], "shardId-000000000004"; got != want {
			t.Errorf("last id = %s, want %s", got, want)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, c := newTestServer(t)
		_, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("nope")})
		var e *types.ResourceNotFoundException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want ResourceNotFoundException", err)
		}
	})
}

// TestServer_ServeHTTP checks the wire format of errors and the answers to
// requests the SDK never sends.
func TestServer_ServeHTTP(t *testing.T) {
	post := func(t *testing.T, target, contentType, body string) (*http.Response, string) {
		t.Helper()
		srv := kinesislocal.New(clock.NewSim(testStart))
		ts := httptest.NewServer(srv)
		t.Cleanup(ts.Close)
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/", bytes.NewBufferString(body))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", contentType)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		resp, body := post(t, "Kinesis_20131202.DescribeStreamSummary", "application/x-amz-json-1.1", `{"StreamName":"x"}`)
		if got, want := resp.StatusCode, 400; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if got, want := resp.Header.Get("x-amzn-ErrorType"), "ResourceNotFoundException"; got != want {
			t.Errorf("x-amzn-ErrorType = %s, want %s", got, want)
		}
		if got, want := body, `{"__type":"ResourceNotFoundException","message":"Stream x under account 000000000000 not found."}`; got != want {
			t.Errorf("body = %s, want %s", got, want)
		}
	})
	t.Run("ErrUnknownOperation", func(t *testing.T) {
		resp, _ := post(t, "Kinesis_20131202.UpdateShardCount", "application/x-amz-json-1.1", `{}`)
		if got, want := resp.Header.Get("x-amzn-ErrorType"), "UnknownOperationException"; got != want {
			t.Errorf("x-amzn-ErrorType = %s, want %s", got, want)
		}
	})
	t.Run("ErrCBOR", func(t *testing.T) {
		resp, _ := post(t, "Kinesis_20131202.ListStreams", "application/x-amz-cbor-1.1", "\xa0")
		if got, want := resp.StatusCode, http.StatusUnsupportedMediaType; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
	})
	t.Run("ErrSerialization", func(t *testing.T) {
		resp, _ := post(t, "Kinesis_20131202.ListStreams", "application/x-amz-json-1.1", `{"Limit":"x"}`)
		if got, want := resp.Header.Get("x-amzn-ErrorType"), "SerializationException"; got != want {
			t.Errorf("x-amzn-ErrorType = %s, want %s", got, want)
		}
	})
}

// listShards returns every shard of the stream called name.
func listShards(tb testing.TB, c *kinesis.Client, name string) []types.Shard {
	tb.Helper()
	out, err := c.ListShards(context.Background(), &kinesis.ListShardsInput{StreamName: aws.String(name)})
	if err != nil {
		tb.Fatalf("ListShards %s: %v", name, err)
	}
	return out.Shards
}

// errorCode returns the API error code of err, or "" if it has none.
func errorCode(err error) string {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
