package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/notify"
)

type notificationsData struct {
	OnlyUnread bool
	Items      []notify.Notification
	Total      int
	Pager      pager
}

func (w *Web) notifications(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	page, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	page.PerPage = 20
	d := notificationsData{OnlyUnread: r.URL.Query().Get("unread") == "1"}
	if d.Items, d.Total, err = w.Notify.List(r.Context(), p, d.OnlyUnread, page.PerPage, page.Offset()); err != nil {
		return err
	}
	link := func(n int) string {
		v := url.Values{"page": {strconv.Itoa(n)}}
		if d.OnlyUnread {
			v.Set("unread", "1")
		}
		return "/notifications?" + v.Encode()
	}
	if page.Page > 1 {
		d.Pager.Prev = link(page.Page - 1)
	}
	if page.Offset()+len(d.Items) < d.Total {
		d.Pager.Next = link(page.Page + 1)
	}
	return w.render(rw, http.StatusOK, "notifications", w.view(rw, r, p, "notifications", "notifications.title", d))
}

func (w *Web) markRead(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.NotFoundErr()
	}
	if err := w.Notify.MarkRead(r.Context(), p, id); err != nil {
		return err
	}
	redirect(rw, r, "/notifications", "")
	return nil
}

func (w *Web) markAllRead(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if _, err := w.Notify.MarkAllRead(r.Context(), p); err != nil {
		return err
	}
	redirect(rw, r, "/notifications", "flash.all_read")
	return nil
}
