package config_test

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/shoplake/shoplake/internal/config"
)

// isolateAWS clears the AWS environment of the machine running the test,
// so that only what the test sets decides.
func isolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_KINESIS"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func awsMode(region string) config.Config {
	c := config.DefaultConfig()
	c.Mode = config.ModeAWS
	c.AWS.Region = region
	return c
}

// TestConfig_AWSConfigCABundle is the regression test of a mode-aws start
// that failed at once whenever AWS_CA_BUNDLE was set ("unable to add custom
// RootCAs HTTPClient, has no WithTransportOptions"). It also proves the
// bundle is used: the server's certificate is trusted only through it.
func TestConfig_AWSConfigCABundle(t *testing.T) {
	isolateAWS(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult><Buckets><Bucket><Name>shoplake</Name></Bucket></Buckets></ListAllMyBucketsResult>`))
	}))
	defer srv.Close()
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(bundle, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	list := func(t *testing.T) error {
		cfg, err := awsMode("eu-west-1").AWSConfig(context.Background())
		if err != nil {
			t.Fatalf("AWSConfig: %v", err)
		}
		client := s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(srv.URL)
			o.UsePathStyle = true
			o.RetryMaxAttempts = 1
		})
		out, err := client.ListBuckets(context.Background(), &s3.ListBucketsInput{})
		if err == nil && (len(out.Buckets) != 1 || aws.ToString(out.Buckets[0].Name) != "shoplake") {
			t.Fatalf("ListBuckets = %+v, want the one bucket the server lists", out.Buckets)
		}
		return err
	}
	t.Run("OK", func(t *testing.T) {
		t.Setenv("AWS_CA_BUNDLE", bundle)
		if err := list(t); err != nil {
			t.Fatalf("with AWS_CA_BUNDLE naming the server's CA: %v", err)
		}
	})
	t.Run("ErrUntrusted", func(t *testing.T) {
		if err := list(t); err == nil {
			t.Fatal("the server's self-signed certificate was trusted without the bundle: the test proves nothing")
		}
	})
}

// TestConfig_AWSConfigRegion: the AWS default chain decides the region
// unless the configuration sets one.
func TestConfig_AWSConfigRegion(t *testing.T) {
	region := func(t *testing.T, c config.Config) (string, error) {
		cfg, err := c.AWSConfig(context.Background())
		return cfg.Region, err
	}
	t.Run("Environment", func(t *testing.T) {
		isolateAWS(t)
		t.Setenv("AWS_REGION", "eu-west-1")
		if got, err := region(t, awsMode("")); err != nil || got != "eu-west-1" {
			t.Fatalf("region = %q, %v; want AWS_REGION's eu-west-1", got, err)
		}
	})
	t.Run("Profile", func(t *testing.T) {
		isolateAWS(t)
		p := filepath.Join(t.TempDir(), "config")
		if err := os.WriteFile(p, []byte("[profile shop]\nregion = ap-south-1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("AWS_CONFIG_FILE", p)
		t.Setenv("AWS_PROFILE", "shop")
		if got, err := region(t, awsMode("")); err != nil || got != "ap-south-1" {
			t.Fatalf("region = %q, %v; want the profile's ap-south-1", got, err)
		}
	})
	t.Run("ConfigurationWins", func(t *testing.T) {
		isolateAWS(t)
		t.Setenv("AWS_REGION", "eu-west-1")
		if got, err := region(t, awsMode("us-west-2")); err != nil || got != "us-west-2" {
			t.Fatalf("region = %q, %v; want aws.region's us-west-2", got, err)
		}
	})
	t.Run("ErrNoRegion", func(t *testing.T) {
		isolateAWS(t)
		if _, err := region(t, awsMode("")); !errors.Is(err, config.ErrNoRegion) {
			t.Fatalf("err = %v, want ErrNoRegion", err)
		}
	})
	t.Run("Local", func(t *testing.T) {
		isolateAWS(t)
		t.Setenv("AWS_REGION", "eu-west-1")
		if got, err := region(t, config.DefaultConfig()); err != nil || got != config.LocalRegion {
			t.Fatalf("mode local region = %q, %v; want %s (local runs read nothing of the developer's AWS setup)", got, err, config.LocalRegion)
		}
	})
}
