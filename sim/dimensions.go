package sim

import (
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/shoplake/shoplake/stream"
)

// The dimensions of event contract version 2 (stream.Event): what a
// session's client sends with each of its events. A session has one
// device, one traffic source and one geography; its events differ only in
// their page. They are drawn from their own random streams
// ("sim/dims/day-N", and the device id for a device's make), never from the
// behaviour's: the sessions, events and orders of a seed are the same with
// or without them, and so is every mart that does not segment by them.
//
// The mixes are those of a mid-size European shop (orders of magnitude
// from public GA4 benchmarks, not any one shop's figures):
//   - devices: 55% mobile, 38% desktop, 7% tablet; mobile's share rises to
//     68% from 19:00 to 23:59 UTC and falls to 45% from 09:00 to 16:59 on
//     weekdays (the hours people sit at a desk); a registered user's device
//     is the same device every time (drawn from its id);
//   - channels (outside campaigns): organic search 33%, direct 25%, paid
//     search 12%, organic social 10%, paid social 6%, email 6%, referral
//     6%, affiliate 2%; a returning customer comes direct or by email half
//     the time; during a campaign of multiplier m, a session is the
//     campaign's with probability (m-1)/m (the traffic the campaign adds),
//     on the campaign's channel (by its index: paid social, paid search,
//     email, display) with utm_campaign "campaign_<index+1>";
//   - geography: a registered user's sessions come from the user's country
//     (97%; the rest travel, drawn from the shop's mix), anonymous ones from
//     the shop's mix of countries (users.go);
//   - page: "/" for a page view, "/products/<id>" for product and cart
//     events, "/cart" for a removal, "/checkout" and "/checkout/complete".
//
// Two anomalies of real clients: LegacyClientRate of sessions come from
// an old app that speaks contract version 1 (no dimension: the warehouse
// reads them as unknown), and GarbledDimensionRate of events carry one
// dimension the contract does not accept (a country "ESP", a device type
// "phablet", a page path without its slash...), which the warehouse
// stores as unknown and quarantines as repaired.

// Channels the simulator draws, with their weights outside campaigns.
var channelMix = []struct {
	name   string
	weight int
}{
	{"organic_search", 33}, {"direct", 25}, {"paid_search", 12}, {"organic_social", 10},
	{"paid_social", 6}, {"email", 6}, {"referral", 6}, {"affiliate", 2},
}

// campaignChannels are the channels of campaigns, by campaign index.
var campaignChannels = []string{"paid_social", "paid_search", "email", "display"}

var (
	searchEngines = []struct{ source, referrer string }{
		{"google", "https://www.google.com/"}, {"google", "https://www.google.es/"}, {"google", "https://www.google.com/"},
		{"google", "https://www.google.com.mx/"}, {"bing", "https://www.bing.com/"}, {"duckduckgo", "https://duckduckgo.com/"},
	}
	socialNetworks = []struct{ source, referrer string }{
		{"instagram", "https://l.instagram.com/"}, {"facebook", "https://m.facebook.com/"},
		{"tiktok", "https://www.tiktok.com/"}, {"x", "https://t.co/"}, {"pinterest", "https://www.pinterest.es/"},
	}
	referringSites = []string{"www.xataka.com", "www.reddit.com", "forocoches.com", "www.elconfidencial.com", "blog.hubspot.es"}
	paidCampaigns  = []string{"brand_search", "generic_search", "shopping_feed", "retargeting"}
)

// Device makes: the operating systems and browsers of each device type,
// with weights.
var deviceMakes = map[string][]struct {
	os, browser string
	weight      int
}{
	"mobile":  {{"android", "chrome", 40}, {"ios", "safari", 38}, {"android", "samsung_internet", 12}, {"ios", "chrome", 6}, {"android", "firefox", 2}, {"android", "opera", 2}},
	"desktop": {{"windows", "chrome", 45}, {"windows", "edge", 18}, {"macos", "safari", 14}, {"macos", "chrome", 12}, {"windows", "firefox", 6}, {"linux", "firefox", 3}, {"chromeos", "chrome", 2}},
	"tablet":  {{"ios", "safari", 60}, {"android", "chrome", 35}, {"android", "samsung_internet", 5}},
}

// garbles are the garbled values a buggy client sends, by dimension: none
// of them is a value the contract accepts (internal/clean.Dimension).
var garbles = []struct {
	field func(*stream.Event) **string
	value string
}{
	{deviceType, "phablet"}, {deviceType, "MOBILE_APP"},
	{func(e *stream.Event) **string { return &e.DeviceOS }, "Windows 11 Pro"},
	{func(e *stream.Event) **string { return &e.DeviceBrowser }, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"},
	{channel, "newsletter"}, {channel, "Organic Search"}, {country, "ESP"}, {country, "España"},
	{func(e *stream.Event) **string { return &e.PagePath }, "products/3"},
	{func(e *stream.Event) **string { return &e.Referrer }, "android-app://com.google.android.gm/"},
	{func(e *stream.Event) **string { return &e.UTMSource }, "google\tads"},
}

// The fields that more than one garble breaks.
func deviceType(e *stream.Event) **string { return &e.DeviceType }
func channel(e *stream.Event) **string    { return &e.Channel }
func country(e *stream.Event) **string    { return &e.Country }

// pages are the fixed page paths, by event type index (stream.EventTypes);
// product events use productPath.
var pages = [...]string{"/", "", "", "/cart", "/checkout", "/checkout/complete"}

// sessionDims are the dimensions a session's events carry. The strings are
// shared by the session's events (Event fields point at them).
type sessionDims struct {
	legacy                                       bool // contract version 1: no dimension
	deviceType, deviceOS, deviceBrowser, channel string
	utmSource, utmMedium, utmCampaign, referrer  string
	country                                      string
}

// dimsGen draws sessions' dimensions for one day.
type dimsGen struct {
	g *Generator
	r *rand.Rand // "sim/dims/day-N"
}

// draw returns the dimensions of a session starting at start (Unix ms) on
// device (its anonymous id), for user uid (0: anonymous), of kind.
func (d dimsGen) draw(start, uid int64, device string, kind int) *sessionDims {
	g, r := d.g, d.r
	s := &sessionDims{}
	if g.cfg.LegacyClientRate > 0 && r.Float64() < g.cfg.LegacyClientRate {
		s.legacy = true
		return s
	}
	at := time.UnixMilli(start).UTC()
	if uid != 0 {
		s.deviceType, s.deviceOS, s.deviceBrowser = deviceMake(device, pickDeviceType(rand.New(rand.NewPCG(deviceSeed(device), 1)), -1, false))
	} else {
		t := pickDeviceType(r, at.Hour(), at.Weekday() >= time.Monday && at.Weekday() <= time.Friday)
		s.deviceType, s.deviceOS, s.deviceBrowser = deviceMake(device, t)
	}
	s.channel, s.utmCampaign = d.source(start, kind)
	switch s.channel {
	case "direct":
		// no campaign, no referrer: sent empty
	case "organic_search":
		e := searchEngines[r.IntN(len(searchEngines))]
		s.utmSource, s.utmMedium, s.referrer = e.source, "organic", e.referrer
	case "paid_search":
		e := searchEngines[r.IntN(len(searchEngines))]
		s.utmSource, s.utmMedium, s.referrer = e.source, "cpc", e.referrer
		if s.utmCampaign == "" {
			s.utmCampaign = paidCampaigns[r.IntN(len(paidCampaigns))]
		}
	case "organic_social":
		n := socialNetworks[r.IntN(len(socialNetworks))]
		s.utmSource, s.utmMedium, s.referrer = n.source, "social", n.referrer
	case "paid_social":
		n := socialNetworks[r.IntN(2)] // instagram, facebook
		s.utmSource, s.utmMedium, s.referrer = n.source, "paid_social", n.referrer
	case "email":
		s.utmSource, s.utmMedium = "newsletter", "email"
		if s.utmCampaign == "" {
			s.utmCampaign = "weekly_" + at.Format("2006_01_02")
		}
	case "referral":
		h := referringSites[r.IntN(len(referringSites))]
		s.utmSource, s.utmMedium, s.referrer = h, "referral", "https://"+h+"/"
	case "affiliate":
		s.utmSource, s.utmMedium, s.referrer = "awin", "affiliate", "https://www.awin1.com/"
	case "display":
		s.utmSource, s.utmMedium, s.referrer = "google", "display", "https://googleads.g.doubleclick.net/"
	}
	if uid != 0 && r.IntN(100) < 97 {
		s.country = g.userCountry(uid)
	} else {
		s.country = pickCountry(r.IntN(totalCountryWeight))
	}
	return s
}

// source draws the session's channel, and for a campaign's session the
// campaign's name (utm_campaign).
func (d dimsGen) source(start int64, kind int) (channel, campaign string) {
	r := d.r
	if i, ok := d.campaignIndex(start, r); ok {
		return campaignChannels[i%len(campaignChannels)], "campaign_" + strconv.Itoa(i+1)
	}
	if kind == kindReturning && r.IntN(2) == 0 {
		if r.IntN(3) == 0 {
			return "email", ""
		}
		return "direct", ""
	}
	x := r.IntN(100)
	for _, c := range channelMix {
		if x < c.weight {
			return c.name, ""
		}
		x -= c.weight
	}
	return "direct", ""
}

// campaignIndex says whether the session at start is brought by a campaign
// and which: each campaign active at start, in order, claims it with
// probability (m-1)/m. The draws are made only while a campaign runs.
func (d dimsGen) campaignIndex(start int64, r *rand.Rand) (int, bool) {
	cs := d.g.cfg.Campaigns
	if len(cs) == 0 || !d.g.inCampaign(start) {
		return 0, false
	}
	t := time.UnixMilli(start)
	for i, k := range cs {
		if k.active(t) && k.Multiplier > 1 && r.Float64() < (k.Multiplier-1)/k.Multiplier {
			return i, true
		}
	}
	return 0, false
}

// pickDeviceType draws a device type; hour < 0 draws from the all-day mix.
func pickDeviceType(r *rand.Rand, hour int, weekday bool) string {
	mobile := 55
	switch {
	case hour >= 19:
		mobile = 68
	case weekday && hour >= 9 && hour < 17:
		mobile = 45
	}
	x := r.IntN(100)
	switch {
	case x < mobile:
		return "mobile"
	case x < mobile+7:
		return "tablet"
	}
	return "desktop"
}

// deviceMake returns the device type t with an operating system and a
// browser drawn from the device id: a device is always the same make.
func deviceMake(device, t string) (string, string, string) {
	makes := deviceMakes[t]
	total := 0
	for _, m := range makes {
		total += m.weight
	}
	x := int(splitmix(deviceSeed(device)^0x5bd1e995) % uint64(total))
	for _, m := range makes {
		if x < m.weight {
			return t, m.os, m.browser
		}
		x -= m.weight
	}
	m := makes[len(makes)-1]
	return t, m.os, m.browser
}

// deviceSeed hashes a device id.
func deviceSeed(device string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(device))
	return splitmix(h.Sum64())
}

// userCountry returns the country of user id, as the API serves it.
func (g *Generator) userCountry(id int64) string { return g.uk.countryOf(id) }

// productPaths are "/products/<id>" for ids 1..n, index id-1.
func productPaths(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "/products/" + strconv.Itoa(i+1)
	}
	return out
}

// setDimensions gives e the dimensions of its session and its page, one of
// them garbled with the configured rate (drawn from r, the day's dimension
// stream).
func (g *Generator) setDimensions(e *stream.Event, p *pending, r *rand.Rand) {
	d := p.dims
	if d == nil || d.legacy {
		e.SchemaVersion = 1
		return
	}
	e.DeviceType, e.DeviceOS, e.DeviceBrowser = &d.deviceType, &d.deviceOS, &d.deviceBrowser
	e.Channel, e.UTMSource, e.UTMMedium, e.UTMCampaign = &d.channel, &d.utmSource, &d.utmMedium, &d.utmCampaign
	e.Referrer, e.Country = &d.referrer, &d.country
	if p.pid != 0 && (p.typ == 1 || p.typ == 2) {
		e.PagePath = &g.productPaths[p.pid-1]
	} else {
		e.PagePath = &pages[p.typ]
	}
	if g.cfg.GarbledDimensionRate > 0 && r.Float64() < g.cfg.GarbledDimensionRate {
		x := garbles[r.IntN(len(garbles))]
		v := x.value
		*x.field(e) = &v
	}
}
