package open311

import (
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/idcard"
	"github.com/linli/linli/internal/requests"
)

type submitDoc struct {
	ID            string `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice null   `json:"service_notice" xml:"service_notice"`
	AccountID     null   `json:"account_id" xml:"account_id"`
}

// readForm parses the POST body: urlencoded as the spec says, multipart
// as the v2.1 draft allows.
func readForm(r *http.Request) (url.Values, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if ct == "multipart/form-data" {
		err = r.ParseMultipartForm(1 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return nil, malformed("body", "open311.form.invalid", nil)
	}
	return r.Form, nil
}

// submit is POST requests: the key, its bucket, the service, its
// attributes and the location are checked in that order, then the
// request is filed on the open311 channel.
func (s *Server) submit(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	form, err := readForm(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	c, err := s.jurisdiction(ctx, form.Get("jurisdiction_id"))
	if err != nil {
		return err
	}
	// The key is read from the body only: one in the URL would be
	// written down by every proxy and log on its way.
	key, ok, err := s.Keys.check(ctx, strings.TrimSpace(r.PostForm.Get("api_key")))
	if err != nil {
		return err
	}
	if !ok || key.CommunityID != c.ID {
		// A key of another community is as good as none here.
		return apperr.New(apperr.Forbidden, "open311.key.invalid")
	}
	if ok, wait := s.limit.take(key.ID); !ok {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return apperr.New(apperr.RateLimited, "open311.rate").With(map[string]any{"seconds": secs})
	}
	code := strings.TrimSpace(form.Get("service_code"))
	if code == "" {
		return malformed("service_code", "open311.service.required", nil)
	}
	if _, err := s.publicService(ctx, c.ID, code); err != nil {
		return err
	}
	details, err := readAttributes(form, code)
	if err != nil {
		return err
	}
	in := requests.Open311Input{KeyID: key.ID, KeyName: key.Name, ServiceCode: code, Details: details,
		Address: form.Get("address_string"), Description: form.Get("description"),
		ContactName:  strings.TrimSpace(strings.TrimSpace(form.Get("first_name")) + " " + strings.TrimSpace(form.Get("last_name"))),
		ContactPhone: form.Get("phone"), ContactEmail: form.Get("email"),
		ClientAddr: httpx.ClientAddr(r), RequestID: httpx.RequestID(ctx)}
	var v apperr.Validation
	for _, p := range []struct {
		name string
		dst  **float64
	}{{"lat", &in.Lat}, {"long", &in.Long}} {
		if s := strings.TrimSpace(form.Get(p.name)); s != "" {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				v.Add(p.name, "open311.location.number", nil)
				continue
			}
			*p.dst = &f
		}
	}
	badAddressID := false
	if s := strings.TrimSpace(form.Get("address_id")); s != "" {
		// Clients send placeholders (FixMyStreet: #NOTPINPOINTED#): an
		// id that is not ours counts as none when another location is
		// given.
		if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 {
			in.BuildingID = id
		} else {
			badAddressID = true
		}
	}
	if badAddressID && in.Lat == nil && in.Long == nil && strings.TrimSpace(in.Address) == "" {
		v.Add("address_id", "open311.address_id.unknown", nil)
	}
	if err := v.Err(); err != nil {
		return malformedFrom(err)
	}
	rc, err := s.Requests.SubmitOpen311(ctx, c.ID, in)
	if err != nil {
		return err
	}
	lang := httpx.Lang(r, nil)
	return writeList(w, r, http.StatusOK, []submitDoc{{ID: rc.Number, ServiceNotice: null(i18n.T(lang, "open311.notice", nil))}})
}

// malformedFrom keeps the fields of a validation error; the spec answers
// every bad argument 400.
func malformedFrom(err error) error {
	e := apperr.From(err)
	out := apperr.New(apperr.Malformed, "error.malformed")
	out.Fields = e.Fields
	return out
}

// readAttributes checks the service's attributes (attribute[code]=key)
// and writes the answers as a line for the request's description.
func readAttributes(form url.Values, code string) (string, error) {
	var v apperr.Validation
	var parts []string
	for _, a := range attributes[code] {
		name := "attribute[" + a.Code + "]"
		val := strings.TrimSpace(form.Get(name))
		if val == "" {
			if a.Required {
				v.Add(name, "open311.attribute.required", nil)
			}
			continue
		}
		i := slices.IndexFunc(a.Values, func(x value) bool { return x.Key == val })
		if i < 0 {
			v.Add(name, "open311.attribute.value", nil)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s：%s", a.DetailZH, a.Values[i].ZH))
	}
	if err := v.Err(); err != nil {
		return "", malformedFrom(err)
	}
	return strings.Join(parts, "；"), nil
}

var (
	// buildingPart is a free address up to its building: "建胜路小区3号楼".
	buildingPart = regexp.MustCompile(`^.*?[0-9０-９一二三四五六七八九十百]+\s*(?:号楼|栋|幢|座|号院)`)
	// roomParts are the unit and flat of an address without a building.
	roomParts = regexp.MustCompile(`[0-9０-９一二三四五六七八九十]+\s*(?:单元|室|号房|户|层|楼)|\b\d+-\d+(?:-\d+)?\b`)
	// pointOnly is the address SubmitOpen311 writes for a point alone.
	pointOnly = regexp.MustCompile(`^-?\d+\.\d+, -?\d+\.\d+$`)
)

// publicAddress is a request's place at building level: the building the
// registry knows, or a free address cut after its building (or with
// units and flats removed), with no phone or ID number left in it.
func publicAddress(p requests.PublicRequest) string {
	if p.Building != "" {
		return p.Building
	}
	a := strings.TrimSpace(p.Address)
	if pointOnly.MatchString(a) {
		return "" // the point is in lat and long, rounded
	}
	if m := buildingPart.FindString(a); m != "" {
		a = m
	} else {
		a = strings.TrimSpace(roomParts.ReplaceAllString(a, ""))
	}
	return idcard.RedactNumbers(a)
}
