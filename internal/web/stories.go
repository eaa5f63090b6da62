package web

import (
	"net/http"
	"strconv"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/stories"
)

type storiesData struct {
	Stories    []stories.Story
	Page, Next int
	Prev       int
}

// storiesPage is the community's public page of stories: signed out, the
// public stories; a member also sees the members-only ones.
func (w *Web) storiesPage(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	var cid int64
	if s := r.URL.Query().Get("community"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return apperr.NotFoundErr()
		}
		cid = n
	} else if p != nil {
		cid, _ = homeCommunity(p) // a street supervisor has none: the public stories of all
	}
	page, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	page.PerPage = 12
	d := storiesData{Page: page.Page}
	var total int
	if d.Stories, total, err = w.Stories.List(r.Context(), p, cid, page.PerPage, page.Offset()); err != nil {
		return err
	}
	if page.Offset()+len(d.Stories) < total {
		d.Next = page.Page + 1
	}
	d.Prev = page.Page - 1
	return w.render(rw, http.StatusOK, "stories", w.view(rw, r, p, "stories", "story.title", d))
}

func (w *Web) storyPage(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	st, err := w.Stories.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	v := w.view(rw, r, p, "stories", "story.title", st)
	v.Title = st.Title
	return w.render(rw, http.StatusOK, "story", v)
}

// storyPhoto sends a photo under the story's rules (stories.OpenPhoto):
// a photo the viewer may not see is not found, as if it did not exist.
func (w *Web) storyPhoto(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	f, at, err := w.Stories.OpenPhoto(r.Context(), p, id)
	if err != nil {
		return err
	}
	defer f.Close()
	httpx.ServeJPEG(rw, r, f, at, p != nil)
	return nil
}
