package api

import (
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/certs"
	"github.com/linli/linli/internal/httpx"
)

func (a *API) verifyURL(r *http.Request, number string) string {
	return httpx.BaseURL(r, a.PublicURL) + "/verify/" + number
}

func (a *API) issueCertificate(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in struct {
		VolunteerID int64  `json:"volunteer_id"`
		From        string `json:"from"`
		To          string `json:"to"`
	}
	if err := httpx.DecodeOptionalJSON(r, &in); err != nil {
		return err
	}
	c, err := a.Certs.Issue(r.Context(), p, cid, in.VolunteerID, in.From, in.To)
	if err != nil {
		return err
	}
	c.VerifyURL = a.verifyURL(r, c.Number)
	httpx.WriteJSON(w, http.StatusCreated, c)
	return nil
}

func (a *API) listCertificates(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	cs, err := a.Certs.Mine(r.Context(), p, cid)
	if err != nil {
		return err
	}
	for i := range cs {
		cs[i].VerifyURL = a.verifyURL(r, cs[i].Number)
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(cs, len(cs), httpx.Page{Page: 1, PerPage: max(1, len(cs))}))
	return nil
}

func (a *API) getCertificate(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	c, err := a.Certs.Get(r.Context(), p, r.PathValue("number"))
	if err != nil {
		return err
	}
	c.VerifyURL = a.verifyURL(r, c.Number)
	httpx.WriteJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) certificatePDF(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	c, err := a.Certs.Get(r.Context(), p, r.PathValue("number"))
	if err != nil {
		return err
	}
	pdf, err := certs.PDF(c, a.verifyURL(r, c.Number))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+c.Number+`.pdf"`)
	w.Header().Set("Cache-Control", "private, no-store")
	_, err = w.Write(pdf)
	return err
}

func (a *API) verifyCertificate(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	c, err := a.Certs.Verify(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, c)
	return nil
}
