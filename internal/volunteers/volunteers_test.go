package volunteers_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/registry/registrytest"
	"github.com/linli/linli/internal/secret"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
	"github.com/linli/linli/internal/volunteers"
)

const parentPhone = "13811112222"

// world is fixture community A with a small registry: a family (the
// fixture resident's account is the mother; children of 4, 9, 12 and 16)
// and a neighbour household with one adult.
type world struct {
	*fixture.World
	d                        *db.DB
	reg                      *registry.Service
	vol                      *volunteers.Service
	mother, c4, c9, c12, c16 int64
	neighbour                int64
	office                   *accounts.Principal
	kidsTeam, plainTeam      int64
}

func setup(t *testing.T, d *db.DB) *world {
	t.Helper()
	f := fixture.New(t, d)
	keys, err := secret.New([]byte(strings.Repeat("v", 40)))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{World: f, d: d, reg: registry.New(d, keys, f.Clock)}
	w.vol = volunteers.New(d, keys, f.Clock, w.reg, f.Accounts)
	w.office = f.A.Worker.Principal()
	ctx := context.Background()
	now := f.Clock.Now()
	born := func(years int, day int) string { return now.AddDate(-years, 0, -day).Format("20060102") }
	err = d.InTx(ctx, func(tx *db.Tx) error {
		if err := registry.EnsureDefaultTags(ctx, tx, f.A.ID, now); err != nil {
			return err
		}
		l := w.reg.NewLoader(tx, f.A.ID)
		b, err := l.Building(ctx, registry.Place{Estate: "平安小区", Building: "1", GridID: f.A.GridID})
		if err != nil {
			return err
		}
		h1, err := l.Household(ctx, b, "1", "101", "")
		if err != nil {
			return err
		}
		h2, err := l.Household(ctx, b, "1", "102", "")
		if err != nil {
			return err
		}
		add := func(h int64, name, birth, seq, rel, phone string) int64 {
			id, _, e := l.Resident(ctx, registry.Input{HouseholdID: h, Name: name, IDNumber: registrytest.MakeID("130104", birth, seq), Relation: rel, Phone: phone}, time.Time{})
			if e != nil && err == nil {
				err = fmt.Errorf("%s: %w", name, e)
			}
			return id
		}
		w.mother = add(h1, "刘芳", born(38, 10), "222", "户主", parentPhone)
		w.c4 = add(h1, "刘小四", born(4, 10), "331", "子女", "")
		w.c9 = add(h1, "刘小嘉", born(9, 10), "341", "子女", "")
		w.c12 = add(h1, "刘一二", born(12, 10), "351", "子女", "")
		w.c16 = add(h1, "刘十六", born(16, 10), "361", "子女", "13811113333")
		w.neighbour = add(h2, "张建国", born(60, 3), "113", "户主", "13822224444")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The fixture resident's account is the mother's.
	if _, err := d.Exec(ctx, `UPDATE residents SET account_id = ? WHERE id = ?`, f.A.Resident.Account.ID, w.mother); err != nil {
		t.Fatal(err)
	}
	for _, sk := range []string{"家电维修", "绘画", "手机教学"} {
		if err := w.vol.AddSkill(ctx, w.office, f.A.ID, sk); err != nil {
			t.Fatal(err)
		}
	}
	five, fourteen := 5, 14
	w.kidsTeam = f.A.TeamID // 五彩益童心梦
	if _, err := w.vol.UpdateTeam(ctx, w.office, w.kidsTeam, volunteers.TeamInput{Name: "五彩益童心梦", Category: "children", MinAge: &five, MaxAge: &fourteen}); err != nil {
		t.Fatal(err)
	}
	team, err := w.vol.CreateTeam(ctx, w.office, f.A.ID, volunteers.TeamInput{Name: "社区能人先锋队", Category: "convenience"})
	if err != nil {
		t.Fatal(err)
	}
	w.plainTeam = team.ID
	return w
}

func (w *world) register(t *testing.T, actor *accounts.Principal, in volunteers.Input) *volunteers.Volunteer {
	t.Helper()
	v, err := w.vol.Register(context.Background(), actor, w.A.ID, in)
	if err != nil {
		t.Fatalf("register %+v: %v", in, err)
	}
	return v
}

func guardian(rid int64) *volunteers.GuardianInput {
	return &volunteers.GuardianInput{ResidentID: rid, Relation: "母亲", Scope: "五彩益童心梦 2026 年活动"}
}

func wantCode(t *testing.T, what string, err error, code apperr.Code, field string) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
	if field == "" {
		return
	}
	if _, ok := apperr.From(err).Fields[field]; ok {
		return
	}
	t.Fatalf("%s: no error on field %q in %+v", what, field, apperr.From(err).Fields)
}

func TestRegisterAResidentAndWhoSeesWhat(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		v := w.register(t, w.office, volunteers.Input{ResidentID: w.neighbour, Skills: []string{"家电维修"}, SkillsOther: "修自行车",
			Categories: []string{"convenience", "elderly"}, Availability: []string{"sat_am", "sun_pm"}, Grids: []int{1},
			Consent: volunteers.ConsentInput{General: true, GivenBy: "张建国本人"}})
		if !strings.HasPrefix(v.Number, strings.ToUpper(w.A.Code)+"-V0000") || v.Name != "张建国" || v.Age != 60 || v.Via != volunteers.ViaWorker {
			t.Fatalf("registered: %+v", v)
		}
		if v.Phone != "138****4444" || len(v.Consents) != 1 || v.Consents[0].GivenBy != "张建国本人" {
			t.Errorf("office view: phone %q consents %+v", v.Phone, v.Consents)
		}
		if fmt.Sprint(v.Skills, v.Categories, v.Availability, v.Grids) != "[家电维修] [convenience elderly] [sat_am sun_pm] [1]" {
			t.Errorf("profile: %v %v %v %v", v.Skills, v.Categories, v.Availability, v.Grids)
		}
		// The grid worker sees the name and skills, no phone, no consents.
		g, err := w.vol.Get(ctx, w.A.Grid.Principal(), v.ID)
		if err != nil || g.Phone != "" || g.Consents != nil || g.Name != "张建国" {
			t.Errorf("grid view: %+v, %v", g, err)
		}
		// A volunteer, a resident and a partner of A, and B's worker see nothing.
		for _, p := range []*accounts.Principal{w.A.Volunteer.Principal(), w.A.Resident.Principal(), w.A.Partner.Principal(), w.B.Worker.Principal()} {
			if _, err := w.vol.Get(ctx, p, v.ID); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("%s: get: %v, want not found", p.Username, err)
			}
		}
		list, total, err := w.vol.List(ctx, w.A.Volunteer.Principal(), volunteers.Filter{CommunityID: w.A.ID})
		if err != nil || total != 0 || len(list) != 0 {
			t.Errorf("volunteer lists others: %d %v", total, err)
		}
		// Registering the same resident twice is a conflict.
		_, err = w.vol.Register(ctx, w.office, w.A.ID, volunteers.Input{ResidentID: w.neighbour, Consent: volunteers.ConsentInput{General: true}})
		wantCode(t, "twice", err, apperr.Conflict, "")
		// Bad input is refused field by field and writes nothing.
		_, err = w.vol.Register(ctx, w.office, w.A.ID, volunteers.Input{ResidentID: w.mother, Skills: []string{"开飞机"},
			Categories: []string{"nope"}, Availability: []string{"mon_night"}, Grids: []int{9}})
		for _, f := range []string{"skills", "categories", "availability", "grids", "consent.general"} {
			wantCode(t, "bad profile", err, apperr.Invalid, f)
		}
		var n int
		d.QueryRow(ctx, `SELECT count(*) FROM volunteers`).Scan(&n)
		if n != 1 {
			t.Errorf("%d volunteers after a refused registration, want 1", n)
		}
	})
}

func TestChildrenNeedAGuardianAndFitTheAgeRange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		consent := volunteers.ConsentInput{General: true}
		// No guardian, the child as their own guardian, a minor as guardian.
		_, err := w.vol.Register(ctx, w.office, w.A.ID, volunteers.Input{ResidentID: w.c9, Consent: consent})
		wantCode(t, "no guardian", err, apperr.Invalid, "guardian")
		_, err = w.vol.Register(ctx, w.office, w.A.ID, volunteers.Input{ResidentID: w.c9, Consent: consent, Guardian: guardian(w.c9)})
		wantCode(t, "self guardian", err, apperr.Invalid, "guardian.resident_id")
		_, err = w.vol.Register(ctx, w.office, w.A.ID, volunteers.Input{ResidentID: w.c9, Consent: consent, Guardian: guardian(w.c16)})
		wantCode(t, "minor guardian", err, apperr.Invalid, "guardian.resident_id")

		// The mother signs her 9-year-old up herself, as guardian.
		mum := w.A.Resident.Principal()
		kid := w.register(t, mum, volunteers.Input{ResidentID: w.c9, Consent: consent, Guardian: guardian(w.mother)})
		if kid.Via != volunteers.ViaGuardian || !kid.Child || !kid.Minor || kid.Guardian == nil || kid.Guardian.Name != "刘芳" || kid.Guardian.Phone != "138****2222" {
			t.Fatalf("child registered by guardian: %+v guardian %+v", kid, kid.Guardian)
		}
		// She cannot sign up a neighbour's adult, nor an unrelated child.
		_, err = w.vol.Register(ctx, mum, w.A.ID, volunteers.Input{ResidentID: w.neighbour, Consent: consent})
		wantCode(t, "neighbour", err, apperr.NotFound, "")

		// The children's team takes 5-14: the 9-year-old joins, accompanied.
		tr, err := w.vol.Join(ctx, mum, w.kidsTeam, kid.ID, "")
		if err != nil || !tr.Accompanied {
			t.Fatalf("join children's team: %+v, %v", tr, err)
		}
		// The 4-year-old is outside the team's range, the 16-year-old too.
		c4 := w.register(t, w.office, volunteers.Input{ResidentID: w.c4, Consent: consent, Guardian: guardian(w.mother)})
		_, err = w.vol.Join(ctx, w.office, w.kidsTeam, c4.ID, "")
		wantCode(t, "4-year-old", err, apperr.Invalid, "")
		c16 := w.register(t, w.office, volunteers.Input{ResidentID: w.c16, Consent: consent, Guardian: guardian(w.mother)})
		_, err = w.vol.Join(ctx, w.office, w.kidsTeam, c16.ID, "")
		wantCode(t, "16 in the children's team", err, apperr.Invalid, "")
		// A team without its own range applies the community minimum (6).
		if _, err := w.vol.Join(ctx, w.office, w.plainTeam, c4.ID, ""); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("4-year-old in a team without range: %v", err)
		}
		if tr, err := w.vol.Join(ctx, w.office, w.plainTeam, c16.ID, ""); err != nil || tr.Accompanied {
			t.Errorf("16-year-old in the repair team: %+v %v", tr, err)
		}
		// A minor may not lead.
		if _, err := w.vol.Join(ctx, w.office, w.kidsTeam, kid.ID, volunteers.RoleLeader); !apperr.Is(err, apperr.Conflict) && !apperr.Is(err, apperr.Invalid) {
			t.Errorf("child as leader: %v", err)
		}
		// Reading the child's profile is audited.
		if _, err := w.vol.Get(ctx, w.office, kid.ID); err != nil {
			t.Fatal(err)
		}
		entries, _, err := audit.List(ctx, d, audit.Filter{Action: "child.view"})
		if err != nil || len(entries) < 2 {
			t.Errorf("child.view entries: %d, %v", len(entries), err)
		}
		// Withdrawing the guardian's consent ends the memberships, and the
		// child cannot join again until a guardian consents anew.
		var gid int64
		for _, c := range kid.Consents {
			if c.Kind == "guardian" {
				gid = c.ID
			}
		}
		if after, err := w.vol.WithdrawConsent(ctx, mum, kid.ID, gid); err != nil || after != nil {
			t.Fatalf("withdrawal: %+v, %v; want the guardian to lose sight of the record", after, err)
		}
		after, err := w.vol.Get(ctx, w.office, kid.ID)
		if err != nil || len(after.Teams) != 0 || after.Guardian != nil {
			t.Fatalf("after withdrawal: teams %+v guardian %+v, %v", after.Teams, after.Guardian, err)
		}
		_, err = w.vol.Join(ctx, w.office, w.kidsTeam, kid.ID, "")
		wantCode(t, "join without guardian consent", err, apperr.Invalid, "")
		if apperr.From(err).Key != "volunteer.guardian.consent_missing" {
			t.Errorf("reason: %s", apperr.From(err).Key)
		}
	})
}

func TestLeaderSeesOwnMembersOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		consent := volunteers.ConsentInput{General: true}
		kid := w.register(t, w.office, volunteers.Input{ResidentID: w.c12, Consent: consent, Guardian: guardian(w.mother)})
		other := w.register(t, w.office, volunteers.Input{ResidentID: w.neighbour, Consent: consent})
		if _, err := w.vol.Join(ctx, w.office, w.kidsTeam, kid.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := w.vol.Join(ctx, w.office, w.plainTeam, other.ID, ""); err != nil {
			t.Fatal(err)
		}
		leader := w.A.Leader.Principal() // leads the children's team
		list, total, err := w.vol.List(ctx, leader, volunteers.Filter{CommunityID: w.A.ID})
		if err != nil || total != 1 || list[0].ID != kid.ID || list[0].Name != "刘一二" || list[0].Age != 12 {
			t.Fatalf("leader's list: %d %+v %v", total, list, err)
		}
		if list[0].Address != "" || list[0].Consents != nil {
			t.Errorf("leader sees more than names and ages: %+v", list[0])
		}
		if _, err := w.vol.Get(ctx, leader, other.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("leader opens a non-member: %v", err)
		}
		if _, err := w.vol.Reveal(ctx, leader, other.ID, "phone", "联系活动"); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("leader reveals a non-member: %v", err)
		}
		// The neighbour's phone, revealed by the office; the leader cannot
		// manage another team.
		if p, err := w.vol.Reveal(ctx, w.office, other.ID, "phone", "派单联系"); err != nil || p != "13822224444" {
			t.Errorf("office reveal: %q %v", p, err)
		}
		if _, err := w.vol.Join(ctx, leader, w.plainTeam, kid.ID, ""); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("leader adds to another team: %v", err)
		}
		if _, err := w.vol.Reveal(ctx, leader, kid.ID, "phone", ""); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("reveal without reason: %v", err)
		}
		entries, _, _ := audit.List(ctx, d, audit.Filter{Action: "child.list"})
		if len(entries) != 1 || entries[0].ObjectID != fmt.Sprint(kid.ID) {
			t.Errorf("child.list audit: %+v", entries)
		}
	})
}

func TestOutsideAdultIsSealed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		id := registrytest.MakeID("130102", "19800101", "457")
		p := &volunteers.Person{Name: "王老师", Gender: "女", Phone: "13966667777", IDNumber: id}
		v := w.register(t, w.office, volunteers.Input{Person: p, Consent: volunteers.ConsentInput{General: true, Publicity: true}})
		if v.Name != "王老师" || v.Age != 45 || v.Phone != "139****7777" || len(v.Consents) != 2 {
			t.Fatalf("outside adult: %+v", v)
		}
		var raw string
		d.QueryRow(ctx, `SELECT name || phone_enc || phone_bidx || id_enc || id_bidx FROM volunteers WHERE id = ?`, v.ID).Scan(&raw)
		if strings.Contains(raw, "13966667777") || strings.Contains(raw, id) {
			t.Error("outside adult's phone or ID stored in the clear")
		}
		_, err := w.vol.Register(ctx, w.office, w.A.ID, volunteers.Input{Person: &volunteers.Person{Name: "王二", Phone: "13966667778", IDNumber: id}, Consent: volunteers.ConsentInput{General: true}})
		wantCode(t, "same ID", err, apperr.Conflict, "")
		kidID := registrytest.MakeID("130102", w.Clock.Now().AddDate(-10, 0, 0).Format("20060102"), "458")
		_, err = w.vol.Register(ctx, w.office, w.A.ID, volunteers.Input{Person: &volunteers.Person{Name: "外来童", Phone: "13966667779", IDNumber: kidID}, Consent: volunteers.ConsentInput{General: true}})
		wantCode(t, "outside child", err, apperr.Invalid, "person")
	})
}

func TestNumbersAreUniqueUnderConcurrentRegistration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		const n = 16
		var wg sync.WaitGroup
		errs := make(chan error, n)
		nums := make(chan string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := &volunteers.Person{Name: fmt.Sprintf("外来%02d", i), BirthDate: "1990-01-01", Phone: fmt.Sprintf("139000000%02d", i)}
				v, err := w.vol.Register(ctx, w.office, w.A.ID, volunteers.Input{Person: p, Consent: volunteers.ConsentInput{General: true}})
				if err != nil {
					errs <- err
					return
				}
				nums <- v.Number
			}()
		}
		// Two registrations of the same resident race: one wins.
		var conflicts int
		var mu sync.Mutex
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := w.vol.Register(ctx, w.office, w.A.ID, volunteers.Input{ResidentID: w.neighbour, Consent: volunteers.ConsentInput{General: true}})
				mu.Lock()
				defer mu.Unlock()
				if apperr.Is(err, apperr.Conflict) {
					conflicts++
				} else if err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		close(nums)
		for err := range errs {
			t.Error(err)
		}
		seen := map[string]bool{}
		for num := range nums {
			if seen[num] {
				t.Errorf("number %s issued twice", num)
			}
			seen[num] = true
		}
		var count, maxSeq int
		d.QueryRow(ctx, `SELECT count(*), max(value) FROM volunteers, counters WHERE counters.name = 'volunteer'`).Scan(&count, &maxSeq)
		if len(seen) != n || conflicts != 1 || count != n+1 || maxSeq != n+1 {
			t.Errorf("numbers %d, conflicts %d, rows %d, counter %d; want %d, 1, %d, %d", len(seen), conflicts, count, maxSeq, n, n+1, n+1)
		}
	})
}

func TestOrganisationsAndTeams(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		heat, err := w.vol.CreateOrganisation(ctx, w.office, w.A.ID, volunteers.OrgInput{Name: "桥西区供热公司", Kind: "utility", ContactName: "李工", ContactPhone: "0311-86000000"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.vol.AddCommitment(ctx, w.office, heat.ID, 2025, "入冬前完成管网巡检"); err != nil {
			t.Fatal(err)
		}
		_, err = w.vol.AddCommitment(ctx, w.office, heat.ID, 1990, "")
		wantCode(t, "bad commitment", err, apperr.Invalid, "text")
		_, err = w.vol.CreateOrganisation(ctx, w.office, w.A.ID, volunteers.OrgInput{Name: "", Kind: "bank", ContactPhone: "call me"})
		for _, f := range []string{"name", "kind", "contact_phone"} {
			wantCode(t, "bad organisation", err, apperr.Invalid, f)
		}
		// A partner sees their own organisation only.
		orgs, err := w.vol.Organisations(ctx, w.A.Partner.Principal(), w.A.ID)
		if err != nil || len(orgs) != 1 || orgs[0].ID != w.A.OrgID {
			t.Errorf("partner's organisations: %+v %v", orgs, err)
		}
		if _, err := w.vol.Organisation(ctx, w.A.Partner.Principal(), heat.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("partner opens another organisation: %v", err)
		}
		all, err := w.vol.Organisations(ctx, w.office, w.A.ID)
		if err != nil || len(all) != 2 || all[1].Commitments[0].Text != "入冬前完成管网巡检" {
			t.Errorf("office's organisations: %+v %v", all, err)
		}
		// Teams: everyone in the community sees the list; only the office creates.
		teams, err := w.vol.Teams(ctx, w.A.Volunteer.Principal(), w.A.ID)
		if err != nil || len(teams) != 2 {
			t.Errorf("teams for a volunteer: %d %v", len(teams), err)
		}
		if _, err := w.vol.Teams(ctx, w.B.Volunteer.Principal(), w.A.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("B's volunteer lists A's teams: %v", err)
		}
		if _, err := w.vol.CreateTeam(ctx, w.A.Leader.Principal(), w.A.ID, volunteers.TeamInput{Name: "新队"}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("leader creates a team: %v", err)
		}
		_, err = w.vol.UpdateTeam(ctx, w.office, w.plainTeam, volunteers.TeamInput{Name: "五彩益童心梦"})
		wantCode(t, "duplicate name", err, apperr.Conflict, "")
		team, err := w.vol.UpdateTeam(ctx, w.office, w.plainTeam, volunteers.TeamInput{Name: "社区能人先锋队", Category: "convenience", Organisations: []int64{heat.ID}})
		if err != nil || len(team.Organisations) != 1 || team.Organisations[0].Name != "桥西区供热公司" {
			t.Errorf("backers: %+v %v", team, err)
		}
		// Naming a volunteer leader gives their account the leader role.
		vol := w.register(t, w.A.Resident.Principal(), volunteers.Input{ResidentID: w.mother, Consent: volunteers.ConsentInput{General: true}})
		if _, err := w.vol.Join(ctx, w.office, w.plainTeam, vol.ID, volunteers.RoleLeader); err != nil {
			t.Fatal(err)
		}
		acct, err := w.Accounts.FindAccount(ctx, w.A.Resident.Account.ID)
		if err != nil {
			t.Fatal(err)
		}
		var roles []string
		for _, g := range acct.Grants {
			roles = append(roles, string(g.Role))
		}
		if got := strings.Join(roles, ","); got != "resident,volunteer,leader" {
			t.Errorf("roles after registering and leading: %s", got)
		}
		if err := w.vol.Leave(ctx, w.office, w.plainTeam, vol.ID); err != nil {
			t.Fatal(err)
		}
		acct, _ = w.Accounts.FindAccount(ctx, w.A.Resident.Account.ID)
		if len(acct.Grants) != 2 {
			t.Errorf("grants after leaving: %+v", acct.Grants)
		}
	})
}

// A minor's consents are recorded by a guardian, or by the office from
// the guardian's form, and stored as the guardian's: never by the minor,
// whether their sign-in reaches the record through the account on it or
// through the resident their account is linked to.
func TestMinorConsentsOnlyFromTheGuardian(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		consent := volunteers.ConsentInput{General: true}
		// The 12-year-old is registered by the office; their own account
		// is linked to their resident row afterwards, so the volunteer
		// record carries no account and they reach it as that resident.
		c12 := w.register(t, w.office, volunteers.Input{ResidentID: w.c12, Consent: consent, Guardian: guardian(w.mother)})
		kid := w.Person(t, "kid12", "刘一二", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		if _, err := d.Exec(ctx, `UPDATE residents SET account_id = ? WHERE id = ?`, kid.Account.ID, w.c12); err != nil {
			t.Fatal(err)
		}
		// The 16-year-old's account is linked first, so it is on the record.
		teen := w.Person(t, "teen16", "刘十六", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		if _, err := d.Exec(ctx, `UPDATE residents SET account_id = ? WHERE id = ?`, teen.Account.ID, w.c16); err != nil {
			t.Fatal(err)
		}
		c16 := w.register(t, w.office, volunteers.Input{ResidentID: w.c16, Consent: consent, Guardian: guardian(w.mother)})
		var onRecord int64
		d.QueryRow(ctx, `SELECT COALESCE(account_id, 0) FROM volunteers WHERE id = ?`, c16.ID).Scan(&onRecord)
		if onRecord != teen.Account.ID {
			t.Fatalf("the 16-year-old's record carries account %d, want %d", onRecord, teen.Account.ID)
		}
		count := func(vid int64) int {
			var n int
			d.QueryRow(ctx, `SELECT count(*) FROM consents WHERE volunteer_id = ?`, vid).Scan(&n)
			return n
		}
		before12, before16 := count(c12.ID), count(c16.ID)
		for who, c := range map[string]struct {
			p   *accounts.Principal
			vid int64
		}{"linked through the resident": {kid.Principal(), c12.ID}, "on the record": {teen.Principal(), c16.ID}} {
			// They see their own record...
			if _, err := w.vol.Get(ctx, c.p, c.vid); err != nil {
				t.Fatalf("%s: own record: %v", who, err)
			}
			// ...but record no consent of theirs, photo or other.
			for _, kind := range []string{"photo", "publicity", "general"} {
				_, err := w.vol.AddConsent(ctx, c.p, c.vid, kind, nil)
				if !apperr.Is(err, apperr.Forbidden) || apperr.From(err).Key != "volunteer.consent.guardian_only" {
					t.Errorf("a child %s records their own %s consent: %v", who, kind, err)
				}
			}
			if _, err := w.vol.AddConsent(ctx, c.p, c.vid, "guardian", guardian(w.mother)); !apperr.Is(err, apperr.Forbidden) {
				t.Errorf("a child %s records a guardian consent: %v", who, err)
			}
		}
		// Nor does a child sign themselves up, naming their guardian: the
		// 9-year-old's account is linked to their resident row.
		nine := w.Person(t, "kid9", "刘小嘉", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		if _, err := d.Exec(ctx, `UPDATE residents SET account_id = ? WHERE id = ?`, nine.Account.ID, w.c9); err != nil {
			t.Fatal(err)
		}
		_, err := w.vol.Register(ctx, nine.Principal(), w.A.ID, volunteers.Input{ResidentID: w.c9, Consent: consent, Guardian: guardian(w.mother)})
		if !apperr.Is(err, apperr.Forbidden) || apperr.From(err).Key != "volunteer.consent.guardian_only" {
			t.Errorf("a child registers themselves with their guardian's consent: %v", err)
		}
		if n := fixture.Count(t, d, "volunteers"); n != 2 {
			t.Errorf("%d volunteers, want the two the office registered", n)
		}
		if count(c12.ID) != before12 || count(c16.ID) != before16 {
			t.Fatalf("refused consents were stored: %d→%d, %d→%d", before12, count(c12.ID), before16, count(c16.ID))
		}

		// The mother, their guardian, gives the photo consent; the office
		// records the publicity consent from her form. Both are hers.
		mum := w.A.Resident.Principal()
		if _, err := w.vol.AddConsent(ctx, mum, c12.ID, "photo", nil); err != nil {
			t.Fatalf("guardian's photo consent: %v", err)
		}
		if _, err := w.vol.AddConsent(ctx, w.office, c12.ID, "publicity", nil); err != nil {
			t.Fatalf("office records the guardian's publicity consent: %v", err)
		}
		for kind, by := range map[string]int64{"photo": mum.AccountID, "publicity": w.office.AccountID} {
			var given string
			var recorded int64
			if err := d.QueryRow(ctx, `SELECT given_by, recorded_by FROM consents WHERE volunteer_id = ? AND kind = ?`, c12.ID, kind).Scan(&given, &recorded); err != nil {
				t.Fatal(err)
			}
			if given != "guardian" || recorded != by {
				t.Errorf("%s consent: given by %q, recorded by %d, want the guardian's, recorded by %d", kind, given, recorded, by)
			}
		}

		// An adult still records their own.
		mother := w.register(t, mum, volunteers.Input{ResidentID: w.mother, Consent: consent})
		if _, err := w.vol.AddConsent(ctx, mum, mother.ID, "photo", nil); err != nil {
			t.Fatalf("an adult's own photo consent: %v", err)
		}
		var given string
		d.QueryRow(ctx, `SELECT given_by FROM consents WHERE volunteer_id = ? AND kind = 'photo'`, mother.ID).Scan(&given)
		if given != "self" {
			t.Errorf("an adult's own photo consent given by %q", given)
		}
	})
}
