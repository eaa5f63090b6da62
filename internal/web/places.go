package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
)

// The office's list of places: each with its capacity and how many coming
// dates use it, renamed or resized in its row, retired with a button.

type placesData struct {
	Places []activities.Place
	Form   url.Values // the add form, kept when it was refused
	Errors []string
}

func (w *Web) placesPage(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderPlaces(rw, r, p, http.StatusOK, url.Values{}, nil)
}

func (w *Web) renderPlaces(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, form url.Values, errs []string) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	// The list is open to the community; this page is the office's, so a
	// leader who types the address is refused as the policy says.
	if !isOffice(p, cid) {
		return apperr.ForbiddenErr()
	}
	d := placesData{Form: form, Errors: errs}
	if d.Places, err = w.Activities.ListPlaces(r.Context(), p, cid); err != nil {
		return err
	}
	return w.render(rw, status, "places", w.view(rw, r, p, "activities", "place.title", d))
}

// placeCapacity reads the capacity field: empty is not limited (0), and
// what is not a number is out of range, so the service refuses it.
func placeCapacity(s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

func (w *Web) createPlace(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	f := r.PostForm
	if _, err := w.Activities.CreatePlace(r.Context(), p, cid, f.Get("name"), placeCapacity(f.Get("capacity"))); err != nil {
		return w.placeRefused(rw, r, p, f, err)
	}
	redirect(rw, r, "/places", "flash.saved")
	return nil
}

// updatePlace saves a row (name and capacity) or, with retired=1 or 0
// alone, retires the place or brings it back.
func (w *Web) updatePlace(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	f := r.PostForm
	var c activities.PlaceChange
	if f.Has("name") {
		name := f.Get("name")
		c.Name = &name
	}
	if f.Has("capacity") {
		n := placeCapacity(f.Get("capacity"))
		c.Capacity = &n
	}
	if f.Has("retired") {
		retired := f.Get("retired") == "1"
		c.Retired = &retired
	}
	if _, err := w.Activities.UpdatePlace(r.Context(), p, cid, id, c); err != nil {
		return w.placeRefused(rw, r, p, url.Values{}, err)
	}
	redirect(rw, r, "/places", "flash.saved")
	return nil
}

// placeRefused shows the page again with what was wrong, or passes on
// what is not the user's to fix.
func (w *Web) placeRefused(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, form url.Values, err error) error {
	e := apperr.From(err)
	if e.Code != apperr.Invalid && e.Code != apperr.Conflict {
		return err
	}
	return w.renderPlaces(rw, r, p, e.Code.Status(), form, fieldMessages(httpx.Lang(r, p), e))
}
