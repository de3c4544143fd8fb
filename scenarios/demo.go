package scenarios

import "time"

// Demo is the scenario `shoplake tui` replays without a file: three days of
// a realistic shop with a few faults on the timeline (the API down for the
// second day's batch, a consumer crash, late and duplicated events), small
// enough that a restart from the seed takes seconds.
func Demo() Scenario {
	return Scenario{
		Name:        "demo",
		Description: "three days of a realistic shop with an API outage, a consumer crash, late and duplicated events",
		Seed:        42,
		World:       World{Users: 150, Days: 3, Traffic: 2, Realistic: true},
		Faults: []Fault{
			{Kind: APIDown, At: &Moment{Day: 2}, For: Duration(time.Hour)},
			{Kind: ConsumerCrash, At: &Moment{Day: 1, Offset: 9 * time.Hour}, Every: 3, Count: 2},
			{Kind: LateEvents, Rate: 0.05, Delay: &DurationRange{Min: 10 * time.Minute, Max: 6 * time.Hour}},
			{Kind: ClientDuplicates, Rate: 0.05},
		},
	}
}
