package config

import (
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// SDKHTTPClient returns the HTTP client of an AWS SDK client built without
// the default chain (mode local, tests): the SDK's own buildable client
// (its timeouts and pooling) behind PlainBodies.
func SDKHTTPClient() aws.HTTPClient {
	return PlainBodies(awshttp.NewBuildableClient())
}

// PlainBodies wraps the HTTP client of every AWS SDK client shoplake builds,
// local or AWS, to work around a race between smithy-go (v1.28.9) and
// net/http that a server answering within microseconds exposes. The SDK
// closes the request body as soon as the response headers arrive; when the
// body is an io.WriterTo, net/http's write loop may still be doing its final
// "any bytes beyond Content-Length?" copy; smithy-go's closed body then
// returns io.EOF from WriteTo, net/http takes that as a write error and
// closes the connection under the response being read. The SDK reports
// "deserialization failed ... use of closed network connection" and
// retries: a PutRecords then writes its records twice, and a conditional
// PutObject reports PreconditionFailed for an object it just wrote. Hiding
// WriterTo makes the final copy use Read, which returns a harmless io.EOF.
//
// It wraps the client rather than its transport so that the SDK's default
// chain can still configure the client it built (AWS_CA_BUNDLE, a
// profile's ca_bundle: the SDK applies those only to its own
// *awshttp.BuildableClient, and refuses any other client given to
// LoadDefaultConfig).
func PlainBodies(next aws.HTTPClient) aws.HTTPClient {
	return plainBodyClient{next: next}
}

type plainBodyClient struct{ next aws.HTTPClient }

func (c plainBodyClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r = r.WithContext(r.Context()) // shallow copy: a client must not modify r
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return c.next.Do(r)
}
