package registry

import "time"

// Estate is a 小区.
type Estate struct {
	ID          int64  `json:"id"`
	CommunityID int64  `json:"community_id"`
	Name        string `json:"name"`
	Address     string `json:"address,omitempty"`
}

// Building is a 楼 of an estate, in one grid.
type Building struct {
	ID          int64  `json:"id"`
	CommunityID int64  `json:"community_id"`
	EstateID    int64  `json:"estate_id"`
	Estate      string `json:"estate"`
	GridID      int64  `json:"grid_id,omitempty"`
	Number      string `json:"number"` // normalised: "1", "12A"
	Address     string `json:"address,omitempty"`
	YearBuilt   int    `json:"year_built,omitempty"`
	Floors      int    `json:"floors,omitempty"`
	Households  int    `json:"households"`
	Residents   int    `json:"residents"`
}

// Household is a flat (户). Phone is masked unless revealed.
type Household struct {
	ID          int64  `json:"id"`
	CommunityID int64  `json:"community_id"`
	BuildingID  int64  `json:"building_id"`
	UnitID      int64  `json:"unit_id"`
	Address     string `json:"address"` // 平安小区3号楼2单元301
	Estate      string `json:"estate"`
	Building    string `json:"building"`
	Unit        string `json:"unit"`
	Room        string `json:"room"`
	GridID      int64  `json:"grid_id,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Head        string `json:"head,omitempty"` // name of the 户主 (masked for a child)
	HeadID      int64  `json:"head_id,omitempty"`
	Size        int    `json:"size"` // residents living there now
}

// Resident is a resident as an actor may see them: sensitive fields are
// masked and a child's personal fields hidden unless revealed. Masked
// lists the fields that are.
type Resident struct {
	ID          int64      `json:"id"`
	CommunityID int64      `json:"community_id"`
	HouseholdID int64      `json:"household_id"`
	Address     string     `json:"address"`
	Name        string     `json:"name"`
	Gender      string     `json:"gender,omitempty"` // "M", "F"
	BirthDate   string     `json:"birth_date,omitempty"`
	Age         *int       `json:"age,omitempty"`
	Child       bool       `json:"child"` // under 14: everything about them is protected
	DocType     string     `json:"doc_type,omitempty"`
	IDNumber    string     `json:"id_number,omitempty"`
	Phone       string     `json:"phone,omitempty"`
	Relation    string     `json:"relation,omitempty"`
	Party       bool       `json:"party"`
	Tags        []string   `json:"tags"`
	Notes       string     `json:"notes,omitempty"`
	MovedInAt   time.Time  `json:"moved_in_at"`
	MovedOutAt  *time.Time `json:"moved_out_at,omitempty"`
	Masked      []string   `json:"masked,omitempty"`
}

// Input is what a person types to create or correct a resident.
type Input struct {
	HouseholdID int64    `json:"household_id"`
	Name        string   `json:"name"`
	Gender      string   `json:"gender"`
	BirthDate   string   `json:"birth_date"`
	DocType     string   `json:"doc_type"`
	IDNumber    string   `json:"id_number"`
	Phone       string   `json:"phone"`
	Relation    string   `json:"relation"`
	Party       bool     `json:"party"`
	Tags        []string `json:"tags"`
	Notes       string   `json:"notes"`
}

// Relations lists the accepted relations to the head of the household.
var Relations = []string{"户主", "配偶", "子女", "儿媳", "女婿", "孙子女", "父母", "岳父母", "公婆", "兄弟姐妹", "租户", "其他"}

// DefaultTags is the tag list a community starts with; sensitive marks
// the vulnerable statuses whose holders are sealed.
var DefaultTags = []struct {
	Name      string
	Sensitive bool
}{
	{"独居老人", true}, {"空巢", true}, {"残疾", true}, {"低保", true}, {"低保边缘", true},
	{"重病", true}, {"失业", true}, {"未成年", false}, {"退役军人", false}, {"新市民", false},
}

// secrets is what is sealed of a resident, in one place so Create,
// Update and the reveal read the same shape.
type secrets struct {
	IDNumber string
	Phone    string
	Tags     []string
	Notes    string
	// A child's personal fields.
	Name      string
	Gender    string
	BirthDate string
}
