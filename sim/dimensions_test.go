package sim_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/clean"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

// dimensionValues are e's dimensions as the client sent them, in
// clean.Dimensions order (referrer for referrer_host); nil when absent.
func dimensionValues(e stream.Event) []*string {
	return []*string{e.DeviceType, e.DeviceOS, e.DeviceBrowser, e.Channel, e.UTMSource, e.UTMMedium,
		e.UTMCampaign, e.Referrer, e.PagePath, e.Country}
}

// garbled returns the dimensions of e that the warehouse would store as
// unknown because they are garbled.
func garbled(e stream.Event) []string {
	var out []string
	for i, v := range dimensionValues(e) {
		if _, g := clean.Dimension(clean.Dimensions[i], v); g {
			out = append(out, clean.Dimensions[i])
		}
	}
	return out
}

// TestNewWorld_Dimensions: every event of a world without anomalies is a
// version 2 event whose dimensions the warehouse accepts; a session's
// events share their device, source and country; a signed-in user's
// sessions mostly come from the user's country; the channel mix and the
// evening's share of mobile devices are those dimensions.go documents.
func TestNewWorld_Dimensions(t *testing.T) {
	cfg := sim.Config{Seed: 11, Start: sim.DefaultConfig().Start, Days: 7, Users: 3000}
	w := newWorld(t, cfg)
	type session struct{ device, channel, country string }
	sessions := map[string]session{}
	var withUser, userCountry int64
	channels := map[string]int64{}
	var evening, eveningMobile, office, officeMobile int64
	for _, e := range w.Events {
		if e.SchemaVersion != 2 {
			t.Fatalf("event %s: schema_version %d", e.EventID, e.SchemaVersion)
		}
		for i, v := range dimensionValues(e) {
			if v == nil {
				t.Fatalf("event %s has no %s", e.EventID, clean.Dimensions[i])
			}
		}
		if g := garbled(e); len(g) > 0 {
			t.Fatalf("event %s: garbled %v without anomalies", e.EventID, g)
		}
		s := session{*e.DeviceType + "/" + *e.DeviceOS + "/" + *e.DeviceBrowser, *e.Channel + "/" + *e.UTMSource + "/" + *e.UTMCampaign, *e.Country}
		first, seen := sessions[e.SessionID]
		if !seen {
			sessions[e.SessionID] = s
			channels[*e.Channel]++
			if e.UserID != nil {
				withUser++
				if u, ok := w.User(*e.UserID); ok && u.Country == *e.Country {
					userCountry++
				}
			} else {
				h, wd := e.EventTime.Hour(), e.EventTime.Weekday()
				mobile := int64(0)
				if *e.DeviceType == "mobile" {
					mobile = 1
				}
				switch {
				case h >= 19:
					evening++
					eveningMobile += mobile
				case wd >= time.Monday && wd <= time.Friday && h >= 9 && h < 17:
					office++
					officeMobile += mobile
				}
			}
			continue
		}
		if s != first {
			t.Fatalf("session %s changes its dimensions: %+v then %+v", e.SessionID, first, s)
		}
		if e.EventType == stream.ProductView && *e.PagePath != "/products/"+itoa(*e.ProductID) {
			t.Fatalf("product view of %d on page %s", *e.ProductID, *e.PagePath)
		}
	}
	n := int64(len(sessions))
	within(t, "signed-in sessions from the user's country", float64(userCountry)/float64(withUser), 0.97, binomialTol(withUser, 0.97)+0.01)
	within(t, "evening mobile share", float64(eveningMobile)/float64(evening), 0.68, binomialTol(evening, 0.68))
	within(t, "office-hours mobile share", float64(officeMobile)/float64(office), 0.45, binomialTol(office, 0.45))
	// Returning customers shift some sessions to direct and email: organic
	// search, which they never take more of, is checked against its share
	// of the others.
	within(t, "organic search share", float64(channels["organic_search"])/float64(n), 0.33, 0.04)
	if channels["display"] != 0 {
		t.Errorf("%d display sessions without a campaign", channels["display"])
	}
}

// TestNewWorld_DimensionAnomalies: legacy clients and garbled dimensions
// come at their rates, change nothing else in the world (the same events,
// times and orders), and a garbled event has exactly one garbled
// dimension; a campaign brings sessions tagged with its name.
func TestNewWorld_DimensionAnomalies(t *testing.T) {
	cfg := sim.Config{Seed: 12, Start: sim.DefaultConfig().Start, Days: 5, Users: 3000}
	cfg.Campaigns = []sim.Campaign{{Start: cfg.Start.Add(48 * time.Hour), Duration: 24 * time.Hour, Multiplier: 3}}
	plain := newWorld(t, cfg)
	cfg.LegacyClientRate, cfg.GarbledDimensionRate = 0.2, 0.05
	odd := newWorld(t, cfg)
	if len(plain.Events) != len(odd.Events) || len(plain.Orders) != len(odd.Orders) {
		t.Fatalf("the anomalies changed the world: %d/%d events, %d/%d orders", len(plain.Events), len(odd.Events), len(plain.Orders), len(odd.Orders))
	}
	legacy, sessions := map[string]bool{}, map[string]bool{}
	var garbledEvents, v2Events, inCampaign, tagged int64
	k := cfg.Campaigns[0]
	for i, e := range odd.Events {
		p := plain.Events[i]
		if e.EventID != p.EventID || !e.EventTime.Equal(p.EventTime) || e.EventType != p.EventType || e.SessionID != p.SessionID {
			t.Fatalf("event %d differs beyond its dimensions: %+v vs %+v", i, e, p)
		}
		if !sessions[e.SessionID] && e.SchemaVersion == 2 && !e.EventTime.Before(k.Start) && e.EventTime.Before(k.Start.Add(k.Duration)) && e.UserID == nil {
			inCampaign++
			if *e.UTMCampaign == "campaign_1" && *e.Channel == "paid_social" {
				tagged++
			}
		}
		sessions[e.SessionID] = true
		switch e.SchemaVersion {
		case 1:
			legacy[e.SessionID] = true
			for _, v := range dimensionValues(e) {
				if v != nil {
					t.Fatalf("version 1 event %s carries a dimension", e.EventID)
				}
			}
		case 2:
			v2Events++
			switch g := garbled(e); len(g) {
			case 0:
			case 1:
				garbledEvents++
			default:
				t.Fatalf("event %s garbles %v", e.EventID, g)
			}
		}
	}
	within(t, "legacy sessions", float64(len(legacy))/float64(len(sessions)), 0.2, binomialTol(int64(len(sessions)), 0.2))
	within(t, "garbled events", float64(garbledEvents)/float64(v2Events), 0.05, binomialTol(v2Events, 0.05))
	// Multiplier 3: two thirds of the sessions the campaign day brings are
	// the campaign's (first-event sessions of anonymous visitors).
	within(t, "campaign-tagged sessions on the campaign day", float64(tagged)/float64(inCampaign), 2.0/3, binomialTol(inCampaign, 2.0/3))
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
