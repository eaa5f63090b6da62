package api

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/photos"
	"github.com/linli/linli/internal/stories"
)

// writeStory publishes the story of a finished occurrence.
func (a *API) writeStory(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Summary    string `json:"summary"`
		Visibility string `json:"visibility"` // optional: public or members
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	st, err := a.Stories.Compose(r.Context(), p, id, stories.Draft{Summary: in.Summary, Visibility: in.Visibility})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, st)
	return nil
}

// listStories: a community's stories the caller may see; signed out, the
// public ones (of community_id, or of every community).
func (a *API) listStories(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	var cid int64
	if r.URL.Query().Get("community_id") != "" {
		var err error
		if cid, err = community(r, p); err != nil {
			return err
		}
	} else if cs := p.Communities(); len(cs) > 0 {
		cid = cs[0] // a street supervisor has none: every community's public stories
	}
	pg, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	pg.PerPage = min(pg.PerPage, 100)
	items, total, err := a.Stories.List(r.Context(), p, cid, pg.PerPage, pg.Offset())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, total, pg))
	return nil
}

func (a *API) getStory(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	st, err := a.Stories.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, st)
	return nil
}

// addStoryPhoto takes a multipart body with the photo in the part
// "photo" and the volunteers it shows in "people" (ids, comma-separated
// or one part each). The body is read as a stream, never spooled to
// disk, and stops at the limit: a 30 MB upload is refused after 10 MB.
// The part's file name is never used.
func (a *API) addStoryPhoto(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var photo []byte
	var people []int64
	err = eachPart(w, r, stories.MaxPhotoBytes+64<<10, func(part *multipart.Part) error {
		switch part.FormName() {
		case "photo":
			photo, err = photos.ReadUpload(part)
			return err
		case "people":
			b, err := io.ReadAll(io.LimitReader(part, 4096))
			if err != nil {
				return err
			}
			for _, f := range strings.FieldsFunc(string(b), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
				n, err := strconv.ParseInt(f, 10, 64)
				if err != nil || n <= 0 {
					return apperr.New(apperr.Invalid, "error.invalid").Field("people", "photo.people.unknown", map[string]any{"id": f})
				}
				people = append(people, n)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if photo == nil {
		return apperr.New(apperr.Invalid, "error.invalid").Field("photo", "photo.missing", nil)
	}
	ph, err := a.Stories.AddPhoto(r.Context(), p, id, photo, people)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, ph)
	return nil
}

// uploadError tells a body over the limit (TooLarge) from a broken one.
func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return apperr.Wrap(err, apperr.TooLarge, "error.too_large").With(map[string]any{"max": stories.MaxPhotoBytes})
	}
	if apperr.CodeOf(err) != apperr.Internal {
		return err
	}
	return apperr.Wrap(err, apperr.Malformed, "photo.multipart")
}

// storyPhoto sends a photo the caller may see (see stories.OpenPhoto).
func (a *API) storyPhoto(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, at, err := a.Stories.OpenPhoto(r.Context(), p, id)
	if err != nil {
		return err
	}
	defer f.Close()
	httpx.ServeJPEG(w, r, f, at, p != nil)
	return nil
}
