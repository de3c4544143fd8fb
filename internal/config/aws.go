package config

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// AWSConfig returns the SDK configuration shared by the S3 and Kinesis
// clients. In mode aws, credentials come from the AWS default chain; in mode
// local, from fixed dummy keys that the local endpoints accept (they check
// no signature), so no developer credential is ever read or sent.
func (c Config) AWSConfig(ctx context.Context) (aws.Config, error) {
	if c.Mode == ModeLocal {
		return aws.Config{
			Region:      c.AWS.Region,
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
			HTTPClient:  SDKHTTPClient(),
		}, nil
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(c.AWS.Region), awsconfig.WithHTTPClient(SDKHTTPClient()))
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}
