package clean

import (
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The values a dimension takes when it cannot be read (docs/MARTS.md §0).
const (
	// Unknown: the event did not send the dimension (a version 1 event,
	// or a version 2 client that left it out), or sent a value the
	// contract does not accept (garbled).
	Unknown = "unknown"
	// None: the event sent the dimension empty, which for a referrer or a
	// UTM field means there is none (a direct visit).
	None = "(none)"
)

// Dimensions lists the event dimensions of contract version 2, in the
// order of their columns in the warehouse.
var Dimensions = []string{"device_type", "device_os", "device_browser", "channel",
	"utm_source", "utm_medium", "utm_campaign", "referrer_host", "page_path", "country"}

// The closed vocabularies of the enumerated dimensions. Channels are those
// of GA4's default channel grouping that a shop's clickstream shows.
var (
	DeviceTypes    = []string{"desktop", "mobile", "tablet"}
	DeviceOSes     = []string{"windows", "macos", "linux", "chromeos", "ios", "android", "other"}
	DeviceBrowsers = []string{"chrome", "safari", "firefox", "edge", "samsung_internet", "opera", "other"}
	Channels       = []string{"direct", "organic_search", "paid_search", "organic_social", "paid_social", "email", "referral", "affiliate", "display"}
)

// Limits on the free-text dimensions: longer values are garbled.
const (
	maxUTM  = 100
	maxPath = 512
)

// Dimension normalises the value v of the event dimension name (one of
// Dimensions; "referrer_host" reads the event's referrer) as the warehouse
// stores it, and reports whether v was garbled: sent, but not a value the
// contract accepts. nil (not sent) is Unknown, not garbled.
//
//   - device_type, device_os, device_browser, channel: one of their
//     vocabulary, compared after trimming spaces and lower-casing.
//   - utm_source, utm_medium, utm_campaign: trimmed and lower-cased, at
//     most 100 characters, no control characters; "" is None.
//   - referrer_host: the lower-cased host of an http or https URL, without
//     its port; "" is None. The path and query are dropped: a referrer's
//     query can carry a person's data.
//   - page_path: an absolute path ("/..."), at most 512 characters, no
//     control characters, its query and fragment dropped (same reason).
//   - country: two ASCII letters (ISO 3166-1 alpha-2), upper-cased.
func Dimension(name string, v *string) (value string, garbled bool) {
	if v == nil {
		return Unknown, false
	}
	s := *v
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		return Unknown, true
	}
	t := strings.TrimSpace(s)
	switch name {
	case "device_type":
		return oneOf(t, DeviceTypes)
	case "device_os":
		return oneOf(t, DeviceOSes)
	case "device_browser":
		return oneOf(t, DeviceBrowsers)
	case "channel":
		return oneOf(t, Channels)
	case "utm_source", "utm_medium", "utm_campaign":
		if t == "" {
			return None, false
		}
		if utf8.RuneCountInString(t) > maxUTM || hasControl(t) {
			return Unknown, true
		}
		return strings.ToLower(t), false
	case "referrer_host":
		if t == "" {
			return None, false
		}
		u, err := url.Parse(t)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || hasControl(u.Hostname()) {
			return Unknown, true
		}
		return strings.ToLower(u.Hostname()), false
	case "page_path":
		if i := strings.IndexAny(t, "?#"); i >= 0 {
			t = t[:i]
		}
		if !strings.HasPrefix(t, "/") || strings.HasPrefix(t, "//") || utf8.RuneCountInString(t) > maxPath || hasControl(t) {
			return Unknown, true
		}
		return t, false
	case "country":
		if len(t) != 2 || !isASCIILetter(t[0]) || !isASCIILetter(t[1]) {
			return Unknown, true
		}
		return strings.ToUpper(t), false
	}
	return Unknown, true
}

func oneOf(t string, vocabulary []string) (string, bool) {
	l := strings.ToLower(t)
	if slices.Contains(vocabulary, l) {
		return l, false
	}
	return Unknown, true
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
