package sim

import "testing"

func TestDivRound(t *testing.T) {
	for _, tc := range []struct{ a, b, want int64 }{
		{9921, 2, 4961}, {9919, 2, 4960}, {10, 4, 3}, {9, 4, 2}, {-9921, 2, -4961}, {-10, 4, -3}, {0, 7, 0}, {7, 7, 1},
	} {
		if got := divRound(tc.a, tc.b); got != tc.want {
			t.Errorf("divRound(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestRatio4(t *testing.T) {
	for _, tc := range []struct {
		num, den int64
		want     string
	}{
		{3, 80, "0.0375"}, {1, 3, "0.3333"}, {2, 3, "0.6667"}, {1, 32, "0.0313"}, {1, 1, "1.0000"}, {0, 5, "0.0000"}, {1, 20000, "0.0001"}, {1, 20001, "0.0000"},
	} {
		if got := ratio4(tc.num, tc.den); got != tc.want {
			t.Errorf("ratio4(%d, %d) = %s, want %s", tc.num, tc.den, got, tc.want)
		}
	}
}

func TestRatio2(t *testing.T) {
	for _, tc := range []struct {
		num, den int64
		want     string
	}{
		{47, 20, "2.35"}, {5, 3, "1.67"}, {4, 3, "1.33"}, {9, 8, "1.13"}, {3, 2, "1.50"}, {1, 200, "0.01"}, {1, 201, "0.00"}, {7, 7, "1.00"}, {0, 5, "0.00"}, {250, 1, "250.00"},
	} {
		if got := ratio2(tc.num, tc.den); got != tc.want {
			t.Errorf("ratio2(%d, %d) = %s, want %s", tc.num, tc.den, got, tc.want)
		}
	}
}
