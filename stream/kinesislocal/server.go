// Package kinesislocal is a Kinesis Data Streams endpoint that runs in the
// process: an http.Handler speaking the Kinesis JSON protocol (awsJson1_1,
// POST / with X-Amz-Target: Kinesis_20131202.<Operation>), so that the
// aws-sdk-go-v2 kinesis client, the AWS CLI or any SDK using JSON works
// against it unchanged once pointed at its URL.
//
// The server keeps streams in memory, except the records: each shard
// appends its records (partition key, data, arrival) to a file of its own,
// unlinked as soon as it is created (see WithSpillDir), and keeps in memory
// only a sparse index (a few bytes per 256 records) and the last records
// written, up to about 256 KiB, so that its memory does not grow with the
// records it retains. Sequence numbers are computed, not stored. If a
// record file fails to be written or read, the server answers that call
// and every later one with InternalFailure (HTTP 500).
//
// The server reads time only from the clock.Clock it is given: arrival
// timestamps, iterator expiry, retention and MillisBehindLatest all follow
// that clock, and sequence numbers depend on nothing but the order of the
// calls, so a run driven by a simulated clock is reproducible.
//
// Request signatures are not checked: any credentials and any region work.
// CBOR (application/x-amz-cbor-1.1, the default of the AWS SDK for Java) is
// not spoken; such requests fail with UnsupportedMediaTypeException.
//
// Operations: CreateStream, DeleteStream, DescribeStream,
// DescribeStreamSummary, ListStreams, ListShards, PutRecord, PutRecords,
// GetShardIterator, GetRecords, SplitShard and MergeShards. Any other one
// fails with UnknownOperationException.
//
// Resharding follows AWS: SplitShard and MergeShards close their parent
// shards, which keep their records until retention drops them, and open
// children with the next shard ids, whose ParentShardId (and, after a
// merge, AdjacentParentShardId) name the parents. ListShards lists closed
// shards with their EndingSequenceNumber; GetRecords at the end of a closed
// shard returns no NextShardIterator and the ChildShards to read next.
//
// WithShardLimits enforces AWS's per-shard throughput quotas on the clock;
// Open keeps the streams in journals under a directory, so that they
// survive a restart. Where the server departs from AWS:
//
//   - Streams are ACTIVE as soon as CreateStream returns and gone as soon as
//     DeleteStream returns (no CREATING or DELETING state); resharding is
//     instant too (no UPDATING state) and has no rate limit.
//   - CreateStream without ShardCount makes 1 shard; an ON_DEMAND stream
//     gets 4 shards, AWS's initial on-demand capacity.
//   - Sequence numbers are 56 decimal digits built from counters only:
//     "4", the stream's creation number among the server's CreateStream
//     calls (9 digits), the shard index (12 digits) and the record's index
//     in its shard from 0 (34 digits). String order is numeric order, and
//     the same calls in the same order get the same numbers. A shard's
//     StartingSequenceNumber is the number of its record 0.
//   - Shard iterators are base64 JSON, valid for five minutes by the clock.
//   - Throughput is unlimited unless WithShardLimits or a WriteLimiter is
//     configured.
package kinesislocal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
)

const (
	targetPrefix = "Kinesis_20131202."
	contentType  = "application/x-amz-json-1.1"
	// maxBodyBytes bounds a request body. A valid PutRecords (5 MiB of
	// data and keys, base64-encoded in JSON) stays well below it.
	maxBodyBytes = 32 << 20
)

// Server is an in-process Kinesis endpoint. It is safe for concurrent use:
// one mutex serializes every operation, so the calls are applied in a single
// order and each sees the effects of the ones before it.
type Server struct {
	clk  clock.Clock
	opts options

	mu       sync.Mutex
	journal  *journal // nil unless the server was made by Open
	streams  map[string]*stream
	ordinal  uint64 // streams created so far
	requests uint64 // requests answered so far, for request ids
	// failure is the first I/O error of a record file (or errServerClosed):
	// after it the server refuses every call, as it cannot serve its
	// records any more.
	failure error
}

// Option configures a Server.
type Option func(*options)

type options struct {
	region    string
	accountID string
	retention time.Duration
	limiter   WriteLimiter
	limits    ShardLimits
	spillDir  string
}

// WithRegion sets the region written in stream ARNs (default us-east-1).
// The server accepts requests signed for any region.
func WithRegion(region string) Option { return func(o *options) { o.region = region } }

// WithAccountID sets the account written in stream ARNs (default
// 000000000000).
func WithAccountID(id string) Option { return func(o *options) { o.accountID = id } }

// WithRetention sets how long records stay readable after their arrival
// (default 24 hours, as on AWS). Older records are dropped: TRIM_HORIZON
// then starts at the oldest record that is still retained.
func WithRetention(d time.Duration) Option { return func(o *options) { o.retention = d } }

// WithSpillDir sets the directory where the shards create their record
// files (default os.TempDir()). The files are unlinked at once, so nothing
// is left there, but they take disk space until the server is closed or the
// stream deleted: all the records a shard ever took (retention frees no
// space). Point it to a disk when the temporary directory is a tmpfs, which
// would keep the records in memory.
func WithSpillDir(dir string) Option { return func(o *options) { o.spillDir = dir } }

// WithWriteLimiter makes the server ask l before writing each record. A
// record l refuses is not written: PutRecords reports it as failed with
// ErrorCode ProvisionedThroughputExceededException (the others are written)
// and PutRecord fails with ProvisionedThroughputExceededException.
func WithWriteLimiter(l WriteLimiter) Option { return func(o *options) { o.limiter = l } }

// A WriteLimiter decides, record by record, whether a shard accepts a write,
// as AWS's per-shard write quota does. The server calls AllowWrite with its
// lock held, once per valid record, in the order the records are written;
// bytes counts the data and the partition key. An implementation that
// returns true accepts the record, which is then written at now.
type WriteLimiter interface {
	AllowWrite(stream, shardID string, now time.Time, bytes int) bool
}

// WriteLimiterFunc adapts a function to WriteLimiter.
type WriteLimiterFunc func(stream, shardID string, now time.Time, bytes int) bool

// AllowWrite returns f(stream, shardID, now, bytes).
func (f WriteLimiterFunc) AllowWrite(stream, shardID string, now time.Time, bytes int) bool {
	return f(stream, shardID, now, bytes)
}

// New returns a server with no streams, whose every timestamp comes from
// clk.
func New(clk clock.Clock, opts ...Option) *Server {
	o := options{region: "us-east-1", accountID: "000000000000", retention: 24 * time.Hour}
	for _, fn := range opts {
		fn(&o)
	}
	return &Server{clk: clk, opts: o, streams: make(map[string]*stream)}
}

// A handler runs one operation on a request body and returns the value to
// send back as JSON.
type handler func(s *Server, body []byte) (any, error)

// op turns a function of a decoded input into a handler that decodes the
// body and runs f with the server's lock held.
func op[In any](f func(s *Server, in *In) (any, error)) handler {
	return func(s *Server, body []byte) (any, error) {
		var in In
		if len(body) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				return nil, newError(codeSerialization, "decode request body: %v", err)
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.journal != nil && s.journal.err != nil {
			return nil, s.journal.err
		}
		if s.failure != nil {
			return nil, s.failure
		}
		return f(s, &in)
	}
}

var handlers = map[string]handler{
	"CreateStream":          op((*Server).createStream),
	"DeleteStream":          op((*Server).deleteStream),
	"DescribeStream":        op((*Server).describeStream),
	"DescribeStreamSummary": op((*Server).describeStreamSummary),
	"ListStreams":           op((*Server).listStreams),
	"ListShards":            op((*Server).listShards),
	"PutRecord":             op((*Server).putRecord),
	"PutRecords":            op((*Server).putRecords),
	"GetShardIterator":      op((*Server).getShardIterator),
	"GetRecords":            op((*Server).getRecords),
	"SplitShard":            op((*Server).splitShard),
	"MergeShards":           op((*Server).mergeShards),
}

// ServeHTTP answers one Kinesis API call. Success is HTTP 200 with a JSON
// body. A failure is HTTP 400 (500 for a bug of the server) with a body
// {"__type":"<ErrorType>","message":"..."} and the same type in the
// x-amzn-ErrorType header, which the AWS SDKs turn into their typed errors.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	requestID := fmt.Sprintf("00000000-0000-4000-8000-%012x", s.requests)
	s.mu.Unlock()
	w.Header().Set("x-amzn-RequestId", requestID)

	out, err := s.serve(w, r)
	if err != nil {
		writeError(w, asAPIError(err))
		return
	}
	body, err := json.Marshal(out)
	if err != nil {
		writeError(w, asAPIError(fmt.Errorf("encode response: %w", err)))
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// serve routes a request to its handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) (any, error) {
	if r.Method != http.MethodPost {
		return nil, newError(codeUnknownOperation, "method %s is not supported; the Kinesis API is POST /", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/x-amz-cbor") {
		return nil, &apiError{code: codeUnsupportedMediaType, status: http.StatusUnsupportedMediaType,
			message: "CBOR is not supported by this server; disable it in the client (AWS_CBOR_DISABLED=true or -Daws.cborEnabled=false)"}
	}
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, targetPrefix)
	h := handlers[name]
	if !ok || h == nil {
		return nil, newError(codeUnknownOperation, "unknown operation %q", target)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			return nil, bodyTooLarge(name)
		}
		return nil, newError(codeSerialization, "read request body: %v", err)
	}
	return h(s, body)
}

// bodyTooLarge returns the error AWS gives for the limit a body larger than
// maxBodyBytes necessarily breaks.
func bodyTooLarge(operation string) error {
	switch operation {
	case "PutRecords":
		return errRecordsTooLarge()
	case "PutRecord":
		return errValidation("Value at 'data' failed to satisfy constraint: Member must have length less than or equal to %d", maxMaxRecordBytes)
	default:
		return &apiError{code: codeSerialization, status: http.StatusRequestEntityTooLarge, message: "request body too large"}
	}
}

// writeError sends e as an AWS JSON error.
func writeError(w http.ResponseWriter, e *apiError) {
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.code, e.message})
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("x-amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

// arn returns the ARN of the stream called name.
func (s *Server) arn(name string) string {
	return "arn:aws:kinesis:" + s.opts.region + ":" + s.opts.accountID + ":stream/" + name
}

// errServerClosed is the failure of a server after Close.
var errServerClosed = errors.New("kinesislocal: server closed")

// fail makes err, an I/O error of a record file, the server's failure, and
// returns it.
func (s *Server) fail(err error) error {
	if s.failure == nil {
		s.failure = err
	}
	return err
}

// now returns the server's time.
func (s *Server) now() time.Time { return s.clk.Now().UTC() }
