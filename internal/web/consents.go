package web

import (
	"fmt"
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
)

// addConsent records a consent given later from the volunteer's page: the
// publicity consent, or the photo consent a guardian gives for their
// child (which makes the child's photos in stories public). The service
// decides who may: the office, the volunteer, the guardian.
func (w *Web) addConsent(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	kind := r.PostForm.Get("kind")
	if kind != "photo" && kind != "publicity" {
		return apperr.New(apperr.Invalid, "error.invalid").Field("kind", "volunteer.consent.kind", nil)
	}
	if _, err := w.Volunteers.AddConsent(r.Context(), p, id, kind, nil); err != nil {
		return err
	}
	redirect(rw, r, fmt.Sprintf("/volunteers/%d", id), "flash.saved")
	return nil
}
