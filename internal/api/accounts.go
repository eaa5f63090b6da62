package api

import (
	"net/http"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (a *API) login(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	var in loginRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	sess, _, err := a.Accounts.Login(r.Context(), accounts.Credentials{
		Username: in.Username, Password: in.Password, Kind: accounts.KindAPI,
		ClientAddr: httpx.ClientAddr(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestID(r.Context()),
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, loginResponse{Token: sess.Token, ExpiresAt: sess.ExpiresAt})
	return nil
}

func (a *API) logout(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := a.Accounts.Logout(r.Context(), p, bearer(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// meResponse is the account of the caller and what it may do.
type meResponse struct {
	ID          int64            `json:"id"`
	Username    string           `json:"username"`
	DisplayName string           `json:"display_name"`
	Locale      string           `json:"locale"`
	LargeText   bool             `json:"large_text"`
	Roles       []string         `json:"roles"`
	Grants      []accounts.Grant `json:"grants"`
}

func (a *API) me(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	out := meResponse{ID: p.AccountID, Username: p.Username, DisplayName: p.DisplayName,
		Locale: p.Locale, LargeText: p.LargeText, Roles: p.RoleNames(), Grants: p.Grants}
	if out.Roles == nil {
		out.Roles = []string{}
	}
	if out.Grants == nil {
		out.Grants = []accounts.Grant{}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) updateMe(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	var in accounts.Preferences
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.Accounts.SetPreferences(r.Context(), p, in); err != nil {
		return err
	}
	if in.Locale != nil {
		p.Locale = *in.Locale
	}
	if in.LargeText != nil {
		p.LargeText = *in.LargeText
	}
	return a.me(w, r, p)
}

type passwordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (a *API) changePassword(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	var in passwordChange
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.Accounts.ChangePassword(r.Context(), p, in.CurrentPassword, in.NewPassword, bearer(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	page, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	items, total, err := a.Accounts.ListAccounts(r.Context(), p, accounts.AccountFilter{
		CommunityID: cid, Query: r.URL.Query().Get("q"), Limit: page.PerPage, Offset: page.Offset()})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, total, page))
	return nil
}

type grantRequest struct {
	Role           accounts.Role `json:"role"`
	CommunityID    int64         `json:"community_id"`
	GridID         int64         `json:"grid_id"`
	TeamID         int64         `json:"team_id"`
	OrganisationID int64         `json:"organisation_id"`
	HouseholdID    int64         `json:"household_id"`
}

func (g grantRequest) grant(r *http.Request, p *accounts.Principal) (accounts.Grant, error) {
	if g.CommunityID == 0 {
		cid, err := community(r, p)
		if err != nil {
			return accounts.Grant{}, err
		}
		g.CommunityID = cid
	}
	return accounts.Grant{Role: g.Role, CommunityID: g.CommunityID, GridID: g.GridID, TeamID: g.TeamID,
		OrganisationID: g.OrganisationID, HouseholdID: g.HouseholdID}, nil
}

type createUserRequest struct {
	Username    string       `json:"username"`
	DisplayName string       `json:"display_name"`
	Email       string       `json:"email"`
	Password    string       `json:"password"`
	Locale      string       `json:"locale"`
	Grant       grantRequest `json:"grant"`
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	var in createUserRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	g, err := in.Grant.grant(r, p)
	if err != nil {
		return err
	}
	acc, err := a.Accounts.CreateAccount(r.Context(), p, accounts.NewAccount{
		Username: in.Username, DisplayName: in.DisplayName, Email: in.Email, Password: in.Password,
		Locale: in.Locale, Grants: []accounts.Grant{g}})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, acc)
	return nil
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	acc, err := a.Accounts.GetAccount(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, acc)
	return nil
}

type updateUserRequest struct {
	Disabled *bool   `json:"disabled"`
	Password *string `json:"password"`
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in updateUserRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Disabled == nil && in.Password == nil {
		return apperr.New(apperr.Invalid, "error.nothing_to_change")
	}
	// Check reach first, so a stranger's id gives 404 before any validation.
	if _, err := a.Accounts.GetAccount(r.Context(), p, id); err != nil {
		return err
	}
	if in.Password != nil {
		if err := a.Accounts.SetPassword(r.Context(), p, id, *in.Password); err != nil {
			return err
		}
	}
	if in.Disabled != nil {
		if err := a.Accounts.SetDisabled(r.Context(), p, id, *in.Disabled); err != nil {
			return err
		}
	}
	return a.getUser(w, r, p)
}

func (a *API) addGrant(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in grantRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	g, err := in.grant(r, p)
	if err != nil {
		return err
	}
	acc, err := a.Accounts.AddGrant(r.Context(), p, id, g)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, acc)
	return nil
}

func (a *API) revokeGrant(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.Accounts.RevokeGrant(r.Context(), p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
