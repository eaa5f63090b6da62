package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/policy"
)

type calendarData struct {
	Year    int
	Years   []int
	Days    []calendar.Day
	CanEdit bool
	Form    map[string]string
	Errors  []string
	From    string
	N       string
	Result  string
}

// calendarCommunity is the community whose calendar the actor sees: their
// first one (street supervisors see the first community of their street).
func (w *Web) calendarCommunity(r *http.Request, p *accounts.Principal) (int64, error) {
	if cs := p.Communities(); len(cs) > 0 {
		return cs[0], nil
	}
	for _, g := range p.Grants {
		if g.StreetID != 0 {
			cs, err := w.Tenancy.Communities(r.Context(), g.StreetID)
			if err != nil {
				return 0, err
			}
			if len(cs) > 0 {
				return cs[0].ID, nil
			}
		}
	}
	return 0, apperr.NotFoundErr()
}

func (w *Web) calendar(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderCalendar(rw, r, p, http.StatusOK, nil, nil)
}

func (w *Web) renderCalendar(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, form map[string]string, errs []string) error {
	cid, err := w.calendarCommunity(r, p)
	if err != nil {
		return err
	}
	now := w.Clock.Now().In(clock.Shanghai)
	d := calendarData{Year: now.Year(), Form: form, Errors: errs, N: "5", From: now.Format(calendar.DateLayout)}
	q := r.URL.Query()
	if s := q.Get("year"); s != "" {
		y, err := strconv.Atoi(s)
		if err != nil {
			return apperr.New(apperr.Malformed, "error.malformed").Field("year", "calendar.year.invalid", nil)
		}
		d.Year = y
	}
	for y := now.Year() - 1; y <= now.Year()+1; y++ {
		d.Years = append(d.Years, y)
	}
	if d.Days, err = w.Calendar.List(r.Context(), p, cid, d.Year); err != nil {
		return err
	}
	d.CanEdit = policy.PermitsIn(p, policy.CalendarEdit, cid, w.Tenancy.StreetOf)
	lang := httpx.Lang(r, p)
	if q.Get("from") != "" || q.Get("n") != "" {
		d.From, d.N = q.Get("from"), q.Get("n")
		from, err1 := time.ParseInLocation(calendar.DateLayout, d.From, clock.Shanghai)
		n, err2 := strconv.Atoi(d.N)
		switch {
		case err1 != nil:
			d.Errors = append(d.Errors, i18n.T(lang, "calendar.day.invalid", nil))
		case err2 != nil || n < 0 || n > 366:
			d.Errors = append(d.Errors, i18n.T(lang, "calendar.n.invalid", nil))
		default:
			to, err := w.Calendar.AddWorkingDays(r.Context(), cid, from, n)
			if err != nil {
				return err
			}
			d.Result = i18n.T(lang, "calendar.result", map[string]any{"from": d.From, "n": n,
				"to": to.In(clock.Shanghai).Format(calendar.DateLayout) + " " + weekday(lang, to.In(clock.Shanghai).Format(calendar.DateLayout))})
		}
	}
	return w.render(rw, status, "calendar", w.view(rw, r, p, "calendar", "calendar.title", d))
}

func (w *Web) setCalendarDay(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := w.calendarCommunity(r, p)
	if err != nil {
		return err
	}
	form := map[string]string{"day": r.PostForm.Get("day"), "kind": r.PostForm.Get("kind"), "name": r.PostForm.Get("name")}
	_, err = w.Calendar.Set(r.Context(), p, cid, form["day"], calendar.Kind(form["kind"]), form["name"])
	if err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid {
			return err
		}
		return w.renderCalendar(rw, r, p, e.Code.Status(), form, fieldMessages(httpx.Lang(r, p), e))
	}
	year := form["day"]
	if len(year) >= 4 {
		year = year[:4]
	}
	redirect(rw, r, "/calendar?year="+year, "flash.saved")
	return nil
}

func (w *Web) deleteCalendarDay(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := w.calendarCommunity(r, p)
	if err != nil {
		return err
	}
	day := r.PathValue("day")
	if err := w.Calendar.Delete(r.Context(), p, cid, day); err != nil {
		return err
	}
	redirect(rw, r, "/calendar?year="+day[:min(4, len(day))], "flash.saved")
	return nil
}

// weekday names the day of the week of a "2006-01-02" date.
func weekday(lang, day string) string {
	t, err := time.Parse(calendar.DateLayout, day)
	if err != nil {
		return ""
	}
	if lang == "en" {
		return t.Weekday().String()[:3]
	}
	return "周" + []string{"日", "一", "二", "三", "四", "五", "六"}[t.Weekday()]
}
