package api_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/idcard"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/registry/registrytest"
	"github.com/linli/linli/internal/testkit/server"
	"github.com/linli/linli/internal/volunteers"
)

// The volunteer half of the canary matrix. The canaries are volunteers
// too, so every volunteer route shows registry data to someone:
//
//   - the adult canary is a member of the team the demo leader leads;
//   - the child canary was in that team and left it (a past membership the
//     leader must not see through), and is a member of another team; its
//     guardian is 赵建国, an adult of the child's flat, whose record is
//     linked to the demo volunteer login: "volunteer" is the guardian,
//     "resident" (陈秀英, the adult canary's flatmate) is not;
//   - a second minor of that flat lost its guardian consent (withdrawn), so
//     no one may add it to a team and its guardian no longer sees it.
//
// Who sees what is stated from the rules of the volunteer issue, not read
// from internal/volunteers: the office sees everyone, phones masked, and
// reveals with a reason; a leader sees their team's current members and
// reveals their phones; a grid worker sees names (a child's masked), no
// phones; anyone else sees themselves and the minors they are guardian
// of; a partner sees their own organisation and no volunteer.

// guardianName is the child canary's guardian, the volunteer login;
// motherName is another adult of the child's flat, with no login.
const (
	guardianName = "赵建国"
	motherName   = "孙丽"
)

// volFixture is the volunteer part of the fixture.
type volFixture struct {
	leaderTeam, childTeam, spareTeam int64
	adultV, childV, guardianV        int64 // volunteer ids
	lapsedV                          int64 // a minor whose guardian consent was withdrawn
	guardian, mother                 int64 // resident ids
	movedOut                         int64 // a resident who moved out
	ownOrg, otherOrg, spareOrg       int64 // the partner's organisation, another, one to rename
	otherOrgName                     string
	fresh                            map[string]*volFresh
}

// volFresh is what one role's writes use up, so no call depends on
// another role's.
type volFresh struct {
	regAPI, regWeb       int64  // residents to register
	regChild             int64  // a child of the child canary's flat, to register on the page
	joinAPI, joinWeb     int64  // volunteers to add to the leader's team
	joinWebNumber        string // …by number, as the page does
	leaveAPI, leaveWeb   int64  // members of the leader's team to remove
	childAPI, childWeb   int64  // teams for the child to join (and leave)
	adultAPI, adultWeb   int64  // publicity consents of the adult canary to withdraw
	childCAPI, childCWeb int64  // and of the child canary
	teamName, pageTeam   string // names of teams the office creates
	orgName, skill       string
}

func seedVolunteers(t *testing.T, s *server.Server, f *fixture) *volFixture {
	t.Helper()
	ctx := context.Background()
	sys := &accounts.Principal{System: true}
	vs := s.Volunteers
	v := &volFixture{fresh: map[string]*volFresh{}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	leader, err := s.Accounts.FindByUsername(ctx, "leader")
	must(err)
	partner, err := s.Accounts.FindByUsername(ctx, "partner")
	must(err)
	volunteer, err := s.Accounts.FindByUsername(ctx, "volunteer")
	must(err)
	for _, g := range leader.Grants {
		if g.Role == accounts.Leader {
			v.leaderTeam = g.TeamID
		}
	}
	for _, g := range partner.Grants {
		if g.Role == accounts.Partner {
			v.ownOrg = g.OrganisationID
		}
	}
	teams, err := vs.Teams(ctx, sys, f.cid)
	must(err)
	for _, tm := range teams {
		if tm.Name == "晨之美" {
			v.childTeam = tm.ID
		}
	}
	orgs, err := vs.Organisations(ctx, sys, f.cid)
	must(err)
	for _, o := range orgs {
		if o.ID != v.ownOrg && v.otherOrg == 0 {
			v.otherOrg, v.otherOrgName = o.ID, o.Name
		}
	}
	if v.leaderTeam == 0 || v.childTeam == 0 || v.ownOrg == 0 || v.otherOrg == 0 {
		t.Fatalf("demo places: %+v", v)
	}
	spare, err := vs.CreateTeam(ctx, sys, f.cid, volunteers.TeamInput{Name: "备用队"})
	must(err)
	v.spareTeam = spare.ID
	spareOrg, err := vs.CreateOrganisation(ctx, sys, f.cid, volunteers.OrgInput{Name: "备用单位", Kind: "school"})
	must(err)
	v.spareOrg = spareOrg.ID

	// Residents: the guardian and a second minor in the child's flat, and
	// per role adults in the adult canary's flat.
	now := s.Clock.Now()
	seq := 100
	id := func(birth string) string {
		seq++
		return registrytest.MakeID("130104", birth, fmt.Sprintf("%03d", seq))
	}
	var lapsed int64
	fresh := map[string][7]int64{}
	must(s.DB.InTx(ctx, func(tx *db.Tx) error {
		l := s.Registry.NewLoader(tx, f.cid)
		resident := func(hid int64, name, idNumber, relation string) int64 {
			rid, _, err := l.Resident(ctx, registry.Input{HouseholdID: hid, Name: name, IDNumber: idNumber, Relation: relation}, now)
			must(err)
			return rid
		}
		v.guardian = resident(f.h2, guardianName, id("19850615"), "户主")
		if err := s.Registry.LinkAccount(ctx, tx, v.guardian, volunteer.ID); err != nil {
			return err
		}
		v.mother = resident(f.h2, motherName, id("19870302"), "配偶")
		v.movedOut = resident(f.h1, "迁走", id("19700101"), "其他")
		lapsed = resident(f.h2, "小二", id(now.AddDate(-12, 0, 0).Format("20060102")), "子女")
		for _, role := range demoRoles {
			var ids [7]int64
			for i := range 6 {
				ids[i] = resident(f.h1, fmt.Sprintf("志%d%s", i, role), id("19800101"), "其他")
			}
			ids[6] = resident(f.h2, "童"+role, id(now.AddDate(-8, 0, 0).Format("20060102")), "子女")
			fresh[role] = ids
		}
		return nil
	}))
	must(s.Registry.MoveOut(ctx, sys, v.movedOut, "搬走"))
	register := func(in volunteers.Input) *volunteers.Volunteer {
		t.Helper()
		in.Consent.General = true
		out, err := vs.Register(ctx, sys, f.cid, in)
		must(err)
		return out
	}
	guardianOf := func(rid int64) volunteers.Input {
		return volunteers.Input{ResidentID: rid, Guardian: &volunteers.GuardianInput{ResidentID: v.guardian, Relation: "父亲"}}
	}
	v.adultV = register(volunteers.Input{ResidentID: f.adult}).ID
	v.childV = register(guardianOf(f.child)).ID
	v.guardianV = register(volunteers.Input{ResidentID: v.guardian}).ID
	lv := register(guardianOf(lapsed))
	v.lapsedV = lv.ID
	for _, c := range lv.Consents {
		if c.Kind == "guardian" {
			_, err := vs.WithdrawConsent(ctx, sys, v.lapsedV, c.ID)
			must(err)
		}
	}
	join := func(team, vid int64) {
		t.Helper()
		_, err := vs.Join(ctx, sys, team, vid, volunteers.RoleMember)
		must(err)
	}
	join(v.leaderTeam, v.adultV)
	join(v.leaderTeam, v.childV)
	must(vs.Leave(ctx, sys, v.leaderTeam, v.childV))
	join(v.childTeam, v.childV)
	consent := func(vid int64) int64 {
		t.Helper()
		out, err := vs.AddConsent(ctx, sys, vid, "publicity", nil)
		must(err)
		return out.Consents[len(out.Consents)-1].ID
	}
	for i, role := range demoRoles {
		ids := fresh[role]
		fr := &volFresh{regAPI: ids[0], regWeb: ids[1], regChild: ids[6], teamName: "新队" + role, pageTeam: "页队" + role,
			orgName: "新单位" + role, skill: fmt.Sprintf("技能%d", i)}
		fr.joinAPI = register(volunteers.Input{ResidentID: ids[2]}).ID
		jw := register(volunteers.Input{ResidentID: ids[3]})
		fr.joinWeb, fr.joinWebNumber = jw.ID, jw.Number
		fr.leaveAPI = register(volunteers.Input{ResidentID: ids[4]}).ID
		fr.leaveWeb = register(volunteers.Input{ResidentID: ids[5]}).ID
		join(v.leaderTeam, fr.leaveAPI)
		join(v.leaderTeam, fr.leaveWeb)
		for name, p := range map[string]*int64{"童队甲" + role: &fr.childAPI, "童队乙" + role: &fr.childWeb} {
			tm, err := vs.CreateTeam(ctx, sys, f.cid, volunteers.TeamInput{Name: name})
			must(err)
			*p = tm.ID
		}
		fr.adultAPI, fr.adultWeb = consent(v.adultV), consent(v.adultV)
		fr.childCAPI, fr.childCWeb = consent(v.childV), consent(v.childV)
		v.fresh[role] = fr
	}
	return v
}

// volunteerMatrix returns, for one role, the calls of every volunteer
// route.
func (f *fixture) volunteerMatrix(role string) map[string][]call {
	v := f.vol
	fr := v.fresh[role]
	if fr == nil { // signed out: any role's things will do
		fr = v.fresh["admin"]
	}
	r := rights{role}
	office := role == string(accounts.Admin) || role == string(accounts.Worker)
	grid := role == string(accounts.Grid)
	leader := role == string(accounts.Leader)
	guardian := role == string(accounts.Volunteer) // the child's guardian
	member := r.policy(policy.VolunteersRead)      // any role of the community

	adultName := registrytest.CanaryName
	childName := registrytest.CanaryChild
	maskedChild := volunteers.MaskChildName(childName)
	maskedPhone := idcard.MaskPhone(registrytest.CanaryPhone)

	seeAdult := office || grid || leader // the leader: a current member of their team
	seeChild := office || guardian       // the full name; not the leader: the child left
	gridChild := grid                    // the masked name
	adult := when(seeAdult, adultName)
	adultMust := append(slices.Clone(adult), when(office || leader, maskedPhone)...)
	child := when(seeChild, childName)
	childMust := append(slices.Clone(child), when(gridChild, maskedChild)...)
	// A grid worker sees a child's name masked only.
	gridNot := when(grid, childName)
	reads := b2i(seeChild) // one child.view or one child.list for a read showing the child

	api := func(p string) string { return "/api/v1" + p }
	vol := func(id int64) string { return fmt.Sprintf("/volunteers/%d", id) }
	team := func(id int64) string { return fmt.Sprintf("/teams/%d", id) }
	org := func(id int64) string { return fmt.Sprintf("/organisations/%d", id) }
	const reason = "通知活动"
	n := f.sequence[role]
	notYours := 0 // registering someone else: the office is told why
	if member && !office {
		notYours = 404
	}

	lists := func(prefix string) []call {
		return []call{
			{method: "GET", path: prefix, ok: member, may: append(adult, child...), must: append(adultMust, childMust...), not: gridNot, reads: reads},
			{method: "GET", path: prefix + "?q=" + url.QueryEscape(adultName), ok: member, may: append([]string{adultName}, adult...), must: adult},
			// Stored children's names are masked: a child is found by number only.
			{method: "GET", path: prefix + "?q=" + url.QueryEscape(childName), ok: member, may: []string{childName}},
			{method: "GET", path: prefix + "?q=" + registrytest.CanaryPhone, ok: member, may: []string{registrytest.CanaryPhone}},
			{method: "GET", path: fmt.Sprintf("%s?team=%d", prefix, v.childTeam), ok: member, may: child, must: childMust, not: gridNot, reads: reads},
			// The child's past membership does not put it in the list.
			{method: "GET", path: fmt.Sprintf("%s?team=%d", prefix, v.leaderTeam), ok: member, may: adult, must: adultMust, not: gridNot},
		}
	}
	profiles := func(prefix string) []call {
		return []call{
			{method: "GET", path: prefix + vol(v.adultV), ok: seeAdult, may: adult, must: adultMust, not: gridNot},
			{method: "GET", path: prefix + vol(v.childV), ok: seeChild || gridChild, may: child, must: childMust, not: gridNot, reads: reads},
			{method: "GET", path: prefix + vol(v.guardianV), ok: office || grid || guardian, must: when(office || grid || guardian, guardianName)},
			// A child too (12): its guardian withdrew their consent and no
			// longer sees it.
			{method: "GET", path: prefix + vol(v.lapsedV), ok: office || grid, reads: b2i(office)},
			{method: "GET", path: prefix + vol(999999)},
		}
	}
	// What a guardian's household page may show: the child's name, from the
	// registry, to sign it up (not audited: it is not the volunteer record).
	family := when(guardian, childName)

	m := map[string][]call{
		// The API.
		"GET /api/v1/volunteers":      lists(api("/volunteers")),
		"GET /api/v1/volunteers/{id}": profiles(api("")),
		"POST /api/v1/volunteers": {
			{method: "POST", path: api("/volunteers"), json: map[string]any{"resident_id": fr.regAPI, "consent": map[string]any{"general": true}}, ok: office},
			// Someone else's registration, or one that exists, names no one;
			// to anyone but the office, someone who moved out or never lived
			// here is just as unknown (not an invalid id: no oracle).
			{method: "POST", path: api("/volunteers"), json: map[string]any{"resident_id": f.adult, "consent": map[string]any{"general": true}},
				status: notYours},
			{method: "POST", path: api("/volunteers"), json: map[string]any{"resident_id": v.movedOut, "consent": map[string]any{"general": true}},
				status: notYours},
			{method: "POST", path: api("/volunteers"), json: map[string]any{"resident_id": 999999, "consent": map[string]any{"general": true}},
				status: notYours},
			{method: "POST", path: api("/volunteers"), json: map[string]any{"resident_id": f.child, "consent": map[string]any{"general": true},
				"guardian": map[string]any{"resident_id": v.guardian, "relation": "父亲"}}},
		},
		"PATCH /api/v1/volunteers/{id}": {
			{method: "PATCH", path: api(vol(v.adultV)), json: map[string]any{"skills_other": "修水管"}, ok: office, may: when(office, adultName), must: when(office, adultName, maskedPhone)},
			{method: "PATCH", path: api(vol(v.childV)), json: map[string]any{"skills_other": "画画"}, ok: seeChild, may: child, must: child, reads: reads},
		},
		"POST /api/v1/volunteers/{id}/reveal": {
			{method: "POST", path: api(vol(v.adultV) + "/reveal"), json: map[string]string{"field": "phone", "reason": reason}, ok: office || leader,
				may: when(office || leader, registrytest.CanaryPhone), must: when(office || leader, registrytest.CanaryPhone), reads: b2i(office || leader)},
			// A reason is required; only the phone is revealed.
			{method: "POST", path: api(vol(v.adultV) + "/reveal"), json: map[string]string{"field": "phone"}},
			{method: "POST", path: api(vol(v.adultV) + "/reveal"), json: map[string]string{"field": "phone", "reason": " "}},
			{method: "POST", path: api(vol(v.adultV) + "/reveal"), json: map[string]string{"field": "id_number", "reason": reason}},
			// The child has no phone; the office may still look, audited. The
			// leader no longer leads the child; the guardian has no reveal.
			{method: "POST", path: api(vol(v.childV) + "/reveal"), json: map[string]string{"field": "phone", "reason": reason}, ok: office, reads: b2i(office)},
		},
		"POST /api/v1/volunteers/{id}/consents": {
			{method: "POST", path: api(vol(v.adultV) + "/consents"), json: map[string]any{"kind": "publicity"}, ok: office, may: when(office, adultName), must: when(office, adultName)},
			{method: "POST", path: api(vol(v.childV) + "/consents"), json: map[string]any{"kind": "publicity"}, ok: seeChild, may: child, must: child, reads: reads},
		},
		"POST /api/v1/volunteers/{id}/consents/{consent}/withdraw": {
			{method: "POST", path: api(fmt.Sprintf("%s/consents/%d/withdraw", vol(v.adultV), fr.adultAPI)), ok: office, may: when(office, adultName), must: when(office, adultName)},
			{method: "POST", path: api(fmt.Sprintf("%s/consents/%d/withdraw", vol(v.childV), fr.childCAPI)), ok: seeChild, may: child, must: child, reads: reads},
		},
		"GET /api/v1/me/volunteer":    {{method: "GET", path: api("/me/volunteer"), ok: guardian, must: when(guardian, guardianName)}},
		"GET /api/v1/volunteer-rules": {{method: "GET", path: api("/volunteer-rules"), ok: member}},
		"PUT /api/v1/volunteer-rules": {{method: "PUT", path: api("/volunteer-rules"), json: volunteers.DefaultAgeRules, ok: office}},
		"GET /api/v1/skills":          {{method: "GET", path: api("/skills"), ok: member}},
		"POST /api/v1/skills":         {{method: "POST", path: api("/skills"), json: map[string]string{"name": fr.skill}, ok: office}},
		"GET /api/v1/teams":           {{method: "GET", path: api("/teams"), ok: member}},
		"POST /api/v1/teams":          {{method: "POST", path: api("/teams"), json: map[string]string{"name": fr.teamName}, ok: office}},
		"GET /api/v1/teams/{id}": {
			{method: "GET", path: api(team(v.leaderTeam)), ok: member},
			{method: "GET", path: api(team(v.childTeam)), ok: member},
			{method: "GET", path: api(team(999999))},
		},
		"PATCH /api/v1/teams/{id}": {{method: "PATCH", path: api(team(v.spareTeam)), json: map[string]string{"name": fmt.Sprintf("备用队%d", n)}, ok: office}},
		"POST /api/v1/teams/{id}/members": {
			// The office and the team's leader add any volunteer of the
			// community (that is how one becomes their member); the answer
			// is the membership, which names no one.
			{method: "POST", path: api(team(v.leaderTeam) + "/members"), json: map[string]any{"volunteer_id": fr.joinAPI}, ok: office || leader},
			{method: "POST", path: api(team(v.leaderTeam) + "/members"), json: map[string]any{"volunteer_id": v.adultV}}, // a member already
			// A guardian adds their child; no one adds a minor without a guardian's consent.
			{method: "POST", path: api(team(fr.childAPI) + "/members"), json: map[string]any{"volunteer_id": v.childV}, ok: seeChild},
			{method: "POST", path: api(team(v.leaderTeam) + "/members"), json: map[string]any{"volunteer_id": v.lapsedV}},
		},
		"DELETE /api/v1/teams/{id}/members/{volunteer}": {
			{method: "DELETE", path: api(fmt.Sprintf("%s/members/%d", team(v.leaderTeam), fr.leaveAPI)), ok: office || leader},
			{method: "DELETE", path: api(fmt.Sprintf("%s/members/%d", team(v.childTeam), v.adultV))}, // not a member there
		},
		"GET /api/v1/organisations": {{method: "GET", path: api("/organisations"), ok: r.policy(policy.OrgsRead),
			not: when(role == string(accounts.Partner), v.otherOrgName)}},
		"POST /api/v1/organisations": {{method: "POST", path: api("/organisations"), json: map[string]string{"name": fr.orgName, "kind": "school"}, ok: office}},
		"GET /api/v1/organisations/{id}": {
			{method: "GET", path: api(org(v.ownOrg)), ok: r.policy(policy.OrgsRead)},
			{method: "GET", path: api(org(v.otherOrg)), ok: office || grid},
		},
		"PATCH /api/v1/organisations/{id}":            {{method: "PATCH", path: api(org(v.spareOrg)), json: map[string]string{"name": fmt.Sprintf("备用单位%d", n), "kind": "school"}, ok: office}},
		"POST /api/v1/organisations/{id}/commitments": {{method: "POST", path: api(org(v.ownOrg) + "/commitments"), json: map[string]any{"year": 2026, "text": "承诺" + role}, ok: office}},

		// The pages.
		"GET /teams":  {{method: "GET", path: "/teams", ok: member}},
		"POST /teams": {{method: "POST", path: "/teams", form: url.Values{"name": {fr.pageTeam}}, ok: office}},
		"GET /teams/{id}": {
			{method: "GET", path: team(v.leaderTeam), ok: member, may: append(adult, family...), must: adultMust, not: gridNot},
			{method: "GET", path: team(v.childTeam), ok: member, may: child, must: childMust, not: gridNot, reads: reads},
		},
		"POST /teams/{id}/members": {
			// By number: the office and the leader add anyone of the community.
			{method: "POST", path: team(v.leaderTeam) + "/members", form: url.Values{"number": {fr.joinWebNumber}}, ok: office || leader,
				may: append(when(leader, adultName), family...)},
			{method: "POST", path: team(fr.childWeb) + "/members", form: url.Values{"volunteer_id": {fmt.Sprint(v.childV)}}, ok: seeChild},
			{method: "POST", path: team(v.leaderTeam) + "/members", form: url.Values{"volunteer_id": {fmt.Sprint(v.lapsedV)}},
				may: append(when(office || leader, adultName), family...)},
		},
		"POST /teams/{id}/members/{volunteer}/leave": {
			{method: "POST", path: fmt.Sprintf("%s/members/%d/leave", team(v.leaderTeam), fr.leaveWeb), ok: office || leader},
			{method: "POST", path: fmt.Sprintf("%s/members/%d/leave", team(fr.childWeb), v.childV), ok: seeChild}, // joined just before
		},
		"GET /volunteers": lists("/volunteers"),
		"GET /volunteers/new": {
			{method: "GET", path: fmt.Sprintf("/volunteers/new?resident=%d", fr.regWeb), ok: office, reads: b2i(office)},
			// The office's form opens the child's registry record (masked)
			// and asks for a guardian among the flat's adults; the
			// guardian's names the child of their household.
			{method: "GET", path: fmt.Sprintf("/volunteers/new?resident=%d", f.child), ok: office || guardian, may: family,
				must: append(when(office || guardian, `name="guardian_id"`, guardianName), family...), reads: b2i(office)},
			{method: "GET", path: fmt.Sprintf("/volunteers/new?resident=%d", fr.regChild), ok: office || guardian,
				must: append(when(office || guardian, `name="guardian_id"`, guardianName), when(office, motherName)...), reads: b2i(office)},
			{method: "GET", path: fmt.Sprintf("/volunteers/new?resident=%d", f.adult), ok: office, may: when(office, adultName), reads: b2i(office)},
		},
		"POST /volunteers": {
			{method: "POST", path: "/volunteers", form: url.Values{"resident_id": {fmt.Sprint(fr.regWeb)}, "consent_general": {"1"}}, ok: office},
			// A child, with its mother's consent: the office (the profile
			// opened after, audited); not its father, who is not the one
			// consenting.
			{method: "POST", path: "/volunteers", form: url.Values{"resident_id": {fmt.Sprint(fr.regChild)}, "consent_general": {"1"},
				"guardian_id": {fmt.Sprint(v.mother)}, "relation": {"母亲"}}, ok: office, reads: b2i(office)},
			// The child is a volunteer already: the form again, for the two
			// who may register it, naming it only to its guardian.
			{method: "POST", path: "/volunteers", form: url.Values{"resident_id": {fmt.Sprint(f.child)}, "consent_general": {"1"},
				"guardian_id": {fmt.Sprint(v.guardian)}, "relation": {"父亲"}}, may: family, reads: b2i(office)},
			{method: "POST", path: "/volunteers", form: url.Values{"resident_id": {fmt.Sprint(f.adult)}, "consent_general": {"1"}}, may: when(office, adultName), reads: b2i(office)},
		},
		"GET /volunteers/{id}": profiles(""),
		"POST /volunteers/{id}/reveal": {
			{method: "POST", path: vol(v.adultV) + "/reveal", form: url.Values{"reason": {reason}}, ok: office || leader,
				may: when(office || leader, registrytest.CanaryPhone, adultName), must: when(office || leader, registrytest.CanaryPhone, adultName), reads: b2i(office || leader)},
			{method: "POST", path: vol(v.adultV) + "/reveal", form: url.Values{}, may: when(office || leader, adultName)},
			{method: "POST", path: vol(v.childV) + "/reveal", form: url.Values{"reason": {reason}}, ok: office, may: when(office, childName),
				must: when(office, childName), reads: 2 * b2i(office)}, // the reveal, and the profile shown again
		},
		"POST /volunteers/{id}/consents/{consent}/withdraw": {
			{method: "POST", path: fmt.Sprintf("%s/consents/%d/withdraw", vol(v.adultV), fr.adultWeb), ok: office},
			{method: "POST", path: fmt.Sprintf("%s/consents/%d/withdraw", vol(v.childV), fr.childCWeb), ok: seeChild, reads: reads},
		},
		"GET /me/volunteer": {{method: "GET", path: "/me/volunteer", ok: member, may: family, must: append(when(guardian, guardianName), family...), reads: b2i(guardian)}},
		"GET /organisations": {{method: "GET", path: "/organisations", ok: r.policy(policy.OrgsRead),
			not: when(role == string(accounts.Partner), v.otherOrgName)}},
		"POST /organisations/{id}/commitments": {{method: "POST", path: org(v.ownOrg) + "/commitments", form: url.Values{"year": {"2026"}, "text": {"页承诺" + role}}, ok: office}},
	}
	// Phones, even masked, only to the office and the leader; and no
	// registry field a volunteer route never shows.
	for k, cs := range m {
		for i := range cs {
			if !office && !leader {
				cs[i].not = append(cs[i].not, maskedPhone)
			}
			// Addresses: the office's, and a volunteer's own (the guardian's
			// flat is the child's).
			cs[i].not = append(cs[i].not, when(!office, "91号楼1单元101")...)
			cs[i].not = append(cs[i].not, when(!office && !guardian, "92号楼1单元101")...)
			if !grid {
				// Who sees the child at all sees its name; the others nothing.
				cs[i].not = append(cs[i].not, maskedChild)
			}
			cs[i].not = append(cs[i].not, registrytest.CanaryID, registrytest.CanaryNote, registrytest.CanaryBirth)
		}
		m[k] = cs
	}
	return m
}

// checkVolunteerAudit: every volunteer reveal is audited with the phone
// and its reason; every child read names the children read, and only
// children (the child canary, the 12-year-old whose consent lapsed, the
// ones the office registers).
func checkVolunteerAudit(t *testing.T, s *server.Server, f *fixture) {
	t.Helper()
	ctx := context.Background()
	list := func(action string) []audit.Entry {
		es, _, err := audit.List(ctx, s.DB, audit.Filter{Action: action, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	reveals := list("volunteer.reveal")
	if len(reveals) == 0 {
		t.Error("no volunteer reveal audited")
	}
	for _, e := range reveals {
		if e.Detail != "通知活动" || !slices.Equal(e.Fields, []string{"phone"}) || e.ObjectType != "volunteer" {
			t.Errorf("volunteer reveal entry %+v", e)
		}
	}
	var children []string
	rows, err := s.DB.Query(ctx, `SELECT v.id FROM volunteers v JOIN residents r ON r.id = v.resident_id WHERE r.child = ?`, true)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		children = append(children, fmt.Sprint(id))
	}
	rows.Close()
	if !slices.Contains(children, fmt.Sprint(f.vol.childV)) {
		t.Fatalf("children %v lack the canary", children)
	}
	var views, lists int
	for _, e := range list("child.view") {
		if e.ObjectType != "volunteer" {
			continue // the registry's
		}
		views++
		if !slices.Contains(children, e.ObjectID) {
			t.Errorf("child.view of %s, not a child", e.ObjectID)
		}
	}
	for _, e := range list("child.list") {
		lists++
		ids := strings.Split(e.ObjectID, ",")
		if e.ObjectType != "volunteers" || !slices.Contains(ids, fmt.Sprint(f.vol.childV)) {
			t.Errorf("child.list entry %+v does not name the child canary", e)
		}
		for _, id := range ids {
			if !slices.Contains(children, id) {
				t.Errorf("child.list entry %+v names %s, not a child", e, id)
			}
		}
	}
	if views == 0 || lists == 0 {
		t.Errorf("child reads audited: %d views, %d lists", views, lists)
	}
}

// checkVolunteerWrites: the writes of the matrix happened exactly for the
// roles that may make them; a refused call wrote nothing (a status is not
// enough: a registration answered 404 may still have been stored).
func checkVolunteerWrites(t *testing.T, s *server.Server, f *fixture) {
	t.Helper()
	ctx := context.Background()
	v := f.vol
	count := func(q string, args ...any) bool {
		t.Helper()
		var n int
		if err := s.DB.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	registered := func(rid int64) bool { return count(`SELECT count(*) FROM volunteers WHERE resident_id = ?`, rid) }
	current := func(team, vid int64) bool {
		return count(`SELECT count(*) FROM team_members WHERE team_id = ? AND volunteer_id = ? AND left_on IS NULL`, team, vid)
	}
	ever := func(team, vid int64) bool {
		return count(`SELECT count(*) FROM team_members WHERE team_id = ? AND volunteer_id = ?`, team, vid)
	}
	withdrawn := func(id int64) bool {
		return count(`SELECT count(*) FROM consents WHERE id = ? AND withdrawn_at IS NOT NULL`, id)
	}
	named := func(table, name string) bool { return count(`SELECT count(*) FROM `+table+` WHERE name = ?`, name) }
	for _, role := range demoRoles {
		fr := v.fresh[role]
		office := role == "admin" || role == "worker"
		leads := office || role == "leader"
		guardian := office || role == "volunteer"
		for what, c := range map[string][2]bool{
			"registered (API)":             {registered(fr.regAPI), office},
			"registered (page)":            {registered(fr.regWeb), office},
			"child registered (page)":      {registered(fr.regChild), office},
			"added (API)":                  {current(v.leaderTeam, fr.joinAPI), leads},
			"added (page)":                 {current(v.leaderTeam, fr.joinWeb), leads},
			"still in the team (API)":      {current(v.leaderTeam, fr.leaveAPI), !leads},
			"still in the team (page)":     {current(v.leaderTeam, fr.leaveWeb), !leads},
			"adult's consent withdrawn":    {withdrawn(fr.adultAPI) && withdrawn(fr.adultWeb), office},
			"child's consent withdrawn":    {withdrawn(fr.childCAPI) && withdrawn(fr.childCWeb), guardian},
			"child in a team (API)":        {current(fr.childAPI, v.childV), guardian},
			"child joined and left (page)": {ever(fr.childWeb, v.childV) && !current(fr.childWeb, v.childV), guardian},
			"team created":                 {named("teams", fr.teamName) && named("teams", fr.pageTeam), office},
			"organisation created":         {named("organisations", fr.orgName), office},
			"skill added":                  {named("skills", fr.skill), office},
		} {
			if c[0] != c[1] {
				t.Errorf("%s: %s = %v, want %v", role, what, c[0], c[1])
			}
		}
	}
	if ever(v.leaderTeam, v.lapsedV) {
		t.Error("a minor without a guardian's consent joined a team")
	}
}
