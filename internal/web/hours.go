package web

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/sheets"
	"github.com/linli/linli/internal/volunteers"
)

// bar is one bar of the matrix's server-side SVG chart.
type bar struct {
	Label       string
	Hours       float64
	Width, Y    int
	LabelY      int
	ValueX      int
	MonthWidth  int
	TeamID      int64
	Activities  int
	MembersText string
}

type matrixData struct {
	CommunityID int64
	M           *hours.Matrix
	By          string
	Bars        []bar
	Height      int
	MaxYear     float64
}

// Heat grades a cell 0-5 against the largest cell, for its shading.
func (d matrixData) Heat(h float64) int {
	if h <= 0 || d.MaxYear <= 0 {
		return 0
	}
	return 1 + int(math.Min(4, math.Floor(h/d.MaxYear*5)))
}

// matrixCommunity: the actor's community, or for a street supervisor the
// community_id they ask for (they see counts of the communities of their
// street).
func matrixCommunity(r *http.Request, p *accounts.Principal) (int64, error) {
	if s := r.URL.Query().Get("community_id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return 0, apperr.NotFoundErr()
		}
		return id, nil
	}
	if cs := p.Communities(); len(cs) > 0 {
		return cs[0], nil
	}
	return 0, apperr.NotFoundErr()
}

func (w *Web) matrix(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := matrixCommunity(r, p)
	if err != nil {
		if p.Has(accounts.Street) {
			return w.streetMatrix(rw, r, p)
		}
		return err
	}
	by := r.URL.Query().Get("by")
	if by != "grid" {
		by = "category"
	}
	m, err := w.Hours.Matrix(r.Context(), p, cid, by, w.Tenancy.StreetOf)
	if err != nil {
		return err
	}
	d := matrixData{M: m, By: by, CommunityID: cid}
	var top float64
	for _, row := range m.Rows {
		top = math.Max(top, row.YearHours)
		for _, c := range row.Cells {
			d.MaxYear = math.Max(d.MaxYear, c.YearHours)
		}
	}
	const rowH, labelW, chartW = 38, 0, 200
	for i, row := range m.Rows {
		b := bar{Label: row.Team, Hours: row.YearHours, TeamID: row.TeamID, Activities: row.Activities, Y: i*rowH + 20, LabelY: i*rowH + 14}
		if top > 0 {
			b.Width = int(row.YearHours / top * chartW)
			b.MonthWidth = int(row.MonthHours / top * chartW)
		}
		b.ValueX = labelW + b.Width + 6
		d.Bars = append(d.Bars, b)
	}
	d.Height = len(m.Rows)*rowH + 8
	return w.render(rw, http.StatusOK, "matrix", w.view(rw, r, p, "matrix", "matrix.title", d))
}

// streetMatrix lists the street's communities to choose from.
func (w *Web) streetMatrix(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	for _, g := range p.Grants {
		if g.Role == accounts.Street && g.StreetID != 0 {
			cs, err := w.Tenancy.Communities(r.Context(), g.StreetID)
			if err != nil {
				return err
			}
			if len(cs) > 0 {
				http.Redirect(rw, r, fmt.Sprintf("/matrix?community_id=%d", cs[0].ID), http.StatusSeeOther)
				return nil
			}
		}
	}
	return apperr.NotFoundErr()
}

type recordsData struct {
	Items     []hours.Record
	Total     int
	Review    bool
	TeamID    int64
	Teams     []volunteers.Team
	Members   []volunteers.Volunteer
	In        hours.Input
	Errors    []string
	Pager     pager
	CanRecord bool
	CanExport bool
	Today     string
	YearStart string
}

// Chosen reports whether a volunteer is ticked in the form.
func (d recordsData) Chosen(id int64) bool { return slices.Contains(d.In.Volunteers, id) }

func (w *Web) records(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderRecords(rw, r, p, http.StatusOK, hours.Input{}, nil)
}

func (w *Web) renderRecords(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, in hours.Input, errs []string) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	page, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	page.PerPage = 30
	q := r.URL.Query()
	d := recordsData{Review: q.Get("review") == "1", In: in, Errors: errs,
		Today: w.Clock.Now().In(clock.Shanghai).Format(time.DateOnly)}
	d.TeamID, _ = strconv.ParseInt(q.Get("team"), 10, 64)
	if in.TeamID != 0 {
		d.TeamID = in.TeamID
	}
	acc, err := w.Volunteers.AccessOf(r.Context(), p, cid)
	if err != nil {
		return err
	}
	d.CanRecord = acc.Office || len(acc.Teams) > 0
	d.CanExport = acc.Office
	d.YearStart = d.Today[:4] + "-01-01"
	if d.Teams, err = w.Volunteers.Teams(r.Context(), p, cid); err != nil {
		return err
	}
	if !acc.Office {
		// A leader records for their own teams.
		d.Teams = slices.DeleteFunc(d.Teams, func(t volunteers.Team) bool { return !acc.Leads(t.ID) })
		if d.TeamID == 0 && len(d.Teams) > 0 {
			d.TeamID = d.Teams[0].ID
		}
	}
	if d.CanRecord && d.TeamID != 0 {
		if d.Members, _, err = w.Volunteers.List(r.Context(), p, volunteers.Filter{CommunityID: cid, TeamID: d.TeamID, Limit: 300}); err != nil {
			return err
		}
	}
	f := hours.Filter{CommunityID: cid, TeamID: d.TeamID, Review: d.Review, Limit: page.PerPage, Offset: page.Offset()}
	if d.Items, d.Total, err = w.Hours.List(r.Context(), p, f); err != nil {
		return err
	}
	d.Pager = pageLinks("/records", q, []string{"team", "review"}, page, len(d.Items), d.Total)
	return w.render(rw, status, "records", w.view(rw, r, p, "records", "record.title", d))
}

func (w *Web) createRecords(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	f := r.PostForm
	in := hours.Input{ActivityName: f.Get("activity_name"), Date: f.Get("date"), Start: f.Get("start"), End: f.Get("end"),
		Place: f.Get("place"), Content: f.Get("content"), PersonInCharge: f.Get("person_in_charge"), Captured: f.Get("captured")}
	in.TeamID, _ = strconv.ParseInt(f.Get("team_id"), 10, 64)
	for _, s := range f["volunteers"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			in.Volunteers = append(in.Volunteers, id)
		}
	}
	if h := strings.TrimSpace(f.Get("hours")); h != "" {
		if v, err := strconv.ParseFloat(h, 64); err == nil {
			in.Hours = &v
		} else {
			nan := math.NaN()
			in.Hours = &nan
		}
	}
	recs, err := w.Hours.Record(r.Context(), p, cid, in)
	if err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid && e.Code != apperr.Conflict {
			return err
		}
		return w.renderRecords(rw, r, p, e.Code.Status(), in, fieldMessages(httpx.Lang(r, p), e))
	}
	redirect(rw, r, fmt.Sprintf("/records?team=%d", in.TeamID), flashFor(recs))
	return nil
}

func flashFor(recs []hours.Record) string {
	if len(recs) > 0 && recs[0].Status == hours.StatusPending {
		return "flash.record_pending"
	}
	return "flash.saved"
}

func (w *Web) reverseRecord(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if _, err := w.Hours.Reverse(r.Context(), p, id, r.PostForm.Get("reason")); err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid && e.Code != apperr.Conflict {
			return err
		}
		return w.renderRecords(rw, r, p, e.Code.Status(), hours.Input{}, fieldMessages(httpx.Lang(r, p), e))
	}
	redirect(rw, r, "/records", "flash.saved")
	return nil
}

func (w *Web) decideRecord(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if _, err := w.Hours.Decide(r.Context(), p, id, r.PostForm.Get("decision"), r.PostForm.Get("note")); err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid && e.Code != apperr.Conflict && e.Code != apperr.Forbidden {
			return err
		}
		return w.renderRecords(rw, r, p, e.Code.Status(), hours.Input{}, fieldMessages(httpx.Lang(r, p), e))
	}
	redirect(rw, r, "/records?review=1", "flash.saved")
	return nil
}

type myHoursData struct {
	V       *volunteers.Volunteer
	Sum     *hours.Summary
	Stars   []int
	Records []hours.Record
	Total   int
	Pager   pager
}

// StarRow is the five (or however many) stars, lit up to the grade.
func (d myHoursData) StarRow() []bool {
	out := make([]bool, len(d.Stars))
	for i := range out {
		out[i] = i < d.Sum.Stars
	}
	return out
}

// myHours shows a volunteer their hours, star grade and records.
func (w *Web) myHours(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	v, err := w.Volunteers.Mine(r.Context(), p, cid)
	if apperr.Is(err, apperr.NotFound) {
		redirect(rw, r, "/me/volunteer", "")
		return nil
	}
	if err != nil {
		return err
	}
	page, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	page.PerPage = 20
	d := myHoursData{V: v}
	if d.Sum, err = w.Hours.Summary(r.Context(), p, cid, v.ID); err != nil {
		return err
	}
	if d.Stars, err = w.Hours.Stars(r.Context(), cid); err != nil {
		return err
	}
	if d.Records, d.Total, err = w.Hours.List(r.Context(), p, hours.Filter{CommunityID: cid, VolunteerID: v.ID, Limit: page.PerPage, Offset: page.Offset()}); err != nil {
		return err
	}
	if page.Page > 1 {
		d.Pager.Prev = fmt.Sprintf("/me/hours?page=%d", page.Page-1)
	}
	if page.Offset()+len(d.Records) < d.Total {
		d.Pager.Next = fmt.Sprintf("/me/hours?page=%d", page.Page+1)
	}
	return w.render(rw, http.StatusOK, "myhours", w.view(rw, r, p, "volunteers", "hours.mine", d))
}

// exportRecords downloads the counted records of a period as the sheet
// the national volunteer system takes (the office, with a reason).
func (w *Web) exportRecords(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	f := r.PostForm
	format := sheets.Format(f.Get("format"))
	var buf bytes.Buffer
	if _, err := w.Hours.Export(r.Context(), p, cid, f.Get("from"), f.Get("to"), f.Get("reason"), format, &buf); err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid {
			return err
		}
		return w.renderRecords(rw, r, p, e.Code.Status(), hours.Input{}, fieldMessages(httpx.Lang(r, p), e))
	}
	rw.Header().Set("Content-Type", format.ContentType())
	rw.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="service-records-%s-%s%s"`, f.Get("from"), f.Get("to"), format.Extension()))
	rw.Header().Set("Cache-Control", "no-store")
	_, err = rw.Write(buf.Bytes())
	return err
}
