package web

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/skip2/go-qrcode"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/certs"
	"github.com/linli/linli/internal/httpx"
)

func (w *Web) verifyURL(r *http.Request, number string) string {
	return httpx.BaseURL(r, w.PublicURL) + "/verify/" + number
}

// who is a person a certificate can be issued for: oneself or a child.
type who struct {
	ID   int64
	Name string
}

type certsData struct {
	Certs  []certs.Certificate
	For    []who
	From   string
	To     string
	Errors []string
}

func (w *Web) myCertificates(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderCertificates(rw, r, p, http.StatusOK, certsData{})
}

func (w *Web) renderCertificates(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, d certsData) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	if d.Certs, err = w.Certs.Mine(r.Context(), p, cid); err != nil {
		return err
	}
	if me, err := w.Volunteers.Mine(r.Context(), p, cid); err == nil {
		d.For = append(d.For, who{me.ID, me.Name})
	} else if !apperr.Is(err, apperr.NotFound) {
		return err
	}
	family, _, err := w.Volunteers.Family(r.Context(), p, cid)
	if err != nil {
		return err
	}
	for _, c := range family {
		if c.VolunteerID != 0 {
			d.For = append(d.For, who{c.VolunteerID, c.Name})
		}
	}
	return w.render(rw, status, "certificates", w.view(rw, r, p, "volunteers", "cert.title", d))
}

func (w *Web) issueCertificate(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	vid, _ := strconv.ParseInt(r.PostForm.Get("volunteer_id"), 10, 64)
	from, to := r.PostForm.Get("from"), r.PostForm.Get("to")
	c, err := w.Certs.Issue(r.Context(), p, cid, vid, from, to)
	if err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid {
			return err
		}
		return w.renderCertificates(rw, r, p, e.Code.Status(), certsData{From: from, To: to, Errors: fieldMessages(httpx.Lang(r, p), e)})
	}
	redirect(rw, r, "/certificates/"+url.PathEscape(c.Number), "flash.cert_issued")
	return nil
}

type certificateData struct {
	C         *certs.Certificate
	VerifyURL string
	QR        template.URL // data: URL of the QR code's PNG, made here (html/template refuses data: URLs from strings)
}

func (w *Web) certificate(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	c, err := w.Certs.Get(r.Context(), p, r.PathValue("number"))
	if err != nil {
		return err
	}
	d := certificateData{C: c, VerifyURL: w.verifyURL(r, c.Number)}
	png, err := qrcode.Encode(d.VerifyURL, qrcode.Medium, 256)
	if err != nil {
		return err
	}
	d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	return w.render(rw, http.StatusOK, "certificate", w.view(rw, r, p, "volunteers", "cert.title", d))
}

func (w *Web) certificatePDF(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	c, err := w.Certs.Get(r.Context(), p, r.PathValue("number"))
	if err != nil {
		return err
	}
	pdf, err := certs.PDF(c, w.verifyURL(r, c.Number))
	if err != nil {
		return err
	}
	rw.Header().Set("Content-Type", "application/pdf")
	rw.Header().Set("Content-Disposition", `attachment; filename="`+c.Number+`.pdf"`)
	rw.Header().Set("Cache-Control", "private, no-store")
	_, err = rw.Write(pdf)
	return err
}

type verifyData struct {
	Number string
	C      *certs.Certificate
	Asked  bool
}

// verify is the public check: a form, or the result for a number.
func (w *Web) verify(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	d := verifyData{Number: strings.TrimSpace(r.PathValue("number"))}
	if d.Number == "" {
		d.Number = strings.TrimSpace(r.URL.Query().Get("number"))
	}
	status := http.StatusOK
	if d.Number != "" {
		d.Asked = true
		c, err := w.Certs.Verify(r.Context(), d.Number)
		switch {
		case apperr.Is(err, apperr.NotFound):
			status = http.StatusNotFound
		case err != nil:
			return err
		default:
			d.C = c
		}
	}
	return w.render(rw, status, "verify", w.view(rw, r, p, "", "cert.verify", d))
}
