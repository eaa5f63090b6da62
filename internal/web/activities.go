package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/feeds"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/volunteers"
	"github.com/skip2/go-qrcode"
)

// The activities pages: the community's calendar (a month and a list),
// one date with the viewer's action (sign up, cancel, a guardian for
// each child, the office for anyone), my dates, planning a series, and
// running the day (roster, ticks, the QR code, check-out, hours).

// calItem is one occurrence as the calendar shows it.
type calItem struct {
	activities.Occurrence
	Day, Time string // 2026-12-26, 09:00–11:30
	Left      int    // places left
}

type calDay struct {
	Day     string // 2026-12-26, empty for the padding before the 1st
	Num     int
	Today   bool
	Items   []calItem
	Weekend bool
}

type activitiesData struct {
	View       string // month or list
	Month      string // 2026-12
	Prev, Next string
	TeamID     int64
	Teams      []volunteers.Team
	Items      []calItem
	Weeks      [][]calDay
	CanPlan    bool
	Year, Mon  int    // of the month shown
	Who        string // "me": only the viewer's and their children's dates
}

// Href is the calendar's address for month and view, keeping the team
// and who filters; who "" keeps the current one, "all" drops it.
func (d activitiesData) Href(month, view, who string) string {
	q := url.Values{"month": {month}, "view": {view}}
	if d.TeamID != 0 {
		q.Set("team", strconv.FormatInt(d.TeamID, 10))
	}
	if who == "" {
		who = d.Who
	}
	if who == "me" {
		q.Set("who", "me")
	}
	return "/activities?" + q.Encode()
}

func toItem(o activities.Occurrence) calItem {
	return calItem{Occurrence: o, Day: o.Start.Format("2006-01-02"),
		Time: o.Start.Format("15:04") + "–" + o.End.Format("15:04"), Left: max(0, o.Capacity-o.Signed)}
}

// activitiesPage is the community's calendar: a month grid or a list of
// the month's dates, optionally of one team, optionally (who=me) only of
// the dates the viewer or their children are signed up or waiting for.
func (w *Web) activitiesPage(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	now := w.Clock.Now().In(clock.Shanghai)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, clock.Shanghai)
	if m, err := time.ParseInLocation("2006-01", q.Get("month"), clock.Shanghai); err == nil && m.Year() >= 2000 && m.Year() <= 2100 {
		first = m
	}
	d := activitiesData{View: "month", Month: first.Format("2006-01"), Prev: first.AddDate(0, -1, 0).Format("2006-01"),
		Next: first.AddDate(0, 1, 0).Format("2006-01"), Year: first.Year(), Mon: int(first.Month()), CanPlan: w.canPlan(p, cid)}
	if q.Get("view") == "list" {
		d.View = "list"
	}
	d.TeamID, _ = strconv.ParseInt(q.Get("team"), 10, 64)
	if d.Teams, err = w.Volunteers.Teams(r.Context(), p, cid); err != nil {
		return err
	}
	if !slices.ContainsFunc(d.Teams, func(t volunteers.Team) bool { return t.ID == d.TeamID }) {
		d.TeamID = 0
	}
	occurrences := w.Activities.Occurrences
	if q.Get("who") == "me" {
		d.Who, occurrences = "me", w.Activities.MyOccurrences
	}
	occ, err := occurrences(r.Context(), p, cid, first, first.AddDate(0, 1, 0), d.TeamID)
	if err != nil {
		return err
	}
	byDay := map[string][]calItem{}
	for _, o := range occ {
		it := toItem(o)
		d.Items = append(d.Items, it)
		byDay[it.Day] = append(byDay[it.Day], it)
	}
	// Weeks start on Monday, as Chinese calendars do.
	var week []calDay
	for i := 0; i < (int(first.Weekday())+6)%7; i++ {
		week = append(week, calDay{})
	}
	for day := first; day.Month() == first.Month(); day = day.AddDate(0, 0, 1) {
		key := day.Format("2006-01-02")
		week = append(week, calDay{Day: key, Num: day.Day(), Today: key == now.Format("2006-01-02"), Items: byDay[key],
			Weekend: day.Weekday() == time.Saturday || day.Weekday() == time.Sunday})
		if len(week) == 7 {
			d.Weeks = append(d.Weeks, week)
			week = nil
		}
	}
	if len(week) > 0 {
		for len(week) < 7 {
			week = append(week, calDay{})
		}
		d.Weeks = append(d.Weeks, week)
	}
	return w.render(rw, http.StatusOK, "activities", w.view(rw, r, p, "activities", "activity.calendar", d))
}

// canPlan: the office, or a leader of a team.
func (w *Web) canPlan(p *accounts.Principal, cid int64) bool {
	return isOffice(p, cid) || slices.ContainsFunc(p.Grants, func(g accounts.Grant) bool { return g.Role == accounts.Leader && g.CommunityID == cid })
}

// person is someone the viewer may sign up, with their place on the date.
type person struct {
	VolunteerID int64
	Name        string
	Self        bool
	Status      string // signed, waitlisted or empty
	Position    int
	CheckedIn   *time.Time
}

type activityData struct {
	D         *activities.Detail
	Item      calItem
	People    []person // the viewer and their children
	NoProfile bool     // the viewer is not a volunteer
	CanManage bool     // the office or the team's leader
	Office    bool
	Query     string
	Found     []volunteers.Volunteer
	Errors    []string
	Deadline  string
	Open      bool // sign-up still open to the viewer
	Over      bool // ended and not skipped: its story can be written
}

func (w *Web) activityPage(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderActivity(rw, r, p, http.StatusOK, nil)
}

func (w *Web) renderActivity(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, errs []string) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	det, err := w.Activities.Detail(r.Context(), p, id)
	if err != nil {
		return err
	}
	cid := det.CommunityID
	d := activityData{D: det, Item: toItem(det.Occurrence), Errors: errs, Office: isOffice(p, cid),
		CanManage: isOffice(p, cid) || det.TeamID != 0 && leadsTeam(p, det.TeamID)}
	now := w.Clock.Now()
	d.Open = !det.Cancelled && now.Before(det.Start) && (d.Office || now.Before(det.Deadline()))
	d.Over = !det.Cancelled && !now.Before(det.End)
	if det.DeadlineHours > 0 {
		d.Deadline = det.Deadline().Format("2006-01-02 15:04")
	}
	mine, err := w.Activities.MyDates(r.Context(), p, cid, id)
	if err != nil {
		return err
	}
	at := map[int64]activities.MyDate{}
	for _, m := range mine {
		at[m.VolunteerID] = m
	}
	add := func(vid int64, name string, self bool) {
		pp := person{VolunteerID: vid, Name: name, Self: self}
		if m, ok := at[vid]; ok {
			pp.Status, pp.Position, pp.CheckedIn = m.Status, m.Position, m.CheckedIn
		}
		d.People = append(d.People, pp)
	}
	if me, err := w.Volunteers.Mine(r.Context(), p, cid); err == nil {
		add(me.ID, me.Name, true)
	} else if apperr.Is(err, apperr.NotFound) {
		d.NoProfile = true
	} else {
		return err
	}
	// A guardian's children: those of the household with a volunteer
	// profile the guardian's consent stands for (SignUp checks again).
	acc, err := w.Volunteers.AccessOf(r.Context(), p, cid)
	if err != nil {
		return err
	}
	family, _, err := w.Volunteers.Family(r.Context(), p, cid)
	if err != nil {
		return err
	}
	for _, f := range family {
		if f.VolunteerID != 0 && slices.Contains(acc.Own, f.VolunteerID) {
			add(f.VolunteerID, f.Name, false)
		}
	}
	// The office (or the team's leader) signs up someone without a phone.
	if d.CanManage {
		if d.Query = strings.TrimSpace(r.URL.Query().Get("q")); d.Query != "" {
			if d.Found, _, err = w.Volunteers.List(r.Context(), p, volunteers.Filter{CommunityID: cid, Query: d.Query, Limit: 20}); err != nil {
				return err
			}
		}
	}
	return w.render(rw, status, "activity", w.view(rw, r, p, "activities", "activity.detail", d))
}

// formVolunteer reads the volunteer_id of a sign-up form; empty is the
// actor themselves.
func formVolunteer(r *http.Request) int64 {
	vid, _ := strconv.ParseInt(r.PostForm.Get("volunteer_id"), 10, 64)
	return vid
}

func (w *Web) activitySignup(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	s, err := w.Activities.SignUp(r.Context(), p, id, formVolunteer(r))
	if e := apperr.From(err); err != nil && (e.Code == apperr.Invalid || e.Code == apperr.Conflict) {
		return w.renderActivity(rw, r, p, e.Code.Status(), fieldMessages(httpx.Lang(r, p), e))
	} else if err != nil {
		return err
	}
	flash := "activity.flash.signed"
	if s.Status == activities.Waitlisted {
		flash = "activity.flash.waitlisted"
	}
	redirect(rw, r, fmt.Sprintf("/activities/%d", id), flash)
	return nil
}

func (w *Web) activityCancel(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := w.Activities.Cancel(r.Context(), p, id, formVolunteer(r)); err != nil {
		return err
	}
	back := fmt.Sprintf("/activities/%d", id)
	if r.PostForm.Get("back") == "mine" {
		back = "/me/activities"
	}
	redirect(rw, r, back, "activity.flash.cancelled")
	return nil
}

// myDate is a MyDate with its person's name and whether it is past.
type myDate struct {
	activities.MyDate
	Name string
	Time string
	Past bool
}

type myActivitiesData struct {
	Coming, Past []myDate
	Feeds        []feeds.Feed // to subscribe to in a phone's calendar
}

// myActivities: the actor's dates and their children's, coming and past
// (with the check-in state).
func (w *Web) myActivities(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	dates, err := w.Activities.MyDates(r.Context(), p, cid, 0)
	if err != nil {
		return err
	}
	var ids []int64
	for _, m := range dates {
		if !slices.Contains(ids, m.VolunteerID) {
			ids = append(ids, m.VolunteerID)
		}
	}
	names, err := w.Volunteers.Names(r.Context(), p, cid, ids)
	if err != nil {
		return err
	}
	now := w.Clock.Now()
	var d myActivitiesData
	for _, m := range dates {
		it := myDate{MyDate: m, Name: names[m.VolunteerID][0], Time: m.Start.Format("2006-01-02 15:04") + "–" + m.End.Format("15:04"), Past: !m.End.After(now)}
		if it.Past {
			d.Past = append(d.Past, it)
		} else {
			d.Coming = append(d.Coming, it)
		}
	}
	slices.Reverse(d.Past) // the latest first
	if w.Feeds != nil {
		if d.Feeds, err = w.Feeds.List(r.Context(), p, cid, httpx.BaseURL(r, w.PublicURL)); err != nil {
			return err
		}
	}
	return w.render(rw, http.StatusOK, "myactivities", w.view(rw, r, p, "activities", "activity.mine", d))
}

type planData struct {
	Teams         []volunteers.Team
	Places        []activities.Place
	Organisations []volunteers.Organisation
	Categories    []string
	OpenTo        []string
	Weekdays      []string
	Form          url.Values
	Errors        []string
	Office        bool // may plan without a team
}

// Chosen reports whether a multi-valued form field holds v.
func (d planData) Chosen(field string, v int64) bool {
	return slices.Contains(d.Form[field], strconv.FormatInt(v, 10))
}

func (w *Web) planPage(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	now := w.Clock.Now().In(clock.Shanghai).AddDate(0, 0, 7)
	form := url.Values{"date": {now.Format("2006-01-02")}, "start_time": {"09:00"}, "end_time": {"11:00"}, "capacity": {"20"},
		"deadline_hours": {"24"}, "repeat": {"none"}, "weekday": {"SA"}, "open_to": {"volunteers"}, "visibility": {"members"}}
	return w.renderPlan(rw, r, p, http.StatusOK, form, nil)
}

func (w *Web) renderPlan(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, form url.Values, errs []string) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	if !w.canPlan(p, cid) {
		return apperr.ForbiddenErr()
	}
	d := planData{Categories: volunteers.Categories, OpenTo: activities.OpenTo, Weekdays: []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}, Form: form, Errors: errs, Office: isOffice(p, cid)}
	teams, err := w.Volunteers.Teams(r.Context(), p, cid)
	if err != nil {
		return err
	}
	for _, t := range teams {
		if isOffice(p, cid) || leadsTeam(p, t.ID) {
			d.Teams = append(d.Teams, t)
		}
	}
	if d.Places, err = w.Activities.Places(r.Context(), p, cid); err != nil {
		return err
	}
	if d.Organisations, err = w.Volunteers.Organisations(r.Context(), p, cid); err != nil && !apperr.Is(err, apperr.Forbidden) && !apperr.Is(err, apperr.NotFound) {
		return err
	}
	return w.render(rw, status, "activity_form", w.view(rw, r, p, "activities", "activity.plan", d))
}

// ruleOf turns the form's repeat choice into an RFC 5545 rule.
func ruleOf(f url.Values) string {
	day := strings.ToUpper(f.Get("weekday"))
	if !slices.Contains([]string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}, day) {
		day = "SA"
	}
	switch f.Get("repeat") {
	case "weekly":
		return "FREQ=WEEKLY;BYDAY=" + day
	case "monthly_last":
		return "FREQ=MONTHLY;BYDAY=-1" + day
	case "custom":
		return strings.TrimSpace(f.Get("rrule"))
	}
	return ""
}

func (w *Web) createActivity(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	f := r.PostForm
	num := func(k string) int { n, _ := strconv.Atoi(strings.TrimSpace(f.Get(k))); return n }
	team, _ := strconv.ParseInt(f.Get("team_id"), 10, 64)
	place, _ := strconv.ParseInt(f.Get("place_id"), 10, 64)
	in := activities.Input{Title: f.Get("title"), Description: f.Get("description"), Kind: f.Get("kind"), TeamID: team, PlaceID: place,
		Category: f.Get("category"), Tasks: f.Get("tasks"), Risks: f.Get("risks"), Protection: f.Get("protection"), Insurance: f.Get("insurance"),
		MinAge: optionalInt(f.Get("min_age")), MaxAge: optionalInt(f.Get("max_age")), Accompany: f.Get("accompany") == "1", WalkIns: f.Get("walk_ins") == "1",
		OpenTo: f.Get("open_to"), Capacity: num("capacity"), DeadlineHours: num("deadline_hours"), Visibility: f.Get("visibility"), RRule: ruleOf(f)}
	if day := strings.TrimSpace(f.Get("date")); day != "" {
		in.Start, in.End = day+"T"+f.Get("start_time"), day+"T"+f.Get("end_time")
	}
	for _, s := range f["organisations"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			in.Organisations = append(in.Organisations, id)
		}
	}
	if _, err := w.Activities.Create(r.Context(), p, cid, in); err != nil {
		e := apperr.From(err)
		if e.Code == apperr.Invalid || e.Code == apperr.Conflict {
			return w.renderPlan(rw, r, p, e.Code.Status(), f, fieldMessages(httpx.Lang(r, p), e))
		}
		return err
	}
	to := url.Values{"view": {"list"}}
	if len(in.Start) >= 7 {
		to.Set("month", in.Start[:7])
	}
	if team != 0 {
		to.Set("team", strconv.FormatInt(team, 10))
	}
	redirect(rw, r, "/activities?"+to.Encode(), "activity.flash.planned")
	return nil
}

// rosterRow is one person on the run page.
type rosterRow struct {
	activities.RosterEntry
	Name, Number string
	In, Out      *time.Time
	How          string
}

type creditRow struct {
	activities.Credit
	Name, Hours string
}

type runData struct {
	D                  *activities.Detail
	Item               calItem
	Roster             []rosterRow
	WalkIns            []rosterRow // checked in without a sign-up
	CheckinURL, Code   string
	Expires            time.Time
	Credits            []creditRow
	Round              int
	Rounds             []int
	Errors             []string
	SignedCount, InNow int
	Over               bool // ended and not skipped: its story can be written
}

// runPage is the organiser's screen for the day: roster and waitlist with
// a tick per person, check out everyone, the QR code, and the hours.
func (w *Web) runPage(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	round, err := strconv.Atoi(r.URL.Query().Get("round"))
	if err != nil {
		round = 15
	}
	return w.renderRun(rw, r, p, http.StatusOK, round, nil)
}

func (w *Web) renderRun(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status, round int, errs []string) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	det, err := w.Activities.Detail(ctx, p, id)
	if err != nil {
		return err
	}
	roster, err := w.Activities.Roster(ctx, p, id)
	if err != nil {
		return err
	}
	att, err := w.Activities.Attendance(ctx, p, id)
	if err != nil {
		return err
	}
	code, until, err := w.Activities.Code(ctx, p, id)
	if err != nil {
		return err
	}
	d := runData{D: det, Item: toItem(det.Occurrence), Code: code, Expires: until, CheckinURL: w.checkinURL(r, id, code),
		Round: round, Rounds: []int{1, 5, 10, 15, 30, 60}, Errors: errs, Over: !det.Cancelled && !w.Clock.Now().Before(det.End)}
	if !slices.Contains(d.Rounds, round) {
		d.Round = 15
	}
	ids := []int64{}
	for _, s := range roster {
		ids = append(ids, s.VolunteerID)
	}
	for _, c := range att {
		ids = append(ids, c.VolunteerID)
	}
	names, err := w.Volunteers.Names(ctx, p, det.CommunityID, ids)
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	byVol := map[int64]activities.Checkin{}
	for _, c := range att {
		byVol[c.VolunteerID] = c
		if c.Out == nil {
			d.InNow++
		}
	}
	row := func(s activities.RosterEntry) rosterRow {
		rr := rosterRow{RosterEntry: s, Name: names[s.VolunteerID][0], Number: names[s.VolunteerID][1]}
		if c, ok := byVol[s.VolunteerID]; ok {
			in := c.In.In(clock.Shanghai)
			rr.In, rr.How = &in, c.How
			if c.Out != nil {
				out := c.Out.In(clock.Shanghai)
				rr.Out = &out
			}
		}
		return rr
	}
	for _, s := range roster {
		if s.Status == activities.Cancelled {
			continue
		}
		if s.Status == activities.Signed {
			d.SignedCount++
			seen[s.VolunteerID] = true
		}
		d.Roster = append(d.Roster, row(s))
	}
	for _, c := range att {
		if !seen[c.VolunteerID] {
			d.WalkIns = append(d.WalkIns, row(activities.RosterEntry{Signup: activities.Signup{VolunteerID: c.VolunteerID, Status: "walk_in"}}))
		}
	}
	credits, err := w.Activities.Credits(ctx, p, id, d.Round)
	if err != nil {
		return err
	}
	for _, c := range credits {
		d.Credits = append(d.Credits, creditRow{Credit: c, Name: names[c.VolunteerID][0], Hours: strconv.FormatFloat(float64(c.Minutes)/60, 'f', 2, 64)})
	}
	return w.render(rw, status, "activity_run", w.view(rw, r, p, "activities", "activity.run", d))
}

// checkinURL is what the QR code holds: the absolute address the phone's
// camera opens.
func (w *Web) checkinURL(r *http.Request, id int64, code string) string {
	return fmt.Sprintf("%s/checkin/%d?c=%s", httpx.BaseURL(r, w.PublicURL), id, url.QueryEscape(code))
}

// runAction answers a form of the run page: the error shown on it, or
// back to it with a flash.
func (w *Web) runAction(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, round int, err error, flash string) error {
	if e := apperr.From(err); err != nil && (e.Code == apperr.Invalid || e.Code == apperr.Conflict) {
		return w.renderRun(rw, r, p, e.Code.Status(), round, fieldMessages(httpx.Lang(r, p), e))
	} else if err != nil {
		return err
	}
	id, _ := pathInt(r, "id")
	redirect(rw, r, fmt.Sprintf("/activities/%d/run?round=%d", id, round), flash)
	return nil
}

func formRound(r *http.Request) int {
	n, err := strconv.Atoi(r.PostForm.Get("round"))
	if err != nil {
		return 15
	}
	return n
}

func (w *Web) runTick(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	_, err = w.Activities.Tick(r.Context(), p, id, formVolunteer(r))
	return w.runAction(rw, r, p, formRound(r), err, "activity.flash.ticked")
}

func (w *Web) runCheckout(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	_, err = w.Activities.CheckOutAll(r.Context(), p, id)
	return w.runAction(rw, r, p, formRound(r), err, "activity.flash.checked_out")
}

func (w *Web) runPostHours(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	_, err = w.Activities.PostHours(r.Context(), p, id, formRound(r))
	return w.runAction(rw, r, p, formRound(r), err, "activity.flash.posted")
}

type qrData struct {
	D                *activities.Detail
	Item             calItem
	CheckinURL, Code string
	Expires          time.Time
}

// qrScreen is the QR code alone, large, for a screen or projector at the
// door; it refreshes itself every minute (qr.js, or a meta refresh
// without script).
func (w *Web) qrScreen(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	det, err := w.Activities.Detail(r.Context(), p, id)
	if err != nil {
		return err
	}
	code, until, err := w.Activities.Code(r.Context(), p, id)
	if err != nil {
		return err
	}
	d := qrData{D: det, Item: toItem(det.Occurrence), Code: code, Expires: until, CheckinURL: w.checkinURL(r, id, code)}
	return w.render(rw, http.StatusOK, "activity_qr", w.view(rw, r, p, "activities", "activity.qr", d))
}

// qrPNG is the current check-in code as a QR image, made on the server
// with the library the certificates use.
func (w *Web) qrPNG(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	code, _, err := w.Activities.Code(r.Context(), p, id)
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(w.checkinURL(r, id, code), qrcode.Medium, 512)
	if err != nil {
		return fmt.Errorf("web: check-in qr code: %w", err)
	}
	rw.Header().Set("Content-Type", "image/png")
	rw.Header().Set("Cache-Control", "no-store")
	_, err = rw.Write(png)
	return err
}

// qrText is the current check-in address as plain text, for qr.js to
// update the printed link when it swaps the image.
func (w *Web) qrText(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	code, _, err := w.Activities.Code(r.Context(), p, id)
	if err != nil {
		return err
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	_, err = fmt.Fprint(rw, w.checkinURL(r, id, code))
	return err
}

type checkinData struct {
	D       *activities.Detail
	Item    calItem
	Code    string
	Done    *time.Time // checked in at
	Problem string     // why there is no button
}

// checkinPage is what the phone's camera opens: the date and a confirm
// button that posts the code (a GET never changes anything), or the
// success screen once checked in.
func (w *Web) checkinPage(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderCheckin(rw, r, p, http.StatusOK, r.URL.Query().Get("c"), "")
}

// checkinShort takes the API's form of the address, /checkin/{id}/{code}.
func (w *Web) checkinShort(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	http.Redirect(rw, r, fmt.Sprintf("/checkin/%d?c=%s", id, url.QueryEscape(r.PathValue("code"))), http.StatusSeeOther)
	return nil
}

func (w *Web) renderCheckin(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, code, problem string) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	det, err := w.Activities.Detail(r.Context(), p, id)
	if err != nil {
		return err
	}
	d := checkinData{D: det, Item: toItem(det.Occurrence), Code: code, Problem: problem}
	mine, err := w.Activities.MyDates(r.Context(), p, det.CommunityID, id)
	if err != nil {
		return err
	}
	me, err := w.Volunteers.Mine(r.Context(), p, det.CommunityID)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return err
	}
	for _, m := range mine {
		if me != nil && m.VolunteerID == me.ID && m.CheckedIn != nil {
			d.Done = m.CheckedIn
		}
	}
	lang := httpx.Lang(r, p)
	if d.Done == nil && d.Problem == "" && !w.Activities.CodeValid(id, code) {
		d.Problem, status = i18n.T(lang, "activity.code.stale", nil), http.StatusUnprocessableEntity
	}
	return w.render(rw, status, "checkin", w.view(rw, r, p, "activities", "activity.checkin", d))
}

func (w *Web) checkin(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	code := r.PostForm.Get("c")
	if _, err := w.Activities.CheckIn(r.Context(), p, id, code); err != nil {
		e := apperr.From(err)
		if e.Code == apperr.Invalid || e.Code == apperr.Conflict {
			return w.renderCheckin(rw, r, p, e.Code.Status(), code, i18n.T(httpx.Lang(r, p), e.Key, e.Args))
		}
		if e.Code == apperr.NotFound {
			// Signed in but without a volunteer profile here; another
			// community's date stays a 404 (renderCheckin reads it first).
			return w.renderCheckin(rw, r, p, http.StatusNotFound, code, i18n.T(httpx.Lang(r, p), "activity.checkin.no_profile", nil))
		}
		return err
	}
	redirect(rw, r, fmt.Sprintf("/checkin/%d", id), "")
	return nil
}
