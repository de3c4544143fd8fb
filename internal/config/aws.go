package config

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"
)

// LocalRegion is the region of mode local when the configuration names
// none: the local endpoints accept any region.
const LocalRegion = "us-east-1"

// ErrNoRegion is returned in mode aws when neither the configuration nor
// the AWS default chain names a region.
var ErrNoRegion = errors.New("no AWS region: set aws.region (SHOPLAKE_AWS_REGION), AWS_REGION, or a region in the AWS profile")

// Region returns the region the configuration names, or in mode local
// LocalRegion when it names none. In mode aws an empty result means "as
// the AWS default chain decides" (AWSConfig's Region is then the answer).
func (c Config) Region() string {
	if c.AWS.Region == "" && c.Mode == ModeLocal {
		return LocalRegion
	}
	return c.AWS.Region
}

// AWSConfig returns the SDK configuration shared by the S3 and Kinesis
// clients.
//
// In mode local, credentials are fixed dummy keys that the local endpoints
// accept (they check no signature), so no developer credential is ever
// read or sent, and the region is Region().
//
// In mode aws, the AWS default chain decides, as for any AWS tool:
// credentials (environment, shared files, SSO, instance and task roles),
// the region (AWS_REGION, the profile) unless aws.region sets one, the CA
// bundle (AWS_CA_BUNDLE, the profile's ca_bundle), and endpoint overrides
// (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_KINESIS, the
// profile's endpoint_url). It returns ErrNoRegion when none names a
// region. The SDK's own log lines (checksum notices and the like, printed
// raw on stderr) are dropped: shoplake reports what matters itself.
func (c Config) AWSConfig(ctx context.Context) (aws.Config, error) {
	if c.Mode == ModeLocal {
		return aws.Config{
			Region:      c.Region(),
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
			HTTPClient:  SDKHTTPClient(),
			Logger:      logging.Nop{},
		}, nil
	}
	cfg, err := LoadDefaultAWS(ctx, c.AWS.Region)
	if err != nil {
		return aws.Config{}, err
	}
	if cfg.Region == "" {
		return aws.Config{}, ErrNoRegion
	}
	return cfg, nil
}

// LoadDefaultAWS loads the SDK configuration from the AWS default chain,
// with region if it is not empty, and with shoplake's HTTP client wrapper
// (PlainBodies) around the client the chain built, so that the chain's CA
// bundle applies.
func LoadDefaultAWS(ctx context.Context, region string) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithLogger(logging.Nop{})}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = SDKHTTPClient()
	} else {
		cfg.HTTPClient = PlainBodies(cfg.HTTPClient)
	}
	return cfg, nil
}
