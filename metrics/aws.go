package metrics

import (
	"context"
	"errors"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// AWSAPIOption returns the middleware that counts every error answer of
// an AWS API call in shoplake_aws_api_errors_total, by service, operation
// and error code, attempt by attempt (the SDK's retries included): a body
// S3 refused by its checksum (BadDigest), a Kinesis throttle. Add it to
// aws.Config.APIOptions (pipeline.Local.APIOptions). A nil registry
// returns nil.
func (m *Registry) AWSAPIOption() func(*middleware.Stack) error {
	if m == nil {
		return nil
	}
	return func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("shoplakeAPIErrors",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if err != nil {
					code := "transport"
					if ae, ok := errors.AsType[smithy.APIError](err); ok {
						code = ae.ErrorCode()
					}
					if !validLabel(code) {
						code = "other"
					}
					m.awsErrors.WithLabelValues(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), code).Inc()
				}
				return out, md, err
			}), middleware.Before)
	}
}

// validLabel keeps an error code a bounded, printable label value.
func validLabel(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
