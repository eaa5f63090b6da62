package api

import (
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/policy"
)

// routes is every URL of the API on one screen. Each names the policy
// action that guards it; openapi.json documents the same list, and a test
// keeps the two equal.
func (a *API) routes() {
	r := a.Router
	r.Handle("GET /api/v1/openapi.json", policy.APIDoc, a.openAPI)
	r.Handle("POST /api/v1/login", policy.Login, a.login)
	r.Handle("POST /api/v1/logout", policy.Logout, a.logout)
	r.Handle("GET /api/v1/me", policy.MeRead, a.me)
	r.Handle("PATCH /api/v1/me", policy.MeUpdate, a.updateMe)
	r.Handle("POST /api/v1/me/password", policy.MeUpdate, a.changePassword)
	r.Handle("GET /api/v1/users", policy.UsersList, a.listUsers)
	r.Handle("POST /api/v1/users", policy.UsersCreate, a.createUser)
	r.Handle("GET /api/v1/users/{id}", policy.UsersList, a.getUser)
	r.Handle("PATCH /api/v1/users/{id}", policy.UsersUpdate, a.updateUser)
	r.Handle("POST /api/v1/users/{id}/grants", policy.UsersGrant, a.addGrant)
	r.Handle("DELETE /api/v1/grants/{id}", policy.UsersGrant, a.revokeGrant)
	// Anything else under /api/v1 is a JSON 404, not the web's HTML page.
	r.Handle("/api/v1/", policy.APIDoc, func(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
		return apperr.NotFoundErr()
	})
}
