package api

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/photos"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/requests"
)

// Photos of residents' requests (requests/photos.go): added on their own
// by POST (an "attach" event on the timeline), read one by one by
// whoever may read the request. The timeline lists each event's photos
// with the address this file serves them at.

// MaxRequestPhotoBody is the largest body POST .../photos takes: one
// photo at its limit and the note, with room for the multipart framing.
const MaxRequestPhotoBody = photos.MaxBytes + 64<<10

func (a *API) requestPhotoRoutes() {
	r := a.Router
	r.Handle("POST /api/v1/requests/{id}/photos", policy.RequestsPhotos, a.addRequestPhotos)
	r.Handle("GET /api/v1/requests/{id}/photos/{photo}", policy.RequestsRead, a.requestPhoto)
}

// requestPhotoURL is where the API serves photo pid of request id.
func requestPhotoURL(id, pid int64) string {
	return fmt.Sprintf("/api/v1/requests/%d/photos/%d", id, pid)
}

// withPhotoURLs fills the address of each photo of a timeline.
func withPhotoURLs(id int64, events []requests.Event) {
	for i := range events {
		for j := range events[i].Photos {
			events[i].Photos[j].URL = requestPhotoURL(id, events[i].Photos[j].ID)
		}
	}
}

// addRequestPhotos takes a multipart body: one or more parts "photo" and
// an optional "note". The body is streamed, never spooled to disk, and
// stops at its limit; the parts' file names and content types are never
// used (photos.Reencode tells the format by content).
func (a *API) addRequestPhotos(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var ups [][]byte
	var note string
	err = eachPart(w, r, MaxRequestPhotoBody, func(part *multipart.Part) error {
		switch part.FormName() {
		case "photo":
			if len(ups) == requests.MaxPhotos {
				return apperr.New(apperr.Invalid, "error.invalid").Field("photo", "request.photo.many", map[string]any{"max": requests.MaxPhotos})
			}
			data, err := photos.ReadUpload(part)
			if err != nil {
				return err
			}
			if len(data) > 0 {
				ups = append(ups, data)
			}
		case "note":
			// Four bytes a character and a little over: a note too long
			// is refused by its length (the service's), not cut.
			b, err := io.ReadAll(io.LimitReader(part, 4*2000+64))
			if err != nil {
				return err
			}
			note = string(b)
		}
		return nil
	})
	if err != nil {
		return err
	}
	ps, err := a.Requests.AddPhotos(r.Context(), p, id, note, ups)
	if err != nil {
		return err
	}
	for i := range ps {
		ps[i].URL = requestPhotoURL(id, ps[i].ID)
	}
	httpx.WriteJSON(w, http.StatusCreated, httpx.NewList(ps, len(ps), httpx.Page{Page: 1, PerPage: max(1, len(ps))}))
	return nil
}

// requestPhoto sends one photo of a request the caller may read, as a
// JPEG that no shared cache keeps.
func (a *API) requestPhoto(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pid, err := pathID(r, "photo")
	if err != nil {
		return err
	}
	f, at, err := a.Requests.OpenPhoto(r.Context(), p, id, pid)
	if err != nil {
		return err
	}
	defer f.Close()
	httpx.ServeJPEG(w, r, f, at, true)
	return nil
}

// decodeStep reads a step's body: JSON, or, to carry photos with the
// step (a result with the repaired pipe, a callback with the ceiling
// still wet), multipart/form-data with the same JSON in a part named
// "step" and each photo in a part named "photo". The photos then belong
// to the step's own event on the timeline, as they do from the pages.
func decodeStep(w http.ResponseWriter, r *http.Request, st *requests.Step) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		// The route takes a photo's size; JSON alone keeps the usual cap.
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		return httpx.DecodeOptionalJSON(r, st)
	}
	return eachPart(w, r, MaxRequestPhotoBody, func(part *multipart.Part) error {
		switch part.FormName() {
		case "step":
			dec := json.NewDecoder(io.LimitReader(part, 64<<10))
			dec.DisallowUnknownFields()
			if err := dec.Decode(st); err != nil {
				return apperr.Wrap(err, apperr.Malformed, "error.malformed_json")
			}
		case "photo":
			if len(st.Photos) == requests.MaxPhotos {
				return apperr.New(apperr.Invalid, "error.invalid").Field("photo", "request.photo.many", map[string]any{"max": requests.MaxPhotos})
			}
			data, err := photos.ReadUpload(part)
			if err != nil {
				return err
			}
			if len(data) > 0 {
				st.Photos = append(st.Photos, data)
			}
		}
		return nil
	})
}

// eachPart reads a multipart body of at most limit bytes as a stream,
// never spooled to disk, and hands each part to f in turn; a body over
// the limit or broken, or an error from f, stops it. The parts' file
// names and content types are never used.
func eachPart(w http.ResponseWriter, r *http.Request, limit int64, f func(*multipart.Part) error) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return apperr.Wrap(err, apperr.Malformed, "photo.multipart")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return uploadError(err)
		}
		err = f(part)
		part.Close()
		if err != nil {
			return uploadError(err)
		}
	}
}
