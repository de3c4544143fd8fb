// Package cost estimates the monthly AWS bill of the pipeline: Kinesis
// (provisioned and on-demand), the consumer Lambda, S3 storage per zone and
// storage class after the lifecycle rules (lake.Retention), S3 requests, and
// Redshift Serverless, from a Usage measured in a lake (MeasureLake) or
// assumed from a volume of events (Assume). Prices come from one dated,
// per-region file embedded in the binary (prices.yaml).
package cost

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed prices.yaml
var pricesYAML []byte

// Prices are the list prices of one region, in USD.
type Prices struct {
	Region string `json:"region"`
	AsOf   string `json:"as_of"`
	Source string `json:"source"`

	KinesisShardHour        float64 `json:"kinesis_shard_hour"`
	KinesisPutUnitsMillion  float64 `json:"kinesis_put_payload_units_million"`
	KinesisOnDemandHour     float64 `json:"kinesis_on_demand_stream_hour"`
	KinesisOnDemandGBIn     float64 `json:"kinesis_on_demand_gb_in"`
	KinesisOnDemandGBOut    float64 `json:"kinesis_on_demand_gb_out"`
	LambdaRequestsMillion   float64 `json:"lambda_requests_million"`
	LambdaGBSecond          float64 `json:"lambda_gb_second"`
	S3StandardGBMonth       float64 `json:"s3_standard_gb_month"`
	S3StandardIAGBMonth     float64 `json:"s3_standard_ia_gb_month"`
	S3GlacierIRGBMonth      float64 `json:"s3_glacier_ir_gb_month"`
	S3GlacierGBMonth        float64 `json:"s3_glacier_gb_month"`
	S3Put1000               float64 `json:"s3_put_1000"`
	S3Get1000               float64 `json:"s3_get_1000"`
	S3TransitionIA1000      float64 `json:"s3_transition_ia_1000"`
	S3TransitionGlacierIR   float64 `json:"s3_transition_glacier_ir_1000"`
	S3TransitionGlacier1000 float64 `json:"s3_transition_glacier_1000"`
	RedshiftRPUHour         float64 `json:"redshift_serverless_rpu_hour"`
}

// fields maps each key of prices.yaml to its field: one list, so that the
// file and the struct cannot drift apart silently.
func (p *Prices) fields() map[string]*float64 {
	return map[string]*float64{
		"kinesis_shard_hour":                &p.KinesisShardHour,
		"kinesis_put_payload_units_million": &p.KinesisPutUnitsMillion,
		"kinesis_on_demand_stream_hour":     &p.KinesisOnDemandHour,
		"kinesis_on_demand_gb_in":           &p.KinesisOnDemandGBIn,
		"kinesis_on_demand_gb_out":          &p.KinesisOnDemandGBOut,
		"lambda_requests_million":           &p.LambdaRequestsMillion,
		"lambda_gb_second":                  &p.LambdaGBSecond,
		"s3_standard_gb_month":              &p.S3StandardGBMonth,
		"s3_standard_ia_gb_month":           &p.S3StandardIAGBMonth,
		"s3_glacier_ir_gb_month":            &p.S3GlacierIRGBMonth,
		"s3_glacier_gb_month":               &p.S3GlacierGBMonth,
		"s3_put_1000":                       &p.S3Put1000,
		"s3_get_1000":                       &p.S3Get1000,
		"s3_transition_ia_1000":             &p.S3TransitionIA1000,
		"s3_transition_glacier_ir_1000":     &p.S3TransitionGlacierIR,
		"s3_transition_glacier_1000":        &p.S3TransitionGlacier1000,
		"redshift_serverless_rpu_hour":      &p.RedshiftRPUHour,
	}
}

// PriceFile is prices.yaml: when its prices were read, from where, and
// each region's.
type PriceFile struct {
	AsOf     string                        `yaml:"as_of"`
	Source   string                        `yaml:"source"`
	Currency string                        `yaml:"currency"`
	Regions  map[string]map[string]float64 `yaml:"regions"`
}

// ErrUnknownRegion is returned by Region for a region the file has no
// prices for.
var ErrUnknownRegion = errors.New("no prices for region")

// ParsePrices parses and validates a price file: as_of, source and
// currency USD are set, and every region has every price, positive, and no
// key this build does not know. One error lists every problem, each naming
// the region and the key.
func ParsePrices(body []byte) (PriceFile, error) {
	var f PriceFile
	if err := yaml.Unmarshal(body, &f); err != nil {
		return f, fmt.Errorf("prices: %w", err)
	}
	var errs []string
	if f.AsOf == "" {
		errs = append(errs, "as_of is missing")
	}
	if f.Source == "" {
		errs = append(errs, "source is missing")
	}
	if f.Currency != "USD" {
		errs = append(errs, fmt.Sprintf("currency %q: want USD", f.Currency))
	}
	if len(f.Regions) == 0 {
		errs = append(errs, "no region")
	}
	known := (&Prices{}).fields()
	for _, region := range sortedKeys(f.Regions) {
		got := f.Regions[region]
		for _, key := range sortedKeys(known) {
			v, ok := got[key]
			switch {
			case !ok:
				errs = append(errs, fmt.Sprintf("region %s: price %s is missing", region, key))
			case v <= 0:
				errs = append(errs, fmt.Sprintf("region %s: price %s is %v, want > 0", region, key, v))
			}
		}
		for _, key := range sortedKeys(got) {
			if _, ok := known[key]; !ok {
				errs = append(errs, fmt.Sprintf("region %s: unknown price %s", region, key))
			}
		}
	}
	if len(errs) > 0 {
		return f, errors.New("prices: " + strings.Join(errs, "; "))
	}
	return f, nil
}

// LoadPrices returns the embedded price file, validated.
func LoadPrices() (PriceFile, error) { return ParsePrices(pricesYAML) }

// RegionNames lists the regions the file prices, sorted.
func (f PriceFile) RegionNames() []string { return sortedKeys(f.Regions) }

// Region returns the prices of region, or ErrUnknownRegion naming the
// regions there are.
func (f PriceFile) Region(region string) (Prices, error) {
	got, ok := f.Regions[region]
	if !ok {
		return Prices{}, fmt.Errorf("%w %q (priced: %s)", ErrUnknownRegion, region, strings.Join(f.RegionNames(), ", "))
	}
	p := Prices{Region: region, AsOf: f.AsOf, Source: strings.TrimSpace(f.Source)}
	for key, ptr := range p.fields() {
		*ptr = got[key]
	}
	return p, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return slices.Clip(out)
}

// PricesFile returns the bytes of the embedded price file.
func PricesFile() ([]byte, error) { return append([]byte(nil), pricesYAML...), nil }
