package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/registry/registrytest"
	"github.com/linli/linli/internal/testkit/server"
)

// The canary matrix: every registry route of both front doors (the API
// and the pages), as every demo role, on both databases. Routes are read
// from the two routers, so a route added without a row here fails
// TestRegistryCanaries; who may do what is read from the field
// classification table (registry.Fields) and the policy table, not
// restated.

// canaries are the seeded values no response may hold unless the role
// has the right to that value in that response.
var canaries = []string{registrytest.CanaryName, registrytest.CanaryID, registrytest.CanaryPhone, registrytest.CanaryNote,
	registrytest.CanaryChild, "87650001", registrytest.CanaryBirth, "19580302"}

// notRegistry are the routes that hold no registry data; every other
// route must have calls in the matrix.
var notRegistry = []string{
	"GET /api/v1/openapi.json", "POST /api/v1/login", "POST /api/v1/logout", "GET /api/v1/me", "PATCH /api/v1/me",
	"POST /api/v1/me/password", "GET /api/v1/users", "POST /api/v1/users", "GET /api/v1/users/{id}", "PATCH /api/v1/users/{id}",
	"POST /api/v1/users/{id}/grants", "DELETE /api/v1/grants/{id}", "GET /api/v1/notifications",
	"POST /api/v1/notifications/{id}/read", "POST /api/v1/notifications/read-all", "GET /api/v1/calendar",
	"PUT /api/v1/calendar/{day}", "DELETE /api/v1/calendar/{day}", "GET /api/v1/calendar/working-days",
	"GET /api/v1/webhooks", "POST /api/v1/webhooks", "DELETE /api/v1/webhooks/{id}", "GET /api/v1/audit",
	"GET /static/{file...}", "GET /login", "POST /login", "POST /logout", "POST /prefs", "GET /settings",
	"POST /settings/preferences", "POST /settings/password", "GET /users", "POST /users", "GET /users/{id}",
	"POST /users/{id}/grants", "POST /grants/{id}/revoke", "POST /users/{id}/password", "POST /users/{id}/disable",
	"POST /users/{id}/enable", "GET /notifications", "POST /notifications/{id}/read", "POST /notifications/read-all",
	"GET /calendar", "POST /calendar", "POST /calendar/{day}/delete",
	// The hours ledger shows volunteers' names (a child's masked unless
	// the actor may see it) but no registry field; its reach is tested in
	// internal/hours, api's TestHoursThroughTheAPI and web's TestHoursPages.
	// Until the canary matrix covers these routes they are listed here.
	"GET /api/v1/service-records", "POST /api/v1/service-records", "POST /api/v1/service-records/{id}/reverse",
	"POST /api/v1/service-records/{id}/decide", "GET /api/v1/volunteers/{id}/hours", "GET /api/v1/me/hours",
	"GET /api/v1/matrix", "GET /api/v1/hours/totals", "GET /api/v1/stars", "PUT /api/v1/stars",
	"GET /matrix", "GET /me/hours", "GET /records", "POST /records", "POST /records/{id}/decide", "POST /records/{id}/reverse",
	// Certificates print a volunteer's name (a child's masked) and hours;
	// tested in internal/certs, api's TestCertificatesThroughTheAPI and
	// web's TestCertificatePages.
	"POST /api/v1/certificates", "GET /api/v1/certificates", "GET /api/v1/certificates/{number}",
	"GET /api/v1/certificates/{number}/pdf", "GET /api/v1/verify/{number}",
	"GET /me/certificates", "POST /me/certificates", "GET /certificates/{number}", "GET /certificates/{number}/pdf",
	"GET /verify", "GET /verify/{number}",
	// The national export prints names and ID numbers: office only, with a
	// reason, audited; tested in api's TestNationalExport.
	"POST /api/v1/service-records/export", "POST /records/export",
	// Points name no one but the caller's own; tested in internal/points,
	// api's TestPointsThroughTheAPI and web's TestPointsPages.
	"GET /api/v1/points", "GET /api/v1/points/rules", "PUT /api/v1/points/rules", "GET /api/v1/shop", "POST /api/v1/shop",
	"PATCH /api/v1/shop/{id}", "POST /api/v1/shop/{id}/redeem", "POST /api/v1/redemptions/{id}/return",
	"GET /me/points", "POST /shop/{id}/redeem", "GET /shop", "POST /shop", "POST /redemptions/{id}/return",
	// Activities show titles, counts and volunteer ids, no registry field;
	// tested in internal/activities and api's TestActivitiesThroughTheAPI.
	"GET /api/v1/activities", "POST /api/v1/activities", "POST /api/v1/occurrences/{id}/signup",
	"POST /api/v1/occurrences/{id}/cancel", "GET /api/v1/occurrences/{id}/roster", "GET /api/v1/occurrences/{id}/code",
	"POST /api/v1/occurrences/{id}/checkin", "POST /api/v1/occurrences/{id}/tick", "POST /api/v1/occurrences/{id}/checkout",
	"GET /api/v1/occurrences/{id}/attendance", "GET /api/v1/occurrences/{id}/credits", "POST /api/v1/occurrences/{id}/post-hours",
	// The activities pages: roster names as Names masks them; tested in
	// web's TestActivityPages and e2e's TestBrowserActivities.
	"GET /activities", "GET /activities/new", "POST /activities", "GET /activities/{id}", "POST /activities/{id}/signup",
	"POST /activities/{id}/cancel", "GET /activities/{id}/run", "GET /activities/{id}/qr", "GET /activities/{id}/qr.png",
	"GET /activities/{id}/qr.txt", "POST /activities/{id}/tick", "POST /activities/{id}/checkout", "POST /activities/{id}/post-hours",
	"GET /me/activities", "GET /checkin/{id}", "GET /checkin/{id}/{code}", "POST /checkin/{id}",
	// Editing dates and series holds no registry field; tested in
	// internal/activities (edit_test.go) and api's TestEditingActivitiesThroughTheAPI.
	"GET /api/v1/activities/{id}", "PATCH /api/v1/activities/{id}", "PATCH /api/v1/occurrences/{id}",
	"POST /api/v1/occurrences/{id}/cancel-date",
	// Places are names and capacities, no personal data; tested in
	// internal/activities (places_test.go), api's TestPlacesThroughTheAPI
	// and web's TestPlacePages.
	"GET /api/v1/places", "POST /api/v1/places", "PATCH /api/v1/places/{id}", "GET /places", "POST /places", "POST /places/{id}",
	// Calendar feeds carry activity titles, places and times, no registry
	// field; their reach (visibility, disabled accounts, teams left,
	// rotation) is tested in api's TestCalendarFeeds and internal/feeds;
	// rotating one feed in web's TestRotateOneFeed.
	"GET /api/v1/calendar-feeds", "POST /api/v1/calendar-feeds/rotate", "GET /feeds/{file}",
	"POST /api/v1/calendar-feeds/{id}/rotate", "POST /me/feeds/{id}/rotate",
	// Stories show titles, summaries, counts and photos (a child's only
	// with the guardian's photo consent), no registry field; tested in
	// internal/stories, api's TestStoriesThroughTheAPI and web's TestStoryPages.
	"POST /api/v1/occurrences/{id}/story", "GET /api/v1/stories", "GET /api/v1/stories/{id}", "POST /api/v1/stories/{id}/photos",
	"GET /api/v1/photos/{id}", "GET /stories", "GET /stories/{id}", "GET /photos/{id}",
	// The organiser's story form on the page; tested in web's TestStoryForm.
	"GET /activities/{id}/story", "POST /activities/{id}/story",
	// Recording a consent from the volunteer's page redirects to the page;
	// the service decides who may (see volunteers.AddConsent); tested in
	// web's TestStoryPages.
	"POST /volunteers/{id}/consents",
	// Residents' requests name their requester: masked (王*明) in lists
	// and for handlers outside the office, whole only for the office and
	// the requester (audited), the phone masked unless revealed with a
	// reason (audited); tested in internal/requests (scope_test.go,
	// requests_test.go) and api's TestRequestsThroughTheAPI.
	"GET /api/v1/request-categories", "POST /api/v1/request-categories", "PATCH /api/v1/request-categories/{id}", "GET /api/v1/requests", "POST /api/v1/requests", "GET /api/v1/requests/{id}",
	"GET /api/v1/requests/{id}/timeline", "POST /api/v1/requests/{id}/reveal", "POST /api/v1/requests/{id}/links", "POST /api/v1/requests/{id}/accept",
	"POST /api/v1/requests/{id}/reject", "POST /api/v1/requests/{id}/merge", "POST /api/v1/requests/{id}/dispatch",
	"POST /api/v1/requests/{id}/sign", "POST /api/v1/requests/{id}/return", "POST /api/v1/requests/{id}/progress",
	"POST /api/v1/requests/{id}/extension", "POST /api/v1/requests/{id}/extension/approve",
	"POST /api/v1/requests/{id}/extension/deny", "POST /api/v1/requests/{id}/result", "POST /api/v1/requests/{id}/verify",
	"POST /api/v1/requests/{id}/send-back", "POST /api/v1/requests/{id}/callback", "POST /api/v1/requests/{id}/reopen",
	// Suggestions name volunteers (not requesters) to whoever may
	// dispatch the request: the office and the grid's worker, who see
	// volunteers' names anyway; tested in internal/matching
	// (TestSuggestionsOnlyForDispatchers) and api's TestSuggestionsThroughTheAPI.
	"GET /api/v1/requests/{id}/suggestions",
	// The requests' figures are counts and rates, no one named but
	// teams, partners, volunteers by number and grids; tested in
	// internal/requests (TestMetricsEqualARecountFromTheEvents), api's
	// TestMetricsThroughTheAPI and web's TestRequestMetricsPage.
	"GET /api/v1/metrics/requests", "GET /requests/metrics",
	// Routing and limits name no one; similar requests show numbers,
	// statuses and descriptions within the caller's reach, no requester.
	// Tested in internal/requests (deadlines_test.go) and api's
	// TestRequestSettingsThroughTheAPI.
	"GET /api/v1/request-routes", "PUT /api/v1/request-routes", "GET /api/v1/request-deadlines", "PUT /api/v1/request-deadlines",
	"GET /api/v1/requests/similar",
	// The requests' pages show what the service gives (the same masking);
	// the intake form's caller search is the registry's masked list, and
	// picking a caller opens their record through Registry.Get (audited);
	// tested in web's TestRequestPages.
	"GET /requests", "GET /requests/new", "POST /requests", "GET /requests/buildings", "GET /requests/{id}",
	"POST /requests/{id}/reveal", "POST /requests/{id}/accept", "POST /requests/{id}/reject", "POST /requests/{id}/merge",
	"POST /requests/{id}/dispatch", "POST /requests/{id}/sign", "POST /requests/{id}/return", "POST /requests/{id}/progress",
	"POST /requests/{id}/extension", "POST /requests/{id}/extension/approve", "POST /requests/{id}/extension/deny",
	"POST /requests/{id}/result", "POST /requests/{id}/verify", "POST /requests/{id}/send-back",
	"POST /requests/{id}/callback", "POST /requests/{id}/reopen",
	// Requests' photos show a resident's home, never a registry field:
	// served re-encoded (no EXIF GPS) only to whoever may read the
	// request, each opening audited; tested in internal/requests
	// (TestPhotos, TestPhotoRefusals), api's TestRequestPhotosThroughTheAPI
	// and web's TestRequestPhotoForms.
	"POST /api/v1/requests/{id}/photos", "GET /api/v1/requests/{id}/photos/{photo}",
	"POST /requests/{id}/photos", "GET /requests/{id}/photos/{photo}",
	// Open311 API keys: a name and a prefix, no personal data; admin
	// only; tested in internal/open311 (TestOpen311Conformance, TestKeys).
	"GET /api/v1/open311/keys", "POST /api/v1/open311/keys", "POST /api/v1/open311/keys/{id}/revoke",
	// The admin's page of the same keys; tested in web's TestAPIKeyPage.
	"GET /apikeys", "POST /apikeys", "POST /apikeys/{id}/revoke",
}

// registryActions guard registry data: a route naming one can never be
// declared outside the registry.
var registryActions = []policy.Action{policy.RegistryRead, policy.RegistryEdit, policy.RegistryReveal, policy.RegistryStats,
	policy.RegistryExport, policy.RegistryImport, policy.ErasureManage, policy.TagsManage}

// call is one request of the matrix and what the role must get.
type call struct {
	method, path string
	json         any        // API: a JSON body
	form         url.Values // pages: a form
	csv          string     // pages: an uploaded sheet
	ok           bool       // 2xx/3xx when true, 4xx when false
	status       int        // when not 0, the status exactly (signed in)
	may          []string   // canaries the response may hold
	must         []string   // canaries it must hold when ok
	not          []string   // what it must never hold (a masked phone to a grid worker, another partner)
	reads        int        // audited reads (views, reveals, exports, own-data) it writes; -1: not counted
}

// rights reads the classification table for one role.
type rights struct {
	role string
}

func in(roles []accounts.Role, role string) bool { return slices.Contains(roles, accounts.Role(role)) }

func field(name string) registry.Field {
	f, ok := registry.FieldByName(name)
	if !ok {
		panic("no field " + name)
	}
	return f
}

func (r rights) see(f string) bool    { return in(field(f).See, r.role) }
func (r rights) reveal(f string) bool { return in(field(f).Reveal, r.role) && r.see(f) }
func (r rights) edit(f string) bool   { return in(field(f).Edit, r.role) }
func (r rights) export(f string) bool { return in(field(f).Export, r.role) }
func (r rights) policy(a policy.Action) bool {
	rule, _ := policy.Lookup(a)
	return in(rule.Roles, r.role)
}

// reach: the role sees the rows of a resident in grid A (the demo grid
// worker's grid, the adult canary's) or in grid B (the child's). Rows at
// all: the roles that may see a name; a grid worker only their grid.
func (r rights) reach(gridA bool) bool {
	return r.see("name") && (r.role != string(accounts.Grid) || gridA)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func when(b bool, xs ...string) []string {
	if b {
		return xs
	}
	return nil
}

// fixture is what the matrix works on: the canaries and, per role,
// things a write may use up (a resident to move out, a tag to remove, an
// erasure request to decide), so no call depends on another's success.
type fixture struct {
	cid, adult, child, own   int64
	h1, h2, b1, b2           int64
	residentAccount          int64
	apiMovers, webMovers     map[string][2]int64 // [grid A, grid B]
	tags, erasures, sequence map[string]int64
	childID                  string
	vol                      *volFixture
}

const ownName = "陈秀英"

func seedFixture(t *testing.T, s *server.Server) *fixture {
	t.Helper()
	ctx := context.Background()
	cs, _ := s.Tenancy.Communities(ctx, 0)
	grids, _ := s.Tenancy.Grids(ctx, cs[0].ID)
	f := &fixture{cid: cs[0].ID, apiMovers: map[string][2]int64{}, webMovers: map[string][2]int64{}, tags: map[string]int64{},
		erasures: map[string]int64{}, sequence: map[string]int64{}, childID: registrytest.ChildID(s.Clock.Now())}
	var err error
	if f.adult, f.child, err = registrytest.SeedCanaries(ctx, s.Registry, s.DB, s.Clock.Now(), f.cid, grids[0].ID, grids[1].ID); err != nil {
		t.Fatal(err)
	}
	place := func(rid int64) (hid, bid int64) {
		if err := s.DB.QueryRow(ctx, `SELECT h.id, u.building_id FROM residents r JOIN households h ON h.id = r.household_id
			JOIN units u ON u.id = h.unit_id WHERE r.id = ?`, rid).Scan(&hid, &bid); err != nil {
			t.Fatal(err)
		}
		return hid, bid
	}
	f.h1, f.b1 = place(f.adult)
	f.h2, f.b2 = place(f.child)
	acc, err := s.Accounts.FindByUsername(ctx, "resident")
	if err != nil {
		t.Fatal(err)
	}
	f.residentAccount = acc.ID
	system := &accounts.Principal{System: true}
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		l := s.Registry.NewLoader(tx, f.cid)
		resident := func(hid int64, name string) int64 {
			id, _, err := l.Resident(ctx, registry.Input{HouseholdID: hid, Name: name, Relation: "其他"}, s.Clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		// The resident login's own record shares the adult canary's flat.
		f.own = resident(f.h1, ownName)
		if err := s.Registry.LinkAccount(ctx, tx, f.own, acc.ID); err != nil {
			return err
		}
		for i, role := range demoRoles {
			f.sequence[role] = int64(i)
			f.apiMovers[role] = [2]int64{resident(f.h1, "甲迁"+role), resident(f.h2, "乙迁"+role)}
			f.webMovers[role] = [2]int64{resident(f.h1, "甲网"+role), resident(f.h2, "乙网"+role)}
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO erasure_requests (community_id, resident_id, requested_by, reason, requested_at)
				VALUES (?, ?, ?, ?, ?) RETURNING id`, f.cid, f.apiMovers[role][0], acc.ID, "测试", s.Clock.Now()).Scan(&id); err != nil {
				return err
			}
			f.erasures[role] = id
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range demoRoles {
		tag, err := s.Registry.AddTag(ctx, system, f.cid, "删"+role, false)
		if err != nil {
			t.Fatal(err)
		}
		f.tags[role] = tag.ID
	}
	f.vol = seedVolunteers(t, s, f)
	return f
}

// matrix returns, for one role, the calls of every registry route, keyed
// by the route as the router registered it.
func (f *fixture) matrix(role string) map[string][]call {
	r := rights{role}
	A, B := r.reach(true), r.reach(false)
	name := when(A, registrytest.CanaryName)
	n := f.sequence[role]
	res := func(id int64) string { return fmt.Sprintf("/residents/%d", id) }
	api := func(p string) string { return "/api/v1" + p }
	const reason = "核对信息"
	revealed := map[string]string{"id_number": registrytest.CanaryID, "phone": registrytest.CanaryPhone,
		"notes": registrytest.CanaryNote, "birth_date": registrytest.CanaryBirth}
	var apiReveals, pageReveals []call
	for _, fl := range []string{"id_number", "phone", "notes", "birth_date"} {
		ok := r.reveal(fl) && A
		may := append(when(ok, revealed[fl]), name...)
		if fl == "id_number" {
			may = append(may, when(ok, "19580302")...) // the birth date is in the number
		}
		apiReveals = append(apiReveals, call{method: "POST", path: api(res(f.adult) + "/reveal"), json: map[string]string{"field": fl, "reason": reason},
			ok: ok, may: may, must: when(ok, revealed[fl]), reads: b2i(ok)})
	}
	childOK := r.reveal("name") && B
	apiReveals = append(apiReveals,
		call{method: "POST", path: api(res(f.child) + "/reveal"), json: map[string]string{"field": "name", "reason": "联系监护人"},
			ok: childOK, may: when(childOK, registrytest.CanaryChild), must: when(childOK, registrytest.CanaryChild), reads: b2i(childOK)},
		call{method: "POST", path: api(res(f.adult) + "/reveal"), json: map[string]string{"field": "phone"}, may: name})
	phoneOK := r.reveal("phone") && A
	pageReads := b2i(r.policy(policy.RegistryReveal) && A) // the page is opened again
	pageReveals = append(pageReveals,
		call{method: "POST", path: res(f.adult) + "/reveal", form: url.Values{"field": {"phone"}, "reason": {reason}}, ok: phoneOK,
			may: append(when(phoneOK, registrytest.CanaryPhone), name...), must: when(phoneOK, registrytest.CanaryPhone), reads: b2i(phoneOK) + pageReads},
		call{method: "POST", path: res(f.child) + "/reveal", form: url.Values{"field": {"name"}, "reason": {"联系监护人"}}, ok: childOK,
			may: when(childOK, registrytest.CanaryChild), must: when(childOK, registrytest.CanaryChild), reads: 2 * b2i(childOK)},
		call{method: "POST", path: res(f.adult) + "/reveal", form: url.Values{"field": {"phone"}}, may: name, reads: pageReads})
	exportAll := r.export("name")
	var exportRevealed []string
	for fl, v := range revealed {
		if r.reveal(fl) && exportAll {
			exportRevealed = append(exportRevealed, v)
		}
	}
	if r.reveal("id_number") && exportAll {
		exportRevealed = append(exportRevealed, "19580302")
	}
	meData := []call{{ok: true, must: when(role == "resident", ownName), may: when(role == "resident", ownName), reads: 1}}
	lists := func(prefix string) []call {
		var out []call
		// What the caller typed may come back (a page's search box).
		for q, typed := range map[string][]string{"": nil, "?q=" + url.QueryEscape(registrytest.CanaryName): {registrytest.CanaryName},
			"?q=" + registrytest.CanaryID: {registrytest.CanaryID, "19580302"}, "?q=" + registrytest.CanaryPhone: {registrytest.CanaryPhone}} {
			out = append(out, call{method: "GET", path: prefix + q, ok: r.see("name"), may: append(typed, name...), must: name})
		}
		tagOK := r.see("name") && r.reveal("tags")
		return append(out,
			call{method: "GET", path: prefix + "?q=" + url.QueryEscape(registrytest.CanaryChild), ok: r.see("name"), may: []string{registrytest.CanaryChild}},
			call{method: "GET", path: prefix + "?tag=" + url.QueryEscape("低保"), ok: tagOK, may: name, must: when(tagOK, name...), reads: b2i(tagOK)})
	}
	withPath := func(cs []call, method, path string) []call {
		for i := range cs {
			cs[i].method, cs[i].path = method, path
		}
		return cs
	}
	keepAll := []string{"id_number", "phone", "notes", "tags", "personal"}
	m := map[string][]call{
		// The API.
		"GET /api/v1/residents": append(lists(api("/residents")),
			call{method: "GET", path: api("/residents?per_page=500&moved_out=1"), ok: r.see("name"), may: name, must: name}),
		"POST /api/v1/residents": {
			{method: "POST", path: api("/residents"), json: map[string]any{"household_id": f.h1, "name": "新甲" + role, "relation": "其他"}, ok: r.edit("name") && A, reads: -1},
			{method: "POST", path: api("/residents"), json: map[string]any{"household_id": f.h2, "name": "新乙" + role}, ok: r.edit("name") && B, reads: -1},
			// A number someone holds is refused, and the answer names no one.
			{method: "POST", path: api("/residents"), json: map[string]any{"household_id": f.h1, "name": "冒名", "id_number": f.childID}, reads: -1},
		},
		"GET /api/v1/residents/{id}": {
			{method: "GET", path: api(res(f.adult)), ok: A, may: name, must: name, reads: b2i(A)},
			{method: "GET", path: api(res(f.child)), ok: B, reads: b2i(B)},
			{method: "GET", path: api(res(999999))},
		},
		"PUT /api/v1/residents/{id}": {
			{method: "PUT", path: api(res(f.adult)), json: map[string]any{"household_id": f.h1, "name": registrytest.CanaryName, "relation": "户主", "keep": keepAll},
				ok: r.edit("name") && A, may: name, must: when(r.edit("name"), name...), reads: -1},
			{method: "PUT", path: api(res(f.child)), json: map[string]any{"household_id": f.h2, "relation": "子女", "keep": keepAll}, ok: r.edit("name") && B, reads: -1},
			{method: "PUT", path: api(res(f.adult)), json: map[string]any{"name": ""}, may: name, reads: -1},
		},
		"POST /api/v1/residents/{id}/move-out": {
			{method: "POST", path: api(res(f.apiMovers[role][0]) + "/move-out"), json: map[string]string{"reason": "搬走"}, ok: r.edit("name") && A, reads: -1},
			{method: "POST", path: api(res(f.apiMovers[role][1]) + "/move-out"), json: map[string]string{"reason": "搬走"}, ok: r.edit("name") && B, reads: -1},
		},
		"POST /api/v1/residents/{id}/reveal": apiReveals,
		"POST /api/v1/residents/{id}/account": {{method: "POST", path: api(res(f.own) + "/account"), json: map[string]int64{"account_id": f.residentAccount},
			ok: r.export("name") && A, reads: -1}},
		"GET /api/v1/households": {{method: "GET", path: api("/households?per_page=500"), ok: r.see("name"), may: name, must: name}},
		"POST /api/v1/households/{id}/reveal": {
			{method: "POST", path: api(fmt.Sprintf("/households/%d/reveal", f.h1)), json: map[string]string{"field": "phone", "reason": reason},
				ok: r.reveal("household_phone") && A, may: when(r.reveal("household_phone") && A, "87650001"),
				must: when(r.reveal("household_phone") && A, "87650001"), reads: b2i(r.reveal("household_phone") && A)},
			{method: "POST", path: api(fmt.Sprintf("/households/%d/reveal", f.h1)), json: map[string]string{"field": "phone"}},
		},
		"POST /api/v1/households": {
			{method: "POST", path: api("/households"), json: map[string]any{"building_id": f.b1, "unit": "1", "room": fmt.Sprint(201 + n)}, ok: r.edit("name") && A, reads: -1},
			{method: "POST", path: api("/households"), json: map[string]any{"building_id": f.b2, "unit": "1", "room": fmt.Sprint(301 + n)}, ok: r.edit("name") && B, reads: -1},
		},
		"GET /api/v1/buildings": {{method: "GET", path: api("/buildings"), ok: r.see("name")}},
		"GET /api/v1/registry/stats": {
			{method: "GET", path: api("/registry/stats"), ok: r.see("name")}, // a street supervisor names the community
			{method: "GET", path: api(fmt.Sprintf("/registry/stats?community_id=%d", f.cid)), ok: r.see("name") || r.policy(policy.RegistryStats)},
		},
		"GET /api/v1/tags":         {{method: "GET", path: api("/tags"), ok: r.see("name")}},
		"POST /api/v1/tags":        {{method: "POST", path: api("/tags"), json: map[string]any{"name": fmt.Sprintf("新标签%d", n)}, ok: r.policy(policy.TagsManage), reads: -1}},
		"DELETE /api/v1/tags/{id}": {{method: "DELETE", path: api(fmt.Sprintf("/tags/%d", f.tags[role])), ok: r.policy(policy.TagsManage), reads: -1}},
		"GET /api/v1/me/data":      withPath(meData, "GET", api("/me/data")),
		// The API's request comes first (API routes run before pages):
		// only the resident and the volunteer (the child canary's guardian)
		// have a record, and ask once.
		"POST /api/v1/me/erasure": {{method: "POST", path: api("/me/erasure"), json: map[string]string{"reason": "不再居住"},
			ok: role == "resident" || role == "volunteer", reads: -1}},
		"GET /api/v1/erasure-requests": {{method: "GET", path: api("/erasure-requests"), ok: r.export("name")}},
		"POST /api/v1/erasure-requests/{id}/decide": {{method: "POST", path: api(fmt.Sprintf("/erasure-requests/%d/decide", f.erasures[role])),
			json: map[string]any{"carry_out": false, "note": "依法保留"}, ok: r.export("name"), reads: -1}},

		// The pages.
		"GET /{$}":              {{method: "GET", path: "/", ok: true}},
		"GET /buildings":        {{method: "GET", path: "/buildings", ok: r.see("name")}},
		"GET /residents":        lists("/residents"),
		"GET /residents/import": {{method: "GET", path: "/residents/import", ok: r.policy(policy.RegistryImport)}},
		// A dry run naming the child's ID number: the report must not
		// give the child's name away.
		"POST /residents/import": {{method: "POST", path: "/residents/import", csv: "小区,楼号,单元,房号,姓名,身份证号\n测试小区,92,1,101,冒名," + f.childID + "\n",
			form: url.Values{"dry_run": {"1"}}, ok: r.policy(policy.RegistryImport), reads: -1}},
		"GET /residents/import/bad/{name}": {{method: "GET", path: "/residents/import/bad/0123456789abcdef0123456789abcdef"}},
		"POST /residents/export": {
			{method: "POST", path: "/residents/export", form: url.Values{"format": {"csv"}}, ok: exportAll, may: when(exportAll, registrytest.CanaryName),
				must: when(exportAll, registrytest.CanaryName), reads: b2i(exportAll)},
			{method: "POST", path: "/residents/export", form: url.Values{"format": {"csv"}, "reveal": {"1"}, "reason": {reason}}, ok: exportAll,
				may: append(when(exportAll, registrytest.CanaryName, registrytest.CanaryChild), exportRevealed...), must: exportRevealed, reads: b2i(exportAll)},
		},
		"GET /residents/new": {{method: "GET", path: fmt.Sprintf("/residents/new?household=%d", f.h1), ok: r.edit("name") && A, may: name}},
		"POST /residents": {
			{method: "POST", path: "/residents", form: url.Values{"household_id": {fmt.Sprint(f.h1)}, "name": {"页甲" + role}}, ok: r.edit("name") && A, reads: -1},
			{method: "POST", path: "/residents", form: url.Values{"household_id": {fmt.Sprint(f.h2)}, "name": {"页乙" + role}}, ok: r.edit("name") && B, reads: -1},
		},
		"GET /residents/{id}/edit": {
			{method: "GET", path: res(f.adult) + "/edit", ok: r.edit("name") && A, may: name, must: when(r.edit("name"), name...), reads: b2i(r.edit("name") && A)},
			{method: "GET", path: res(f.child) + "/edit", ok: r.edit("name") && B, reads: b2i(r.edit("name") && B)},
		},
		"POST /residents/{id}": {
			{method: "POST", path: res(f.adult), form: url.Values{"household_id": {fmt.Sprint(f.h1)}, "name": {registrytest.CanaryName}, "relation": {"户主"}},
				ok: r.edit("name") && A, may: name, reads: -1},
			{method: "POST", path: res(f.child), form: url.Values{"household_id": {fmt.Sprint(f.h2)}, "relation": {"子女"}}, ok: r.edit("name") && B, reads: -1},
		},
		"GET /residents/{id}": {
			{method: "GET", path: res(f.adult), ok: A, may: name, must: name, reads: b2i(A)},
			{method: "GET", path: res(f.child), ok: B, reads: b2i(B)},
		},
		"POST /residents/{id}/reveal": pageReveals,
		"POST /residents/{id}/move-out": {
			{method: "POST", path: res(f.webMovers[role][0]) + "/move-out", form: url.Values{"reason": {"搬走"}}, ok: r.edit("name") && A, reads: -1},
			{method: "POST", path: res(f.webMovers[role][1]) + "/move-out", form: url.Values{"reason": {"搬走"}}, ok: r.edit("name") && B, reads: -1},
		},
		"GET /me/data":      withPath(slices.Clone(meData), "GET", "/me/data"),
		"GET /me/data.json": withPath(slices.Clone(meData), "GET", "/me/data.json"),
		// The request the API made is still open: a second is refused.
		"POST /me/erasure": {{method: "POST", path: "/me/erasure", form: url.Values{"reason": {"不再居住"}}, reads: -1}},
	}
	for k, cs := range f.volunteerMatrix(role) {
		m[k] = cs
	}
	return m
}

// auditedReads counts the audit entries that record a read of personal
// data: a record opened, a field revealed, a sensitive filter, an export,
// a person's own data, a volunteer's phone revealed, a list showing
// children.
func auditedReads(t *testing.T, s *server.Server) int {
	t.Helper()
	var n int
	if err := s.DB.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE result <> ? AND action IN
		('resident.view', 'child.view', 'resident.reveal', 'child.reveal', 'household.reveal', 'resident.tag_filter',
		 'registry.export', 'subject.access', 'volunteer.reveal', 'child.list')`, audit.Denied).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// send makes one call, with the API token or the page client.
func send(t *testing.T, s *server.Server, token string, c *http.Client, k call) (int, string, string) {
	t.Helper()
	if strings.HasPrefix(k.path, "/api/") {
		var body any
		if k.json != nil {
			body = k.json
		}
		st, b := s.Do(t, k.method, k.path, token, body)
		return st, "", string(b)
	}
	var rd io.Reader
	ctype := ""
	switch {
	case k.csv != "":
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "sheet.csv")
		io.WriteString(fw, k.csv)
		for key, vs := range k.form {
			mw.WriteField(key, vs[0])
		}
		mw.Close()
		rd, ctype = &buf, mw.FormDataContentType()
	case k.form != nil:
		rd, ctype = strings.NewReader(k.form.Encode()), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequest(k.method, s.URL+k.path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func pageClient(t *testing.T, s *server.Server, role string) *http.Client {
	t.Helper()
	c := s.Client()
	if role == "" {
		return c
	}
	st, _, _ := send(t, s, "", c, call{method: "POST", path: "/login", form: url.Values{"username": {role}, "password": {server.Password}}})
	if st != http.StatusSeeOther {
		t.Fatalf("web login %s: %d", role, st)
	}
	return c
}

// TestRegistryCanaries sends every call of every registry route as every
// demo role (and as nobody), on both databases: the status says whether
// the role may; no response holds a canary the role has no right to; the
// ones it has a right to are there; audited reads are one per record
// opened, reveal, export or own-data access, and none for a masked list.
func TestRegistryCanaries(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			s := server.Start(t, server.Options{Postgres: pg})
			f := seedFixture(t, s)

			// Every route is in the matrix or declared outside the registry.
			keys := map[string]bool{}
			for k := range f.matrix("admin") {
				keys[k] = true
			}
			routes := map[string]bool{}
			for _, rt := range append(s.API.Router.Routes(), s.Web.Router.Routes()...) {
				if rt.Method == "*" {
					continue
				}
				k := rt.Method + " " + rt.Path
				routes[k] = true
				switch {
				case keys[k]:
				case slices.Contains(registryActions, rt.Action):
					t.Errorf("registry route %s (%s) has no calls in the canary matrix", k, rt.Action)
				case !slices.Contains(notRegistry, k):
					t.Errorf("route %s is neither in the canary matrix nor declared outside the registry", k)
				}
				if keys[k] && slices.Contains(notRegistry, k) {
					t.Errorf("route %s is both in the matrix and declared outside the registry", k)
				}
			}
			for k := range keys {
				if !routes[k] {
					t.Errorf("matrix route %s is not registered", k)
				}
			}
			for _, k := range notRegistry {
				if !routes[k] {
					t.Errorf("declared route %s is not registered", k)
				}
			}

			for _, role := range append(slices.Clone(demoRoles), "") {
				token := ""
				if role != "" {
					token = s.Login(t, role)
				}
				c := pageClient(t, s, role)
				m := f.matrix(role)
				order := make([]string, 0, len(m))
				for k := range m {
					order = append(order, k)
				}
				// API routes first, then pages, each sorted: the order is
				// the same in every run.
				sort.Slice(order, func(i, j int) bool {
					ai, aj := strings.Contains(order[i], " /api/"), strings.Contains(order[j], " /api/")
					if ai != aj {
						return ai
					}
					return order[i] < order[j]
				})
				for _, k := range order {
					for _, cl := range m[k] {
						if role == "" {
							cl.ok, cl.must, cl.reads = false, nil, 0 // may: only what the caller typed
						}
						before := auditedReads(t, s)
						st, loc, body := send(t, s, token, c, cl)
						who := fmt.Sprintf("%s %s as %q", cl.method, cl.path, role)
						switch {
						case st >= 500:
							t.Errorf("%s: %d %.300s", who, st, body)
						case role == "" && !(st == 401 || st == 303 && strings.HasPrefix(loc, "/login")):
							t.Errorf("%s: %d %s, want 401 or the sign-in page", who, st, loc)
						case role != "" && cl.ok && st >= 400:
							t.Errorf("%s: %d, want success (%.300s)", who, st, body)
						case role != "" && !cl.ok && st < 400:
							t.Errorf("%s: %d %s, want refused", who, st, loc)
						case role != "" && cl.status != 0 && st != cl.status:
							t.Errorf("%s: %d, want %d", who, st, cl.status)
						}
						for _, cn := range canaries {
							if strings.Contains(body, cn) && !slices.Contains(cl.may, cn) && !slices.Contains(cl.must, cn) {
								t.Errorf("%s: response holds canary %q", who, cn)
							}
						}
						for _, x := range cl.not {
							if strings.Contains(body, x) {
								t.Errorf("%s: response holds %q", who, x)
							}
						}
						if cl.ok {
							for _, cn := range cl.must {
								if !strings.Contains(body, cn) {
									t.Errorf("%s: response lacks %q (%.300s)", who, cn, body)
								}
							}
						}
						if cl.reads >= 0 {
							if got := auditedReads(t, s) - before; got != cl.reads {
								t.Errorf("%s: %d audited reads, want %d", who, got, cl.reads)
							}
						}
					}
				}
			}

			// Every reveal is audited with its field and reason.
			es, _, err := audit.List(context.Background(), s.DB, audit.Filter{Action: "resident.reveal", Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			if len(es) == 0 {
				t.Error("no reveal audited")
			}
			for _, e := range es {
				if (e.Detail != "核对信息" && e.Detail != "联系监护人") || len(e.Fields) != 1 {
					t.Errorf("reveal entry %+v", e)
				}
			}
			checkVolunteerAudit(t, s, f)
			checkVolunteerWrites(t, s, f)
		})
	}
}

// TestResidentFieldsFollowTheTable opens the adult canary's record as
// every role and checks each classified field is in the answer exactly
// when the table lets the role see it.
func TestResidentFieldsFollowTheTable(t *testing.T) {
	s := server.Start(t, server.Options{})
	f := seedFixture(t, s)
	for _, role := range demoRoles {
		r := rights{role}
		st, body := s.Do(t, "GET", fmt.Sprintf("/api/v1/residents/%d", f.adult), s.Login(t, role), nil)
		if !r.reach(true) {
			if st != 403 && st != 404 {
				t.Errorf("%s: %d", role, st)
			}
			continue
		}
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		for _, fl := range registry.Fields {
			// birth_date is revealed, not shown; party is a flag always
			// written; household_phone belongs to the flat.
			if fl.Name == "birth_date" || fl.Name == "party" || fl.Name == "household_phone" {
				continue
			}
			v, present := got[fl.Name]
			present = present && v != "" && !(fmt.Sprint(v) == "[]")
			if present != r.see(fl.Name) {
				t.Errorf("%s: field %s present = %v, table says see = %v", role, fl.Name, present, r.see(fl.Name))
			}
		}
	}
}
