package web

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/tenancy"
)

// registryCommunity is the community whose registry the actor works in:
// the first where they hold an office role (admin, worker), else the first
// where they are a grid worker — so someone who is a grid worker in one
// community and a worker in another imports and exports where they may.
func registryCommunity(p *accounts.Principal) (int64, error) {
	for _, roles := range [][]accounts.Role{{accounts.Admin, accounts.Worker}, {accounts.Grid}} {
		for _, g := range p.Grants {
			if slices.Contains(roles, g.Role) {
				return g.CommunityID, nil
			}
		}
	}
	return 0, apperr.ForbiddenErr()
}

type residentsData struct {
	Query, Tag   string
	Grid         int
	BuildingID   int64
	BuildingName string
	Grids        []tenancy.Grid
	Tags         []string
	Items        []registry.Resident
	Total        int
	Pager        pager
}

func (w *Web) residents(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := registryCommunity(p)
	if err != nil {
		return err
	}
	page, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	page.PerPage = 30
	q := r.URL.Query()
	d := residentsData{Query: q.Get("q"), Tag: q.Get("tag")}
	f := registry.Filter{CommunityID: cid, Query: d.Query, Tag: d.Tag, Limit: page.PerPage, Offset: page.Offset()}
	if d.Grids, err = w.Tenancy.Grids(r.Context(), cid); err != nil {
		return err
	}
	if s := q.Get("grid"); s != "" {
		d.Grid, _ = strconv.Atoi(s)
		f.GridID = -1
		for _, g := range d.Grids {
			if g.Number == d.Grid {
				f.GridID = g.ID
			}
		}
	}
	if s := q.Get("building"); s != "" {
		d.BuildingID, _ = strconv.ParseInt(s, 10, 64)
		f.BuildingID = d.BuildingID
	}
	if d.Items, d.Total, err = w.Registry.List(r.Context(), p, f); err != nil {
		return err
	}
	if d.BuildingID != 0 && len(d.Items) > 0 {
		d.BuildingName = d.Items[0].Address
		if i := indexRune(d.BuildingName, '楼'); i > 0 {
			d.BuildingName = d.BuildingName[:i+len("楼")]
		}
	}
	if d.Tags, err = w.Registry.Tags(r.Context(), cid); err != nil {
		return err
	}
	d.Pager = pageLinks("/residents", q, []string{"q", "tag", "grid", "building"}, page, len(d.Items), d.Total)
	return w.render(rw, http.StatusOK, "residents", w.view(rw, r, p, "registry", "registry.residents", d))
}

func indexRune(s string, r rune) int {
	for i, c := range s {
		if c == r {
			return i
		}
	}
	return -1
}

type revealed struct{ Field, Value string }

type residentData struct {
	R         *registry.Resident
	CanReveal bool
	CanEdit   bool
	Revealed  *revealed
	Errors    []string
}

func (w *Web) resident(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderResident(rw, r, p, http.StatusOK, nil, nil)
}

func (w *Web) renderResident(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, rev *revealed, errs []string) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.NotFoundErr()
	}
	res, err := w.Registry.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	d := residentData{R: res, Revealed: rev, Errors: errs,
		CanReveal: policy.PermitsIn(p, policy.RegistryReveal, res.CommunityID, nil),
		CanEdit:   policy.PermitsIn(p, policy.RegistryEdit, res.CommunityID, nil)}
	return w.render(rw, status, "resident", w.view(rw, r, p, "registry", "registry.resident", d))
}

func (w *Web) revealResident(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.NotFoundErr()
	}
	field := r.PostForm.Get("field")
	v, err := w.Registry.Reveal(r.Context(), p, id, field, r.PostForm.Get("reason"))
	if err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid {
			return err
		}
		return w.renderResident(rw, r, p, e.Code.Status(), nil, fieldMessages(httpx.Lang(r, p), e))
	}
	// The revealed value is shown once, in this response, never in a URL.
	return w.renderResident(rw, r, p, http.StatusOK, &revealed{Field: field, Value: v}, nil)
}

func (w *Web) moveOut(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.NotFoundErr()
	}
	if err := w.Registry.MoveOut(r.Context(), p, id, r.PostForm.Get("reason")); err != nil {
		return err
	}
	redirect(rw, r, "/residents/"+r.PathValue("id"), "flash.saved")
	return nil
}

type estateView struct {
	Name      string
	Buildings []buildingView
}

type buildingView struct {
	registry.Building
	GridName string
}

type buildingsData struct {
	Estates []estateView
	Stats   *registry.Stats
}

func (w *Web) buildings(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := registryCommunity(p)
	if err != nil {
		return err
	}
	bs, err := w.Registry.Buildings(r.Context(), p, cid)
	if err != nil {
		return err
	}
	grids, err := w.Tenancy.Grids(r.Context(), cid)
	if err != nil {
		return err
	}
	gridName := map[int64]string{}
	for _, g := range grids {
		gridName[g.ID] = g.Name
	}
	var d buildingsData
	for _, b := range bs {
		if n := len(d.Estates); n == 0 || d.Estates[n-1].Name != b.Estate {
			d.Estates = append(d.Estates, estateView{Name: b.Estate})
		}
		e := &d.Estates[len(d.Estates)-1]
		e.Buildings = append(e.Buildings, buildingView{Building: b, GridName: gridName[b.GridID]})
	}
	if d.Stats, err = w.Registry.Stats(r.Context(), p, cid, w.Tenancy.StreetOf); err != nil {
		return err
	}
	return w.render(rw, http.StatusOK, "buildings", w.view(rw, r, p, "registry", "registry.buildings", d))
}
