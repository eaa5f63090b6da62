package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/i18n"
)

type loginData struct {
	Username, Next, Error string
}

func (w *Web) loginPage(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if p != nil {
		http.Redirect(rw, r, "/", http.StatusSeeOther)
		return nil
	}
	return w.render(rw, http.StatusOK, "login", w.view(rw, r, nil, "", "login.title",
		loginData{Next: localPath(r.URL.Query().Get("next"))}))
}

func (w *Web) login(rw http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	user := r.PostForm.Get("username")
	sess, _, err := w.Accounts.Login(r.Context(), accounts.Credentials{
		Username: user, Password: r.PostForm.Get("password"), Kind: accounts.KindWeb,
		ClientAddr: httpx.ClientAddr(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestID(r.Context()),
	})
	if err != nil {
		e := apperr.From(err)
		if e.Code == apperr.Internal {
			return err
		}
		lang := httpx.Lang(r, nil)
		msg := i18n.T(lang, e.Key, e.Args)
		if e.Code == apperr.Invalid {
			msg = i18n.T(lang, "login.fill_both", nil)
		}
		v := w.view(rw, r, nil, "", "login.title", loginData{Username: user, Next: localPath(r.PostForm.Get("next")), Error: msg})
		return w.render(rw, e.Code.Status(), "login", v)
	}
	// Max-Age, not Expires: the lifetime is measured on the server's clock,
	// so a phone whose clock is wrong (or a server on a test clock) neither
	// drops the cookie at once nor keeps it past the session's end.
	maxAge := int(sess.ExpiresAt.Sub(w.Clock.Now()) / time.Second)
	if maxAge < 1 {
		maxAge = 1
	}
	http.SetCookie(rw, &http.Cookie{
		Name: CookieName, Value: sess.Token, Path: "/", HttpOnly: true, Secure: w.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: maxAge,
	})
	http.Redirect(rw, r, localPath(r.PostForm.Get("next")), http.StatusSeeOther)
	return nil
}

func (w *Web) logout(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	c, _ := r.Cookie(CookieName)
	if c != nil {
		if err := w.Accounts.Logout(r.Context(), p, c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(rw, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, Secure: w.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	redirect(rw, r, "/login", "flash.logged_out")
	return nil
}

// prefs switches language or text size. Anonymous visitors keep the choice
// in a cookie; a signed-in user's choice is saved to the account, so it
// follows them to another phone.
func (w *Web) prefs(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	var pr accounts.Preferences
	if l := r.PostForm.Get("lang"); l != "" {
		if !i18n.Supported(l) {
			return apperr.New(apperr.Invalid, "error.invalid").Field("lang", "account.locale.invalid", nil)
		}
		pr.Locale = &l
		w.setPrefCookie(rw, "lang", l)
	}
	if lt := r.PostForm.Get("large_text"); lt != "" {
		if lt != "0" && lt != "1" {
			return apperr.New(apperr.Invalid, "error.invalid").Field("large_text", "error.invalid", nil)
		}
		on := lt == "1"
		pr.LargeText = &on
		w.setPrefCookie(rw, "large_text", lt)
	}
	if p != nil {
		if err := w.Accounts.SetPreferences(r.Context(), p, pr); err != nil {
			return err
		}
	}
	http.Redirect(rw, r, localPath(r.PostForm.Get("back")), http.StatusSeeOther)
	return nil
}

func (w *Web) setPrefCookie(rw http.ResponseWriter, name, value string) {
	http.SetCookie(rw, &http.Cookie{Name: name, Value: value, Path: "/", Secure: w.SecureCookies,
		SameSite: http.SameSiteLaxMode, HttpOnly: true, MaxAge: 365 * 24 * 60 * 60})
}

// formError classifies a failure to read a form body.
func formError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return apperr.Wrap(err, apperr.TooLarge, "error.too_large")
	}
	return apperr.Wrap(err, apperr.Malformed, "error.malformed")
}
