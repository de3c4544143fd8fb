package lake

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// NewS3Client returns the lake's S3 client. With an empty endpoint it talks
// to what cfg resolves: AWS, or an endpoint the AWS configuration names
// (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, a profile's endpoint_url).
// Whenever the endpoint is not AWS's own, it uses path-style addressing, as
// S3-compatible servers expect, with checksums computed and validated only
// where the API requires them, since the lake carries its own SHA-256 and
// Content-MD5.
func NewS3Client(cfg aws.Config, endpoint string) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
}

// Endpoint names the S3 endpoint the store's client reaches: the URL of a
// configured or resolved endpoint, or AWS's regional endpoint.
func (s *S3Store) Endpoint() string {
	o := s.client.Options()
	if o.BaseEndpoint != nil {
		return *o.BaseEndpoint
	}
	return "https://s3." + o.Region + ".amazonaws.com (AWS)"
}

// Region returns the region of the store's client.
func (s *S3Store) Region() string { return s.client.Options().Region }
