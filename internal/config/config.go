// Package config is shoplake's configuration: DefaultConfig, then a YAML
// file (with ${VAR} expansion), then SHOPLAKE_-prefixed environment
// overrides, then Validate, which reports every problem at once.
//
// The default is mode "local": every endpoint runs in-process and nothing
// needs installing. Mode "aws" points the same clients at AWS, with
// credentials from the AWS default chain (environment, shared files, SSO,
// instance roles); the configuration never holds an access key.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/shoplake/shoplake/internal/tz"
	"github.com/shoplake/shoplake/internal/yamlstrict"
)

// The modes a configuration can name.
const (
	ModeLocal = "local"
	ModeAWS   = "aws"
)

// Config is the whole configuration. The yaml tags are also the source of
// the environment variable names: SHOPLAKE_<SECTION>_<FIELD>, upper-cased
// (SHOPLAKE_KINESIS_STREAM, SHOPLAKE_SIM_DAYS).
type Config struct {
	Mode      string    `yaml:"mode"`
	Seed      uint64    `yaml:"seed"`
	DataDir   string    `yaml:"data_dir"`
	AWS       AWS       `yaml:"aws"`
	S3        S3        `yaml:"s3"`
	Kinesis   Kinesis   `yaml:"kinesis"`
	FakeStore FakeStore `yaml:"fakestore"`
	Warehouse Warehouse `yaml:"warehouse"`
	Sim       Sim       `yaml:"sim"`
}

// AWS holds what the SDK needs besides credentials.
type AWS struct {
	// Region of the S3 bucket and the Kinesis stream. Empty: as the AWS
	// default chain decides (AWS_REGION, the profile), and LocalRegion in
	// mode local.
	Region string `yaml:"region"`
}

// S3 locates the lake. An empty endpoint means AWS in mode aws and the
// in-process server in mode local.
type S3 struct {
	Endpoint string `yaml:"endpoint"`
	Bucket   string `yaml:"bucket"`
	Prefix   string `yaml:"prefix"`
}

// Kinesis locates the clickstream. An empty endpoint means AWS in mode aws
// and the in-process server in mode local.
type Kinesis struct {
	Endpoint string `yaml:"endpoint"`
	Stream   string `yaml:"stream"`
	Shards   int    `yaml:"shards"`
	// Group names the consumer group whose checkpoints the consumer keeps.
	Group string `yaml:"group"`
	// BatchRecords is the most records a consumer writes into one RAW object.
	BatchRecords int `yaml:"batch_records"`
}

// MaxLookbackDays bounds fakestore.lookback_days: a year of carts per batch.
const MaxLookbackDays = 366

// FakeStore locates the batch source. An empty base URL means the
// simulator's in-process server (mode local only).
type FakeStore struct {
	BaseURL string        `yaml:"base_url"`
	Timeout time.Duration `yaml:"timeout"`
	// PageSize is the per_page asked of each list (users, products,
	// carts): a source that paginates (page, per_page, X-Total-Count)
	// serves a list of any length in pages of this many objects; one that
	// ignores the parameters (FakeStore) answers the whole list. 0 asks
	// for every list whole.
	PageSize int `yaml:"page_size"`
	// LookbackDays is how many days of carts a logical date's batch reads,
	// the date and the days before it (1: the date alone). An order that
	// changes after it was placed (cancelled, refunded) reaches the
	// warehouse only through a later batch that reads its date again: a
	// change later than the window is never seen, as with dbt_shopify's
	// incremental lookback.
	LookbackDays int `yaml:"lookback_days"`
}

// Warehouse chooses the warehouse engine and locates it, and keys the
// email hash.
type Warehouse struct {
	// Engine is EngineDuckDB (the embedded file at Path, the default),
	// EnginePostgres (the PostgreSQL database at DSN) or EngineRedshift
	// (the Amazon Redshift database at DSN, which loads STAGING from the
	// lake's S3 bucket with COPY). A command's --postgres DSN overrides
	// them (WarehouseEngine).
	Engine string `yaml:"engine"`
	// Path of the DuckDB file; relative paths are under DataDir.
	Path string `yaml:"path"`
	// DSN of the PostgreSQL or Redshift warehouse, a URL or key=value
	// pairs as pgx reads them. It may hold a password: set it from the
	// environment (SHOPLAKE_WAREHOUSE_DSN), never in a committed file;
	// Redacted masks it.
	DSN string `yaml:"dsn"`
	// EmailHashKey keys the HMAC that replaces emails in CORE. In mode aws
	// it must be set (from the environment, not a committed file).
	EmailHashKey string `yaml:"email_hash_key"`
	// Redshift configures engine redshift.
	Redshift Redshift `yaml:"redshift"`
	// DuckDBMemoryLimit caps the memory of the DuckDB warehouse ("256MB",
	// "1GiB"); past it DuckDB spills to temporary files beside the
	// database. Empty is the warehouse's default (384MB, also this
	// configuration's default).
	DuckDBMemoryLimit string `yaml:"duckdb_memory_limit"`
	// TimeZone is the business time zone, an IANA name ("Europe/Madrid"):
	// the calendar in which the marts count days, weeks and months, as a
	// shop reports in its own day (docs/MARTS.md §0). Empty is UTC. A
	// warehouse built in one zone is rebuilt in another by a full refresh.
	TimeZone string `yaml:"time_zone"`
}

// Redshift is what engine redshift needs besides its DSN: Redshift reads
// the lake's STAGING files from S3 itself (COPY ... IAM_ROLE), from
// s3.bucket under s3.prefix.
type Redshift struct {
	// IAMRole is the ARN of the IAM role the cluster assumes to read the
	// lake (arn:aws:iam::<account>:role/<name>), or "default" for the
	// cluster's default role; it must allow s3:GetObject on staging/ and
	// quarantine/transform/ under s3.prefix (SHOPLAKE_WAREHOUSE_REDSHIFT_IAM_ROLE).
	IAMRole string `yaml:"iam_role"`
}

// Sim sizes the simulated shop of a local run.
type Sim struct {
	Start    string `yaml:"start"` // YYYY-MM-DD, the first simulated day
	Days     int    `yaml:"days"`
	Users    int    `yaml:"users"`
	Products int    `yaml:"products"`
	// Realistic turns on the simulator's realistic rates (order statuses,
	// tracking loss, price changes, withdrawals, new products); see
	// sim.Config.Realistic.
	Realistic bool `yaml:"realistic"`
	// Traffic multiplies session arrivals (0 or 1: as simulated).
	Traffic float64 `yaml:"traffic"`
	// HostileRate is the share of products with hostile names.
	HostileRate float64 `yaml:"hostile_rate"`
}

// LocalEmailHashKey is the email-hash key of local runs. It is public on
// purpose: local data is synthetic, and a fixed key keeps hashes stable
// across runs.
const LocalEmailHashKey = "shoplake-local-not-a-secret"

// DefaultConfig returns the configuration of a local run that needs nothing
// installed and finishes in seconds.
func DefaultConfig() Config {
	return Config{
		Mode:    ModeLocal,
		Seed:    42,
		DataDir: "./data",
		S3:      S3{Bucket: "shoplake"},
		Kinesis: Kinesis{Stream: "clickstream", Shards: 4, Group: "shoplake", BatchRecords: 5000},
		FakeStore: FakeStore{
			Timeout:      10 * time.Second,
			PageSize:     5000,
			LookbackDays: 1,
		},
		// DuckDBMemoryLimit is warehouse.DefaultDuckDBMemoryLimit, written
		// out so that shoplake config shows it (config does not import the
		// warehouse; pipeline.TestDefaults_DuckDBMemoryLimit keeps them equal).
		Warehouse: Warehouse{Engine: EngineDuckDB, Path: "warehouse.duckdb", DuckDBMemoryLimit: "384MB"},
		Sim:       Sim{Start: "2026-01-05", Days: 7, Users: 1000, Products: 20},
	}
}

// Load returns DefaultConfig overlaid with the YAML file at path (if path is
// not empty) and then with the environment. It does not validate.
func Load(path string, environ []string) (Config, error) {
	c := DefaultConfig()
	var referenced map[string]bool
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("read config %s: %w", path, err)
		}
		if referenced, err = c.parseYAML(b, environ); err != nil {
			return c, fmt.Errorf("parse config %s: %w", path, err)
		}
	}
	if err := applyEnv(&c, environ, referenced); err != nil {
		return c, err
	}
	return c, nil
}

// parseYAML decodes b, after expanding ${VAR} from environ, into c. It
// returns the names of the variables b references: those are the file's,
// not overrides, even when they start with EnvPrefix.
func (c *Config) parseYAML(b []byte, environ []string) (map[string]bool, error) {
	env := envMap(environ)
	referenced := map[string]bool{}
	expanded := os.Expand(string(b), func(k string) string {
		referenced[k] = true
		return env[k]
	})
	if err := yamlstrict.Decode([]byte(expanded), c); err != nil && !errors.Is(err, yamlstrict.ErrEmpty) {
		return referenced, err
	}
	return referenced, nil
}

// StartDate parses Sim.Start.
func (c Config) StartDate() (time.Time, error) {
	return time.Parse("2006-01-02", c.Sim.Start)
}

// Need names a part of the configuration that a command uses. A command
// checks only what it needs (Check): shoplake check reads a warehouse and
// never calls the FakeStore API, so it must not refuse to start without
// fakestore.base_url.
type Need uint

// The parts of the configuration.
const (
	// NeedLake: the S3 bucket and its endpoint.
	NeedLake Need = 1 << iota
	// NeedStream: the Kinesis stream, its endpoint and the consumer group.
	NeedStream
	// NeedSource: the FakeStore API, the batch source.
	NeedSource
	// NeedWarehouse: the warehouse the configuration names (when no
	// --postgres flag names another): the DuckDB file, or the DSN.
	NeedWarehouse
	// NeedEmailKey: the key of the email hash, for commands that turn
	// source rows into CORE rows.
	NeedEmailKey
	// NeedWorld: the simulated shop (sim.*), for commands that simulate.
	NeedWorld
	// NeedLoad: what the warehouse needs to load the lake, for commands
	// that load it: with engine redshift, the IAM role the cluster
	// assumes and a lake in S3 (mode aws, s3.bucket), since Redshift
	// COPYs from S3 itself. Checked with NeedWarehouse.
	NeedLoad

	// NeedAll is every part: what the demo, and Validate, check.
	NeedAll = NeedLake | NeedStream | NeedSource | NeedWarehouse | NeedEmailKey | NeedWorld | NeedLoad
)

// BusinessZone is warehouse.time_zone loaded: UTC when empty.
func (c Config) BusinessZone() (*tz.Zone, error) {
	return tz.Load(c.Warehouse.TimeZone)
}

// Validate checks every part of the configuration (Check with NeedAll).
func (c Config) Validate() error {
	return c.Check("", NeedAll)
}

// Check returns one error listing every problem with the parts of the
// configuration that command needs, each saying which setting is wrong,
// how to set it and, where it is not obvious, why command needs it; or
// nil. command names the command in those reasons ("shoplake ingest");
// it may be empty.
func (c Config) Check(command string, needs Need) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	who := command
	if who == "" {
		who = "the pipeline"
	}
	switch c.Mode {
	case ModeLocal, ModeAWS:
	default:
		add("mode %q: want %q or %q (SHOPLAKE_MODE)", c.Mode, ModeLocal, ModeAWS)
	}
	if c.DataDir == "" {
		add("data_dir is empty")
	}
	checkURL := func(name, env, u string) {
		if u == "" {
			return
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			add("%s %q: want an http(s) URL (%s)", name, u, env)
		}
	}
	if needs&NeedLake != 0 {
		if c.S3.Bucket == "" {
			add("s3.bucket is empty: %s reads and writes the lake in it (SHOPLAKE_S3_BUCKET)", who)
		} else if !validBucketName(c.S3.Bucket) {
			add("s3.bucket %q: want an S3 bucket name (3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit)", c.S3.Bucket)
		}
		if c.S3.Prefix != "" && (!strings.HasSuffix(c.S3.Prefix, "/") || strings.HasPrefix(c.S3.Prefix, "/")) {
			add("s3.prefix %q must end with '/' and not start with one", c.S3.Prefix)
		}
		checkURL("s3.endpoint", "SHOPLAKE_S3_ENDPOINT", c.S3.Endpoint)
	}
	if needs&NeedStream != 0 {
		if c.Kinesis.Stream == "" {
			add("kinesis.stream is empty: %s uses the clickstream's stream (SHOPLAKE_KINESIS_STREAM)", who)
		}
		if c.Kinesis.Group == "" {
			add("kinesis.group is empty: it names the consumer group whose checkpoints are kept (SHOPLAKE_KINESIS_GROUP)")
		}
		if c.Kinesis.Shards < 1 {
			add("kinesis.shards %d: want at least 1 (SHOPLAKE_KINESIS_SHARDS)", c.Kinesis.Shards)
		}
		if c.Kinesis.BatchRecords < 1 || c.Kinesis.BatchRecords > 10000 {
			add("kinesis.batch_records %d: want 1..10000 (SHOPLAKE_KINESIS_BATCH_RECORDS)", c.Kinesis.BatchRecords)
		}
		checkURL("kinesis.endpoint", "SHOPLAKE_KINESIS_ENDPOINT", c.Kinesis.Endpoint)
	}
	if needs&NeedSource != 0 {
		if c.FakeStore.Timeout <= 0 {
			add("fakestore.timeout %s: want a positive duration (SHOPLAKE_FAKESTORE_TIMEOUT)", c.FakeStore.Timeout)
		}
		if c.FakeStore.LookbackDays < 1 || c.FakeStore.LookbackDays > MaxLookbackDays {
			add("fakestore.lookback_days %d: want 1 (the date alone) to %d days of carts read by each batch (SHOPLAKE_FAKESTORE_LOOKBACK_DAYS)", c.FakeStore.LookbackDays, MaxLookbackDays)
		}
		if c.FakeStore.PageSize < 0 {
			add("fakestore.page_size %d: want 0 (every list whole) or more objects per page (SHOPLAKE_FAKESTORE_PAGE_SIZE)", c.FakeStore.PageSize)
		}
		checkURL("fakestore.base_url", "SHOPLAKE_FAKESTORE_BASE_URL", c.FakeStore.BaseURL)
		if c.Mode == ModeAWS && c.FakeStore.BaseURL == "" {
			add("fakestore.base_url is empty: %s reads the batch source from it, and mode aws starts no in-process FakeStore (SHOPLAKE_FAKESTORE_BASE_URL)", who)
		}
	}
	if needs&NeedWarehouse != 0 {
		if _, err := c.BusinessZone(); err != nil {
			add("warehouse.time_zone %q: want an IANA time zone name such as UTC, Europe/Madrid or America/New_York (SHOPLAKE_WAREHOUSE_TIME_ZONE)", c.Warehouse.TimeZone)
		}
		if v := c.Warehouse.DuckDBMemoryLimit; v != "" && !memoryLimitRE.MatchString(v) {
			add("warehouse.duckdb_memory_limit %q: want a number and a unit, such as 256MB or 1GiB (SHOPLAKE_WAREHOUSE_DUCKDB_MEMORY_LIMIT)", v)
		}
		switch c.Warehouse.Engine {
		case EngineDuckDB, "":
			if c.Warehouse.Path == "" {
				add("warehouse.path is empty: %s opens the DuckDB warehouse there (SHOPLAKE_WAREHOUSE_PATH)", who)
			}
		case EnginePostgres:
			if c.Warehouse.DSN == "" {
				add("warehouse.dsn is empty: with engine postgres, %s connects to the warehouse there; set SHOPLAKE_WAREHOUSE_DSN (it may hold a password: not in a committed file), or give --postgres DSN", who)
			}
		case EngineRedshift:
			if c.Warehouse.DSN == "" {
				add("warehouse.dsn is empty: with engine redshift, %s connects to the cluster there (postgres://user:pass@<endpoint>:5439/<db>?sslmode=require); set SHOPLAKE_WAREHOUSE_DSN (it holds a password: not in a committed file)", who)
			}
			c.checkRedshift(who, needs, add)
		default:
			add("warehouse.engine %q: want %s (the embedded file, default), %s or %s (SHOPLAKE_WAREHOUSE_ENGINE)", c.Warehouse.Engine, EngineDuckDB, EnginePostgres, EngineRedshift)
		}
	}
	if needs&NeedEmailKey != 0 && c.Mode == ModeAWS && c.Warehouse.EmailHashKey == "" {
		add("warehouse.email_hash_key is empty: %s replaces emails by their keyed hash, and mode aws has no public key; set SHOPLAKE_WAREHOUSE_EMAIL_HASH_KEY from a secret, never in a committed file", who)
	}
	if needs&NeedWorld != 0 {
		if _, err := c.StartDate(); err != nil {
			add("sim.start %q: want YYYY-MM-DD", c.Sim.Start)
		}
		if c.Sim.Days < 1 {
			add("sim.days %d: want at least 1", c.Sim.Days)
		}
		if c.Sim.Users < 1 {
			add("sim.users %d: want at least 1", c.Sim.Users)
		}
		if c.Sim.Products < 1 {
			add("sim.products %d: want at least 1", c.Sim.Products)
		}
		if c.Sim.Traffic < 0 {
			add("sim.traffic %g: want 0 (as simulated) or a positive multiplier", c.Sim.Traffic)
		}
		if c.Sim.HostileRate < 0 || c.Sim.HostileRate > 1 {
			add("sim.hostile_rate %g: want a share in [0, 1]", c.Sim.HostileRate)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	sortErrs(errs)
	return fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
}

// checkRedshift adds what is wrong with engine redshift's IAM role and,
// for a command that loads the lake (NeedLoad), what it lacks to load it:
// Redshift's COPY reads the STAGING files from S3 itself, as an IAM role
// the cluster assumes.
func (c Config) checkRedshift(who string, needs Need, add func(string, ...any)) {
	role := c.Warehouse.Redshift.IAMRole
	if role != "" && role != "default" && !iamRoleARN.MatchString(role) {
		add("warehouse.redshift.iam_role %q: want the ARN of an IAM role, arn:aws:iam::<12-digit account>:role/<name>, or default (the cluster's default role) (SHOPLAKE_WAREHOUSE_REDSHIFT_IAM_ROLE)", role)
	}
	if needs&NeedLoad == 0 {
		return
	}
	if role == "" {
		add("warehouse.redshift.iam_role is empty: with engine redshift, %s loads STAGING with COPY from S3, as the IAM role the cluster assumes (s3:GetObject on staging/ and quarantine/transform/ of the lake); set SHOPLAKE_WAREHOUSE_REDSHIFT_IAM_ROLE to its ARN, or to default for the cluster's default role", who)
	}
	if c.Mode != ModeAWS {
		add("mode %q: with engine redshift, %s loads STAGING with COPY from the lake's S3 bucket, which Redshift reads itself: the lake must be in S3 (mode aws, SHOPLAKE_MODE=aws), not served in-process", c.Mode, who)
	}
	if c.S3.Bucket == "" && needs&NeedLake == 0 { // else NeedLake says so
		add("s3.bucket is empty: with engine redshift, %s COPYs STAGING from the lake's bucket (SHOPLAKE_S3_BUCKET)", who)
	}
}

// iamRoleARN is an IAM role's ARN in any partition, as
// warehouse.RedshiftOptions accepts it.
var iamRoleARN = regexp.MustCompile(`^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)

// validBucketName reports whether name follows S3's naming rules for
// general purpose buckets (the parts that matter to a key or a URL).
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 || strings.Contains(name, "..") {
		return false
	}
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case (r == '.' || r == '-') && i > 0 && i < len(name)-1:
		default:
			return false
		}
	}
	return true
}

// The warehouse engines (Warehouse.Engine).
const (
	EngineDuckDB   = "duckdb"
	EnginePostgres = "postgres"
	EngineRedshift = "redshift"
)

// WarehouseEngine returns the engine of the warehouse a command uses:
// postgres when flag (its --postgres DSN) is given, else the configured
// engine (duckdb when empty).
func (c Config) WarehouseEngine(flag string) string {
	switch {
	case flag != "":
		return EnginePostgres
	case c.Warehouse.Engine == "":
		return EngineDuckDB
	}
	return c.Warehouse.Engine
}

// WarehouseDSN returns the DSN of the warehouse a command uses: flag (its
// --postgres) when given, else the configuration's DSN when the engine is
// postgres or redshift, else "" (the DuckDB file).
func (c Config) WarehouseDSN(flag string) string {
	if flag != "" {
		return flag
	}
	if c.Warehouse.Engine == EnginePostgres || c.Warehouse.Engine == EngineRedshift {
		return c.Warehouse.DSN
	}
	return ""
}

// EmailHashKey returns the key of the email HMAC: the configured one, or the
// public local key in mode local.
func (c Config) EmailHashKey() []byte {
	if c.Warehouse.EmailHashKey == "" && c.Mode == ModeLocal {
		return []byte(LocalEmailHashKey)
	}
	return []byte(c.Warehouse.EmailHashKey)
}

// Redacted returns a copy safe to print or log: secrets are masked.
func (c Config) Redacted() Config {
	if c.Warehouse.EmailHashKey != "" {
		c.Warehouse.EmailHashKey = "<redacted>"
	}
	c.Warehouse.DSN = RedactDSN(c.Warehouse.DSN)
	return c
}

// dsnPassword finds the password of a key=value DSN.
var dsnPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// RedactDSN masks the password of a PostgreSQL DSN, in either form (a URL,
// or key=value pairs), so that the DSN can be printed or logged.
func RedactDSN(dsn string) string {
	if dsn == "" {
		return ""
	}
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.Host != "" {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "redacted")
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "redacted")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return dsnPassword.ReplaceAllString(dsn, "${1}<redacted>")
}

// memoryLimitRE is a DuckDB memory size, as warehouse.CheckMemoryLimit
// reads it.
var memoryLimitRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$`)
