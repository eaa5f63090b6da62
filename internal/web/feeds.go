package web

import (
	"fmt"
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
)

// rotateFeed gives one feed of /me/activities a new address (a calendar
// shared by mistake, a lost phone); the other feeds keep theirs.
func (w *Web) rotateFeed(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if w.Feeds == nil {
		return apperr.NotFoundErr()
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	f, err := w.Feeds.RotateOne(r.Context(), p, id, httpx.BaseURL(r, w.PublicURL))
	if err != nil {
		return err
	}
	redirect(rw, r, fmt.Sprintf("/me/activities#feed-%d", f.ID), "feed.rotated")
	return nil
}
