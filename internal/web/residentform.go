package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/idcard"
	"github.com/linli/linli/internal/registry"
)

type docType struct{ Code, Name string }

type residentForm struct {
	ID        int64 // 0 for a new resident
	Action    string
	Back      string
	Address   string
	In        registry.Input
	Tags      []string
	Relations []string
	DocTypes  []docType
	Errors    []string
}

// Checked reports whether tag t is ticked in the form.
func (f residentForm) Checked(t string) bool { return slices.Contains(f.In.Tags, t) }

func (w *Web) formData(r *http.Request, cid int64, f *residentForm) error {
	tags, err := w.Registry.Tags(r.Context(), cid)
	if err != nil {
		return err
	}
	f.Tags, f.Relations = tags, registry.Relations
	for _, code := range idcard.DocTypes {
		f.DocTypes = append(f.DocTypes, docType{Code: code, Name: registry.DocTypeNames[code]})
	}
	return nil
}

func inputFromForm(r *http.Request) registry.Input {
	hid, _ := strconv.ParseInt(r.PostForm.Get("household_id"), 10, 64)
	return registry.Input{HouseholdID: hid, Name: r.PostForm.Get("name"), Gender: r.PostForm.Get("gender"),
		BirthDate: r.PostForm.Get("birth_date"), DocType: r.PostForm.Get("doc_type"), IDNumber: r.PostForm.Get("id_number"),
		Phone: r.PostForm.Get("phone"), Relation: r.PostForm.Get("relation"), Party: r.PostForm.Get("party") == "1",
		Tags: r.PostForm["tags"], Notes: r.PostForm.Get("notes")}
}

// newResident shows the form to add a member to a household.
func (w *Web) newResident(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := registryCommunity(p)
	if err != nil {
		return err
	}
	hid, err := strconv.ParseInt(r.URL.Query().Get("household"), 10, 64)
	if err != nil {
		return apperr.NotFoundErr()
	}
	members, _, err := w.Registry.List(r.Context(), p, registry.Filter{CommunityID: cid, HouseholdID: hid, Limit: 1})
	if err != nil {
		return err
	}
	f := residentForm{Action: "/residents", Back: "/residents", In: registry.Input{HouseholdID: hid, DocType: idcard.DocIDCard}}
	if len(members) > 0 {
		f.Address, f.Back = members[0].Address, fmt.Sprintf("/residents/%d", members[0].ID)
	}
	if err := w.formData(r, cid, &f); err != nil {
		return err
	}
	return w.render(rw, http.StatusOK, "resident_form", w.view(rw, r, p, "registry", "registry.new", f))
}

func (w *Web) createResident(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := registryCommunity(p)
	if err != nil {
		return err
	}
	in := inputFromForm(r)
	res, err := w.Registry.Create(r.Context(), p, cid, in)
	if err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid && e.Code != apperr.Conflict {
			return err
		}
		f := residentForm{Action: "/residents", Back: "/residents", In: in, Errors: fieldMessages(httpx.Lang(r, p), e)}
		if err := w.formData(r, cid, &f); err != nil {
			return err
		}
		return w.render(rw, e.Code.Status(), "resident_form", w.view(rw, r, p, "registry", "registry.new", f))
	}
	redirect(rw, r, fmt.Sprintf("/residents/%d", res.ID), "flash.saved")
	return nil
}

// editResident shows a resident's record for correction. Sensitive fields
// are not sent to the page: left empty, they stay as they are.
func (w *Web) editResident(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.NotFoundErr()
	}
	res, err := w.Registry.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	f := residentForm{ID: id, Action: fmt.Sprintf("/residents/%d", id), Back: fmt.Sprintf("/residents/%d", id), Address: res.Address,
		In: registry.Input{HouseholdID: res.HouseholdID, Name: res.Name, Gender: res.Gender, BirthDate: res.BirthDate,
			DocType: res.DocType, Relation: res.Relation, Party: res.Party}}
	if res.Child {
		f.In.Name = "" // masked: the form must not save the mask as the name
	}
	if err := w.formData(r, res.CommunityID, &f); err != nil {
		return err
	}
	return w.render(rw, http.StatusOK, "resident_form", w.view(rw, r, p, "registry", "registry.edit", f))
}

func (w *Web) updateResident(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.NotFoundErr()
	}
	in := inputFromForm(r)
	keep := []string{"id_number", "phone", "notes", "personal"}
	if r.PostForm.Get("change_tags") != "1" {
		keep, in.Tags = append(keep, "tags"), nil
	}
	if _, err := w.Registry.Update(r.Context(), p, id, in, keep); err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid && e.Code != apperr.Conflict {
			return err
		}
		f := residentForm{ID: id, Action: fmt.Sprintf("/residents/%d", id), Back: fmt.Sprintf("/residents/%d", id), In: in,
			Errors: fieldMessages(httpx.Lang(r, p), e)}
		cid, _ := registryCommunity(p)
		if err := w.formData(r, cid, &f); err != nil {
			return err
		}
		return w.render(rw, e.Code.Status(), "resident_form", w.view(rw, r, p, "registry", "registry.edit", f))
	}
	redirect(rw, r, fmt.Sprintf("/residents/%d", id), "flash.saved")
	return nil
}
