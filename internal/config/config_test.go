package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/config"
)

func TestDefaultConfig_Validate(t *testing.T) {
	if err := config.DefaultConfig().Validate(); err != nil {
		t.Fatalf("default configuration is invalid: %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shoplake.yaml")
	yaml := "mode: local\nseed: 7\nkinesis:\n  stream: ${STREAM_NAME}\n  shards: 2\nfakestore:\n  timeout: 3s\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		c, err := config.Load(path, []string{"STREAM_NAME=clicks", "SHOPLAKE_KINESIS_SHARDS=8", "SHOPLAKE_SIM_DAYS=5", "HOME=/root"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.Seed, uint64(7); got != want {
			t.Errorf("Seed = %d, want %d", got, want)
		}
		if got, want := c.Kinesis.Stream, "clicks"; got != want {
			t.Errorf("Stream = %q, want %q (from ${STREAM_NAME})", got, want)
		}
		if got, want := c.Kinesis.Shards, 8; got != want {
			t.Errorf("Shards = %d, want %d (env beats file)", got, want)
		}
		if got, want := c.Sim.Days, 5; got != want {
			t.Errorf("Days = %d, want %d", got, want)
		}
		if got, want := c.FakeStore.Timeout, 3*time.Second; got != want {
			t.Errorf("Timeout = %s, want %s", got, want)
		}
		if got, want := c.S3.Bucket, "shoplake"; got != want {
			t.Errorf("Bucket = %q, want default %q", got, want)
		}
	})
	t.Run("ErrUnknownEnv", func(t *testing.T) {
		_, err := config.Load("", []string{"SHOPLAKE_KINESIS_SHRADS=8"})
		if err == nil || !strings.Contains(err.Error(), "SHOPLAKE_KINESIS_SHRADS") {
			t.Fatalf("err = %v, want one naming the misspelt variable", err)
		}
	})
	t.Run("ErrBadEnvValue", func(t *testing.T) {
		if _, err := config.Load("", []string{"SHOPLAKE_SEED=-1"}); err == nil {
			t.Fatal("negative seed accepted")
		}
	})
	t.Run("ErrUnknownYAMLField", func(t *testing.T) {
		p := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(p, []byte("kinesis:\n  shrads: 2\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := config.Load(p, nil); err == nil {
			t.Fatal("unknown field accepted")
		}
	})
}

func TestConfig_Validate(t *testing.T) {
	c := config.DefaultConfig()
	c.Mode = "aws"
	c.Kinesis.Shards = 0
	c.S3.Endpoint = "not a url"
	c.FakeStore.LookbackDays = 0
	c.Warehouse.TimeZone = "Europe/Madird"
	err := c.Validate()
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	for _, want := range []string{"kinesis.shards", "s3.endpoint", "fakestore.base_url", "email_hash_key",
		"fakestore.lookback_days 0", "SHOPLAKE_FAKESTORE_LOOKBACK_DAYS",
		`warehouse.time_zone "Europe/Madird"`, "SHOPLAKE_WAREHOUSE_TIME_ZONE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

// TestConfig_Check: a command is refused only for what it uses, and the
// error says which setting, how to set it and why it is needed.
func TestConfig_Check(t *testing.T) {
	c := config.DefaultConfig()
	c.Mode = config.ModeAWS // no fakestore.base_url, no email_hash_key
	t.Run("OK", func(t *testing.T) {
		if err := c.Check("shoplake consume", config.NeedLake|config.NeedStream); err != nil {
			t.Fatalf("consume needs neither the FakeStore nor the email key, got: %v", err)
		}
		if err := c.Check("shoplake check", config.NeedWarehouse); err != nil {
			t.Fatalf("check needs neither the FakeStore nor the email key, got: %v", err)
		}
	})
	t.Run("ErrSource", func(t *testing.T) {
		err := c.Check("shoplake ingest", config.NeedLake|config.NeedSource|config.NeedWarehouse)
		if err == nil {
			t.Fatal("ingest in mode aws accepted without fakestore.base_url")
		}
		for _, want := range []string{"fakestore.base_url is empty", "shoplake ingest", "SHOPLAKE_FAKESTORE_BASE_URL"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
		if strings.Contains(err.Error(), "email_hash_key") {
			t.Errorf("ingest does not hash emails, yet the error asks for the key:\n%v", err)
		}
	})
	t.Run("ErrEmailKey", func(t *testing.T) {
		err := c.Check("shoplake transform", config.NeedWarehouse|config.NeedEmailKey)
		if err == nil || !strings.Contains(err.Error(), "SHOPLAKE_WAREHOUSE_EMAIL_HASH_KEY") || strings.Contains(err.Error(), "fakestore") {
			t.Fatalf("err = %v, want one asking for the email key only", err)
		}
	})
	t.Run("ErrBucketName", func(t *testing.T) {
		c := config.DefaultConfig()
		for _, b := range []string{"Shop", "a", "../x", "shop..lake", "-shop"} {
			c.S3.Bucket = b
			if err := c.Check("", config.NeedLake); err == nil {
				t.Errorf("bucket name %q accepted", b)
			}
		}
	})
}

// TestLoad_ReferencedShoplakeVariable is the regression test of a file's
// ${SHOPLAKE_...} reference being rejected as an unknown override.
func TestLoad_ReferencedShoplakeVariable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "shoplake.yaml")
	if err := os.WriteFile(p, []byte("warehouse:\n  email_hash_key: ${SHOPLAKE_HASH_SECRET}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(p, []string{"SHOPLAKE_HASH_SECRET=k3y"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := c.Warehouse.EmailHashKey, "k3y"; got != want {
		t.Fatalf("EmailHashKey = %q, want %q", got, want)
	}
	if _, err := config.Load(p, []string{"SHOPLAKE_HASH_SECRET=k3y", "SHOPLAKE_HASH_SECRT=x"}); err == nil {
		t.Fatal("an unknown SHOPLAKE_ variable that the file does not reference was accepted")
	}
}

func TestConfig_Redacted(t *testing.T) {
	c := config.DefaultConfig()
	c.Warehouse.EmailHashKey = "s3cret"
	if strings.Contains(c.Redacted().Warehouse.EmailHashKey, "s3cret") {
		t.Fatal("Redacted kept the secret")
	}
}

func TestEnvNames(t *testing.T) {
	names := strings.Join(config.EnvNames(), " ")
	for _, want := range []string{"SHOPLAKE_MODE", "SHOPLAKE_S3_ENDPOINT", "SHOPLAKE_KINESIS_ENDPOINT", "SHOPLAKE_FAKESTORE_BASE_URL"} {
		if !strings.Contains(names, want) {
			t.Errorf("EnvNames lacks %s", want)
		}
	}
}

// TestConfig_WarehouseEngine: the engine chooses the warehouse; engine
// postgres needs a DSN, which a --postgres flag overrides; an unknown
// engine is named with what to use; the DSN's password never reaches a
// printed configuration.
func TestConfig_WarehouseEngine(t *testing.T) {
	c := config.DefaultConfig()
	if c.Warehouse.Engine != config.EngineDuckDB || c.WarehouseDSN("") != "" {
		t.Fatalf("default engine %q, DSN %q: want duckdb and none", c.Warehouse.Engine, c.WarehouseDSN(""))
	}
	c.Warehouse.Engine = config.EnginePostgres
	if err := c.Check("shoplake transform", config.NeedWarehouse); err == nil || !strings.Contains(err.Error(), "warehouse.dsn is empty: with engine postgres") {
		t.Fatalf("engine postgres without a DSN: err = %v", err)
	}
	c.Warehouse.DSN = "postgres://u:pw@db:5432/shop"
	if err := c.Check("shoplake transform", config.NeedWarehouse); err != nil {
		t.Fatal(err)
	}
	if got := c.WarehouseDSN(""); got != c.Warehouse.DSN {
		t.Fatalf("WarehouseDSN = %q", got)
	}
	if got := c.WarehouseDSN("postgres://other/db"); got != "postgres://other/db" {
		t.Fatalf("the flag does not win: %q", got)
	}
	for engine, want := range map[string]string{"oracle": `warehouse.engine "oracle": want duckdb (the embedded file, default), postgres or redshift`} {
		c.Warehouse.Engine = engine
		if err := c.Check("shoplake check", config.NeedWarehouse); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("engine %s: err = %v, want %q", engine, err, want)
		}
	}
	for dsn, want := range map[string]string{
		"postgres://u:pw@db:5432/shop?sslmode=disable": "postgres://u:redacted@db:5432/shop?sslmode=disable",
		"postgres://db/shop?password=pw&user=u":        "postgres://db/shop?password=redacted&user=u",
		"host=db user=u password=pw dbname=shop":       "host=db user=u password=<redacted> dbname=shop",
		"host=db password='p w' dbname=shop":           "host=db password=<redacted> dbname=shop",
	} {
		c.Warehouse.DSN = dsn
		if got := c.Redacted().Warehouse.DSN; got != want || strings.Contains(got, "pw") {
			t.Errorf("Redacted DSN of %q = %q, want %q", dsn, got, want)
		}
	}
}

// TestConfig_Redshift: engine redshift takes its DSN and IAM role from the
// configuration or the environment; Check names what it lacks: the DSN
// always, and for a command that loads the lake (NeedLoad) the IAM role
// and a lake in S3 (mode aws, a bucket), since Redshift COPYs from S3
// itself; a role that is not an IAM role ARN is refused; a --postgres flag
// still chooses PostgreSQL.
func TestConfig_Redshift(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/shoplake-redshift-copy"
	t.Run("OK", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "shoplake.yaml")
		yaml := "mode: aws\nwarehouse:\n  engine: redshift\n  redshift:\n    iam_role: " + role + "\n"
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := config.Load(path, []string{"SHOPLAKE_WAREHOUSE_DSN=postgres://u:pw@cluster:5439/dev"})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Warehouse.Redshift.IAMRole; got != role {
			t.Errorf("IAMRole = %q, want %q (from the file)", got, role)
		}
		if err := c.Check("shoplake transform", config.NeedWarehouse|config.NeedLoad|config.NeedLake); err != nil {
			t.Fatal(err)
		}
		if got, want := c.WarehouseEngine(""), config.EngineRedshift; got != want {
			t.Errorf("WarehouseEngine = %q, want %q", got, want)
		}
		if got := c.WarehouseDSN(""); got != c.Warehouse.DSN {
			t.Errorf("WarehouseDSN = %q, want the configured DSN", got)
		}
		if got := c.WarehouseEngine("postgres://other/db"); got != config.EnginePostgres {
			t.Errorf("WarehouseEngine with --postgres = %q, want postgres", got)
		}
		if strings.Contains(c.Redacted().Warehouse.DSN, "pw") {
			t.Error("Redacted kept the DSN's password")
		}
	})
	t.Run("Env", func(t *testing.T) {
		c, err := config.Load("", []string{"SHOPLAKE_WAREHOUSE_ENGINE=redshift", "SHOPLAKE_WAREHOUSE_REDSHIFT_IAM_ROLE=default"})
		if err != nil {
			t.Fatal(err)
		}
		if c.Warehouse.Engine != config.EngineRedshift || c.Warehouse.Redshift.IAMRole != "default" {
			t.Fatalf("engine %q, role %q", c.Warehouse.Engine, c.Warehouse.Redshift.IAMRole)
		}
		if !strings.Contains(strings.Join(config.EnvNames(), " "), "SHOPLAKE_WAREHOUSE_REDSHIFT_IAM_ROLE") {
			t.Error("EnvNames lacks SHOPLAKE_WAREHOUSE_REDSHIFT_IAM_ROLE")
		}
	})
	t.Run("Missing", func(t *testing.T) {
		c := config.DefaultConfig()
		c.Warehouse.Engine = config.EngineRedshift
		c.S3.Bucket = ""
		err := c.Check("shoplake transform", config.NeedWarehouse|config.NeedLoad)
		if err == nil {
			t.Fatal("no error")
		}
		for _, want := range []string{
			"warehouse.dsn is empty: with engine redshift, shoplake transform connects to the cluster",
			"warehouse.redshift.iam_role is empty: with engine redshift, shoplake transform loads STAGING with COPY from S3",
			"SHOPLAKE_WAREHOUSE_REDSHIFT_IAM_ROLE",
			`mode "local": with engine redshift, shoplake transform loads STAGING with COPY from the lake's S3 bucket`,
			"s3.bucket is empty: with engine redshift",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
	})
	t.Run("ReaderNeedsNoRole", func(t *testing.T) {
		c := config.DefaultConfig()
		c.Warehouse.Engine = config.EngineRedshift
		c.Warehouse.DSN = "postgres://u:pw@cluster:5439/dev"
		if err := c.Check("shoplake check", config.NeedWarehouse); err != nil {
			t.Fatalf("a command that does not load needs no IAM role: %v", err)
		}
	})
	t.Run("ErrRole", func(t *testing.T) {
		for _, bad := range []string{"shoplake-redshift-copy", "arn:aws:iam::123456789012:user/me", "arn:aws:iam::1234:role/x", role + "' --"} {
			c := config.DefaultConfig()
			c.Mode = config.ModeAWS
			c.Warehouse.Engine = config.EngineRedshift
			c.Warehouse.DSN = "postgres://u:pw@cluster:5439/dev"
			c.Warehouse.Redshift.IAMRole = bad
			err := c.Check("shoplake check", config.NeedWarehouse)
			if err == nil || !strings.Contains(err.Error(), "warehouse.redshift.iam_role") || !strings.Contains(err.Error(), "want the ARN of an IAM role") {
				t.Errorf("role %q: err = %v", bad, err)
			}
		}
	})
}

// A mistyped key in the configuration file is named as written, with its
// line and the keys accepted there, never with a Go type.
func TestLoad_UnknownKeyInTheFilesWords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shoplake.yaml")
	if err := os.WriteFile(path, []byte("seed: 1\nsim:\n  userz: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path, nil)
	if err == nil || !strings.Contains(err.Error(), `line 3: unknown key "userz" under sim (did you mean "users"?)`) || strings.Contains(err.Error(), "config.") {
		t.Fatalf("Load: %v", err)
	}
}
