package matching

import (
	"container/heap"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/requests"
)

// fit says which skills and service categories (volunteers.Categories)
// fit a top-level request category. Skills are each community's own
// words (家电维修, 水电维修, 法律咨询 ...), so they are matched by the
// words they contain.
var fit = map[string]struct{ words, categories []string }{
	"repairs":     {[]string{"维修", "修理", "电工", "木工"}, []string{"convenience"}},
	"water":       {[]string{"水电", "水暖", "管道"}, []string{"convenience"}},
	"heating":     {[]string{"水暖", "暖气", "供暖"}, []string{"convenience"}},
	"electricity": {[]string{"水电", "电工", "电器", "家电"}, []string{"convenience", "safety"}},
	"environment": {[]string{"园艺", "保洁", "绿化"}, []string{"environment"}},
	"dispute":     {[]string{"法律", "心理", "调解"}, []string{"civic"}},
	"benefits":    {[]string{"法律", "政策", "代办"}, []string{"civic", "community"}},
	"safety":      {[]string{"电工", "水电", "消防", "安全"}, []string{"safety", "emergency"}},
	"elderly":     {[]string{"医护", "护理", "理发", "烹饪", "手机", "陪护"}, []string{"elderly", "health"}},
	"other":       {nil, []string{"community"}},
}

// slot is the availability bit of t's part of the week (mon_am is bit 0,
// as volunteers store it): morning 6–12, afternoon 12–18, evening 18–22;
// at night nobody is "free now".
func slot(t time.Time) (int64, bool) {
	t = t.In(clock.Shanghai)
	day := (int(t.Weekday()) + 6) % 7 // Monday 0
	var part int
	switch h := t.Hour(); {
	case h >= 6 && h < 12:
		part = 0
	case h >= 12 && h < 18:
		part = 1
	case h >= 18 && h < 22:
		part = 2
	default:
		return 0, false
	}
	return 1 << (day*3 + part), true
}

// codeBit is a top-level category's bit in a candidate's fit masks.
var codeBit = func() map[string]uint32 {
	m := map[string]uint32{}
	for code := range fit {
		m[code] = 0
	}
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for i, c := range codes {
		m[c] = 1 << i
	}
	return m
}()

// fits works out, once per candidate, which categories their skills and
// their service categories fit, as bits of codeBit.
func (c *candidate) fits() {
	for code, f := range fit {
		if slices.ContainsFunc(c.skills, func(sk string) bool { return containsAny(sk, f.words) }) {
			c.skillFit |= codeBit[code]
		}
		if slices.ContainsFunc(c.categories, func(cat string) bool { return slices.Contains(f.categories, cat) }) {
			c.catFit |= codeBit[code]
		}
	}
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// evaluate works out one candidate's score, and with explain its reasons
// too. Ranking 10,000 candidates scores them all without reasons, then
// explains the few it keeps: the same parts either way.
func evaluate(t requests.Target, c *candidate, l *live, now time.Time, slotBit int64, explain bool) Suggestion {
	s := Suggestion{VolunteerID: c.id}
	add := func(key string, pts float64, args func() map[string]any) {
		s.Score += pts
		if explain {
			var a map[string]any
			if args != nil {
				a = args()
			}
			s.Reasons = append(s.Reasons, Reason{Key: key, Args: a, Points: math.Round(pts*10) / 10})
		}
	}
	bit := codeBit[t.TopCode]
	if c.skillFit&bit != 0 {
		add("match.skill", WeightSkill, func() map[string]any {
			var skills []string
			for _, sk := range c.skills {
				if containsAny(sk, fit[t.TopCode].words) {
					skills = append(skills, sk)
				}
			}
			return map[string]any{"skills": strings.Join(skills, "、")}
		})
	}
	if c.catFit&bit != 0 {
		add("match.category", WeightCategory, nil)
	}
	switch {
	case t.BuildingID != 0 && c.building == t.BuildingID:
		add("match.same_building", WeightBuilding, nil)
	case t.GridID != 0 && slices.Contains(c.grids, t.GridID):
		add("match.same_grid", WeightGrid, nil)
	}
	if slotBit != 0 && c.availability&slotBit != 0 {
		add("match.available_now", WeightAvailable, nil)
	}
	if l != nil && l.open > 0 {
		add("match.open_load", WeightLoad*float64(l.open), func() map[string]any { return map[string]any{"open": l.open} })
	}
	if l != nil && l.rated > 0 {
		share := (float64(l.satisfied) + 0.5*float64(l.half)) / float64(l.rated)
		add("match.rating", WeightRating*share, func() map[string]any {
			return map[string]any{"percent": int(math.Round(share * 100)), "rated": l.rated}
		})
	}
	if l == nil || l.last.IsZero() {
		add("match.never_asked", WeightFairness, nil)
	} else if days := int(now.Sub(l.last).Hours() / 24); days >= FairDays {
		add("match.asked_long_ago", WeightFairness, func() map[string]any { return map[string]any{"days": days} })
	} else if days >= 0 {
		add("match.asked_recently", WeightFairness*float64(days)/FairDays, func() map[string]any { return map[string]any{"days": days} })
	}
	s.Score = math.Round(s.Score*10) / 10
	if explain {
		s.Number, s.Name = c.number, c.name
		if s.Reasons == nil {
			s.Reasons = []Reason{}
		}
	}
	return s
}

// rank scores every candidate and keeps the best limit, best first; ties
// go to the lower volunteer id, so the order is stable.
func rank(t requests.Target, cands []candidate, lv map[int64]*live, now time.Time, limit int) []Suggestion {
	slotBit, _ := slot(now)
	h := &best{}
	for i := range cands {
		c := &cands[i]
		sg := evaluate(t, c, lv[c.id], now, slotBit, false)
		sg.Number = "" // unexplained: only the id and the score
		switch {
		case h.Len() < limit:
			heap.Push(h, kept{sg, i})
		case better(sg, (*h)[0].Suggestion):
			(*h)[0] = kept{sg, i}
			heap.Fix(h, 0)
		}
	}
	out := make([]Suggestion, h.Len())
	for i := len(out) - 1; i >= 0; i-- {
		k := heap.Pop(h).(kept)
		c := &cands[k.at]
		out[i] = evaluate(t, c, lv[c.id], now, slotBit, true)
	}
	return out
}

func better(a, b Suggestion) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.VolunteerID < b.VolunteerID
}

// kept is a suggestion in the heap, with its candidate's index.
type kept struct {
	Suggestion
	at int
}

// best is a min-heap: the worst kept is on top.
type best []kept

func (h best) Len() int           { return len(h) }
func (h best) Less(i, j int) bool { return better(h[j].Suggestion, h[i].Suggestion) }
func (h best) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *best) Push(x any)        { *h = append(*h, x.(kept)) }
func (h *best) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
