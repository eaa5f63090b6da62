// Package volunteers is the "matrix" of the network: volunteers and their
// skills, availability, grids and consents; children and their guardians;
// teams and their members; the partner organisations that back them.
//
// A volunteer is usually a resident, and then the person's identity stays
// in the registry, sealed there; this package reads it through
// registry.Persons and never copies it. Outside adults (a teacher, a
// partner's staff member) keep theirs here, sealed the same way. Children
// must be residents, so everything about a child lives in one sealed place.
//
// Who sees whom: admins and workers see every volunteer of their
// community; grid workers see names, skills and grids (to match requests);
// a team leader sees the names, ages and (on an audited reveal) phones of
// their own team's current members; everyone else sees only themselves and
// the children they are guardian of.
package volunteers

import "time"

// Categories are the service categories (服务类别) of the national
// volunteer system, as codes; the catalogues translate them.
var Categories = []string{
	"community", "elderly", "disabled", "children", "education", "health",
	"culture", "environment", "safety", "emergency", "civic", "convenience",
}

// Days and Parts name the weekly availability slots: mon_am … sun_eve.
var (
	Days  = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	Parts = []string{"am", "pm", "eve"}
)

// Volunteer is one volunteer as a given actor may see them. Fields the
// actor may not see are empty; sensitive ones are masked unless revealed.
type Volunteer struct {
	ID           int64      `json:"id"`
	Number       string     `json:"number"`
	ResidentID   int64      `json:"resident_id,omitempty"`
	Name         string     `json:"name"`
	Gender       string     `json:"gender,omitempty"`
	Age          int        `json:"age"`
	Minor        bool       `json:"minor"`
	Child        bool       `json:"child"` // under 14: sensitive, every read audited
	Phone        string     `json:"phone,omitempty"`
	Address      string     `json:"address,omitempty"`
	Skills       []string   `json:"skills"`
	SkillsOther  string     `json:"skills_other,omitempty"`
	Categories   []string   `json:"categories"`
	Availability []string   `json:"availability"`
	Grids        []int      `json:"grids"`
	Status       string     `json:"status"`
	Via          string     `json:"registered_via"`
	RegisteredAt time.Time  `json:"registered_at"`
	Consents     []Consent  `json:"consents,omitempty"`
	Guardian     *Guardian  `json:"guardian,omitempty"`
	Teams        []TeamRole `json:"teams"`
	Masked       []string   `json:"masked,omitempty"`
}

// Consent is a recorded consent. Consents are records: a withdrawn one
// stays, with the time it was withdrawn.
type Consent struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"` // general, publicity, guardian
	Scope       string     `json:"scope,omitempty"`
	GivenOn     string     `json:"given_on"`
	GivenBy     string     `json:"given_by"`
	Relation    string     `json:"relation,omitempty"`
	RecordedAt  time.Time  `json:"recorded_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
}

// Guardian is a minor's guardian as shown on the minor's record.
type Guardian struct {
	ResidentID int64  `json:"resident_id"`
	Name       string `json:"name"`
	Relation   string `json:"relation"`
	Phone      string `json:"phone"` // masked
}

// TeamRole is one current membership.
type TeamRole struct {
	TeamID      int64  `json:"team_id"`
	Team        string `json:"team"`
	Role        string `json:"role"`
	JoinedOn    string `json:"joined_on"`
	Accompanied bool   `json:"accompanied,omitempty"`
}

// Person is an outside adult's identity, for volunteers who are not
// residents of the community.
type Person struct {
	Name      string `json:"name"`
	Gender    string `json:"gender"`
	BirthDate string `json:"birth_date"`
	Phone     string `json:"phone"`
	IDNumber  string `json:"id_number"`
}

// Input registers a volunteer or changes a profile. Exactly one of
// ResidentID and Person names the person when registering.
type Input struct {
	ResidentID   int64          `json:"resident_id"`
	Person       *Person        `json:"person"`
	Skills       []string       `json:"skills"`
	SkillsOther  string         `json:"skills_other"`
	Categories   []string       `json:"categories"`
	Availability []string       `json:"availability"`
	Grids        []int          `json:"grids"`
	Consent      ConsentInput   `json:"consent"`
	Guardian     *GuardianInput `json:"guardian"`
}

// ConsentInput records the consents given at registration. General
// consent is required; publicity (photos, stories) is asked separately.
type ConsentInput struct {
	General   bool   `json:"general"`
	Publicity bool   `json:"publicity"`
	GivenOn   string `json:"given_on"` // default today
	GivenBy   string `json:"given_by"` // who gave it, when a worker records it on someone's behalf
}

// GuardianInput records a guardian's consent for a minor.
type GuardianInput struct {
	ResidentID int64  `json:"resident_id"`
	Relation   string `json:"relation"`
	Scope      string `json:"scope"`
	GivenOn    string `json:"given_on"`
}

// AgeRules is a community's policy on volunteers' ages. A team's or an
// activity's own age range replaces MinAge; the other two always apply.
type AgeRules struct {
	MinAge         int `json:"min_age"`         // younger: not accepted (default 6)
	AccompanyUnder int `json:"accompany_under"` // younger: the guardian comes along (default 10)
	ConsentUnder   int `json:"consent_under"`   // younger: guardian consent needed (default 18)
}

// DefaultAgeRules follow the strictest rules found in the field (see
// research/anchors-china.md §4.1: <6 not accepted, <10 accompanied,
// <18 guardian consent).
var DefaultAgeRules = AgeRules{MinAge: 6, AccompanyUnder: 10, ConsentUnder: 18}

// Filter selects volunteers for List.
type Filter struct {
	CommunityID   int64
	Query         string // name prefix or volunteer number
	TeamID        int64
	Skill         string
	Category      string
	GridID        int64
	Limit, Offset int
}
