package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/tenancy"
)

// adminCommunity is the community an admin manages from the UI: the first
// one they administer. (Admins of several communities pick via the API.)
func adminCommunity(p *accounts.Principal) (int64, error) {
	for _, g := range p.Grants {
		if g.Role == accounts.Admin {
			return g.CommunityID, nil
		}
	}
	return 0, apperr.ForbiddenErr()
}

type scopeChoices struct {
	Roles []accounts.Role
	Grids []tenancy.Grid
	Teams []tenancy.Unit
	Orgs  []tenancy.Unit
}

func (w *Web) scope(r *http.Request, cid int64) (scopeChoices, error) {
	s := scopeChoices{}
	for _, role := range accounts.Roles {
		if role != accounts.Street {
			s.Roles = append(s.Roles, role)
		}
	}
	var err error
	if s.Grids, err = w.Tenancy.Grids(r.Context(), cid); err != nil {
		return s, err
	}
	if s.Teams, err = w.Tenancy.Units(r.Context(), "teams", cid); err != nil {
		return s, err
	}
	s.Orgs, err = w.Tenancy.Units(r.Context(), "organisations", cid)
	return s, err
}

type pager struct{ Prev, Next string }

// pageLinks is the pager of a list at path: the previous and next pages,
// keeping the query parameters keep that the request has.
func pageLinks(path string, q url.Values, keep []string, page httpx.Page, shown, total int) pager {
	link := func(n int) string {
		v := url.Values{"page": {strconv.Itoa(n)}}
		for _, k := range keep {
			if q.Get(k) != "" {
				v.Set(k, q.Get(k))
			}
		}
		return path + "?" + v.Encode()
	}
	var pg pager
	if page.Page > 1 {
		pg.Prev = link(page.Page - 1)
	}
	if page.Offset()+shown < total {
		pg.Next = link(page.Page + 1)
	}
	return pg
}

type usersData struct {
	Query  string
	Items  []accounts.Account
	Total  int
	Pager  pager
	Scope  scopeChoices
	Form   map[string]string
	Errors []string
}

func (w *Web) users(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderUsers(rw, r, p, http.StatusOK, nil, nil)
}

func (w *Web) renderUsers(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, form map[string]string, errs []string) error {
	cid, err := adminCommunity(p)
	if err != nil {
		return err
	}
	page, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	page.PerPage = 30
	q := r.URL.Query().Get("q")
	items, total, err := w.Accounts.ListAccounts(r.Context(), p, accounts.AccountFilter{CommunityID: cid, Query: q, Limit: page.PerPage, Offset: page.Offset()})
	if err != nil {
		return err
	}
	d := usersData{Query: q, Items: items, Total: total, Form: form, Errors: errs}
	link := func(n int) string {
		return "/users?" + url.Values{"q": {q}, "page": {strconv.Itoa(n)}}.Encode()
	}
	if page.Page > 1 {
		d.Pager.Prev = link(page.Page - 1)
	}
	if page.Offset()+len(items) < total {
		d.Pager.Next = link(page.Page + 1)
	}
	if d.Scope, err = w.scope(r, cid); err != nil {
		return err
	}
	return w.render(rw, status, "users", w.view(rw, r, p, "users", "users.title", d))
}

// grantFromForm reads the role and scope fields shared by the create and
// grant forms. Unparseable ids are Malformed; missing ones are left 0 for
// the service to report.
func grantFromForm(r *http.Request, cid int64) (accounts.Grant, error) {
	g := accounts.Grant{Role: accounts.Role(r.PostForm.Get("role")), CommunityID: cid}
	for field, dst := range map[string]*int64{"grid_id": &g.GridID, "team_id": &g.TeamID,
		"organisation_id": &g.OrganisationID, "household_id": &g.HouseholdID} {
		if s := r.PostForm.Get(field); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				return g, apperr.New(apperr.Invalid, "error.invalid").Field(field, "error.number", nil)
			}
			*dst = n
		}
	}
	// Only the scope the role needs is kept, so a stray selection in
	// another box does not end up on the grant.
	keep := g.Role.Scope()
	if keep != "grid" {
		g.GridID = 0
	}
	if keep != "team" {
		g.TeamID = 0
	}
	if keep != "organisation" {
		g.OrganisationID = 0
	}
	if keep != "household" {
		g.HouseholdID = 0
	}
	return g, nil
}

func (w *Web) createUser(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := adminCommunity(p)
	if err != nil {
		return err
	}
	form := map[string]string{"username": r.PostForm.Get("username"), "display_name": r.PostForm.Get("display_name"), "email": r.PostForm.Get("email")}
	g, err := grantFromForm(r, cid)
	if err == nil {
		var acc *accounts.Account
		acc, err = w.Accounts.CreateAccount(r.Context(), p, accounts.NewAccount{
			Username: form["username"], DisplayName: form["display_name"], Email: form["email"],
			Password: r.PostForm.Get("password"), Locale: httpx.Lang(r, p), Grants: []accounts.Grant{g}})
		if err == nil {
			redirect(rw, r, fmt.Sprintf("/users/%d", acc.ID), "flash.user_created")
			return nil
		}
	}
	e := apperr.From(err)
	if e.Code != apperr.Invalid && e.Code != apperr.Conflict {
		return err
	}
	return w.renderUsers(rw, r, p, e.Code.Status(), form, fieldMessages(httpx.Lang(r, p), e))
}

type grantRow struct {
	ID    int64
	Role  accounts.Role
	Scope string
}

type userData struct {
	Account *accounts.Account
	Grants  []grantRow
	Scope   scopeChoices
	Errors  []string
}

func (w *Web) user(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderUser(rw, r, p, http.StatusOK, nil)
}

func (w *Web) renderUser(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, errs []string) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.NotFoundErr()
	}
	acc, err := w.Accounts.GetAccount(r.Context(), p, id)
	if err != nil {
		return err
	}
	cid, err := adminCommunity(p)
	if err != nil {
		return err
	}
	d := userData{Account: acc, Errors: errs}
	if d.Scope, err = w.scope(r, cid); err != nil {
		return err
	}
	lang := httpx.Lang(r, p)
	names := map[string]map[int64]string{"grid": {}, "team": {}, "organisation": {}}
	for _, g := range d.Scope.Grids {
		names["grid"][g.ID] = g.Name
	}
	for _, t := range d.Scope.Teams {
		names["team"][t.ID] = t.Name
	}
	for _, o := range d.Scope.Orgs {
		names["organisation"][o.ID] = o.Name
	}
	for _, g := range acc.Grants {
		row := grantRow{ID: g.ID, Role: g.Role}
		switch g.Role.Scope() {
		case "grid":
			row.Scope = names["grid"][g.GridID]
		case "team":
			row.Scope = names["team"][g.TeamID]
		case "organisation":
			row.Scope = names["organisation"][g.OrganisationID]
		case "household":
			row.Scope = i18n.T(lang, "grant.household_n", map[string]any{"id": g.HouseholdID})
		}
		if g.CommunityID != 0 && g.CommunityID != cid {
			row.Scope = i18n.T(lang, "grant.other_community", nil)
		}
		d.Grants = append(d.Grants, row)
	}
	return w.render(rw, status, "user", w.view(rw, r, p, "users", "users.title", d))
}

// userAction runs fn on the account in the path and shows the result on
// the account's page.
func (w *Web) userAction(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, flash string, fn func(id int64) error) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.NotFoundErr()
	}
	if err := fn(id); err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid && e.Code != apperr.Conflict {
			return err
		}
		return w.renderUser(rw, r, p, e.Code.Status(), fieldMessages(httpx.Lang(r, p), e))
	}
	redirect(rw, r, fmt.Sprintf("/users/%d", id), flash)
	return nil
}

func (w *Web) addGrant(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.userAction(rw, r, p, "flash.saved", func(id int64) error {
		cid, err := adminCommunity(p)
		if err != nil {
			return err
		}
		g, err := grantFromForm(r, cid)
		if err != nil {
			return err
		}
		_, err = w.Accounts.AddGrant(r.Context(), p, id, g)
		return err
	})
}

func (w *Web) revokeGrant(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	gid, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.NotFoundErr()
	}
	if err := w.Accounts.RevokeGrant(r.Context(), p, gid); err != nil {
		return err
	}
	back := "/users"
	if aid, err := strconv.ParseInt(r.PostForm.Get("account_id"), 10, 64); err == nil {
		back = fmt.Sprintf("/users/%d", aid)
	}
	redirect(rw, r, back, "flash.saved")
	return nil
}

func (w *Web) resetPassword(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.userAction(rw, r, p, "flash.password_reset", func(id int64) error {
		return w.Accounts.SetPassword(r.Context(), p, id, r.PostForm.Get("password"))
	})
}

func (w *Web) disable(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.userAction(rw, r, p, "flash.user_disabled", func(id int64) error {
		return w.Accounts.SetDisabled(r.Context(), p, id, true)
	})
}

func (w *Web) enable(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.userAction(rw, r, p, "flash.user_enabled", func(id int64) error {
		return w.Accounts.SetDisabled(r.Context(), p, id, false)
	})
}
