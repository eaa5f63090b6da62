package web

import (
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/tenancy"
)

// area is a part of Linli shown on the home page. Areas whose issue has
// not landed yet are shown as coming, so users see the whole shape.
type area struct {
	Key    string
	Href   string
	Ready  bool
	Action policy.Action // shown only to those it permits, when set
}

// Ready areas come first, so on a phone the working links are on the
// first screen.
var areas = []area{
	{Key: "registry", Href: "/buildings", Ready: true, Action: policy.RegistryRead},
	{Key: "notifications", Href: "/notifications", Ready: true},
	{Key: "calendar", Href: "/calendar", Ready: true},
	{Key: "volunteers", Href: "/teams", Ready: true, Action: policy.TeamsRead},
	{Key: "activities", Href: "/activities", Ready: true, Action: policy.ActivitiesRead},
	{Key: "requests"},
	{Key: "care"}, {Key: "wishes"}, {Key: "reports"},
}

type homeData struct {
	Community *tenancy.Community
	Street    *tenancy.Street
	Roles     []string
	Areas     []area
}

func (w *Web) home(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	d := homeData{Roles: p.RoleNames()}
	for _, a := range areas {
		if a.Action == "" || policy.Permits(p, a.Action) {
			d.Areas = append(d.Areas, a)
		}
	}
	if cs := p.Communities(); len(cs) > 0 {
		c, err := w.Tenancy.Community(r.Context(), cs[0])
		if err != nil {
			return err
		}
		d.Community = c
		if d.Street, err = w.Tenancy.Street(r.Context(), c.StreetID); err != nil {
			return err
		}
	} else {
		for _, g := range p.Grants {
			if g.StreetID != 0 {
				st, err := w.Tenancy.Street(r.Context(), g.StreetID)
				if err != nil {
					return err
				}
				d.Street = st
				d.Community = &tenancy.Community{Name: st.District + " " + st.City}
			}
		}
	}
	return w.render(rw, http.StatusOK, "home", w.view(rw, r, p, "home", "home.title", d))
}

type settingsData struct{ Errors []string }

func (w *Web) settings(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.render(rw, http.StatusOK, "settings", w.view(rw, r, p, "settings", "settings.title", settingsData{}))
}

func (w *Web) savePreferences(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	var pr accounts.Preferences
	if l := r.PostForm.Get("locale"); l != "" {
		pr.Locale = &l
	}
	if lt := r.PostForm.Get("large_text"); lt != "" {
		if lt != "0" && lt != "1" {
			return apperr.New(apperr.Invalid, "error.invalid").Field("large_text", "error.invalid", nil)
		}
		on := lt == "1"
		pr.LargeText = &on
	}
	if err := w.Accounts.SetPreferences(r.Context(), p, pr); err != nil {
		return err
	}
	if pr.Locale != nil {
		w.setPrefCookie(rw, "lang", *pr.Locale)
	}
	redirect(rw, r, "/settings", "flash.saved")
	return nil
}

func (w *Web) changePassword(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	c, _ := r.Cookie(CookieName)
	keep := ""
	if c != nil {
		keep = c.Value
	}
	err := w.Accounts.ChangePassword(r.Context(), p, r.PostForm.Get("current_password"), r.PostForm.Get("new_password"), keep)
	if err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid {
			return err
		}
		v := w.view(rw, r, p, "settings", "settings.title", settingsData{Errors: fieldMessages(httpx.Lang(r, p), e)})
		return w.render(rw, e.Code.Status(), "settings", v)
	}
	redirect(rw, r, "/settings", "flash.password_changed")
	return nil
}

// fieldMessages translates the field errors of e, for forms that show
// them above the inputs.
func fieldMessages(lang string, e *apperr.Error) []string {
	var out []string
	for field, fe := range e.Fields {
		out = append(out, i18n.T(lang, "field."+field, nil)+"："+i18n.T(lang, fe.Key, fe.Args))
	}
	if len(out) == 0 {
		out = append(out, i18n.T(lang, e.Key, e.Args))
	}
	return out
}
