package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/photos"
	"github.com/linli/linli/internal/stories"
)

// storyFormData is the organiser's form for the story of a finished date.
type storyFormData struct {
	D               *activities.Detail
	Item            calItem
	Story           *stories.Story // the story already written, or nil
	MembersActivity bool           // then the story is for members only too
	Summary         string
	Visibility      string
	People          []taggable // who came, to say who is in the photo
	Errors          []string
	MaxMB           int
	MaxSummary      int
}

type taggable struct {
	ID      int64
	Name    string
	Checked bool
}

// storyForm: GET /activities/{id}/story, for the office and the team's
// leaders once the date is over (stories.Prepare decides).
func (w *Web) storyForm(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderStoryForm(rw, r, p, http.StatusOK, nil, nil)
}

// renderStoryForm shows the form, filled from in (a refused post) or from
// the story already written.
func (w *Web) renderStoryForm(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, in *stories.Draft, errs []string) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	st, members, err := w.Stories.Prepare(ctx, p, id)
	if err != nil {
		return err
	}
	det, err := w.Activities.Detail(ctx, p, id)
	if err != nil {
		return err
	}
	att, err := w.Activities.Attendance(ctx, p, id)
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(att))
	for _, c := range att {
		ids = append(ids, c.VolunteerID)
	}
	names, err := w.Volunteers.Names(ctx, p, det.CommunityID, ids)
	if err != nil {
		return err
	}
	d := storyFormData{D: det, Item: toItem(det.Occurrence), Story: st, MembersActivity: members, Errors: errs,
		MaxMB: stories.MaxPhotoBytes >> 20, MaxSummary: stories.MaxSummary, Visibility: det.Visibility}
	tagged := map[int64]bool{}
	switch {
	case in != nil:
		d.Summary, d.Visibility = in.Summary, in.Visibility
		for _, v := range in.People {
			tagged[v] = true
		}
	case st != nil:
		d.Summary, d.Visibility = st.Summary, st.Visibility
	}
	if members {
		d.Visibility = "members"
	}
	for _, c := range att {
		d.People = append(d.People, taggable{ID: c.VolunteerID, Name: names[c.VolunteerID][0], Checked: tagged[c.VolunteerID]})
	}
	return w.render(rw, status, "story_form", w.view(rw, r, p, "activities", "story.write", d))
}

// saveStory: POST /activities/{id}/story, a multipart form (the summary
// and visibility first, then the photo, as the page orders them). The
// body is read as a stream and stops at the photo limit, as the API's
// upload does; the story and the photo are written together by
// stories.Compose, so any refusal leaves nothing written.
func (w *Web) saveStory(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	lang := httpx.Lang(r, p)
	var d stories.Draft
	if err := readStoryForm(r, &d); err != nil {
		e := apperr.From(err)
		if e.Code == apperr.Internal {
			return err
		}
		return w.renderStoryForm(rw, r, p, e.Code.Status(), &d, fieldMessages(lang, e))
	}
	st, err := w.Stories.Compose(r.Context(), p, id, d)
	if e := apperr.From(err); err != nil {
		switch e.Code {
		case apperr.Invalid, apperr.TooLarge, apperr.Unsupported:
			return w.renderStoryForm(rw, r, p, e.Code.Status(), &d, fieldMessages(lang, e))
		}
		return err
	}
	redirect(rw, r, fmt.Sprintf("/stories/%d", st.ID), "story.flash.saved")
	return nil
}

// readStoryForm reads the form's parts into d. A file input left empty
// sends a part with no name and no bytes: no photo. Errors are apperr
// errors on the field they concern.
func readStoryForm(r *http.Request, d *stories.Draft) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return apperr.Wrap(err, apperr.Malformed, "photo.multipart")
	}
	small := func(part io.Reader, n int64) (string, error) {
		b, err := io.ReadAll(io.LimitReader(part, n))
		return string(b), err
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return storyUploadError(err)
		}
		switch part.FormName() {
		case "summary":
			// Four bytes a character, and a little over, so that a
			// summary too long is refused by its length, not cut.
			d.Summary, err = small(part, 4*stories.MaxSummary+64)
		case "visibility":
			d.Visibility, err = small(part, 16)
		case "people":
			var s string
			if s, err = small(part, 24); err == nil {
				n, perr := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
				if perr != nil || n <= 0 {
					return apperr.New(apperr.Invalid, "error.invalid").Field("people", "photo.people.unknown", map[string]any{"id": s})
				}
				d.People = append(d.People, n)
			}
		case "photo":
			var data []byte
			if data, err = photos.ReadUpload(part); err == nil && len(data) > 0 {
				d.Photo = data
			}
		}
		part.Close()
		if err != nil {
			return storyUploadError(err)
		}
	}
}

// storyUploadError names the photo in what went wrong reading the form:
// too large (the photo's limit, or the body's), or a broken upload.
func storyUploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || apperr.Is(err, apperr.TooLarge) {
		return apperr.Wrap(err, apperr.TooLarge, "error.too_large").Field("photo", "photo.too_large", map[string]any{"mb": stories.MaxPhotoBytes >> 20})
	}
	return apperr.Wrap(err, apperr.Malformed, "photo.multipart").Field("photo", "photo.multipart", nil)
}
