package web

import (
	"encoding/json"
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/registry"
)

type myDataView struct{ D *registry.SubjectData }

func (w *Web) subjectData(r *http.Request, p *accounts.Principal) (*registry.SubjectData, error) {
	acc, err := w.Accounts.FindAccount(r.Context(), p.AccountID)
	if err != nil {
		return nil, err
	}
	return w.Registry.MyData(r.Context(), p, acc)
}

func (w *Web) myData(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	d, err := w.subjectData(r, p)
	if err != nil {
		return err
	}
	return w.render(rw, http.StatusOK, "mydata", w.view(rw, r, p, "settings", "mydata.title", myDataView{D: d}))
}

// myDataJSON is the download: the same data as the page, as a file.
func (w *Web) myDataJSON(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	d, err := w.subjectData(r, p)
	if err != nil {
		return err
	}
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.Header().Set("Content-Disposition", `attachment; filename="linli-my-data.json"`)
	rw.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(rw)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

func (w *Web) requestErasure(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	if _, err := w.Registry.RequestErasure(r.Context(), p, r.PostForm.Get("reason")); err != nil {
		return err
	}
	redirect(rw, r, "/me/data", "flash.erasure_requested")
	return nil
}
