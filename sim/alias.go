package sim

import "math/rand/v2"

// alias draws an index of a weighted set in O(1) (Vose's alias method).
type alias struct {
	items []int32   // the indices drawn from
	prob  []float64 // chance to keep slot i
	other []int32   // slot i's alias (a slot)
}

func (a *alias) n() int { return len(a.items) }

// build prepares a to draw items[k] with probability weight[items[k]] / sum.
// items is copied.
func (a *alias) build(items []int32, weight []float64) {
	n := len(items)
	a.items = append(a.items[:0], items...)
	a.prob = resize(a.prob, n)
	a.other = make([]int32, n)
	if n == 0 {
		return
	}
	var sum float64
	for _, it := range items {
		sum += weight[it]
	}
	small, large := make([]int32, 0, n), make([]int32, 0, n)
	for k, it := range items {
		a.prob[k] = weight[it] * float64(n) / sum
		if a.prob[k] < 1 {
			small = append(small, int32(k))
		} else {
			large = append(large, int32(k))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.other[s] = l
		a.prob[l] -= 1 - a.prob[s]
		if a.prob[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, k := range large {
		a.prob[k] = 1
	}
	for _, k := range small {
		a.prob[k] = 1
	}
}

// draw returns one of the items.
func (a *alias) draw(r *rand.Rand) int32 {
	k := r.IntN(len(a.items))
	if r.Float64() < a.prob[k] {
		return a.items[k]
	}
	return a.items[a.other[k]]
}

func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
