package scenarios

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

const hour = time.Hour

// TestDraw_EveryKindStrikes draws the scenarios of seeds 1 to 200: every
// fault kind is drawn at least once, and every fault drawn keeps its
// kind's rules of where it can strike (Scenario.unfireable), in the world
// as the whole draw left it (a kind drawn later may have changed it).
func TestDraw_EveryKindStrikes(t *testing.T) {
	const seeds = 200
	drawn := map[Kind]int{}
	faults := 0
	for s := uint64(1); s <= seeds; s++ {
		sc := Draw(s)
		if why := sc.unfireable(); len(why) > 0 {
			t.Errorf("seed %d drew faults that cannot strike: %s", s, strings.Join(why, "; "))
		}
		for _, f := range sc.Faults {
			drawn[f.Kind]++
			faults++
		}
	}
	for _, k := range Kinds() {
		if drawn[k] == 0 && kinds[k].draw != nil {
			t.Errorf("%d seeds never drew %s", seeds, k)
		}
		if drawn[k] > 0 && kinds[k].draw == nil {
			t.Errorf("the swarm drew %s, which has no draw", k)
		}
	}
	t.Logf("%d seeds drew %d faults: %v", seeds, faults, drawn)
}

// TestScenario_Unfireable: the rules name what keeps a fault from striking.
func TestScenario_Unfireable(t *testing.T) {
	world := World{Users: 30, Days: 2, Traffic: 1}
	for _, tc := range []struct {
		name   string
		stream Stream
		f      Fault
		others []Fault // drawn before f
		want   string  // "" when f can strike
	}{
		{"RareOversizedInSmallWorld", Stream{}, Fault{Kind: OversizedRecords, Rate: 0.002}, nil, "misses all of at least 66 events"},
		{"EnoughOversized", Stream{}, Fault{Kind: OversizedRecords, Rate: 0.2}, nil, ""},
		{"MergeOneShard", Stream{Shards: 1}, Fault{Kind: Reshard, Variant: "merge"}, nil, "a merge needs two shards"},
		{"MergeTwoShards", Stream{Shards: 2}, Fault{Kind: Reshard, Variant: "merge"}, nil, ""},
		{"BurstBackAfterFaultPhase", Stream{}, Fault{Kind: LateBurst, At: &Moment{Day: 2, Offset: 20 * hour}, For: Duration(6 * hour)}, nil, "back only after the fault phase"},
		{"CostGrowthWithoutQuotas", Stream{}, Fault{Kind: CostGrowth}, nil, "without quotas"},
		{"CostGrowthOnQuotas", Stream{Quotas: true}, Fault{Kind: CostGrowth}, nil, ""},
		{"HungAPIByRate", Stream{}, Fault{Kind: HungAPI, Rate: 0.1}, nil, "misses all of at least 9 FakeStore requests"},
		{"HungAPIEvery", Stream{}, Fault{Kind: HungAPI, Every: 3}, nil, ""},
		{"APIDownBetweenBatches", Stream{}, Fault{Kind: APIDown, At: &Moment{Day: 2, Offset: 3 * hour}, For: Duration(hour)}, nil, "holds no daily batch"},
		{"EmptyCarts", Stream{}, Fault{Kind: EmptySnapshot, Endpoint: "/carts"}, nil, "may have no carts"},
		{"DriftUnderAPIDown", Stream{}, Fault{Kind: SchemaDrift, At: &Moment{Day: 2}, Variant: "price_string"}, []Fault{{Kind: APIDown, At: &Moment{Day: 2}}}, "no daily batch that api_down leaves open"},
		{"EmptySnapshotUnderAPIDown", Stream{}, Fault{Kind: EmptySnapshot, At: &Moment{Day: 1}, Endpoint: "/users"}, []Fault{{Kind: APIDown, At: &Moment{Day: 2}}}, "api_down holds every batch"},
		{"EmptySnapshotAndDrift", Stream{}, Fault{Kind: EmptySnapshot, At: &Moment{Day: 1}, Endpoint: "/products"}, []Fault{{Kind: SchemaDrift, At: &Moment{Day: 2}, Variant: "price_string"}}, "schema drift on the same endpoint"},
		{"EmptyProductsAfterTornWrites", Stream{}, Fault{Kind: EmptySnapshot, At: &Moment{Day: 1}, Endpoint: "/products"}, []Fault{{Kind: PartialWrite}}, "may fail the batch before it asks for /products"},
		{"EmptyUsersDespiteTornWrites", Stream{}, Fault{Kind: EmptySnapshot, At: &Moment{Day: 1}, Endpoint: "/users"}, []Fault{{Kind: PartialWrite}}, ""},
		{"RaceWithTornWrites", Stream{}, Fault{Kind: RawWriteRace}, []Fault{{Kind: PartialWrite}}, "torn by partial_write"},
		{"IgnoreFilterSmallShop", Stream{}, Fault{Kind: IgnoreDateFilter}, nil, "no carts before its last date"},
		{"ReadAfterTheEnd", Stream{}, Fault{Kind: StaleConsumer, At: &Moment{Day: 2, Offset: 22 * hour}}, nil, "fewer than 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := Scenario{World: world, Stream: tc.stream, Faults: append(tc.others, tc.f)}
			var got string
			for _, why := range sc.unfireable() {
				if strings.HasPrefix(why, fmt.Sprintf("faults[%d] ", len(tc.others))) {
					got = why
				}
			}
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("unfireable = %q, want %q", got, tc.want)
			}
		})
	}
}

// Each kind's description names its keys as a scenario file spells them
// ("retry_after"), never by their Go names (RetryAfter).
func TestKinds_AboutSpellsTheYAMLKeys(t *testing.T) {
	goName := regexp.MustCompile(`\b(Rate|At|For|Delay|Count|Every|Multiplier|Variant|Status|Endpoint|RetryAfter)\b`)
	for _, k := range Kinds() {
		spec := kinds[k]
		if m := goName.FindString(spec.about); m != "" {
			t.Errorf("%s: its description says %s, a Go field name", k, m)
		}
		for _, key := range spec.uses {
			if !strings.Contains(spec.about, `"`+key+`"`) && !(key == "variant" && strings.Contains(spec.about, "variant")) {
				t.Errorf("%s uses %q and its description does not name it", k, key)
			}
		}
	}
}
