package gen

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/linli/linli/internal/idcard"
)

// Quotas of a community of 2,250 households, figures typical of an old
// estate of this size. Exact counts keep the demo's dashboard the same
// for every seed.
const (
	quotaDisabled   = 60
	quotaIll        = 20
	quotaVeterans   = 15
	quotaUnemployed = 45
	quotaDibao      = 25 // households
	quotaNearDibao  = 30 // households
	quotaOtherDocs  = 40 // passports and permits of people from 香港, 台湾, abroad
	shareNoID       = 0.02
	shareParty      = 0.08 // of adults
)

// tagOrder is the order tags are listed in, the registry's default list.
var tagOrder = []string{TagAlone, TagEmptyNest, TagDisabled, TagDibao, TagNearDibao, TagIll, TagMinor, TagVeteran, TagUnemployed, TagNewcomer}

// who is a member with their household.
type who struct {
	h *house
	m *member
}

// tag gives tags, documents, party membership and notes. Rule tags
// follow from the household: 独居老人 is a household of one aged 60+,
// 空巢 a person of 60+ living with their spouse only, 未成年 under 18,
// 新市民 everyone in a newcomer household. The rest are drawn to quota,
// weighted the way they fall in life (disability and illness with age,
// 低保 with disability, illness, unemployment and single parenthood).
func (c *community) tag(hs []*house) {
	var all []who
	for _, h := range hs {
		for _, m := range h.members {
			if m.age < 18 {
				add(m, TagMinor)
			}
			if len(h.members) == 1 && m.age >= 60 {
				add(m, TagAlone)
			}
			if len(h.members) == 2 && m.age >= 60 && h.members[1].rel == RelSpouse {
				add(m, TagEmptyNest)
			}
			if h.newcomer {
				add(m, TagNewcomer)
			}
			if !h.fixed {
				all = append(all, who{h, m})
			}
		}
	}
	c.documents(all)
	c.quota(all, quotaDisabled, TagDisabled, func(x who) float64 {
		return []float64{0.3, 1, 2.5, 4}[ageBand(x.m.age)]
	})
	c.quota(all, quotaIll, TagIll, func(x who) float64 { return max(0, float64(x.m.age-30)/10) })
	c.quota(all, quotaVeterans, TagVeteran, func(x who) float64 {
		if !x.m.male || x.m.res.DocType != idcard.DocIDCard || x.m.age < 30 || x.m.age > 85 {
			return 0
		}
		return float64(1 + ageBand(x.m.age))
	})
	c.quota(all, quotaUnemployed, TagUnemployed, func(x who) float64 {
		switch {
		case x.m.age < 20 || x.m.age >= 60:
			return 0
		case x.h.newcomer:
			return 0.5
		}
		return 1
	})
	c.household(hs, quotaDibao, TagDibao)
	c.household(hs, quotaNearDibao, TagNearDibao)
	adults := 0
	for _, x := range all {
		if x.m.age >= 18 {
			adults++
		}
	}
	for _, x := range choose(c.r, all, int(math.Round(shareParty*float64(adults))), partyWeight) {
		x.m.res.Party = true
	}
	for _, h := range hs {
		for _, m := range h.members {
			m.res.Tags = append(m.res.Tags, h.tags...)
			slices.SortFunc(m.res.Tags, func(a, b string) int {
				return cmp.Compare(slices.Index(tagOrder, a), slices.Index(tagOrder, b))
			})
			m.res.Note = c.note(m)
		}
	}
}

// partyWeight: members are mostly older (retired railway workers and
// cadres), more often men, and often veterans; only people with an ID
// card recorded, as the party's own register requires one.
func partyWeight(x who) float64 {
	if x.m.age < 18 || x.m.res.DocType != idcard.DocIDCard {
		return 0
	}
	w := 0.7
	switch {
	case x.m.age >= 60:
		w = 2.5
	case x.m.age >= 40:
		w = 1.2
	}
	if x.m.male {
		w *= 1.3
	}
	if has(x.m, TagVeteran) {
		w *= 5
	}
	return w
}

// documents records other documents for quotaOtherDocs adults (often a
// spouse from 香港, 台湾 or abroad) and no ID number for shareNoID of
// people, most of them small children whose numbers were never brought
// to the office; a baby may have only a 出生医学证明 (doc type other).
func (c *community) documents(all []who) {
	types := []string{idcard.DocPassport, idcard.DocHKMOPermit, idcard.DocTWPermit, idcard.DocForeignPermanent}
	counts := []int{16, 10, 8, 6}
	others := choose(c.r, all, quotaOtherDocs, func(x who) float64 {
		if x.m.age < 18 || x.m.age > 75 || x.h.newcomer {
			return 0
		}
		return 1 + 3*b2f(x.m.rel == RelSpouse)
	})
	for i, x := range others {
		t, j := types[0], i
		for k, n := range counts {
			if j < n {
				t = types[k]
				break
			}
			j -= n
		}
		x.m.res.DocType, x.m.res.IDNumber = t, c.otherDoc(t)
	}
	n := int(math.Round(shareNoID * float64(len(all))))
	for _, x := range choose(c.r, all, n, func(x who) float64 {
		if x.m.res.DocType != idcard.DocIDCard {
			return 0
		}
		return noIDWeight(x.m.age)
	}) {
		x.m.res.DocType, x.m.res.IDNumber = "", ""
		if x.m.age <= 1 && c.chance(0.5) {
			x.m.res.DocType, x.m.res.IDNumber = idcard.DocOther, c.otherDoc(idcard.DocOther)
		}
	}
}

func noIDWeight(age int) float64 {
	switch {
	case age < 6:
		return 10
	case age < 14:
		return 3
	case age < 18:
		return 1
	case age >= 80:
		return 1
	}
	return 0.2
}

// household tags quota households, never newcomers (低保 needs a local
// 户口) and never the demo's fixed household.
func (c *community) household(hs []*house, n int, tag string) {
	for _, h := range choose(c.r, hs, n, func(h *house) float64 {
		if h.newcomer || h.fixed || len(h.tags) > 0 {
			return 0
		}
		w := 0.3
		for _, m := range h.members {
			w += 3*b2f(has(m, TagDisabled)) + 3*b2f(has(m, TagIll)) + 2*b2f(has(m, TagUnemployed)) + 1.5*b2f(has(m, TagAlone))
		}
		if h.kind.name == "single parent" {
			w += 2
		}
		return w
	}) {
		h.tags = append(h.tags, tag)
	}
}

// quota gives tag to n people drawn with weight.
func (c *community) quota(all []who, n int, tag string, weight func(who) float64) {
	for _, x := range choose(c.r, all, n, weight) {
		add(x.m, tag)
	}
}

// choose draws n items without replacement, each with probability
// proportional to its weight (Efraimidis-Spirakis); weight 0 is never
// drawn, so fewer than n may come back.
func choose[T any](r *rand.Rand, items []T, n int, weight func(T) float64) []T {
	type keyed struct {
		key float64
		i   int
	}
	var ks []keyed
	for i, it := range items {
		e := r.ExpFloat64() // drawn for every item, so weights do not shift the stream
		if w := weight(it); w > 0 {
			ks = append(ks, keyed{e / w, i})
		}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.i, b.i)) })
	out := make([]T, 0, n)
	for _, k := range ks[:min(n, len(ks))] {
		out = append(out, items[k.i])
	}
	return out
}

// ageBand: 0 under 18, 1 18-59, 2 60-79, 3 80 and over.
func ageBand(age int) int {
	switch {
	case age < 18:
		return 0
	case age < 60:
		return 1
	case age < 80:
		return 2
	}
	return 3
}

func add(m *member, tag string) {
	if !has(m, tag) {
		m.res.Tags = append(m.res.Tags, tag)
	}
}

func has(m *member, tag string) bool { return slices.Contains(m.res.Tags, tag) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Notes a community worker writes, by tag.
var notes = map[string][]string{
	TagAlone:     {"子女在外地工作，每周通电话", "听力不好，敲门要用力", "行动不便，需要帮忙买菜", "有老年手机，每天早晚报平安", "女儿在本市，周末回来", "老伴去世多年，爱去活动室下棋"},
	TagEmptyNest: {"儿子在北京工作，春节回来", "老伴腿脚不好，需要帮忙取药", "女儿一家在国外", "两位老人身体尚可，参加晨练"},
	TagDisabled:  {"肢体残疾二级，出行需要轮椅", "视力残疾三级", "听力残疾二级，佩戴助听器", "智力残疾，由家人照护", "肢体残疾四级，拄拐"},
	TagIll:       {"尿毒症，每周透析三次", "脑梗后遗症，需要康复训练", "肺癌术后复查中", "糖尿病并发症，需定期测血糖", "心脏搭桥术后"},
}

// note writes a short note for some tagged people: about half of those
// living alone or in an empty nest, everyone disabled, ill or a veteran.
func (c *community) note(m *member) string {
	var parts []string
	for _, t := range []string{TagAlone, TagEmptyNest, TagDisabled, TagIll} {
		if !has(m, t) || (t == TagAlone || t == TagEmptyNest) && !c.chance(0.5) {
			continue
		}
		list := notes[t]
		parts = append(parts, list[c.r.IntN(len(list))])
	}
	if has(m, TagVeteran) {
		in := m.res.Birth.Year() + c.between(18, 20)
		out := min(in+c.between(2, 12), c.w.anchor.Year())
		parts = append(parts, fmt.Sprintf("%d年入伍，%d年退役", in, out))
	}
	return strings.Join(parts, "；")
}
