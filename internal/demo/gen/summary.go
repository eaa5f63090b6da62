package gen

import (
	"time"

	"github.com/linli/linli/internal/idcard"
)

// Summary is the handful of figures a person checks a generated registry
// by (and `linli gen` prints): sizes, tags, ages, documents.
type Summary struct {
	Households, Residents int
	Sizes                 map[int]int    // households by number of members
	Tags                  map[string]int // residents carrying each tag
	HouseholdTags         map[string]int // households carrying each tag
	Ages                  []AgeBand
	Aged60, Adults, Party int
	IDCards               int // residents with an ID card number
	OtherDocs             int // residents with another document
	NoDoc                 int // residents with no document recorded
}

// AgeBand counts residents from age From to To inclusive.
type AgeBand struct {
	From, To, Count int
}

// Summary counts r as of anchor.
func (r *Registry) Summary(anchor time.Time) Summary {
	s := Summary{Households: len(r.Households), Residents: len(r.Residents),
		Sizes: map[int]int{}, Tags: map[string]int{}, HouseholdTags: map[string]int{}}
	for _, b := range [][2]int{{0, 4}, {5, 14}, {15, 17}, {18, 34}, {35, 59}, {60, 69}, {70, 79}, {80, 89}, {90, 200}} {
		s.Ages = append(s.Ages, AgeBand{From: b[0], To: b[1]})
	}
	size := map[string]int{}
	for _, p := range r.Residents {
		size[p.Household]++
		age := idcard.Age(p.Birth, anchor)
		for i := range s.Ages {
			if age >= s.Ages[i].From && age <= s.Ages[i].To {
				s.Ages[i].Count++
			}
		}
		if age >= 60 {
			s.Aged60++
		}
		if age >= 18 {
			s.Adults++
		}
		if p.Party {
			s.Party++
		}
		for _, t := range p.Tags {
			s.Tags[t]++
		}
		switch {
		case p.DocType == idcard.DocIDCard && p.IDNumber != "":
			s.IDCards++
		case p.IDNumber != "":
			s.OtherDocs++
		default:
			s.NoDoc++
		}
	}
	for _, h := range r.Households {
		s.Sizes[size[h.Key]]++
		for _, t := range h.Tags {
			s.HouseholdTags[t]++
		}
	}
	return s
}
