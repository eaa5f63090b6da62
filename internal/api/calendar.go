package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/httpx"
)

func (a *API) listCalendar(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	year := time.Now().In(clock.Shanghai).Year()
	if s := r.URL.Query().Get("year"); s != "" {
		if year, err = strconv.Atoi(s); err != nil {
			return apperr.New(apperr.Malformed, "error.malformed").Field("year", "calendar.year.invalid", nil)
		}
	}
	days, err := a.Calendar.List(r.Context(), p, cid, year)
	if err != nil {
		return err
	}
	if days == nil {
		days = []calendar.Day{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"community_id": cid, "year": year, "items": days})
	return nil
}

type calendarDayRequest struct {
	Kind calendar.Kind `json:"kind"`
	Name string        `json:"name"`
}

func (a *API) setCalendarDay(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in calendarDayRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	d, err := a.Calendar.Set(r.Context(), p, cid, r.PathValue("day"), in.Kind, in.Name)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) deleteCalendarDay(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	if err := a.Calendar.Delete(r.Context(), p, cid, r.PathValue("day")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// workingDays answers "which day is n working days after from", the rule
// every deadline in days follows.
func (a *API) workingDays(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := apperr.New(apperr.Invalid, "error.invalid")
	from, err := time.ParseInLocation(calendar.DateLayout, q.Get("from"), clock.Shanghai)
	if err != nil {
		v.Field("from", "calendar.day.invalid", nil)
	}
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 0 || n > 366 {
		v.Field("n", "calendar.n.invalid", nil)
	}
	if len(v.Fields) > 0 {
		return v
	}
	// Reading the calendar needs the same right as listing it.
	if _, err := a.Calendar.List(r.Context(), p, cid, from.Year()); err != nil {
		return err
	}
	to, err := a.Calendar.AddWorkingDays(r.Context(), cid, from, n)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"from": q.Get("from"), "n": n, "date": to.In(clock.Shanghai).Format(calendar.DateLayout)})
	return nil
}
