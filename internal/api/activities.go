package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
)

// listOccurrences: occurrences between from and to (RFC 3339 with an
// offset), optionally of one team.
func (a *API) listOccurrences(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var v apperr.Validation
	from, err1 := time.Parse(time.RFC3339, q.Get("from"))
	to, err2 := time.Parse(time.RFC3339, q.Get("to"))
	if err1 != nil {
		v.Add("from", "activity.time.rfc3339", nil)
	}
	if err2 != nil {
		v.Add("to", "activity.time.rfc3339", nil)
	}
	if err := v.Err(); err != nil {
		return err
	}
	team, err := queryID(r, "team")
	if err != nil {
		return err
	}
	items, err := a.Activities.Occurrences(r.Context(), p, cid, from, to, team)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, len(items), httpx.Page{Page: 1, PerPage: max(1, len(items))}))
	return nil
}

func (a *API) createActivity(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in activities.Input
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	id, err := a.Activities.Create(r.Context(), p, cid, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, map[string]int64{"id": id})
	return nil
}

type signupRequest struct {
	VolunteerID int64 `json:"volunteer_id"`
}

func (a *API) signUp(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in signupRequest
	if err := httpx.DecodeOptionalJSON(r, &in); err != nil {
		return err
	}
	s, err := a.Activities.SignUp(r.Context(), p, id, in.VolunteerID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, s)
	return nil
}

func (a *API) cancelSignup(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in signupRequest
	if err := httpx.DecodeOptionalJSON(r, &in); err != nil {
		return err
	}
	if err := a.Activities.Cancel(r.Context(), p, id, in.VolunteerID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) roster(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	items, err := a.Activities.Roster(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, len(items), httpx.Page{Page: 1, PerPage: max(1, len(items))}))
	return nil
}

func (a *API) checkinCode(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	code, until, err := a.Activities.Code(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"code": code, "expires_at": until,
		"url": fmt.Sprintf("%s/checkin/%d/%s", httpx.BaseURL(r, a.PublicURL), id, code)})
	return nil
}

func (a *API) checkIn(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Code string `json:"code"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	c, err := a.Activities.CheckIn(r.Context(), p, id, in.Code)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, c)
	return nil
}

func (a *API) tick(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in signupRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	c, err := a.Activities.Tick(r.Context(), p, id, in.VolunteerID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, c)
	return nil
}

func (a *API) checkOutAll(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	n, err := a.Activities.CheckOutAll(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]int{"checked_out": n})
	return nil
}

func (a *API) attendance(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	items, err := a.Activities.Attendance(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, len(items), httpx.Page{Page: 1, PerPage: max(1, len(items))}))
	return nil
}

func roundParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("round")
	if s == "" {
		return 15, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, apperr.New(apperr.Malformed, "error.malformed").Field("round", "error.number", nil)
	}
	return n, nil
}

func (a *API) credits(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	round, err := roundParam(r)
	if err != nil {
		return err
	}
	items, err := a.Activities.Credits(r.Context(), p, id, round)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, len(items), httpx.Page{Page: 1, PerPage: max(1, len(items))}))
	return nil
}

func (a *API) postHours(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in := struct {
		Round int `json:"round"`
	}{Round: 15}
	if err := httpx.DecodeOptionalJSON(r, &in); err != nil {
		return err
	}
	recs, err := a.Activities.PostHours(r.Context(), p, id, in.Round)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, httpx.NewList(recs, len(recs), httpx.Page{Page: 1, PerPage: max(1, len(recs))}))
	return nil
}
