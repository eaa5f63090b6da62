// Package registry is the "people" part of Linli: estates, buildings,
// units, households and residents, with the personal data in them sealed,
// masked and audited by default.
//
// Who may see what is written once, in Fields below; the service, the
// pages, the API and the exports all read it, and so do the tests.
package registry

import (
	"slices"

	"github.com/linli/linli/internal/accounts"
)

// Sensitivity grades a field (个人信息保护法: 一般个人信息 / 敏感个人信息).
type Sensitivity int

const (
	// Basic fields (room, relation to the head) are shown in the clear to
	// every role that sees the resident at all.
	Basic Sensitivity = iota
	// Personal fields (name, gender, birth date, party membership) are
	// shown in the clear to those who see the resident, except a child's.
	Personal
	// Sensitive fields (ID number, phone, vulnerable-status tags, notes)
	// are sealed at rest, shown masked, and revealed only by an explicit,
	// audited act with a reason.
	Sensitive
)

// Field is one column of a resident's record and the rules for it.
type Field struct {
	Name        string // JSON and export key
	Sensitivity Sensitivity
	See         []accounts.Role // may see it (masked if Sensitive)
	Reveal      []accounts.Role // may unmask it
	Edit        []accounts.Role
	Export      []accounts.Role // may export it (masked unless they may reveal and ask to)
}

var (
	staff  = []accounts.Role{accounts.Admin, accounts.Worker, accounts.Grid}
	office = []accounts.Role{accounts.Admin, accounts.Worker}
)

// Fields is the classification table. The grid role applies to residents
// of the grid worker's own grids only (see scope.go); street supervisors
// see aggregates and no rows; leaders, volunteers, residents and partners
// see no one else's registry data.
var Fields = []Field{
	{Name: "name", Sensitivity: Personal, See: staff, Reveal: staff, Edit: staff, Export: office},
	{Name: "gender", Sensitivity: Personal, See: staff, Reveal: staff, Edit: staff, Export: office},
	{Name: "birth_date", Sensitivity: Personal, See: staff, Reveal: staff, Edit: staff, Export: office},
	{Name: "relation", Sensitivity: Basic, See: staff, Reveal: staff, Edit: staff, Export: office},
	{Name: "party", Sensitivity: Personal, See: staff, Reveal: staff, Edit: staff, Export: office},
	{Name: "doc_type", Sensitivity: Basic, See: staff, Reveal: staff, Edit: staff, Export: office},
	{Name: "id_number", Sensitivity: Sensitive, See: staff, Reveal: staff, Edit: staff, Export: office},
	{Name: "phone", Sensitivity: Sensitive, See: staff, Reveal: staff, Edit: staff, Export: office},
	{Name: "tags", Sensitivity: Sensitive, See: staff, Reveal: staff, Edit: staff, Export: office},
	{Name: "notes", Sensitivity: Sensitive, See: staff, Reveal: staff, Edit: staff, Export: office},
	{Name: "household_phone", Sensitivity: Sensitive, See: staff, Reveal: staff, Edit: staff, Export: office},
}

// FieldByName returns the rule for a field.
func FieldByName(name string) (Field, bool) {
	for _, f := range Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Revealable lists the fields an explicit reveal can unmask: the
// sensitive ones, and a child's personal ones.
func Revealable() []string {
	var out []string
	for _, f := range Fields {
		if f.Sensitivity >= Personal {
			out = append(out, f.Name)
		}
	}
	return out
}

// roleMay reports whether any of the roles p holds in community cid is in
// allowed. The console may do everything.
func roleMay(p *accounts.Principal, cid int64, allowed []accounts.Role) bool {
	if p == nil {
		return false
	}
	if p.System {
		return true
	}
	for _, g := range p.Grants {
		if g.CommunityID == cid && slices.Contains(allowed, g.Role) {
			return true
		}
	}
	return false
}
