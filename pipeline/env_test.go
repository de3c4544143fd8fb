package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/warehouse"
)

// TestOpen_AWSEndpoints is the regression test of reports that called an
// endpoint named by AWS_ENDPOINT_URL "(AWS)": Endpoints says what each
// client really reaches.
func TestOpen_AWSEndpoints(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty, "AWS_ACCESS_KEY_ID": "AKIDTEST",
		"AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "eu-west-1", "AWS_CA_BUNDLE": "", "AWS_ENDPOINT_URL_S3": "", "AWS_ENDPOINT_URL_KINESIS": "",
	} {
		t.Setenv(k, v)
	}
	cfg := config.DefaultConfig()
	cfg.Mode = config.ModeAWS
	open := func(t *testing.T) *pipeline.Env {
		env, err := pipeline.Open(context.Background(), cfg, pipeline.Local{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { env.Close() })
		return env
	}
	t.Run("AWS", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL", "")
		env := open(t)
		if got, want := env.Endpoints["kinesis"], "https://kinesis.eu-west-1.amazonaws.com (AWS)"; got != want {
			t.Errorf("kinesis endpoint = %q, want %q", got, want)
		}
		if got := env.Endpoints["s3"]; !strings.Contains(got, "s3.eu-west-1.amazonaws.com") {
			t.Errorf("s3 endpoint = %q, want the eu-west-1 endpoint", got)
		}
	})
	t.Run("EnvironmentEndpoint", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
		t.Setenv("AWS_ENDPOINT_URL_KINESIS", "http://127.0.0.1:5001")
		env := open(t)
		if got, want := env.Endpoints["s3"], "http://127.0.0.1:5000"; got != want {
			t.Errorf("s3 endpoint = %q, want AWS_ENDPOINT_URL's %q", got, want)
		}
		if got, want := env.Endpoints["kinesis"], "http://127.0.0.1:5001"; got != want {
			t.Errorf("kinesis endpoint = %q, want AWS_ENDPOINT_URL_KINESIS's %q", got, want)
		}
		if got, want := env.Region, "eu-west-1"; got != want {
			t.Errorf("region = %q, want %q", got, want)
		}
	})
	t.Run("ConfiguredEndpoint", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
		cfg := cfg
		cfg.S3.Endpoint = "http://127.0.0.1:6000"
		env, err := pipeline.Open(context.Background(), cfg, pipeline.Local{})
		if err != nil {
			t.Fatal(err)
		}
		defer env.Close()
		if got, want := env.Endpoints["s3"], "http://127.0.0.1:6000"; got != want {
			t.Errorf("s3 endpoint = %q, want s3.endpoint's %q", got, want)
		}
	})
}

// TestDefaults_DuckDBMemoryLimit: the configuration's default DuckDB memory
// limit, written out there so that shoplake config shows it, is the
// warehouse's own default.
func TestDefaults_DuckDBMemoryLimit(t *testing.T) {
	if got, want := config.DefaultConfig().Warehouse.DuckDBMemoryLimit, warehouse.DefaultDuckDBMemoryLimit; got != want {
		t.Fatalf("config's default warehouse.duckdb_memory_limit %q, the warehouse's %q", got, want)
	}
}
