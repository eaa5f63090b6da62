// Package gen invents the registry of the demo community — 建胜路社区,
// 2,250 households and about 4,100 residents in the old walk-ups of
// 平安小区, 建胜里, 胜利北街, 铁路宿舍, the 商业街 and the newer 新建胜家园 —
// as plain Go values. It writes nothing: the demo seed and the `linli gen`
// scale tests load the values through the registry's own loader.
//
// The people are made up but shaped like an ageing old estate: many one-
// and two-person households, about 28% aged 60+, elderly people living
// alone or as empty-nest couples, about 400 children of 5-14 for the
// children's team, and the vulnerable statuses a community worker cares
// for. Tags follow rules a test checks (独居老人 is a household of one
// aged 60+, 未成年 is under 18, ...). ID numbers carry valid check
// characters, birth dates and genders that match the person, and sequence
// codes from 950-995, a range few real numbers use, to lower the odds of
// printing a stranger's number; mobile numbers are random and may exist.
//
// The output depends only on the seed and the anchor date ("today"): the
// same pair gives byte-identical data. No canary residents are included;
// tests add their own.
package gen

import "time"

// Registry is one community's registry.
type Registry struct {
	Community  string   // "建胜路社区"
	District   string   // "桥西区"; its code is the local ID area code
	Grids      []string // names of grids 1-8, Grids[0] is grid 1
	Estates    []Estate
	Buildings  []Building
	Households []Household // sorted by estate, building, unit, room
	Residents  []Resident  // grouped by household, householder first
}

// Estate is a 小区. Its name is its key and is unique across a City.
type Estate struct {
	Name    string // "平安小区"
	Address string // "石家庄市桥西区平安南大街56号"
}

// Building is a 楼. Flats are numbered floor*100+door with two doors per
// landing: 101, 102, ..., 602, or 1101 in the 11-storey 新建胜家园.
type Building struct {
	Key        string // "平安小区/3"
	Estate     string // estate name
	Number     string // "3", as idcard.BuildingNumber gives it
	Address    string // "石家庄市桥西区平安南大街56号平安小区3号楼"
	Year       int    // year built
	Grid       int    // 1-8, index into Registry.Grids plus one
	Floors     int
	Units      int
	FirstFloor int // lowest residential floor: 2 above the shops of the 商业街, else 1
}

// Household is a flat with its people. Tags hold household statuses
// (低保, 低保边缘); each member carries them too, as the registry stores
// tags per resident.
type Household struct {
	Key      string // "平安小区/3/2/301"
	Building string // building key
	Unit     string // "2"
	Room     string // "301"
	Phone    string // contact number: a member's mobile, or the landline, or ""
	Tags     []string
}

// Resident is a person registered in a household.
type Resident struct {
	Key       string // household key + "#1" for the householder, "#2", ...
	Household string // household key
	Name      string
	Gender    string    // "M" or "F", as the registry stores it
	Birth     time.Time // calendar date at 00:00 UTC
	DocType   string    // an idcard doc type code, or "" when no document is recorded
	IDNumber  string    // "" when not recorded
	Phone     string    // mobile, landline "0311-8xxxxxxx", or ""
	Relation  string    // to the householder: 户主, 配偶, 子女, 孙子女, 父母, 其他
	Party     bool      // member of the Communist Party of China
	Tags      []string
	Note      string // a community worker's note, or ""
}

// Tags the generator uses, as the registry's default tag list names them.
const (
	TagAlone      = "独居老人"
	TagEmptyNest  = "空巢"
	TagDisabled   = "残疾"
	TagDibao      = "低保"
	TagNearDibao  = "低保边缘"
	TagIll        = "重病"
	TagMinor      = "未成年"
	TagVeteran    = "退役军人"
	TagUnemployed = "失业"
	TagNewcomer   = "新市民"
)

// Relations to the householder.
const (
	RelHead       = "户主"
	RelSpouse     = "配偶"
	RelChild      = "子女"
	RelGrandchild = "孙子女"
	RelParent     = "父母"
	RelOther      = "其他"
)

// Households is the size of the demo community, from the 2024 report.
const Households = 2250

// Community generates 建胜路社区 as of anchor.
func Community(seed int64, anchor time.Time) *Registry {
	return newWorld(seed, anchor).community(0)
}

// City generates n communities of the same shape for scale tests. The
// first is the demo community itself, identical to Community(seed,
// anchor); the others get invented names. Estate names, keys, ID numbers
// and phone numbers are unique across the whole city.
func City(n int, seed int64, anchor time.Time) []*Registry {
	w := newWorld(seed, anchor)
	out := make([]*Registry, 0, n)
	for k := range n {
		out = append(out, w.community(k))
	}
	return out
}
