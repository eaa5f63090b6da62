package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/photos"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/requests"
)

// Photos of residents' requests on the pages: the intake form (the
// resident's own and the office's), the step forms where a photo says
// more than a note (progress, the result, the callback, reopening) and a
// form of its own on the request page take one photo each; the timeline
// shows each event's photos; the photo route serves them to whoever may
// read the request. The service re-encodes every upload (no EXIF, no
// GPS of the resident's flat) and keeps at most requests.MaxPhotos.

// MaxPhotoBody is the largest body a form with a photo may send: the
// photo at its limit and the form's text fields.
const MaxPhotoBody = photos.MaxBytes + 64<<10

// PhotoPaths are the form addresses (path.Match patterns) whose bodies
// may be as large as MaxPhotoBody; every other form keeps the small
// default, so a photo cannot be pushed at a form that takes none.
var PhotoPaths = []string{"/requests", "/requests/*/photos", "/requests/*/progress", "/requests/*/result",
	"/requests/*/callback", "/requests/*/reopen"}

// photoSteps are the steps whose form offers a photo.
var photoSteps = []requests.Action{requests.ActProgress, requests.ActResult, requests.ActCallback, requests.ActReopen}

// takesPhoto reports whether step a's form offers a photo (a template
// helper).
func takesPhoto(a requests.Action) bool { return slices.Contains(photoSteps, a) }

func (w *Web) requestPhotoRoutes() {
	r := w.Router
	r.Handle("POST /requests/{id}/photos", policy.RequestsPhotos, w.addRequestPhoto)
	r.Handle("GET /requests/{id}/photos/{photo}", policy.RequestsRead, w.requestPhoto)
}

// maxFormParts bounds how many parts a form with a photo may have: the
// office's intake form has about fifteen fields.
const maxFormParts = 40

// readPhotoForm reads a posted form, multipart or not, into its values
// and its photo (nil if none was chosen: an empty file input sends a
// part with no bytes). A multipart body is streamed part by part, never
// spooled to disk; a text field is read up to what the longest field
// (a 4,000-character description) needs, so a field too long is refused
// by its length, not cut. Errors about the photo are on its field.
func readPhotoForm(r *http.Request) (url.Values, []byte, error) {
	if !multipartForm(r) {
		if err := r.ParseForm(); err != nil {
			return nil, nil, formError(err)
		}
		return r.PostForm, nil, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, photoError(apperr.Wrap(err, apperr.Malformed, "photo.multipart"))
	}
	form := url.Values{}
	var photo []byte
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			return form, photo, nil
		}
		if err != nil {
			return form, nil, photoError(err)
		}
		if n == maxFormParts {
			return form, nil, apperr.New(apperr.Malformed, "error.malformed")
		}
		name := part.FormName()
		if name == "photo" {
			data, err := photos.ReadUpload(part)
			if err != nil {
				return form, nil, photoError(err)
			}
			if len(data) > 0 {
				if photo != nil {
					// One photo a form: a phone sends what was chosen.
					return form, nil, photoError(apperr.New(apperr.Invalid, "photo.multipart"))
				}
				photo = data
			}
		} else if name != "" {
			b, err := io.ReadAll(io.LimitReader(part, 4*requests.MaxDescription+64))
			if err != nil {
				return form, nil, photoError(err)
			}
			form.Add(name, string(b))
		}
		part.Close()
	}
}

// photoError is what went wrong reading a form with a photo: a broken
// upload, or what photoField says.
func photoError(err error) error {
	if apperr.CodeOf(err) == apperr.Internal {
		var tooBig *http.MaxBytesError
		if !errors.As(err, &tooBig) {
			return apperr.Wrap(err, apperr.Malformed, "photo.multipart").Field("photo", "photo.multipart", nil)
		}
	}
	return photoField(err)
}

// photoField puts what went wrong with a photo on the form's photo
// field, keeping its status (413 too large, 415 not a photo, 422 too
// many or too big to decode); other errors pass as they are. A body over
// the limit reads as the photo being too large: nothing else is.
func photoField(err error) error {
	var tooBig *http.MaxBytesError
	e := apperr.From(err)
	switch {
	case errors.As(err, &tooBig) || e.Code == apperr.TooLarge:
		return apperr.Wrap(err, apperr.TooLarge, "error.too_large").Field("photo", "photo.too_large", map[string]any{"mb": photos.MaxBytes >> 20})
	case strings.HasPrefix(e.Key, "photo."):
		return apperr.Wrap(err, e.Code, "error.invalid").Field("photo", e.Key, e.Args)
	}
	return err
}

// multipartForm reports whether r posts a form that may carry a photo.
func multipartForm(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "multipart/form-data"
}

// formShown reports whether err, answering form r, is one the form shows
// at its fields (bad input, a photo refused, a step not allowed now)
// rather than an error page; it returns err as the form shows it. Only a
// form that can carry a photo is told its photo is at fault: a plain
// form too large is an error page, as before.
func formShown(r *http.Request, err error, codes ...apperr.Code) (*apperr.Error, bool) {
	if multipartForm(r) {
		err = photoField(err)
	}
	e := apperr.From(err)
	_, onPhoto := e.Fields["photo"]
	return e, onPhoto || slices.Contains(codes, e.Code)
}

// onePhoto is the form's photo as the service takes photos.
func onePhoto(photo []byte) [][]byte {
	if photo == nil {
		return nil
	}
	return [][]byte{photo}
}

// addRequestPhoto adds the form's photo, with its note, to the request;
// a refusal shows the page again with the reason at the form.
func (w *Web) addRequestPhoto(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	f, photo, err := readPhotoForm(r)
	if err == nil {
		_, err = w.Requests.AddPhotos(r.Context(), p, id, f.Get("note"), onePhoto(photo))
	}
	if err != nil {
		e, shown := formShown(r, err, apperr.Invalid, apperr.Conflict)
		if !shown {
			return err
		}
		return w.renderRequest(rw, r, p, e.Code.Status(), stepFailed(r, p, requests.ActAttach, f, e))
	}
	redirect(rw, r, fmt.Sprintf("/requests/%d#timeline", id), "reqpage.flash.attach")
	return nil
}

// stepFailed is the request page's data for form a refused with e.
func stepFailed(r *http.Request, p *accounts.Principal, a requests.Action, f url.Values, e *apperr.Error) *requestData {
	lang := httpx.Lang(r, p)
	d := &requestData{ErrAction: a, Form: f, Errors: map[string]string{}}
	for field, fe := range e.Fields {
		d.Errors[field] = i18n.T(lang, fe.Key, fe.Args)
	}
	if len(e.Fields) == 0 {
		d.Message = i18n.T(lang, e.Key, e.Args)
	}
	return d
}

// requestPhoto serves one photo of a request the actor may read (the
// service audits the opening); others get not found.
func (w *Web) requestPhoto(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	pid, err := pathInt(r, "photo")
	if err != nil {
		return err
	}
	f, at, err := w.Requests.OpenPhoto(r.Context(), p, id, pid)
	if err != nil {
		return err
	}
	defer f.Close()
	httpx.ServeJPEG(rw, r, f, at, true)
	return nil
}
