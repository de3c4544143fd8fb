package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/shoplake/shoplake/internal/rng"
)

// User is one registered customer, as FakeStore describes them, plus the
// country and the sign-up time that FakeStore lacks.
type User struct {
	ID        int64 // 1..Config.Users, increasing with CreatedAt
	Email     string
	Username  string
	Password  string // plaintext, as FakeStore serves it
	FirstName string
	LastName  string
	Phone     string // "1-570-236-7033"
	City      string
	Street    string
	Number    int
	Zipcode   string // "12926-3874"
	Lat       string // decimal degrees, 4 places: "-37.3159"
	Long      string
	Country   string // ISO 3166-1 alpha-2
	CreatedAt time.Time
}

// preStartWindow is how far before Config.Start the users who already exist
// at Start signed up.
const preStartWindow = 365 * 24 * time.Hour

// countries and their weights: a Spanish-speaking shop with some reach.
var countries = []struct {
	code   string
	weight int
}{
	{"ES", 30}, {"US", 20}, {"MX", 12}, {"AR", 8}, {"GB", 8}, {"DE", 7}, {"FR", 7}, {"CO", 5}, {"BR", 3},
}

var emailDomains = []string{"gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "proton.me"}

// generateUsers draws cfg.Users users. Users/3 of them signed up in the year
// before Start, the others during the run, at a time of day that follows the
// daily rhythm. It also returns each user's devices (anonymous ids), indexed
// like the users.
func generateUsers(cfg Config) ([]User, [][]string) {
	r := rng.New(cfg.Seed, "sim/users")
	f := gofakeit.NewFaker(rng.Source(cfg.Seed, "sim/users/text"), false)
	dev := rng.New(cfg.Seed, "sim/devices")

	n := cfg.Users
	pre := n / 3
	created := make([]time.Time, n)
	for i := range created {
		if i < pre {
			created[i] = cfg.Start.Add(-time.Duration(1+r.Int64N(int64(preStartWindow/time.Millisecond))) * time.Millisecond)
			continue
		}
		day := cfg.Start.Add(time.Duration(r.IntN(cfg.Days)) * 24 * time.Hour)
		created[i] = day.Add(timeOfDay(r))
	}
	slices.SortFunc(created, func(a, b time.Time) int { return a.Compare(b) })

	users := make([]User, n)
	devices := make([][]string, n)
	emails := make(map[string]bool, n)
	usernames := make(map[string]bool, n)
	for i := range users {
		id := int64(i + 1)
		first, last := f.FirstName(), f.LastName()
		email := fmt.Sprintf("%s.%s@%s", slug(first), slug(last), emailDomains[r.IntN(len(emailDomains))])
		for emails[email] {
			local, domain, _ := strings.Cut(email, "@")
			email = fmt.Sprintf("%s%d@%s", local, id, domain)
		}
		emails[email] = true
		username := slug(f.Username())
		for username == "" || usernames[username] {
			username = fmt.Sprintf("%s_%d", username, id)
		}
		usernames[username] = true
		phone := f.Phone()
		users[i] = User{
			ID:        id,
			Email:     email,
			Username:  username,
			Password:  f.Password(true, true, true, true, false, 6+r.IntN(5)),
			FirstName: first,
			LastName:  last,
			Phone:     fmt.Sprintf("1-%s-%s-%s", phone[0:3], phone[3:6], phone[6:10]),
			City:      f.City(),
			Street:    f.StreetName() + f.StreetSuffix(),
			Number:    1 + r.IntN(9999),
			Zipcode:   fmt.Sprintf("%05d-%04d", r.IntN(100000), r.IntN(10000)),
			Lat:       degrees(r.Int64N(1_800_001) - 900_000),
			Long:      degrees(r.Int64N(3_600_001) - 1_800_000),
			Country:   pickCountry(r.IntN(totalCountryWeight())),
			CreatedAt: created[i],
		}
		nd := 1
		if dev.IntN(3) == 0 {
			nd = 2
		}
		for range nd {
			devices[i] = append(devices[i], rng.UUID(dev))
		}
	}
	return users, devices
}

// degrees formats ten-thousandths of a degree as a decimal with 4 places.
func degrees(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%04d", sign, v/10000, v%10000)
}

// slug lowercases s and keeps only ASCII letters, digits, '_' and '.'.
func slug(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func totalCountryWeight() int {
	t := 0
	for _, c := range countries {
		t += c.weight
	}
	return t
}

// pickCountry returns the country whose cumulative weight covers x.
func pickCountry(x int) string {
	for _, c := range countries {
		if x < c.weight {
			return c.code
		}
		x -= c.weight
	}
	return countries[len(countries)-1].code
}
