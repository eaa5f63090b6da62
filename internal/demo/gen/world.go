package gen

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linli/linli/internal/idcard"
)

// world is what communities of one City share: the anchor date and the
// numbers already handed out.
type world struct {
	seed   int64
	anchor time.Time // the anchor's calendar date in Asia/Shanghai, at 00:00 UTC
	ids    map[string]bool
	phones map[string]bool
}

func newWorld(seed int64, anchor time.Time) *world {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		sh = time.FixedZone("CST", 8*3600)
	}
	y, m, d := anchor.In(sh).Date()
	return &world{seed: seed, anchor: time.Date(y, m, d, 0, 0, 0, 0, time.UTC),
		ids: map[string]bool{}, phones: map[string]bool{}}
}

// community is the state of generating one Registry.
type community struct {
	w     *world
	r     *rand.Rand
	place place
}

func (w *world) community(k int) *Registry {
	c := &community{w: w, r: rand.New(rand.NewPCG(uint64(w.seed), 0x6c696e6c69+uint64(k)))}
	var plans []estatePlan
	var grids []string
	if k == 0 {
		c.place = place{community: "建胜路社区", district: "桥西区", area: "130104", word: "建胜"}
		plans, grids = demoPlan(), slices.Clone(demoGrids)
	} else {
		c.place = cityPlace(k)
		plans, grids = cityPlan(k, c.place), cityGrids(c.place)
	}
	estates, buildings, flats := build(plans)
	houses := c.compose()
	c.settle(houses, flats, k == 0)
	for _, h := range houses {
		c.fill(h)
	}
	c.tag(houses)
	return c.registry(estates, buildings, grids, houses)
}

// compose makes every household's members, ages and relations.
func (c *community) compose() []*house {
	var hs []*house
	for _, k := range kinds {
		for range k.count {
			h := &house{kind: k, members: k.make(c)}
			if c.chance(k.newcomer) {
				h.newcomer = true
				h.area = distantAreas[c.r.IntN(len(distantAreas))]
			}
			h.score = k.young + c.r.NormFloat64()*0.3
			hs = append(hs, h)
		}
	}
	return hs
}

// settle puts households into flats: the youngest-scored households into
// the newest-scored flats, with enough noise that every estate gets some
// of each, and older people more often on the lower floors. The flats
// left over stay empty, as in any old estate. In the demo community
// 平安小区 1号楼1单元101 is the home of 陈秀英 and her husband, the demo
// resident login; the demo seed counts on it being household 1.
func (c *community) settle(hs []*house, flats []flat, demo bool) {
	if demo {
		// flats[0] is 平安小区 1号楼1单元101, the first flat laid out.
		couple := slices.IndexFunc(hs, func(h *house) bool { return h.kind.name == "elderly couple" })
		hs[0], hs[couple] = hs[couple], hs[0]
		hs[0].flat = flats[0]
		chen(hs[0])
		hs, flats = hs[1:], flats[1:]
	}
	c.r.Shuffle(len(flats), func(i, j int) { flats[i], flats[j] = flats[j], flats[i] })
	flats = flats[:len(hs)]
	score := make([]float64, len(flats))
	for i, f := range flats {
		score[i] = f.newness + c.r.NormFloat64()*0.3 + 0.04*float64(min(f.floor, 6))
	}
	order := make([]int, len(flats))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(score[a], score[b]) })
	byScore := slices.Clone(hs)
	slices.SortStableFunc(byScore, func(a, b *house) int { return cmp.Compare(a.score, b.score) })
	for i, h := range byScore {
		h.flat = flats[order[i]]
	}
}

// chen makes household 1 of the demo: 陈秀英, 70, and 王德明, 73.
func chen(h *house) {
	h.members = []*member{
		{rel: RelHead, male: false, age: 70, surname: "陈", res: Resident{Name: "陈秀英"}},
		{rel: RelSpouse, male: true, age: 73, surname: "王", res: Resident{Name: "王德明"}},
	}
	h.newcomer, h.fixed = false, true
}

// fill gives each member a name, birth date, ID number and phone.
func (c *community) fill(h *house) {
	var taken []string
	hasElder := false
	for _, m := range h.members {
		birth := c.birth(m.age)
		if m.res.Name == "" {
			m.res.Name = c.name(m.surname, m.male, birth.Year(), taken)
		}
		taken = append(taken, m.res.Name)
		m.res.Gender = "F"
		if m.male {
			m.res.Gender = "M"
		}
		m.res.Birth = birth
		m.res.Relation = m.rel
		m.res.DocType = idcard.DocIDCard
		m.res.IDNumber = c.idNumber(c.areaFor(h, m), birth, m.male)
		hasElder = hasElder || m.age >= 60
	}
	if hasElder && c.chance(0.45) {
		h.landline = c.landline()
	}
	for _, m := range h.members {
		m.res.Phone = c.phone(h, m.age)
	}
}

// phone: children under 14 have none; most adults a mobile; the oldest
// often only the household's landline, or nothing.
func (c *community) phone(h *house, age int) string {
	var mobile float64
	switch {
	case age < 14:
		return ""
	case age < 18:
		mobile = 0.6
	case age < 60:
		mobile = 0.97
	case age < 70:
		mobile = 0.85
	case age < 80:
		mobile = 0.6
	default:
		mobile = 0.3
	}
	if c.chance(mobile) {
		return c.mobile()
	}
	if h.landline != "" && age >= 60 && c.chance(0.7) {
		return h.landline
	}
	return ""
}

// registry turns the houses into the exported, sorted form.
func (c *community) registry(estates []Estate, buildings []Building, grids []string, hs []*house) *Registry {
	slices.SortFunc(hs, func(a, b *house) int {
		fa, fb := a.flat, b.flat
		return cmp.Or(cmp.Compare(fa.index, fb.index),
			cmp.Compare(fa.unit, fb.unit), cmp.Compare(fa.floor, fb.floor), cmp.Compare(fa.door, fb.door))
	})
	reg := &Registry{Community: c.place.community, District: c.place.district, Grids: grids, Estates: estates, Buildings: buildings}
	for _, h := range hs {
		f := h.flat
		key := strings.Join([]string{f.building.Key, itoa(f.unit), f.room()}, "/")
		hh := Household{Key: key, Building: f.building.Key, Unit: itoa(f.unit), Room: f.room(), Tags: h.tags}
		for i, m := range h.members {
			m.res.Key = key + "#" + itoa(i+1)
			m.res.Household = key
			if hh.Phone == "" && m.res.Phone != "" && !strings.HasPrefix(m.res.Phone, "0") {
				hh.Phone = m.res.Phone
			}
			reg.Residents = append(reg.Residents, m.res)
		}
		if hh.Phone == "" {
			hh.Phone = h.landline
		}
		reg.Households = append(reg.Households, hh)
	}
	return reg
}

func itoa(n int) string { return strconv.Itoa(n) }
