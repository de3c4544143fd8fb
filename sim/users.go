package sim

import (
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
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

// countries and their weights: a Spanish shop that sells across Spain,
// Latin America and the rest of Europe, with a few US customers.
var countries = []struct {
	code   string
	weight int
}{
	{"ES", 38}, {"MX", 12}, {"AR", 6}, {"CO", 6}, {"CL", 4}, {"PE", 3}, {"US", 6},
	{"FR", 5}, {"PT", 4}, {"DE", 4}, {"IT", 4}, {"GB", 3}, {"NL", 2}, {"BR", 2}, {"UY", 1},
}

var totalCountryWeight = func() int {
	t := 0
	for _, c := range countries {
		t += c.weight
	}
	return t
}()

var emailDomains = []string{"gmail.com", "gmail.com", "gmail.com", "hotmail.com", "outlook.com", "yahoo.es", "icloud.com", "proton.me"}

// userCreatedAt draws the sign-up times of cfg.Users users, in Unix
// milliseconds, ascending (user id i+1 is index i), from "sim/users":
// Users/3 of them uniformly in the year before Start, the others during the
// run following the traffic (rhythm and campaigns, see rateTable).
func userCreatedAt(cfg Config, rt *rateTable) []int64 {
	r := rng.New(cfg.Seed, "sim/users")
	n := cfg.Users
	pre := n / 3
	created := make([]int64, n)
	start := cfg.Start.UnixMilli()
	window := int64(preStartWindow / time.Millisecond)
	for i := range created {
		if i < pre {
			created[i] = start - 1 - r.Int64N(window)
			continue
		}
		created[i] = rt.draw(r)
	}
	slices.Sort(created)
	return created
}

// keyed derives per-id values without a stream: splitmix64 of the seed, a
// purpose key (FNV-1a of a stream name) and the id. Cheap enough to call per
// event, and independent of generation order.
type keyed struct{ seed, key uint64 }

func newKeyed(seed uint64, name string) keyed {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return keyed{seed: seed, key: h.Sum64()}
}

// at returns the k-th 64-bit value of id.
func (k keyed) at(id int64, i uint64) uint64 {
	return splitmix(k.seed ^ splitmix(k.key^uint64(id)*0x9e3779b97f4a7c15+i))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// userKeys are the per-user derivations: text fields, devices, activity.
type userKeys struct {
	text, devices, active, country keyed
}

func newUserKeys(seed uint64) userKeys {
	return userKeys{
		text:    newKeyed(seed, "sim/users/text"),
		devices: newKeyed(seed, "sim/devices"),
		active:  newKeyed(seed, "sim/users/activity"),
		country: newKeyed(seed, "sim/users/country"),
	}
}

// Activity levels: 60% of users visit at the base rate, 30% twice and 10%
// four times as often; the mean is 1.6.
const (
	maxActivity  = 4
	meanActivity = 1.6
)

// activity returns user id's activity level (1, 2 or 4).
func (k userKeys) activity(id int64) int {
	switch x := k.active.at(id, 0) % 10; {
	case x < 6:
		return 1
	case x < 9:
		return 2
	}
	return 4
}

// deviceCount returns how many devices user id uses: 2 for a third of the
// users, else 1.
func (k userKeys) deviceCount(id int64) int {
	if k.devices.at(id, 0)%3 == 0 {
		return 2
	}
	return 1
}

// device returns the anonymous id of device i of user id, a UUID.
func (k userKeys) device(id int64, i int) string {
	return uuidString(k.devices.at(id, uint64(1+2*i)), k.devices.at(id, uint64(2+2*i)))
}

// buildUser derives the text fields of user id from its own generator,
// rand.NewPCG(seed, key("sim/users/text") ^ splitmix(id)), so that a user is
// the same whether the whole World or the single user is built. Emails and
// usernames embed the id, which makes them unique without a lookup table.
func (k userKeys) buildUser(id int64, createdAt time.Time) User {
	src := rand.NewPCG(k.text.seed, k.text.key^splitmix(uint64(id)))
	r := rand.New(src)
	f := gofakeit.NewFaker(src, false)
	first, last := f.FirstName(), f.LastName()
	idStr := strconv.FormatInt(id, 10)
	email := letters(first) + "." + letters(last) + idStr + "@" + emailDomains[r.IntN(len(emailDomains))]
	username := letters(f.Username())
	if username == "" {
		username = "user"
	}
	username += "_" + idStr
	phone := f.Phone()
	return User{
		ID:        id,
		Email:     email,
		Username:  username,
		Password:  f.Password(true, true, true, true, false, 6+r.IntN(5)),
		FirstName: first,
		LastName:  last,
		Phone:     "1-" + phone[0:3] + "-" + phone[3:6] + "-" + phone[6:10],
		City:      f.City(),
		Street:    f.StreetName() + f.StreetSuffix(),
		Number:    1 + r.IntN(9999),
		Zipcode:   pad(r.IntN(100000), 5) + "-" + pad(r.IntN(10000), 4),
		Lat:       degrees(r.Int64N(1_800_001) - 900_000),
		Long:      degrees(r.Int64N(3_600_001) - 1_800_000),
		Country:   k.countryOf(id),
		CreatedAt: createdAt,
	}
}

// countryOf is user id's country: a value of its own, so that the
// clickstream can give a session its user's country without building the
// user (its text is the costly part).
func (k userKeys) countryOf(id int64) string {
	return pickCountry(int(k.country.at(id, 0) % uint64(totalCountryWeight)))
}

// pad formats v in decimal with leading zeros to width n.
func pad(v, n int) string {
	s := strconv.Itoa(v)
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// degrees formats ten-thousandths of a degree as a decimal with 4 places.
func degrees(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return sign + strconv.FormatInt(v/10000, 10) + "." + pad(int(v%10000), 4)
}

// letters lowercases s and keeps only the ASCII letters a-z.
func letters(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' {
			b.WriteRune(c)
		}
	}
	return b.String()
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
