// Package requests is residents' requests (诉求/工单): intake from every
// channel, a state machine with only allowed transitions, and the
// timeline of who did what (issue 6, step one; deadlines, routing,
// matching, Open311 and metrics come later and fit the same tables).
//
// How to call it (every function takes the acting *accounts.Principal;
// rows outside the actor's reach answer apperr NotFound, bad input
// apperr Invalid with per-field keys, a lost race apperr Conflict):
//
//	svc := requests.New(db, keys, clock, registryService, notifyService)
//
//	// The community's category tree (defaults written on first use).
//	cats, _ := svc.Categories(ctx, actor, cid)
//
//	// Intake: a resident for themself, or the office/grid worker on
//	// someone's behalf (a resident or a free contact with a phone).
//	r, _ := svc.Submit(ctx, actor, cid, requests.Input{
//		Channel: requests.ChannelPhone, Kind: requests.KindHelp,
//		CategoryID: cats[0].ID, BuildingID: 12, Description: "楼道灯不亮",
//		Urgency: requests.UrgencyGeneral, ContactName: "王大爷", ContactPhone: "13800001111",
//	})
//
//	// Reading: a page of the actor's reach (Total counts all matches),
//	// one request (its requester's data masked; audited), its timeline.
//	page, _ := svc.List(ctx, actor, requests.Filter{CommunityID: cid, Status: []requests.Status{requests.Submitted}})
//	r, _ = svc.Get(ctx, actor, id)
//	events, _ := svc.Timeline(ctx, actor, id)
//	phone, _ := svc.RevealPhone(ctx, actor, id, "回访核实")
//	r, _ = svc.Link(ctx, actor, id, otherID) // related requests
//	c, _ := svc.AddCategory(ctx, actor, cid, requests.CategoryInput{...}) // the office
//
//	// Every transition is one call to Do with the action's name; the
//	// table in machine.go says which status each starts from and ends in,
//	// and which fields it needs (a reason to reject, return, send back or
//	// reopen; a handler to dispatch; resolved and satisfaction to close).
//	r, _ = svc.Do(ctx, actor, id, requests.Step{Action: requests.ActAccept})
//	r, _ = svc.Do(ctx, actor, id, requests.Step{Action: requests.ActDispatch,
//		Handler: &requests.Handler{Kind: requests.HandlerOrganisation, ID: orgID}})
//	r, _ = svc.Do(ctx, actor, id, requests.Step{Action: requests.ActCallback,
//		Resolved: &yes, Satisfaction: requests.Satisfied})
//
//	// Routing, limits, lateness and duplicates (issue 6 step two):
//	// dispatch with no Handler follows the routing table (routing.go);
//	// the due columns follow the community's limits per urgency class,
//	// day limits in working days (deadlines.go); every read carries
//	// due_at, overdue and due_soon; Filter.Overdue lists the late; the
//	// hourly job escalates them (escalate.go); intake offers Similar
//	// open requests to merge into (duplicates.go).
//	rt, _ := svc.SetRouting(ctx, actor, cid, requests.Routing{SkilledTeamID: teamID, HeatingOrgID: orgID})
//	ds, _ := svc.SetDeadlines(ctx, actor, cid, []requests.Deadlines{{Urgency: requests.UrgencyGeneral,
//		Dispatch: requests.Limit{Hours: 24}, Sign: requests.Limit{Hours: 24}, Feedback: requests.Limit{Days: 5}}})
//	svc.Register(jobsRunner) // requests.escalate, hourly
//	sims, _ := svc.SimilarTo(ctx, actor, cid, buildingID, categoryID)
//
// Who may do what: the office (admin, worker) everything in its
// community; a grid worker the same on its grids' requests; the handler
// a request is dispatched to (a partner organisation's staff, a team's
// leader, a volunteer, a worker account) only the handler's steps (sign,
// return, progress, extension, result) on it; a resident their own
// requests (submit, read, callback, reopen). See scope.go.
package requests

import (
	"context"
	"fmt"
	"strconv"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/files"
	"github.com/linli/linli/internal/notify"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/secret"
)

// Channel is how a request came in.
type Channel string

const (
	ChannelWalkIn     Channel = "walk_in"     // 来访
	ChannelPhone      Channel = "phone"       // 来电
	ChannelWeb        Channel = "web"         // 网上 (the resident's own phone)
	ChannelDoorVisit  Channel = "door_visit"  // 入户走访
	ChannelGridPatrol Channel = "grid_patrol" // 网格巡查
	ChannelMeeting    Channel = "meeting"     // 议事会
	ChannelOpen311    Channel = "open311"     // Open311 GeoReport v2
)

// Channels lists every channel.
var Channels = []Channel{ChannelWalkIn, ChannelPhone, ChannelWeb, ChannelDoorVisit, ChannelGridPatrol, ChannelMeeting, ChannelOpen311}

// Kind is the 诉求类型 of the Beijing 条例.
type Kind string

const (
	KindConsult    Kind = "consult"    // 咨询
	KindHelp       Kind = "help"       // 求助
	KindComplaint  Kind = "complaint"  // 投诉
	KindReport     Kind = "report"     // 举报
	KindSuggestion Kind = "suggestion" // 建议
)

// Kinds lists every kind.
var Kinds = []Kind{KindConsult, KindHelp, KindComplaint, KindReport, KindSuggestion}

// Urgency is the class that will pick the deadlines (DB11/T 2021: 1 h /
// 2 h / 24 h to dispatch; 2 h / 24 h / 7 d / 15 d to feed back).
type Urgency string

const (
	UrgencyEmergency Urgency = "emergency" // 突发, life or property at risk
	UrgencyUtilities Urgency = "utilities" // 水电气热, extreme weather
	UrgencyGeneral   Urgency = "general"   // 一般
	UrgencyComplex   Urgency = "complex"   // 复杂疑难
)

// Urgencies lists every class.
var Urgencies = []Urgency{UrgencyEmergency, UrgencyUtilities, UrgencyGeneral, UrgencyComplex}

// Satisfaction is the requester's answer at the callback.
type Satisfaction string

const (
	Satisfied      Satisfaction = "satisfied"       // 满意
	BasicSatisfied Satisfaction = "basic_satisfied" // 基本满意
	Unsatisfied    Satisfaction = "unsatisfied"     // 不满意
)

// Satisfactions lists the answers.
var Satisfactions = []Satisfaction{Satisfied, BasicSatisfied, Unsatisfied}

// HandlerKind is what a request is dispatched to.
type HandlerKind string

const (
	HandlerTeam         HandlerKind = "team"         // a volunteer team (its leaders act)
	HandlerVolunteer    HandlerKind = "volunteer"    // one volunteer (their account acts)
	HandlerAccount      HandlerKind = "account"      // a worker's or grid worker's account
	HandlerOrganisation HandlerKind = "organisation" // a partner organisation (its staff act)
)

// HandlerKinds lists the kinds.
var HandlerKinds = []HandlerKind{HandlerTeam, HandlerVolunteer, HandlerAccount, HandlerOrganisation}

// Handler is a dispatch target.
type Handler struct {
	Kind HandlerKind `json:"kind"`
	ID   int64       `json:"id"`
	Name string      `json:"name,omitempty"` // filled when read
}

// MaxDescription bounds a description, in characters (issue 6).
const MaxDescription = 4000

// ReopenWindow is how long after closing a requester may reopen.
const ReopenWindowDays = 7

// Service is the requests domain.
type Service struct {
	db     *db.DB
	keys   *secret.Keyring
	clock  clock.Clock
	reg    *registry.Service
	notify *notify.Service
	photos *files.Store // request photos (photos.go); set by UsePhotos
}

// New returns a Service. n may be nil (no notifications are sent).
func New(d *db.DB, keys *secret.Keyring, c clock.Clock, reg *registry.Service, n *notify.Service) *Service {
	return &Service{db: d, keys: keys, clock: c, reg: reg, notify: n}
}

// aad binds a sealed value to its field and community, as the registry
// does, so a ciphertext cannot be moved to another row's community.
func aad(cid int64, field string) string {
	return "request." + field + ":" + strconv.FormatInt(cid, 10)
}

func (s *Service) seal(cid int64, field, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	ct, err := s.keys.Encrypt(plain, aad(cid, field))
	if err != nil {
		return "", fmt.Errorf("requests: seal %s: %w", field, err)
	}
	return ct, nil
}

func (s *Service) open(cid int64, field, ct string) (string, error) {
	if ct == "" {
		return "", nil
	}
	pt, err := s.keys.Decrypt(ct, aad(cid, field))
	if err != nil {
		return "", fmt.Errorf("requests: open %s: %w", field, err)
	}
	return pt, nil
}

// record writes an audit entry on q.
func (s *Service) record(ctx context.Context, q db.Querier, actor *accounts.Principal, action string, cid, id int64, detail string, fields ...string) error {
	e := actor.Audit(s.clock.Now(), action, cid)
	e.ObjectType, e.ObjectID, e.Detail, e.Fields = "request", fmt.Sprint(id), detail, fields
	return audit.Record(ctx, q, e)
}
