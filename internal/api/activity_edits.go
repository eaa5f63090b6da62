package api

import (
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/httpx"
)

// getSeries: a series with its rule and the dates that differ from it.
func (a *API) getSeries(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	s, err := a.Activities.Series(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, s)
	return nil
}

// editSeries: the whole series, or with ?from=<occurrence id> that date
// and the ones after it. Answers the series that now holds the changed
// dates (a new one when the series was split).
func (a *API) editSeries(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	from, err := queryID(r, "from")
	if err != nil {
		return err
	}
	var in activities.Change
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	target, err := a.Activities.EditSeries(r.Context(), p, id, from, in)
	if err != nil {
		return err
	}
	s, err := a.Activities.Series(r.Context(), p, target)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, s)
	return nil
}

// editOccurrence: move or change one date ("this one").
func (a *API) editOccurrence(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in activities.Change
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.Activities.EditOccurrence(r.Context(), p, id, in); err != nil {
		return err
	}
	o, err := a.Activities.OccurrenceByID(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, o)
	return nil
}

// skipDate: cancel one date of a series; its people are told.
func (a *API) skipDate(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.Activities.SkipDate(r.Context(), p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
