package web

import (
	"net/http"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/policy"
)

// routes is every page of the UI on one screen, each with the policy
// action that guards it.
func (w *Web) routes() {
	r := w.Router
	r.Handle("GET /static/{file...}", policy.Static, w.static)
	r.Handle("GET /login", policy.Login, w.loginPage)
	r.Handle("POST /login", policy.Login, w.login)
	r.Handle("POST /logout", policy.Logout, w.logout)
	r.Handle("POST /prefs", policy.Prefs, w.prefs)
	r.Handle("GET /{$}", policy.Home, w.home)
	r.Handle("GET /settings", policy.MeRead, w.settings)
	r.Handle("POST /settings/preferences", policy.MeUpdate, w.savePreferences)
	r.Handle("POST /settings/password", policy.MeUpdate, w.changePassword)
	r.Handle("GET /users", policy.UsersList, w.users)
	r.Handle("POST /users", policy.UsersCreate, w.createUser)
	r.Handle("GET /users/{id}", policy.UsersList, w.user)
	r.Handle("POST /users/{id}/grants", policy.UsersGrant, w.addGrant)
	r.Handle("POST /grants/{id}/revoke", policy.UsersGrant, w.revokeGrant)
	r.Handle("POST /users/{id}/password", policy.UsersUpdate, w.resetPassword)
	r.Handle("POST /users/{id}/disable", policy.UsersUpdate, w.disable)
	r.Handle("POST /users/{id}/enable", policy.UsersUpdate, w.enable)
	r.Handle("GET /notifications", policy.Notifications, w.notifications)
	r.Handle("POST /notifications/{id}/read", policy.NotificationsMark, w.markRead)
	r.Handle("POST /notifications/read-all", policy.NotificationsMark, w.markAllRead)
	r.Handle("GET /calendar", policy.CalendarRead, w.calendar)
	r.Handle("POST /calendar", policy.CalendarEdit, w.setCalendarDay)
	r.Handle("POST /calendar/{day}/delete", policy.CalendarEdit, w.deleteCalendarDay)
	r.Handle("GET /buildings", policy.RegistryRead, w.buildings)
	r.Handle("GET /residents", policy.RegistryRead, w.residents)
	r.Handle("GET /residents/import", policy.RegistryImport, w.importPage)
	r.Handle("POST /residents/import", policy.RegistryImport, w.importUpload)
	r.Handle("GET /residents/import/bad/{name}", policy.RegistryImport, w.badRows)
	r.Handle("POST /residents/export", policy.RegistryExport, w.exportResidents)
	r.Handle("GET /residents/new", policy.RegistryEdit, w.newResident)
	r.Handle("POST /residents", policy.RegistryEdit, w.createResident)
	r.Handle("GET /residents/{id}/edit", policy.RegistryEdit, w.editResident)
	r.Handle("POST /residents/{id}", policy.RegistryEdit, w.updateResident)
	r.Handle("GET /residents/{id}", policy.RegistryRead, w.resident)
	r.Handle("POST /residents/{id}/reveal", policy.RegistryReveal, w.revealResident)
	r.Handle("POST /residents/{id}/move-out", policy.RegistryEdit, w.moveOut)
	r.Handle("GET /teams", policy.TeamsRead, w.teams)
	r.Handle("POST /teams", policy.TeamsManage, w.createTeam)
	r.Handle("GET /teams/{id}", policy.TeamsRead, w.team)
	r.Handle("POST /teams/{id}/members", policy.TeamMembers, w.joinTeam)
	r.Handle("POST /teams/{id}/members/{volunteer}/leave", policy.TeamMembers, w.leaveTeam)
	r.Handle("GET /volunteers", policy.VolunteersRead, w.volunteerList)
	r.Handle("GET /volunteers/new", policy.VolunteersEdit, w.newVolunteer)
	r.Handle("POST /volunteers", policy.VolunteersEdit, w.registerVolunteer)
	r.Handle("GET /volunteers/{id}", policy.VolunteersRead, w.volunteer)
	r.Handle("POST /volunteers/{id}/reveal", policy.VolunteersReveal, w.revealVolunteer)
	r.Handle("POST /volunteers/{id}/consents/{consent}/withdraw", policy.VolunteersEdit, w.withdrawConsent)
	r.Handle("POST /volunteers/{id}/consents", policy.VolunteersEdit, w.addConsent)
	r.Handle("GET /me/volunteer", policy.VolunteersRead, w.myVolunteer)
	r.Handle("GET /organisations", policy.OrgsRead, w.organisations)
	r.Handle("POST /organisations/{id}/commitments", policy.OrgsManage, w.addCommitment)
	r.Handle("GET /matrix", policy.MatrixRead, w.matrix)
	r.Handle("GET /records", policy.HoursRead, w.records)
	r.Handle("POST /records", policy.HoursRecord, w.createRecords)
	r.Handle("POST /records/export", policy.HoursExport, w.exportRecords)
	r.Handle("POST /records/{id}/reverse", policy.HoursReview, w.reverseRecord)
	r.Handle("POST /records/{id}/decide", policy.HoursReview, w.decideRecord)
	r.Handle("GET /me/hours", policy.HoursRead, w.myHours)
	r.Handle("GET /me/certificates", policy.CertRead, w.myCertificates)
	r.Handle("POST /me/certificates", policy.CertIssue, w.issueCertificate)
	r.Handle("GET /certificates/{number}", policy.CertRead, w.certificate)
	r.Handle("GET /certificates/{number}/pdf", policy.CertRead, w.certificatePDF)
	r.Handle("GET /verify", policy.CertVerify, w.verify)
	r.Handle("GET /verify/{number}", policy.CertVerify, w.verify)
	r.Handle("GET /me/points", policy.PointsRead, w.myPoints)
	r.Handle("POST /shop/{id}/redeem", policy.ShopRedeem, w.redeem)
	r.Handle("GET /shop", policy.ShopManage, w.shop)
	r.Handle("POST /shop", policy.ShopManage, w.saveItem)
	r.Handle("POST /redemptions/{id}/return", policy.ShopManage, w.returnItem)
	r.Handle("GET /activities", policy.ActivitiesRead, w.activitiesPage)
	r.Handle("GET /activities/new", policy.ActivitiesPlan, w.planPage)
	r.Handle("POST /activities", policy.ActivitiesPlan, w.createActivity)
	r.Handle("GET /activities/{id}", policy.ActivitiesRead, w.activityPage)
	r.Handle("POST /activities/{id}/signup", policy.ActivitiesSignup, w.activitySignup)
	r.Handle("POST /activities/{id}/cancel", policy.ActivitiesSignup, w.activityCancel)
	r.Handle("GET /activities/{id}/run", policy.ActivitiesRoster, w.runPage)
	r.Handle("GET /activities/{id}/qr", policy.ActivitiesRoster, w.qrScreen)
	r.Handle("GET /activities/{id}/qr.png", policy.ActivitiesRoster, w.qrPNG)
	r.Handle("GET /activities/{id}/qr.txt", policy.ActivitiesRoster, w.qrText)
	r.Handle("POST /activities/{id}/tick", policy.ActivitiesRoster, w.runTick)
	r.Handle("POST /activities/{id}/checkout", policy.ActivitiesRoster, w.runCheckout)
	r.Handle("POST /activities/{id}/post-hours", policy.ActivitiesRoster, w.runPostHours)
	r.Handle("GET /me/activities", policy.ActivitiesRead, w.myActivities)
	r.Handle("POST /me/feeds/{id}/rotate", policy.FeedsManage, w.rotateFeed)
	r.Handle("GET /places", policy.PlacesManage, w.placesPage)
	r.Handle("POST /places", policy.PlacesManage, w.createPlace)
	r.Handle("POST /places/{id}", policy.PlacesManage, w.updatePlace)
	r.Handle("GET /checkin/{id}", policy.ActivitiesCheckin, w.checkinPage)
	r.Handle("GET /checkin/{id}/{code}", policy.ActivitiesCheckin, w.checkinShort)
	r.Handle("POST /checkin/{id}", policy.ActivitiesCheckin, w.checkin)
	r.Handle("GET /me/data", policy.MeRead, w.myData)
	r.Handle("GET /me/data.json", policy.MeRead, w.myDataJSON)
	r.Handle("POST /me/erasure", policy.MeUpdate, w.requestErasure)
	r.Handle("GET /stories", policy.StoriesRead, w.storiesPage)
	r.Handle("GET /stories/{id}", policy.StoriesRead, w.storyPage)
	r.Handle("GET /photos/{id}", policy.StoriesRead, w.storyPhoto)
	// Everything else: the 404 page in the visitor's language.
	r.Handle("/", policy.Static, func(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
		return apperr.NotFoundErr()
	})
}

func (w *Web) static(rw http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	name := r.PathValue("file")
	if _, ok := w.assetHash[name]; !ok || strings.Contains(name, "..") {
		return apperr.NotFoundErr()
	}
	if r.URL.Query().Get("v") == w.assetHash[name] {
		rw.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	http.ServeFileFS(rw, r, staticFS, "static/"+name)
	return nil
}
