package api

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/sheets"
)

func (a *API) listRecords(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	page, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := hours.Filter{CommunityID: cid, From: q.Get("from"), To: q.Get("to"), Review: q.Get("review") == "1", Limit: page.PerPage, Offset: page.Offset()}
	if f.VolunteerID, err = queryID(r, "volunteer"); err != nil {
		return err
	}
	if f.TeamID, err = queryID(r, "team"); err != nil {
		return err
	}
	items, total, err := a.Hours.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, total, page))
	return nil
}

func (a *API) createRecords(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in hours.Input
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	recs, err := a.Hours.Record(r.Context(), p, cid, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, httpx.NewList(recs, len(recs), httpx.Page{Page: 1, PerPage: max(1, len(recs))}))
	return nil
}

func (a *API) reverseRecord(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	rec, err := a.Hours.Reverse(r.Context(), p, id, in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, rec)
	return nil
}

func (a *API) decideRecord(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Decision string `json:"decision"`
		Note     string `json:"note"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	rec, err := a.Hours.Decide(r.Context(), p, id, in.Decision, in.Note)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, rec)
	return nil
}

func (a *API) volunteerHours(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.Volunteers.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	cid, err := a.Volunteers.CommunityOf(r.Context(), v.ID)
	if err != nil {
		return err
	}
	s, err := a.Hours.Summary(r.Context(), p, cid, v.ID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) myHours(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	v, err := a.Volunteers.Mine(r.Context(), p, cid)
	if err != nil {
		return err
	}
	s, err := a.Hours.Summary(r.Context(), p, cid, v.ID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) matrix(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	m, err := a.Hours.Matrix(r.Context(), p, cid, r.URL.Query().Get("by"), a.Tenancy.StreetOf)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, m)
	return nil
}

func (a *API) hourTotals(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	t, err := a.Hours.PeriodTotals(r.Context(), p, cid, r.URL.Query().Get("from"), r.URL.Query().Get("to"), a.Tenancy.StreetOf)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, t)
	return nil
}

func (a *API) getStars(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	if _, err := a.Volunteers.Teams(r.Context(), p, cid); err != nil {
		return err
	}
	s, err := a.Hours.Stars(r.Context(), cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"thresholds": s})
	return nil
}

func (a *API) setStars(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in struct {
		Thresholds []int `json:"thresholds"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.Hours.SetStars(r.Context(), p, cid, in.Thresholds); err != nil {
		return err
	}
	return a.getStars(w, r, p)
}

func (a *API) exportRecords(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in struct {
		From   string `json:"from"`
		To     string `json:"to"`
		Reason string `json:"reason"`
		Format string `json:"format"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Format == "" {
		in.Format = string(sheets.XLSX)
	}
	// Written to memory first: a refusal must be a JSON error, not half a file.
	var buf bytes.Buffer
	if _, err := a.Hours.Export(r.Context(), p, cid, in.From, in.To, in.Reason, sheets.Format(in.Format), &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", sheets.Format(in.Format).ContentType())
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="service-records-%s-%s.%s"`, in.From, in.To, in.Format))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}
