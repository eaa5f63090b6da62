package accounts

import (
	"slices"
	"time"

	"github.com/linli/linli/internal/audit"
)

// Role is what a grant lets its holder do; the scope columns of the grant
// say where.
type Role string

const (
	Admin     Role = "admin"     // community administrator: everything in one community
	Worker    Role = "worker"    // community/social worker (社工): runs the community
	Grid      Role = "grid"      // grid worker (网格员): their grid
	Leader    Role = "leader"    // team leader (队长): one team
	Volunteer Role = "volunteer" // own records, in one community
	Resident  Role = "resident"  // own household
	Partner   Role = "partner"   // staff of a partner organisation
	Street    Role = "street"    // street supervisor: aggregates across a street
)

// Roles lists every role, in the order screens show them.
var Roles = []Role{Admin, Worker, Grid, Leader, Volunteer, Resident, Partner, Street}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Staff roles get the short idle timeout and, later, a second factor.
func (r Role) Staff() bool { return r == Admin || r == Worker || r == Grid || r == Street }

// Scope names the grant column that must be set for r.
func (r Role) Scope() string {
	switch r {
	case Street:
		return "street"
	case Grid:
		return "grid"
	case Leader:
		return "team"
	case Partner:
		return "organisation"
	case Resident:
		return "household"
	}
	return "community"
}

// Grant is one role with its scope. CommunityID is set for every role but
// street; the other IDs are set as Role.Scope says (0 = not set).
type Grant struct {
	ID             int64     `json:"id"`
	AccountID      int64     `json:"account_id"`
	Role           Role      `json:"role"`
	StreetID       int64     `json:"street_id,omitempty"`
	CommunityID    int64     `json:"community_id,omitempty"`
	GridID         int64     `json:"grid_id,omitempty"`
	TeamID         int64     `json:"team_id,omitempty"`
	OrganisationID int64     `json:"organisation_id,omitempty"`
	HouseholdID    int64     `json:"household_id,omitempty"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
}

// Principal is the signed-in actor of a request: the account, its grants,
// and where the request came from. Services take it as a visible
// parameter so that permission checks and audit entries cannot be forgotten.
type Principal struct {
	AccountID   int64
	Username    string
	DisplayName string
	Locale      string
	LargeText   bool
	Grants      []Grant
	// System marks the operator at the console (the linli user command,
	// the demo seed): allowed everything, audited as such.
	System bool
	// Session facts.
	SessionKind string // "web" or "api"
	ClientAddr  string
	RequestID   string
}

// Has reports whether p holds role anywhere.
func (p *Principal) Has(role Role) bool {
	if p == nil {
		return false
	}
	for _, g := range p.Grants {
		if g.Role == role {
			return true
		}
	}
	return false
}

// Staff reports whether any grant is a staff role. Like the other
// questions here it is safe on a nil (anonymous) principal.
func (p *Principal) Staff() bool {
	if p == nil {
		return false
	}
	for _, g := range p.Grants {
		if g.Role.Staff() {
			return true
		}
	}
	return false
}

// RoleNames lists the distinct roles held.
func (p *Principal) RoleNames() []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, g := range p.Grants {
		if !slices.Contains(out, string(g.Role)) {
			out = append(out, string(g.Role))
		}
	}
	return out
}

// Communities lists the communities p has any grant in (street grants are
// resolved by the caller, which knows the street's communities).
func (p *Principal) Communities() []int64 {
	if p == nil {
		return nil
	}
	var out []int64
	for _, g := range p.Grants {
		if g.CommunityID != 0 && !slices.Contains(out, g.CommunityID) {
			out = append(out, g.CommunityID)
		}
	}
	return out
}

// Audit returns an entry pre-filled with who and from where; the caller
// adds what happened.
func (p *Principal) Audit(at time.Time, action string, communityID int64) audit.Entry {
	e := audit.Entry{At: at, Action: action, CommunityID: communityID}
	if p != nil {
		e.ActorID = p.AccountID
		if p.System {
			e.Role = "system"
		}
		e.ActorName = p.Username
		e.ClientAddr = p.ClientAddr
		e.RequestID = p.RequestID
		if e.Role == "" {
			e.Role = p.roleIn(communityID)
		}
	}
	return e
}

// roleIn names the strongest role p holds in a community, for the log.
func (p *Principal) roleIn(communityID int64) string {
	best := ""
	for _, r := range Roles { // Roles is ordered strongest first
		for _, g := range p.Grants {
			if g.Role == r && (communityID == 0 || g.CommunityID == communityID || g.Role == Street) {
				return string(r)
			}
		}
	}
	return best
}

// Console returns the principal of an operator running a command on the
// server itself; entries it writes name the OS user.
func Console(who string) *Principal {
	return &Principal{Username: "console:" + who, System: true, ClientAddr: "local"}
}

// administers reports whether p holds an admin grant in community cid.
func (p *Principal) administers(cid int64) bool {
	if p == nil || cid == 0 {
		return false
	}
	for _, g := range p.Grants {
		if g.Role == Admin && g.CommunityID == cid {
			return true
		}
	}
	return false
}

// manages reports whether p may change account a: the console always; an
// admin when a has at least one grant in a community p administers.
func (p *Principal) manages(a *Account) bool {
	if p == nil {
		return false
	}
	if p.System {
		return true
	}
	for _, g := range a.Grants {
		if p.administers(g.CommunityID) {
			return true
		}
	}
	return false
}

// controls reports whether p may act on the credentials of account a (reset
// its password, disable or enable it): the console always; an admin only
// when every grant of a lies in a community p administers. manages is not
// enough here: an admin of one community must not seize an account that
// also holds rights elsewhere (a street supervisor, another community's
// admin) by setting its password.
func (p *Principal) controls(a *Account) bool {
	if p == nil {
		return false
	}
	if p.System {
		return true
	}
	for _, g := range a.Grants {
		if g.Role == Street || !p.administers(g.CommunityID) {
			return false
		}
	}
	return len(a.Grants) > 0
}
