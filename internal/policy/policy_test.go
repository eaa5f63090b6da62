package policy_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

// declaredActions parses policy.go and returns every constant of type
// Action with its value, so a constant added without a rule fails the test
// below even if nobody remembers to list it anywhere.
func declaredActions(t *testing.T) map[string]policy.Action {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "policy.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]policy.Action{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Action" {
				t.Fatalf("const %s in policy.go is not declared as an Action; the rule check cannot see it", vs.Names[0].Name)
			}
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("Action %s is not a string literal", name.Name)
				}
				v, _ := strconv.Unquote(lit.Value)
				out[name.Name] = policy.Action(v)
			}
		}
	}
	return out
}

func TestEveryActionHasARule(t *testing.T) {
	declared := declaredActions(t)
	if len(declared) < 10 {
		t.Fatalf("found only %d actions in policy.go: is the parser looking at the right file?", len(declared))
	}
	values := map[policy.Action]string{}
	for name, a := range declared {
		if other, dup := values[a]; dup {
			t.Errorf("%s and %s share the value %q", name, other, a)
		}
		values[a] = name
		r, ok := policy.Lookup(a)
		if !ok {
			t.Errorf("Action %s (%q) has no rule in policy.Rules", name, a)
			continue
		}
		if r.Doc == "" {
			t.Errorf("rule of %s has no Doc", name)
		}
		if r.Public && len(r.Roles) > 0 {
			t.Errorf("rule of %s is public and also lists roles", name)
		}
		for _, role := range r.Roles {
			if !role.Valid() {
				t.Errorf("rule of %s names unknown role %q", name, role)
			}
		}
	}
	for a := range policy.Rules {
		if _, ok := values[a]; !ok {
			t.Errorf("rule for %q has no Action constant in policy.go", a)
		}
	}
}

// The expected answers are written out, not derived from Rules, so that
// widening an action is a deliberate change to this table too.
func TestPermitsMatrix(t *testing.T) {
	all := []accounts.Role{accounts.Admin, accounts.Worker, accounts.Grid, accounts.Leader,
		accounts.Volunteer, accounts.Resident, accounts.Partner, accounts.Street}
	adminOnly := []accounts.Role{accounts.Admin}
	community := all[:7] // every role with a community grant; not the street
	want := map[policy.Action][]accounts.Role{
		policy.UsersList:         adminOnly,
		policy.UsersCreate:       adminOnly,
		policy.UsersUpdate:       adminOnly,
		policy.UsersGrant:        adminOnly,
		policy.CalendarEdit:      adminOnly,
		policy.AuditRead:         adminOnly,
		policy.WebhooksManage:    adminOnly,
		policy.RegistryRead:      {accounts.Admin, accounts.Worker, accounts.Grid},
		policy.RegistryEdit:      {accounts.Admin, accounts.Worker, accounts.Grid},
		policy.RegistryReveal:    {accounts.Admin, accounts.Worker, accounts.Grid},
		policy.RegistryStats:     {accounts.Admin, accounts.Worker, accounts.Grid, accounts.Street},
		policy.RegistryExport:    {accounts.Admin, accounts.Worker},
		policy.RegistryImport:    {accounts.Admin, accounts.Worker},
		policy.ErasureManage:     {accounts.Admin, accounts.Worker},
		policy.TagsManage:        adminOnly,
		policy.VolunteersRead:    community,
		policy.VolunteersEdit:    community,
		policy.VolunteersReveal:  {accounts.Admin, accounts.Worker, accounts.Leader},
		policy.VolunteerRules:    {accounts.Admin, accounts.Worker},
		policy.TeamsRead:         community,
		policy.TeamsManage:       {accounts.Admin, accounts.Worker},
		policy.TeamMembers:       community,
		policy.OrgsRead:          {accounts.Admin, accounts.Worker, accounts.Grid, accounts.Partner},
		policy.OrgsManage:        {accounts.Admin, accounts.Worker},
		policy.HoursRecord:       {accounts.Admin, accounts.Worker, accounts.Leader},
		policy.HoursRead:         community,
		policy.HoursReview:       {accounts.Admin, accounts.Worker, accounts.Leader},
		policy.MatrixRead:        all,
		policy.StarsManage:       {accounts.Admin, accounts.Worker},
		policy.CertIssue:         community,
		policy.HoursExport:       {accounts.Admin, accounts.Worker},
		policy.PointsRead:        community,
		policy.ActivitiesRead:    community,
		policy.ActivitiesPlan:    {accounts.Admin, accounts.Worker, accounts.Leader},
		policy.PlacesManage:      {accounts.Admin, accounts.Worker},
		policy.ActivitiesSignup:  community,
		policy.ActivitiesRoster:  {accounts.Admin, accounts.Worker, accounts.Leader},
		policy.ActivitiesCheckin: community,
		policy.FeedsManage:       community,
		policy.StoriesWrite:      {accounts.Admin, accounts.Worker, accounts.Leader},
		policy.ShopRedeem:        community,
		policy.ShopManage:        {accounts.Admin, accounts.Worker},
		policy.CertRead:          community,
		policy.CalendarRead:      all,
		policy.Logout:            all,
		policy.Home:              all,
		policy.MeRead:            all,
		policy.MeUpdate:          all,
		policy.Notifications:     all,
		policy.NotificationsMark: all,
		policy.RequestsRead:      all, // the street: what was escalated to it, read-only
		policy.RequestsIntake:    {accounts.Admin, accounts.Worker, accounts.Grid, accounts.Resident},
		policy.RequestsManage:    {accounts.Admin, accounts.Worker, accounts.Grid},
		policy.RequestsMetrics:   {accounts.Admin, accounts.Worker, accounts.Grid, accounts.Street},
		policy.RequestsHandle:    {accounts.Admin, accounts.Worker, accounts.Grid, accounts.Leader, accounts.Volunteer, accounts.Partner},
		policy.RequestsCallback:  {accounts.Admin, accounts.Worker, accounts.Grid, accounts.Resident},
		policy.RequestCategories: {accounts.Admin, accounts.Worker},
		policy.RequestsReveal:    {accounts.Admin, accounts.Worker, accounts.Grid, accounts.Leader, accounts.Volunteer, accounts.Partner},
		policy.RequestsPhotos:    community,
		policy.Open311Keys:       adminOnly,
	}
	public := []policy.Action{policy.Health, policy.Static, policy.APIDoc, policy.Login, policy.Prefs, policy.CertVerify, policy.FeedRead, policy.StoriesRead, policy.Open311Read, policy.Open311Submit}
	for _, a := range public {
		if !policy.Permits(nil, a) {
			t.Errorf("anonymous denied public action %s", a)
		}
	}
	pinned := len(public)
	for a, roles := range want {
		if _, ok := policy.Lookup(a); !ok {
			t.Errorf("%s is pinned here but has no rule", a)
			continue
		}
		pinned++
		if policy.Permits(nil, a) {
			t.Errorf("anonymous permitted %s", a)
		}
		for _, r := range all {
			p := &accounts.Principal{AccountID: 1, Grants: []accounts.Grant{{Role: r, CommunityID: 1, StreetID: 1}}}
			allowed := false
			for _, ok := range roles {
				allowed = allowed || ok == r
			}
			if got := policy.Permits(p, a); got != allowed {
				t.Errorf("Permits(%s, %s) = %v, want %v", r, a, got, allowed)
			}
		}
	}
	if pinned != len(policy.Rules) {
		for a := range policy.Rules {
			if _, ok := want[a]; !ok && !slices.Contains(public, a) {
				t.Errorf("action %s is not pinned in this matrix: add its expected roles here", a)
			}
		}
	}
}

func TestPermitsEdgeCases(t *testing.T) {
	if policy.Permits(nil, "no.such.action") || policy.PermitsIn(nil, "no.such.action", 1, nil) {
		t.Error("unknown action permitted to anonymous")
	}
	admin := &accounts.Principal{AccountID: 1, Grants: []accounts.Grant{{Role: accounts.Admin, CommunityID: 1}}}
	if policy.Permits(admin, "no.such.action") || policy.PermitsIn(admin, "no.such.action", 1, nil) {
		t.Error("unknown action permitted to an admin")
	}
	if policy.Permits(admin, "") || policy.Permits(admin, "users.list ") {
		t.Error("empty or padded action permitted")
	}
	// Signed in with no grant at all: own-data actions only.
	bare := &accounts.Principal{AccountID: 2}
	if !policy.Permits(bare, policy.MeRead) || policy.Permits(bare, policy.CalendarRead) || policy.Permits(bare, policy.UsersList) {
		t.Error("a principal without grants got the wrong answers")
	}
	// The console is allowed everything it is asked about, in any
	// community (accounts.Principal.System), but not unknown actions.
	console := accounts.Console("test")
	if !policy.Permits(console, policy.UsersCreate) || !policy.PermitsIn(console, policy.AuditRead, 42, nil) {
		t.Error("the console was denied")
	}
	if policy.Permits(console, "no.such.action") {
		t.Error("the console was permitted an unknown action")
	}
}

func TestPermitsIn(t *testing.T) {
	w := fixture.Places(t, dbtest.SQLite(t))
	streetOf := w.Tenancy.StreetOf
	p := func(gs ...accounts.Grant) *accounts.Principal { return &accounts.Principal{AccountID: 1, Grants: gs} }
	adminA := p(accounts.Grant{Role: accounts.Admin, CommunityID: w.A.ID})
	workerA := p(accounts.Grant{Role: accounts.Worker, CommunityID: w.A.ID})
	adminB := p(accounts.Grant{Role: accounts.Admin, CommunityID: w.B.ID})
	// Admin in B, volunteer in A: the admin rights stay in B.
	mixed := p(accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID}, accounts.Grant{Role: accounts.Admin, CommunityID: w.B.ID})
	supervisor := p(accounts.Grant{Role: accounts.Street, StreetID: w.Street})
	// A street grant carrying a stray community id still only reaches its street.
	strayStreet := p(accounts.Grant{Role: accounts.Street, StreetID: w.OtherStreet, CommunityID: w.A.ID})

	cases := []struct {
		name string
		p    *accounts.Principal
		a    policy.Action
		cid  int64
		want bool
	}{
		{"admin A in A", adminA, policy.UsersList, w.A.ID, true},
		{"admin A in B", adminA, policy.UsersList, w.B.ID, false},
		{"admin A in C", adminA, policy.AuditRead, w.C.ID, false},
		{"admin B in B", adminB, policy.UsersCreate, w.B.ID, true},
		{"worker A, admin action in A", workerA, policy.UsersList, w.A.ID, false},
		{"worker A reads calendar of A", workerA, policy.CalendarRead, w.A.ID, true},
		{"worker A reads calendar of B", workerA, policy.CalendarRead, w.B.ID, false},
		{"mixed: admin action in A", mixed, policy.UsersList, w.A.ID, false},
		{"mixed: admin action in B", mixed, policy.UsersList, w.B.ID, true},
		{"mixed: calendar in A", mixed, policy.CalendarRead, w.A.ID, true},
		{"supervisor reads calendar of A", supervisor, policy.CalendarRead, w.A.ID, true},
		{"supervisor reads calendar of B", supervisor, policy.CalendarRead, w.B.ID, true},
		{"supervisor reads calendar of C (other street)", supervisor, policy.CalendarRead, w.C.ID, false},
		{"supervisor, unknown community", supervisor, policy.CalendarRead, 9999, false},
		{"supervisor, admin action in A", supervisor, policy.UsersList, w.A.ID, false},
		{"supervisor, own data in A", supervisor, policy.MeRead, w.A.ID, true},
		{"stray street grant in A", strayStreet, policy.CalendarRead, w.A.ID, false},
		{"stray street grant in C", strayStreet, policy.CalendarRead, w.C.ID, true},
		{"anonymous, public", nil, policy.Login, w.A.ID, true},
		{"anonymous, own data", nil, policy.MeRead, w.A.ID, false},
		{"anonymous, calendar", nil, policy.CalendarRead, w.A.ID, false},
		{"admin A, community 0", adminA, policy.UsersList, 0, false},
	}
	for _, tc := range cases {
		if got := policy.PermitsIn(tc.p, tc.a, tc.cid, streetOf); got != tc.want {
			t.Errorf("%s: PermitsIn = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Without streetOf a street grant reaches nothing, and nothing panics.
	if policy.PermitsIn(supervisor, policy.CalendarRead, w.A.ID, nil) {
		t.Error("street grant permitted without streetOf")
	}
	// Permits (any community) agrees: the supervisor may read calendars
	// somewhere, the admin of A may list users somewhere.
	if !policy.Permits(supervisor, policy.CalendarRead) || !policy.Permits(adminA, policy.UsersList) || policy.Permits(workerA, policy.UsersList) {
		t.Error("Permits disagrees with PermitsIn")
	}
}
