package stream

import (
	"bytes"
	"context"
	"errors"

	"github.com/aws/smithy-go"
)

// ErrInvalidEvent is wrapped by every error that says a record breaks the
// event contract.
var ErrInvalidEvent = errors.New("invalid event")

// ErrLeaseLost is returned by a Checkpointer, and by the consumer's Ack,
// when another consumer has taken the shard's lease since this one read it:
// the checkpoint was not moved, and this consumer must stop reading the
// shard.
var ErrLeaseLost = errors.New("checkpoint lease lost")

// ErrLeaseHeld is returned by Checkpointer.Acquire when another owner holds
// an unexpired lease on the shard.
var ErrLeaseHeld = errors.New("checkpoint lease held by another consumer")

// ErrNotDurable is returned by Consumer.Ack for a batch that Write has not
// made durable: a checkpoint never passes data that is not in RAW.
var ErrNotDurable = errors.New("batch not written")

// IsRetryable reports whether err is worth retrying after a wait:
// throttling (ProvisionedThroughputExceededException, LimitExceededException,
// KMS throttling), server-side failures (InternalFailure, 5xx), and
// transport errors that carry no API error code (resets, timeouts). Contract
// violations (ValidationException, InvalidArgumentException,
// ResourceNotFoundException, ErrInvalidEvent) and a cancelled context are
// permanent.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrInvalidEvent) {
		return false
	}
	if isThrottled(err) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "InternalFailure", "ServiceUnavailable", "InternalError", "SlowDown":
			return true
		}
		return ae.ErrorFault() == smithy.FaultServer
	}
	return true // no API error: a transport failure
}

// isThrottled reports whether err is Kinesis saying "slow down".
func isThrottled(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ProvisionedThroughputExceededException", "LimitExceededException", "KMSThrottlingException", "ThrottlingException":
		return true
	}
	return false
}

// errorCode returns the API error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
