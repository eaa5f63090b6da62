package gen

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/linli/linli/internal/idcard"
)

// anchor is "today" of the tests: 2026-11-28 10:00 in Shanghai.
var anchor = time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)

// registries caches generated communities: several tests read the same.
var registries = map[int64]*Registry{}

func demo(t testing.TB, seed int64) *Registry {
	t.Helper()
	if r, ok := registries[seed]; ok {
		return r
	}
	r := Community(seed, anchor)
	registries[seed] = r
	return r
}

func TestFigures(t *testing.T) {
	for _, seed := range []int64{1, 2, 20261128} {
		r := demo(t, seed)
		s := r.Summary(anchor)
		share := func(n, of int) float64 { return float64(n) / float64(of) }
		checks := []struct {
			what   string
			got    float64
			lo, hi float64
		}{
			{"households", float64(s.Households), Households, Households},
			{"residents", float64(s.Residents), 3950, 4250},
			{"share aged 60+", share(s.Aged60, s.Residents), 0.26, 0.30},
			{"独居老人", float64(s.Tags[TagAlone]), 110, 130},
			{"空巢", float64(s.Tags[TagEmptyNest]), 180, 220},
			{"残疾", float64(s.Tags[TagDisabled]), 55, 65},
			{"低保 households", float64(s.HouseholdTags[TagDibao]), 22, 28},
			{"低保边缘 households", float64(s.HouseholdTags[TagNearDibao]), 26, 34},
			{"重病", float64(s.Tags[TagIll]), 18, 22},
			{"退役军人", float64(s.Tags[TagVeteran]), 13, 17},
			{"children 5-14", float64(s.Ages[1].Count), 370, 430},
			{"share of adults in the party", share(s.Party, s.Adults), 0.07, 0.09},
			{"share without an ID number", share(s.OtherDocs+s.NoDoc, s.Residents), 0.02, 0.04},
			{"households of one or two", share(s.Sizes[1]+s.Sizes[2], s.Households), 0.6, 0.85},
		}
		for _, c := range checks {
			if c.got < c.lo || c.got > c.hi {
				t.Errorf("seed %d: %s = %.3f, want %.3f-%.3f", seed, c.what, c.got, c.lo, c.hi)
			}
		}
	}
}

func TestIDNumbers(t *testing.T) {
	r := demo(t, 1)
	seen := map[string]bool{}
	for _, p := range r.Residents {
		if (p.DocType == "") != (p.IDNumber == "") {
			t.Errorf("%s: doc type %q with number %q", p.Key, p.DocType, p.IDNumber)
		}
		if p.IDNumber == "" {
			continue
		}
		if seen[p.IDNumber] {
			t.Errorf("%s: ID number used twice", p.Key)
		}
		seen[p.IDNumber] = true
		if err := idcard.ValidateDoc(p.DocType, p.IDNumber, anchor); err != nil {
			t.Errorf("%s: %s %v", p.Key, p.DocType, err)
		}
		if p.DocType != idcard.DocIDCard {
			continue
		}
		info, err := idcard.ValidateAt(p.IDNumber, anchor)
		if err != nil {
			t.Fatalf("%s: %v", p.Key, err)
		}
		if info.Normalized != p.IDNumber || !info.Birth.Equal(p.Birth) || info.Male != (p.Gender == "M") {
			t.Errorf("%s: ID number disagrees with the person: %+v vs %s %s", p.Key, info, p.Birth, p.Gender)
		}
		if seq := p.IDNumber[14:17]; seq >= "996" {
			t.Errorf("%s: sequence %s is kept for centenarians", p.Key, seq)
		}
	}
}

// The tag rules hold for everyone, and relations make sense.
func TestConsistency(t *testing.T) {
	r := demo(t, 1)
	members := map[string][]Resident{}
	for _, p := range r.Residents {
		members[p.Household] = append(members[p.Household], p)
	}
	allowed := map[string]bool{RelHead: true, RelSpouse: true, RelChild: true, RelGrandchild: true, RelParent: true, RelOther: true}
	for _, h := range r.Households {
		ms := members[h.Key]
		if len(ms) == 0 || ms[0].Relation != RelHead || ms[0].Key != h.Key+"#1" {
			t.Fatalf("%s: householder is not first: %+v", h.Key, ms)
		}
		head := ms[0]
		headAge := idcard.Age(head.Birth, anchor)
		for i, p := range ms {
			age := idcard.Age(p.Birth, anchor)
			if age < 0 || age > 100 || p.Birth.After(anchor) {
				t.Errorf("%s: age %d", p.Key, age)
			}
			if p.Gender != "M" && p.Gender != "F" || !allowed[p.Relation] || (i > 0) == (p.Relation == RelHead) {
				t.Errorf("%s: gender %q relation %q", p.Key, p.Gender, p.Relation)
			}
			spouseOnly := len(ms) == 2 && ms[1].Relation == RelSpouse
			rules := map[string]bool{
				TagMinor:     age < 18,
				TagAlone:     len(ms) == 1 && age >= 60,
				TagEmptyNest: spouseOnly && age >= 60,
			}
			for tag, want := range rules {
				if slices.Contains(p.Tags, tag) != want {
					t.Errorf("%s (age %d, household of %d): %s is %v, want %v", p.Key, age, len(ms), tag, !want, want)
				}
			}
			for _, tag := range h.Tags {
				if !slices.Contains(p.Tags, tag) {
					t.Errorf("%s: household tag %s missing", p.Key, tag)
				}
			}
			for j, tag := range p.Tags {
				if !slices.Contains(tagOrder, tag) || slices.Index(p.Tags, tag) != j {
					t.Errorf("%s: tags %v", p.Key, p.Tags)
				}
			}
			if slices.Contains(p.Tags, TagNewcomer) && age >= 18 && p.DocType == idcard.DocIDCard && strings.HasPrefix(p.IDNumber, "1301") {
				t.Errorf("%s: 新市民 registered in 石家庄", p.Key)
			}
			if p.Party && age < 18 {
				t.Errorf("%s: party member aged %d", p.Key, age)
			}
			switch p.Relation {
			case RelSpouse:
				if p.Gender == head.Gender {
					t.Errorf("%s: spouse of the same gender in the demo data", p.Key)
				}
			case RelChild:
				if headAge-age < 16 && head.Relation == RelHead {
					t.Errorf("%s: child aged %d of a householder aged %d", p.Key, age, headAge)
				}
			case RelGrandchild:
				if headAge-age < 36 {
					t.Errorf("%s: grandchild aged %d of a householder aged %d", p.Key, age, headAge)
				}
			case RelParent:
				if age-headAge < 16 {
					t.Errorf("%s: parent aged %d of a householder aged %d", p.Key, age, headAge)
				}
			}
		}
	}
}

func TestPlaces(t *testing.T) {
	r := demo(t, 1)
	if r.Community != "建胜路社区" || len(r.Grids) != 8 || r.Grids[7] != "第八网格（新建胜家园）" {
		t.Fatalf("community %q grids %v", r.Community, r.Grids)
	}
	buildings := map[string]Building{}
	perEstate := map[string]int{}
	for _, b := range r.Buildings {
		if _, dup := buildings[b.Key]; dup || b.Key != b.Estate+"/"+b.Number || b.Grid < 1 || b.Grid > 8 || b.Units < 2 || b.Units > 4 {
			t.Errorf("building %+v", b)
		}
		if n, err := idcard.BuildingNumber(b.Number + "号楼"); err != nil || n != b.Number {
			t.Errorf("building number %q does not normalise to itself", b.Number)
		}
		buildings[b.Key] = b
	}
	flats := map[string]bool{}
	for _, h := range r.Households {
		b, ok := buildings[h.Building]
		if !ok {
			t.Fatalf("%s: no building %q", h.Key, h.Building)
		}
		perEstate[b.Estate]++
		flat := h.Building + "/" + h.Unit + "/" + h.Room
		if flats[flat] || flat != h.Key {
			t.Errorf("%s: flat %s twice or key mismatch", h.Key, flat)
		}
		flats[flat] = true
		unit, _ := idcard.UnitNumber(h.Unit)
		room, err := idcard.RoomNumber(h.Room)
		floor, door := 0, 0
		if err == nil {
			floor, door = atoi(room)/100, atoi(room)%100
		}
		if unit != h.Unit || room != h.Room || atoi(unit) > b.Units || floor < b.FirstFloor || floor > b.Floors || door < 1 || door > 2 {
			t.Errorf("%s: not a flat of %+v", h.Key, b)
		}
	}
	if r.Households[0].Key != "平安小区/1/1/101" || r.Residents[0].Name != "陈秀英" || r.Residents[0].Household != r.Households[0].Key {
		t.Errorf("household 1 is %s of %s, want 平安小区/1/1/101 of 陈秀英", r.Households[0].Key, r.Residents[0].Name)
	}
	for e, n := range perEstate {
		if e != "平安小区" && n >= perEstate["平安小区"] {
			t.Errorf("%s has %d households, 平安小区 %d", e, n, perEstate["平安小区"])
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestNamesAndPhones(t *testing.T) {
	r := demo(t, 1)
	mobiles := map[string]string{}
	for _, p := range r.Residents {
		if n := utf8.RuneCountInString(p.Name); n < 2 || n > 4 || strings.ContainsFunc(p.Name, func(c rune) bool { return !unicode.Is(unicode.Han, c) }) {
			t.Errorf("%s: name %q", p.Key, p.Name)
		}
		if p.Phone == "" {
			continue
		}
		if age := idcard.Age(p.Birth, anchor); age < 14 {
			t.Errorf("%s: a phone at %d", p.Key, age)
		}
		if n, err := idcard.NormalizePhone(p.Phone); err != nil || n != p.Phone {
			t.Errorf("%s: phone %q: %v", p.Key, p.Phone, err)
		}
		if !strings.HasPrefix(p.Phone, "0") {
			if other, dup := mobiles[p.Phone]; dup {
				t.Errorf("%s and %s share a mobile", p.Key, other)
			}
			mobiles[p.Phone] = p.Key
		}
	}
	for _, h := range r.Households {
		if n, err := idcard.NormalizePhone(h.Phone); h.Phone != "" && (err != nil || n != h.Phone) {
			t.Errorf("%s: phone %q: %v", h.Key, h.Phone, err)
		}
	}
}
