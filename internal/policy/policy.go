// Package policy is the one place that says who may do what. Every route
// of the web UI and the API names an Action; the table below says which
// roles may perform it. Tests read the same table: a route without an
// entry fails them, and the authorization matrix is generated from it.
//
// Policy answers "may this role do this in this community". Finer scope —
// a grid worker's own grids, a leader's own team, a resident's own
// household — is narrowed by the domain service that loads the rows, and a
// row outside the actor's scope is reported as not found, never shown.
package policy

import (
	"slices"

	"github.com/linli/linli/internal/accounts"
)

// Action names something a user can do.
type Action string

// Who may perform an action.
type Rule struct {
	// Public actions need no sign-in (the login page, health checks).
	Public bool
	// Roles that may perform the action; empty with Public false means any
	// signed-in account may, on its own data.
	Roles []accounts.Role
	// Description, for the generated matrix and the OpenAPI document.
	Doc string
}

const (
	Health            Action = "health"
	Login             Action = "session.login"
	Logout            Action = "session.logout"
	Home              Action = "home"
	MeRead            Action = "me.read"
	MeUpdate          Action = "me.update"
	Notifications     Action = "notifications.read"
	NotificationsMark Action = "notifications.mark"
	UsersList         Action = "users.list"
	UsersCreate       Action = "users.create"
	UsersUpdate       Action = "users.update"
	UsersGrant        Action = "users.grant"
	CalendarRead      Action = "calendar.read"
	CalendarEdit      Action = "calendar.edit"
	AuditRead         Action = "audit.read"
	WebhooksManage    Action = "webhooks.manage"
	RegistryRead      Action = "registry.read"
	RegistryEdit      Action = "registry.edit"
	RegistryReveal    Action = "registry.reveal"
	RegistryStats     Action = "registry.stats"
	RegistryExport    Action = "registry.export"
	RegistryImport    Action = "registry.import"
	ErasureManage     Action = "registry.erasure"
	TagsManage        Action = "registry.tags"
	VolunteersRead    Action = "volunteers.read"
	VolunteersEdit    Action = "volunteers.edit"
	VolunteersReveal  Action = "volunteers.reveal"
	VolunteerRules    Action = "volunteers.rules"
	TeamsRead         Action = "teams.read"
	TeamsManage       Action = "teams.manage"
	TeamMembers       Action = "teams.members"
	OrgsRead          Action = "organisations.read"
	OrgsManage        Action = "organisations.manage"
	HoursRecord       Action = "hours.record"
	HoursRead         Action = "hours.read"
	HoursReview       Action = "hours.review"
	MatrixRead        Action = "matrix.read"
	StarsManage       Action = "hours.stars"
	CertIssue         Action = "certificates.issue"
	HoursExport       Action = "hours.export"
	PointsRead        Action = "points.read"
	ActivitiesRead    Action = "activities.read"
	ActivitiesPlan    Action = "activities.plan"
	PlacesManage      Action = "places.manage"
	ActivitiesSignup  Action = "activities.signup"
	ActivitiesRoster  Action = "activities.roster"
	ActivitiesCheckin Action = "activities.checkin"
	FeedsManage       Action = "feeds.manage"
	FeedRead          Action = "feeds.read"
	StoriesRead       Action = "stories.read"
	StoriesWrite      Action = "stories.write"
	ShopRedeem        Action = "shop.redeem"
	ShopManage        Action = "shop.manage"
	CertRead          Action = "certificates.read"
	CertVerify        Action = "certificates.verify"
	Static            Action = "static"
	Prefs             Action = "prefs"
	APIDoc            Action = "api.doc"
	RequestsRead      Action = "requests.read"
	RequestsIntake    Action = "requests.intake"
	RequestsManage    Action = "requests.manage"
	RequestsHandle    Action = "requests.handle"
	RequestsCallback  Action = "requests.callback"
	RequestsReveal    Action = "requests.reveal"
	RequestCategories Action = "requests.categories"
	RequestsMetrics   Action = "requests.metrics"
	RequestsPhotos    Action = "requests.photos"
	Open311Read       Action = "open311.read"
	Open311Submit     Action = "open311.submit"
	Open311Keys       Action = "open311.keys"
)

var (
	staff         = []accounts.Role{accounts.Admin, accounts.Worker, accounts.Grid, accounts.Street}
	admin         = []accounts.Role{accounts.Admin}
	office        = []accounts.Role{accounts.Admin, accounts.Worker}
	registryStaff = []accounts.Role{accounts.Admin, accounts.Worker, accounts.Grid}
	community     = []accounts.Role{accounts.Admin, accounts.Worker, accounts.Grid, accounts.Leader, accounts.Volunteer, accounts.Resident, accounts.Partner}
)

// Rules is the policy table.
var Rules = map[Action]Rule{
	Health:            {Public: true, Doc: "liveness and readiness"},
	Static:            {Public: true, Doc: "embedded CSS, scripts and icons"},
	APIDoc:            {Public: true, Doc: "the OpenAPI document"},
	Login:             {Public: true, Doc: "sign in"},
	Prefs:             {Public: true, Doc: "switch language or text size (a cookie; saved to the account when signed in)"},
	Logout:            {Doc: "sign out, ending the session"},
	Home:              {Doc: "home page"},
	MeRead:            {Doc: "own account and roles"},
	MeUpdate:          {Doc: "own language, text size and password"},
	Notifications:     {Doc: "own notifications"},
	NotificationsMark: {Doc: "mark own notifications read"},
	UsersList:         {Roles: admin, Doc: "list accounts of the community"},
	UsersCreate:       {Roles: admin, Doc: "create an account"},
	UsersUpdate:       {Roles: admin, Doc: "disable, enable, reset password"},
	UsersGrant:        {Roles: admin, Doc: "grant and revoke roles"},
	CalendarRead:      {Roles: append(slices.Clone(community), accounts.Street), Doc: "working-day calendar"},
	CalendarEdit:      {Roles: admin, Doc: "set holidays and make-up workdays"},
	AuditRead:         {Roles: admin, Doc: "read the audit log of the community"},
	WebhooksManage:    {Roles: admin, Doc: "add, list and remove the community's webhooks"},
	// The registry: rows only for staff (a grid worker: their grids, see
	// registry.scope); street supervisors see aggregates; the field table
	// in internal/registry says which fields each role sees and reveals.
	RegistryRead:   {Roles: registryStaff, Doc: "browse buildings, households and residents (masked)"},
	RegistryEdit:   {Roles: registryStaff, Doc: "create and correct residents and households, record moves"},
	RegistryReveal: {Roles: registryStaff, Doc: "unmask one sensitive field, with a reason (audited)"},
	RegistryStats:  {Roles: append(slices.Clone(registryStaff), accounts.Street), Doc: "registry counts, without rows"},
	RegistryExport: {Roles: office, Doc: "export residents and households to Excel or CSV"},
	RegistryImport: {Roles: office, Doc: "import residents from Excel or CSV"},
	ErasureManage:  {Roles: office, Doc: "carry out or refuse residents' erasure requests"},
	TagsManage:     {Roles: admin, Doc: "add and remove the community's resident tags"},
	// The volunteer matrix: the service narrows every row to the actor's
	// reach (the office: all; grid workers: names and skills; a leader:
	// their team's members; anyone else: themselves and the children they
	// are guardian of), see volunteers.reach.
	VolunteersRead:   {Roles: community, Doc: "list and open volunteer profiles within one's reach"},
	VolunteersEdit:   {Roles: community, Doc: "register a volunteer (oneself, one's child, or anyone for the office), change a profile, record or withdraw consent"},
	VolunteersReveal: {Roles: []accounts.Role{accounts.Admin, accounts.Worker, accounts.Leader}, Doc: "unmask a volunteer's phone, with a reason (audited; a leader: own team's members)"},
	VolunteerRules:   {Roles: office, Doc: "set the community's volunteer age rules and skill list"},
	TeamsRead:        {Roles: community, Doc: "the community's teams and what backs them"},
	TeamsManage:      {Roles: office, Doc: "create and change teams"},
	TeamMembers:      {Roles: community, Doc: "join or leave a team (oneself, one's child; a leader: their team; the office: any)"},
	OrgsRead:         {Roles: []accounts.Role{accounts.Admin, accounts.Worker, accounts.Grid, accounts.Partner}, Doc: "partner organisations (a partner: their own)"},
	OrgsManage:       {Roles: office, Doc: "create and change organisations, record commitments"},
	// The hours ledger: the service narrows rows to the actor's reach (the
	// office: all; a leader: their teams' records; others: their own and
	// their children's), see hours.scope.
	HoursRecord: {Roles: []accounts.Role{accounts.Admin, accounts.Worker, accounts.Leader}, Doc: "record service hours (a leader: for their team's members)"},
	HoursRead:   {Roles: community, Doc: "service records and hours within one's reach"},
	HoursReview: {Roles: []accounts.Role{accounts.Admin, accounts.Worker, accounts.Leader}, Doc: "confirm or refuse back-fills, reverse records with a reason"},
	MatrixRead:  {Roles: append(slices.Clone(community), accounts.Street), Doc: "the volunteer matrix and hour totals: counts, no names"},
	StarsManage: {Roles: office, Doc: "set the star thresholds"},
	HoursExport: {Roles: office, Doc: "export service records for the national volunteer system (with ID numbers; reason required, audited)"},
	// Certificates: a volunteer (or their guardian) issues and reads their
	// own, the office anyone's; anyone may verify one by its number.
	// Activities: everyone in the community sees the calendar and signs
	// up (themselves, their child; the office anyone); the office plans
	// any series, a leader their team's, and they see the rosters.
	ActivitiesRead:    {Roles: community, Doc: "the community's activities and their dates"},
	ActivitiesPlan:    {Roles: []accounts.Role{accounts.Admin, accounts.Worker, accounts.Leader}, Doc: "plan an activity or a series, and move, change or skip its dates (a leader: for their team)"},
	ActivitiesSignup:  {Roles: community, Doc: "sign up for or cancel a date (oneself, one's child; the office: anyone)"},
	ActivitiesRoster:  {Roles: []accounts.Role{accounts.Admin, accounts.Worker, accounts.Leader}, Doc: "run a date: roster and waitlist, the check-in code, ticking people in, checking everyone out (a leader: their team's)"},
	ActivitiesCheckin: {Roles: community, Doc: "check oneself in with the code on the organiser's screen"},
	// Calendar feeds: one's own secret feed URLs (the community's, one's
	// teams', one's sign-ups); the feed itself is fetched by its token,
	// which is the credential, and answers 404 once its owner may no
	// longer see it.
	FeedsManage: {Roles: community, Doc: "list one's calendar feed URLs, or give them new tokens"},
	FeedRead:    {Public: true, Doc: "an iCalendar feed, by its secret token"},
	// Stories: anyone reads the public ones (the service narrows
	// members-only stories to members and unconsented photos to the
	// office); the office and a team's leaders write them.
	StoriesRead:  {Public: true, Doc: "stories of finished activities and their photos (members-only ones for members; a photo without everyone's consent for the office)"},
	StoriesWrite: {Roles: []accounts.Role{accounts.Admin, accounts.Worker, accounts.Leader}, Doc: "write the story of a finished date and add its photos (a leader: their team's)"},
	// Points and the shop: one's own points (and one's children's); the
	// office keeps the shelf, the rules and the counter.
	PointsRead: {Roles: community, Doc: "one's points, the shop's items"},
	ShopRedeem: {Roles: community, Doc: "exchange one's points (or one's child's; the office: anyone's) for an item"},
	ShopManage: {Roles: office, Doc: "stock the points shop, take items back, set the points rules"},
	CertIssue:  {Roles: community, Doc: "issue a volunteer record certificate (one's own or one's child's; the office: anyone's)"},
	CertRead:   {Roles: community, Doc: "one's own certificates, as PDF or a printable page"},
	CertVerify: {Public: true, Doc: "check a certificate by its number (name, period, hours, issuer only)"},
	// The places activities are held at are the office's list; everyone
	// in the community reads it (activities.read) to choose from it.
	PlacesManage: {Roles: office, Doc: "add, rename, resize and retire the community's places"},
	// Residents' requests: the service narrows every row to the actor's
	// reach and each step to its side (requests.reach): the office all
	// of its community, a grid worker its grids', a handler (team leader,
	// volunteer, partner staff) what is dispatched to it, a resident
	// their own. Rows outside the reach answer not found.
	RequestsRead:      {Roles: append(slices.Clone(community), accounts.Street), Doc: "residents' requests and their timelines within one's reach (the street: read-only, those escalated to it)"},
	RequestsIntake:    {Roles: []accounts.Role{accounts.Admin, accounts.Worker, accounts.Grid, accounts.Resident}, Doc: "register a request (a resident: their own; the office and grid workers: anyone's)"},
	RequestsManage:    {Roles: registryStaff, Doc: "accept, reject, merge, dispatch, decide extensions, verify or send back a request (a grid worker: their grids')"},
	RequestsHandle:    {Roles: []accounts.Role{accounts.Admin, accounts.Worker, accounts.Grid, accounts.Leader, accounts.Volunteer, accounts.Partner}, Doc: "sign for, return, report progress on, ask more time for and submit the result of a request dispatched to one"},
	RequestsCallback:  {Roles: []accounts.Role{accounts.Admin, accounts.Worker, accounts.Grid, accounts.Resident}, Doc: "answer the callback of a request or reopen it (a resident: their own; the office on their behalf)"},
	RequestsMetrics:   {Roles: append(slices.Clone(registryStaff), accounts.Street), Doc: "the requests' response, resolution and satisfaction rates and other figures, counted from their timelines (a grid worker: their grids'; the street: its communities', naming no one)"},
	RequestCategories: {Roles: office, Doc: "add, rename, publish and retire the community's request categories; set its routing rules and time limits"},
	RequestsReveal:    {Roles: []accounts.Role{accounts.Admin, accounts.Worker, accounts.Grid, accounts.Leader, accounts.Volunteer, accounts.Partner}, Doc: "unmask a requester's phone, with a reason (audited; a handler: what is dispatched to it)"},
	// Adding a photo is a write, but every role that may read a request
	// may add to it (the resident a photo of the leak, the handler one of
	// the repair); the service allows it on open requests within reach.
	RequestsPhotos: {Roles: community, Doc: "add photos to an open request within one's reach (its photos are read with the request: requests.read)"},
	// Open311 GeoReport v2: anyone reads the public side (public
	// categories only, places at building level, no requester); a POST
	// is public too, its credential the api_key the spec puts in the
	// form (403 without a live one). Keys are the admin's.
	Open311Read:   {Public: true, Doc: "Open311 discovery, services and the public requests (public categories, building-level places, no requester)"},
	Open311Submit: {Public: true, Doc: "file a request through Open311 with an API key (403 without a live key; rate-limited per key)"},
	Open311Keys:   {Roles: admin, Doc: "create, list and revoke the community's Open311 API keys"},
}

// Lookup returns the rule of a, and whether there is one.
func Lookup(a Action) (Rule, bool) {
	r, ok := Rules[a]
	return r, ok
}

// Permits reports whether p may perform a at all, in any community: used by
// routers before the community of the target is known, and to decide what
// a menu shows.
func Permits(p *accounts.Principal, a Action) bool {
	r, ok := Rules[a]
	if !ok {
		return false // unknown actions are denied
	}
	if r.Public {
		return true
	}
	if p == nil {
		return false
	}
	if p.System || len(r.Roles) == 0 {
		return true // the console is allowed everything (accounts.Principal.System)
	}
	for _, g := range p.Grants {
		if slices.Contains(r.Roles, g.Role) {
			return true
		}
	}
	return false
}

// PermitsIn reports whether p may perform a in community cid: p needs a
// grant of an allowed role in that community, or a street grant over the
// street cid belongs to (streetOf tells which street that is).
func PermitsIn(p *accounts.Principal, a Action, cid int64, streetOf func(int64) int64) bool {
	r, ok := Rules[a]
	if !ok {
		return false
	}
	if r.Public {
		return true
	}
	if p == nil {
		return false
	}
	if p.System {
		return true
	}
	for _, g := range p.Grants {
		if len(r.Roles) > 0 && !slices.Contains(r.Roles, g.Role) {
			continue
		}
		if g.Role == accounts.Street {
			if streetOf != nil && g.StreetID != 0 && streetOf(cid) == g.StreetID {
				return true
			}
			continue
		}
		if g.CommunityID == cid {
			return true
		}
	}
	return false
}
