package clean

import "testing"

// TestDimension: every dimension's accepted, missing, empty and garbled
// values, as docs/MARTS.md §0 defines them.
func TestDimension(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		name    string
		in      *string
		want    string
		garbled bool
	}{
		{"device_type", s(" Mobile "), "mobile", false},
		{"device_type", nil, Unknown, false},
		{"device_type", s("phablet"), Unknown, true},
		{"device_type", s(""), Unknown, true},
		{"device_os", s("iOS"), "ios", false},
		{"device_browser", s("samsung_internet"), "samsung_internet", false},
		{"device_browser", s("chrome\x00"), Unknown, true},
		{"channel", s("Paid_Search"), "paid_search", false},
		{"channel", s("tv"), Unknown, true},
		{"utm_source", s(" Google "), "google", false},
		{"utm_source", s(""), None, false},
		{"utm_campaign", s("spring\nsale"), Unknown, true},
		{"utm_campaign", s(string(make([]byte, 101))), Unknown, true},
		{"utm_medium", s("\xff\xfe"), Unknown, true},
		{"referrer_host", s("https://WWW.Google.com:443/search?q=me@example.com"), "www.google.com", false},
		{"referrer_host", s(""), None, false},
		{"referrer_host", s("android-app://com.google"), Unknown, true},
		{"referrer_host", s("not a url"), Unknown, true},
		{"page_path", s("/products/7?email=me@example.com#top"), "/products/7", false},
		{"page_path", s("products/7"), Unknown, true},
		{"page_path", s("//evil.example/x"), Unknown, true},
		{"page_path", nil, Unknown, false},
		{"country", s("es"), "ES", false},
		{"country", s("ESP"), Unknown, true},
		{"country", s("É1"), Unknown, true},
		{"no_such_dimension", s("x"), Unknown, true},
	} {
		got, garbled := Dimension(tc.name, tc.in)
		if got != tc.want || garbled != tc.garbled {
			in := "<nil>"
			if tc.in != nil {
				in = *tc.in
			}
			t.Errorf("Dimension(%s, %q) = %q, %v; want %q, %v", tc.name, in, got, garbled, tc.want, tc.garbled)
		}
	}
}
