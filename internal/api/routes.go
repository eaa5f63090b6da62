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
	r.Handle("GET /api/v1/notifications", policy.Notifications, a.listNotifications)
	r.Handle("POST /api/v1/notifications/{id}/read", policy.NotificationsMark, a.markRead)
	r.Handle("POST /api/v1/notifications/read-all", policy.NotificationsMark, a.markAllRead)
	r.Handle("GET /api/v1/calendar", policy.CalendarRead, a.listCalendar)
	r.Handle("PUT /api/v1/calendar/{day}", policy.CalendarEdit, a.setCalendarDay)
	r.Handle("DELETE /api/v1/calendar/{day}", policy.CalendarEdit, a.deleteCalendarDay)
	r.Handle("GET /api/v1/calendar/working-days", policy.CalendarRead, a.workingDays)
	r.Handle("GET /api/v1/webhooks", policy.WebhooksManage, a.listWebhooks)
	r.Handle("POST /api/v1/webhooks", policy.WebhooksManage, a.addWebhook)
	r.Handle("DELETE /api/v1/webhooks/{id}", policy.WebhooksManage, a.removeWebhook)
	r.Handle("GET /api/v1/audit", policy.AuditRead, a.listAudit)
	r.Handle("GET /api/v1/buildings", policy.RegistryRead, a.listBuildings)
	r.Handle("GET /api/v1/households", policy.RegistryRead, a.listHouseholds)
	r.Handle("POST /api/v1/households/{id}/reveal", policy.RegistryReveal, a.revealHousehold)
	r.Handle("GET /api/v1/residents", policy.RegistryRead, a.listResidents)
	r.Handle("POST /api/v1/residents", policy.RegistryEdit, a.createResident)
	r.Handle("GET /api/v1/residents/{id}", policy.RegistryRead, a.getResident)
	r.Handle("PUT /api/v1/residents/{id}", policy.RegistryEdit, a.updateResident)
	r.Handle("POST /api/v1/residents/{id}/move-out", policy.RegistryEdit, a.moveOut)
	r.Handle("POST /api/v1/residents/{id}/reveal", policy.RegistryReveal, a.revealResident)
	r.Handle("GET /api/v1/registry/stats", policy.RegistryStats, a.registryStats)
	r.Handle("POST /api/v1/households", policy.RegistryEdit, a.createHousehold)
	r.Handle("GET /api/v1/tags", policy.RegistryRead, a.listTags)
	r.Handle("POST /api/v1/tags", policy.TagsManage, a.addTag)
	r.Handle("DELETE /api/v1/tags/{id}", policy.TagsManage, a.removeTag)
	r.Handle("POST /api/v1/residents/{id}/account", policy.ErasureManage, a.linkAccount)
	r.Handle("GET /api/v1/me/data", policy.MeRead, a.myData)
	r.Handle("POST /api/v1/me/erasure", policy.MeUpdate, a.requestErasure)
	r.Handle("GET /api/v1/erasure-requests", policy.ErasureManage, a.listErasures)
	r.Handle("POST /api/v1/erasure-requests/{id}/decide", policy.ErasureManage, a.decideErasure)
	r.Handle("GET /api/v1/volunteers", policy.VolunteersRead, a.listVolunteers)
	r.Handle("POST /api/v1/volunteers", policy.VolunteersEdit, a.registerVolunteer)
	r.Handle("GET /api/v1/volunteers/{id}", policy.VolunteersRead, a.getVolunteer)
	r.Handle("PATCH /api/v1/volunteers/{id}", policy.VolunteersEdit, a.updateVolunteer)
	r.Handle("POST /api/v1/volunteers/{id}/reveal", policy.VolunteersReveal, a.revealVolunteer)
	r.Handle("POST /api/v1/volunteers/{id}/consents", policy.VolunteersEdit, a.addConsent)
	r.Handle("POST /api/v1/volunteers/{id}/consents/{consent}/withdraw", policy.VolunteersEdit, a.withdrawConsent)
	r.Handle("GET /api/v1/me/volunteer", policy.VolunteersRead, a.myVolunteer)
	r.Handle("GET /api/v1/volunteer-rules", policy.TeamsRead, a.ageRules)
	r.Handle("PUT /api/v1/volunteer-rules", policy.VolunteerRules, a.setAgeRules)
	r.Handle("GET /api/v1/skills", policy.TeamsRead, a.listSkills)
	r.Handle("POST /api/v1/skills", policy.VolunteerRules, a.addSkill)
	r.Handle("GET /api/v1/teams", policy.TeamsRead, a.listTeams)
	r.Handle("POST /api/v1/teams", policy.TeamsManage, a.createTeam)
	r.Handle("GET /api/v1/teams/{id}", policy.TeamsRead, a.getTeam)
	r.Handle("PATCH /api/v1/teams/{id}", policy.TeamsManage, a.updateTeam)
	r.Handle("POST /api/v1/teams/{id}/members", policy.TeamMembers, a.joinTeam)
	r.Handle("DELETE /api/v1/teams/{id}/members/{volunteer}", policy.TeamMembers, a.leaveTeam)
	r.Handle("GET /api/v1/organisations", policy.OrgsRead, a.listOrganisations)
	r.Handle("POST /api/v1/organisations", policy.OrgsManage, a.createOrganisation)
	r.Handle("GET /api/v1/organisations/{id}", policy.OrgsRead, a.getOrganisation)
	r.Handle("PATCH /api/v1/organisations/{id}", policy.OrgsManage, a.updateOrganisation)
	r.Handle("POST /api/v1/organisations/{id}/commitments", policy.OrgsManage, a.addCommitment)
	// Anything else under /api/v1 is a JSON 404, not the web's HTML page.
	r.Handle("/api/v1/", policy.APIDoc, func(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
		return apperr.NotFoundErr()
	})
}
