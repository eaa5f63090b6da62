package gen

import (
	"fmt"
	"time"

	"github.com/linli/linli/internal/idcard"
)

// Area codes of people born or first registered elsewhere: the other
// districts of 石家庄 for those who moved across town, 唐山, 郑州 and 济南
// for those who came from further away.
var (
	cityAreas    = []string{"130102", "130104", "130105", "130108"}
	distantAreas = []string{"130203", "410102", "370102"}
)

// areaFor picks the area code of a member's ID number.
func (c *community) areaFor(h *house, m *member) string {
	switch {
	case h.newcomer && m.age >= 6:
		return h.area // the family came together; younger children were born here
	case h.newcomer:
		return c.place.area
	}
	local := 0.88
	if m.age < 18 {
		local = 0.97 // registered where the parents live
	}
	switch u := c.r.Float64(); {
	case u < local:
		return c.place.area
	case u < local+0.09:
		for {
			if a := cityAreas[c.r.IntN(len(cityAreas))]; a != c.place.area {
				return a
			}
		}
	default:
		return distantAreas[c.r.IntN(len(distantAreas))]
	}
}

// idNumber allocates an ID number unique across the world. Sequence
// codes come from 950-995 (odd for men, even for women): police stations
// hand out low codes first and 996-999 are kept for people over 100, so
// this range is the least likely to reproduce a real person's number.
// When a birth date fills it, the allocator moves down through 949-001.
func (c *community) idNumber(area string, birth time.Time, male bool) string {
	prefix := area + birth.Format("20060102")
	parity := 0
	if male {
		parity = 1
	}
	start := 950 + parity + 2*c.r.IntN(23)
	for i := 0; i < 23; i++ {
		seq := 950 + parity + (start-950-parity+2*i)%46
		if id, ok := c.w.claimID(prefix, seq); ok {
			return id
		}
	}
	for seq := 948 + parity; seq > 0; seq -= 2 {
		if id, ok := c.w.claimID(prefix, seq); ok {
			return id
		}
	}
	panic("gen: no sequence code left for " + birth.Format(time.DateOnly)) // 500 people of one sex born on one day in one district
}

func (w *world) claimID(prefix string, seq int) (string, bool) {
	first := fmt.Sprintf("%s%03d", prefix, seq)
	if w.ids[first] {
		return "", false
	}
	w.ids[first] = true
	check, err := idcard.CheckDigit(first)
	if err != nil {
		panic("gen: " + err.Error()) // prefix is built from digits only
	}
	return first + string(check), true
}

// Mobile prefixes of the three carriers in common use.
var mobilePrefixes = []string{
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
	"155", "156", "157", "158", "159", "166", "173", "176", "177", "178", "180", "181", "182", "183",
	"185", "186", "187", "188", "189", "191", "195", "198", "199",
}

// mobile allocates a mobile number unique across the world.
func (c *community) mobile() string {
	for {
		n := fmt.Sprintf("%s%08d", mobilePrefixes[c.r.IntN(len(mobilePrefixes))], c.r.IntN(100000000))
		if !c.w.phones[n] {
			c.w.phones[n] = true
			return n
		}
	}
}

// landline allocates a 石家庄 landline (0311, eight digits from 8).
func (c *community) landline() string {
	for {
		n := fmt.Sprintf("0311-8%07d", c.r.IntN(10000000))
		if !c.w.phones[n] {
			c.w.phones[n] = true
			return n
		}
	}
}

// otherDoc makes the number of a document other than the ID card, in the
// shape each usually has.
func (c *community) otherDoc(docType string) string {
	switch docType {
	case idcard.DocPassport:
		return fmt.Sprintf("E%08d", c.r.IntN(100000000))
	case idcard.DocHKMOPermit:
		return fmt.Sprintf("%c%08d", "HM"[c.r.IntN(2)], c.r.IntN(100000000))
	case idcard.DocTWPermit:
		return fmt.Sprintf("%08d", c.r.IntN(100000000))
	case idcard.DocForeignPermanent:
		return fmt.Sprintf("%s13%010d", []string{"USA", "CAN", "AUS", "SGP", "KOR"}[c.r.IntN(5)], c.r.Int64N(10000000000))
	default: // 出生医学证明 of a baby not yet registered
		return fmt.Sprintf("Q%09d", c.r.IntN(1000000000))
	}
}
