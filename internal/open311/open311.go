// Package open311 is the Open311 GeoReport v2 endpoint at /open311/v2/
// (issue 6 item 9; the specification is open311.github.io
// GeoReport/v2/index.md, digested in shared/research/anchors-intl.md
// section (a)). Every resource answers in .xml and .json: discovery,
// services, services/{service_code}, POST requests (with an API key),
// GET requests, GET requests/{service_request_id} and tokens/{token}.
//
// What it shows is the public face of residents' requests: only the
// categories marked public (never disputes, benefits, care or
// mediation), the place cut to the building, coordinates to 6 decimals,
// descriptions without phone or ID numbers, and nothing of the
// requester. service_request_id is the request's number (2026-000123);
// jurisdiction_id is the community's code, required when the server
// holds several communities.
package open311

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/idcard"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/tenancy"
)

// Specification is the spec token discovery names.
const Specification = "http://wiki.open311.org/GeoReport_v2"

// Changeset is when this endpoint's resources last changed shape; clients
// refresh their cached service lists when it moves.
const Changeset = "2026-12-01T00:00:00+08:00"

// Window is the longest span GET requests answers, and its default.
const Window = 90 * 24 * time.Hour

// MaxRows is the most requests GET requests answers.
const MaxRows = 1000

// Deps are what the endpoint uses.
type Deps struct {
	Log       *slog.Logger
	Clock     clock.Clock
	Requests  *requests.Service
	Tenancy   *tenancy.Store
	Keys      *Keys
	PublicURL string
	Rate      RateLimit
}

// Server serves /open311/v2/.
type Server struct {
	Deps
	Router *httpx.Router
	limit  *limiter
}

// New registers the endpoint's routes on mux.
func New(mux *http.ServeMux, d Deps) *Server {
	s := &Server{Deps: d, limit: newLimiter(d.Rate, d.Clock)}
	s.Router = &httpx.Router{Mux: mux, Authenticate: func(*http.Request) (*accounts.Principal, error) { return nil, nil }, Fail: s.fail}
	r := s.Router
	for _, f := range []string{"xml", "json"} {
		r.Handle("GET /open311/v2/discovery."+f, policy.Open311Read, s.discovery)
		r.Handle("GET /open311/v2/services."+f, policy.Open311Read, s.services)
		r.Handle("GET /open311/v2/requests."+f, policy.Open311Read, s.listRequests)
		r.Handle("POST /open311/v2/requests."+f, policy.Open311Submit, s.submit)
	}
	r.Handle("GET /open311/v2/services/{file}", policy.Open311Read, s.definition)
	r.Handle("GET /open311/v2/requests/{file}", policy.Open311Read, s.getRequest)
	r.Handle("GET /open311/v2/tokens/{file}", policy.Open311Read, s.token)
	// Anything else under /open311/v2/ is the spec's 404, in its format.
	r.Handle("/open311/v2/", policy.Open311Read, func(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
		return apperr.New(apperr.NotFound, "open311.not_found")
	})
	return s
}

// format is the response format the URL asks for: its suffix, XML (the
// one the spec requires) when there is none.
func format(r *http.Request) string {
	if strings.HasSuffix(r.URL.Path, ".json") {
		return "json"
	}
	return "xml"
}

// split cuts ".xml" or ".json" off a path value: NotFound for neither
// (no such resource), the spec's 400 when nothing is left of the name
// ("services/.json": field not provided).
func split(file, field string) (string, error) {
	for _, suffix := range []string{".json", ".xml"} {
		if s, ok := strings.CutSuffix(file, suffix); ok {
			if s == "" {
				return "", malformed(field, "open311.argument.required", nil)
			}
			return s, nil
		}
	}
	return "", apperr.New(apperr.NotFound, "open311.not_found")
}

// write answers v in the URL's format. XML documents start with the
// declaration the spec asks for, without namespace.
func write(w http.ResponseWriter, r *http.Request, status int, v any) error {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if format(r) == "json" {
		h.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		return json.NewEncoder(w).Encode(v)
	}
	out, err := xml.Marshal(v)
	if err != nil {
		return fmt.Errorf("open311: xml: %w", err)
	}
	h.Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, err = w.Write(append([]byte(`<?xml version="1.0" encoding="utf-8"?>`+"\n"), out...))
	return err
}

// apiError is one entry of the spec's error list.
type apiError struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

type xmlErrors struct {
	XMLName xml.Name   `xml:"errors"`
	Errors  []apiError `xml:"error"`
}

// statusOf maps our error codes onto the three the spec allows (404, 403,
// 400 for everything else) and the 429 of the rate limit.
func statusOf(c apperr.Code) int {
	switch c {
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Forbidden, apperr.Unauthenticated:
		return http.StatusForbidden
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusBadRequest
}

// fail answers err as the spec's error list: one entry per field at
// fault, in the language of Accept-Language.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, _ *accounts.Principal, err error) {
	e := apperr.From(err)
	if e.Code == apperr.Internal && !errors.Is(err, context.Canceled) {
		s.Log.Error("open311: internal error", "request_id", httpx.RequestID(r.Context()), "path", httpx.LogPath(r), "err", err)
	}
	lang := httpx.Lang(r, nil)
	status := statusOf(e.Code)
	var list []apiError
	fields := make([]string, 0, len(e.Fields))
	for f := range e.Fields {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		fe := e.Fields[f]
		list = append(list, apiError{Code: status, Description: f + ": " + i18n.T(lang, fe.Key, fe.Args)})
	}
	if len(list) == 0 {
		key := e.Key
		if e.Code == apperr.Internal {
			key = "error.internal"
		}
		list = []apiError{{Code: status, Description: i18n.T(lang, key, e.Args)}}
	}
	if format(r) == "json" {
		_ = write(w, r, status, list)
		return
	}
	_ = write(w, r, status, xmlErrors{Errors: list})
}

func malformed(field, key string, args map[string]any) error {
	return apperr.New(apperr.Malformed, "error.malformed").Field(field, key, args)
}

// jurisdiction picks the community: jurisdiction_id is its code,
// required when the server holds more than one.
func (s *Server) jurisdiction(ctx context.Context, id string) (*tenancy.Community, error) {
	cs, err := s.Tenancy.Communities(ctx, 0)
	if err != nil {
		return nil, err
	}
	id = strings.TrimSpace(id)
	if id == "" {
		if len(cs) == 1 {
			return &cs[0], nil
		}
		return nil, malformed("jurisdiction_id", "open311.jurisdiction.required", nil)
	}
	for i := range cs {
		if cs[i].Code == id {
			return &cs[i], nil
		}
	}
	return nil, apperr.New(apperr.NotFound, "open311.jurisdiction.unknown").With(map[string]any{"id": id})
}

// names picks the category's name in the response's language.
func names(lang string, c requests.Category) string {
	if lang == "en" {
		return c.NameEN
	}
	return c.NameZH
}

// --- discovery

type endpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

type discoveryDoc struct {
	XMLName    xml.Name   `json:"-" xml:"discovery"`
	Changeset  string     `json:"changeset" xml:"changeset"`
	Contact    string     `json:"contact" xml:"contact"`
	KeyService string     `json:"key_service" xml:"key_service"`
	Endpoints  []endpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	lang := httpx.Lang(r, nil)
	return write(w, r, http.StatusOK, discoveryDoc{
		Changeset:  Changeset,
		Contact:    i18n.T(lang, "open311.contact", nil),
		KeyService: i18n.T(lang, "open311.key_service", nil),
		Endpoints: []endpoint{{Specification: Specification, URL: httpx.BaseURL(r, s.PublicURL) + "/open311/v2",
			Changeset: Changeset, Type: "production", Formats: []string{"text/xml", "application/json"}}},
	})
}

// --- services

type service struct {
	Code        string `json:"service_code" xml:"service_code"`
	Name        string `json:"service_name" xml:"service_name"`
	Description string `json:"description" xml:"description"`
	Metadata    bool   `json:"metadata" xml:"metadata"`
	Type        string `json:"type" xml:"type"`
	Keywords    string `json:"keywords" xml:"keywords"`
	Group       string `json:"group" xml:"group"`
}

type xmlServices struct {
	XMLName  xml.Name  `xml:"services"`
	Services []service `xml:"service"`
}

func (s *Server) services(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	c, err := s.jurisdiction(r.Context(), r.URL.Query().Get("jurisdiction_id"))
	if err != nil {
		return err
	}
	cats, err := s.Requests.PublicCategories(r.Context(), c.ID)
	if err != nil {
		return err
	}
	lang := httpx.Lang(r, nil)
	byID := map[int64]requests.Category{}
	for _, cat := range cats {
		byID[cat.ID] = cat
	}
	out := []service{}
	for _, cat := range cats {
		group := names(lang, cat)
		if p, ok := byID[cat.ParentID]; ok {
			group = names(lang, p)
		}
		// Requests are numbered when they are made: the id comes back
		// at once (realtime).
		out = append(out, service{Code: cat.Code, Name: names(lang, cat), Description: names(lang, cat),
			Metadata: len(attributes[cat.Code]) > 0, Type: "realtime", Keywords: cat.NameZH + "," + cat.NameEN, Group: group})
	}
	if format(r) == "json" {
		return write(w, r, http.StatusOK, out)
	}
	return write(w, r, http.StatusOK, xmlServices{Services: out})
}

type attrValue struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

type attrDoc struct {
	Variable            bool        `json:"variable" xml:"variable"`
	Code                string      `json:"code" xml:"code"`
	Datatype            string      `json:"datatype" xml:"datatype"`
	Required            bool        `json:"required" xml:"required"`
	DatatypeDescription string      `json:"datatype_description" xml:"datatype_description"`
	Order               int         `json:"order" xml:"order"`
	Description         string      `json:"description" xml:"description"`
	Values              []attrValue `json:"values" xml:"values>value"`
}

type definitionDoc struct {
	XMLName    xml.Name  `json:"-" xml:"service_definition"`
	Code       string    `json:"service_code" xml:"service_code"`
	Attributes []attrDoc `json:"attributes" xml:"attributes>attribute"`
}

// publicService finds code among community cid's public categories.
func (s *Server) publicService(ctx context.Context, cid int64, code string) (requests.Category, error) {
	cats, err := s.Requests.PublicCategories(ctx, cid)
	if err != nil {
		return requests.Category{}, err
	}
	for _, c := range cats {
		if c.Code == code {
			return c, nil
		}
	}
	return requests.Category{}, requests.ErrUnknownService.With(map[string]any{"code": code})
}

func (s *Server) definition(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	code, err := split(r.PathValue("file"), "service_code")
	if err != nil {
		return err
	}
	c, err := s.jurisdiction(r.Context(), r.URL.Query().Get("jurisdiction_id"))
	if err != nil {
		return err
	}
	cat, err := s.publicService(r.Context(), c.ID, code)
	if err != nil {
		return err
	}
	lang := httpx.Lang(r, nil)
	doc := definitionDoc{Code: cat.Code, Attributes: []attrDoc{}}
	for _, a := range attributes[cat.Code] {
		d := attrDoc{Variable: true, Code: a.Code, Datatype: a.Datatype, Required: a.Required, Order: a.Order,
			DatatypeDescription: i18n.T(lang, "open311.datatype."+a.Datatype, nil), Description: a.ZH, Values: []attrValue{}}
		if lang == "en" {
			d.Description = a.EN
		}
		for _, v := range a.Values {
			name := v.ZH
			if lang == "en" {
				name = v.EN
			}
			d.Values = append(d.Values, attrValue{Key: v.Key, Name: name})
		}
		doc.Attributes = append(doc.Attributes, d)
	}
	return write(w, r, http.StatusOK, doc)
}

// --- requests

// null is an optional value: null in JSON when empty, an empty element
// in XML, as the spec's examples show.
type null string

func (n null) MarshalJSON() ([]byte, error) {
	if n == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(n))
}

// coordinate is a latitude or longitude, a JSON number with at most 6
// decimals (about 10 cm; what the client sent is kept whole inside).
type coordinate string

func (c coordinate) MarshalJSON() ([]byte, error) {
	if c == "" {
		return []byte("null"), nil
	}
	return []byte(c), nil
}

func coord(v *float64) coordinate {
	if v == nil {
		return ""
	}
	return coordinate(strconv.FormatFloat(math.Round(*v*1e6)/1e6, 'f', -1, 64))
}

// w3c writes t in the W3C format with the zone of China (+08:00).
func w3c(t time.Time) string { return t.In(clock.Shanghai).Format(time.RFC3339) }

type requestDoc struct {
	ID                string     `json:"service_request_id" xml:"service_request_id"`
	Status            string     `json:"status" xml:"status"`
	StatusNotes       null       `json:"status_notes" xml:"status_notes"`
	ServiceName       string     `json:"service_name" xml:"service_name"`
	ServiceCode       string     `json:"service_code" xml:"service_code"`
	Description       null       `json:"description" xml:"description"`
	AgencyResponsible null       `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     null       `json:"service_notice" xml:"service_notice"`
	Requested         string     `json:"requested_datetime" xml:"requested_datetime"`
	Updated           string     `json:"updated_datetime" xml:"updated_datetime"`
	Expected          null       `json:"expected_datetime" xml:"expected_datetime"`
	Address           null       `json:"address" xml:"address"`
	AddressID         null       `json:"address_id" xml:"address_id"`
	Zipcode           null       `json:"zipcode" xml:"zipcode"`
	Lat               coordinate `json:"lat" xml:"lat"`
	Long              coordinate `json:"long" xml:"long"`
	// MediaURL is always empty. A request's photos show the inside of
	// a resident's home (the leak, the flat's door), often the people
	// in it; they are seen only by those who may read the request
	// (requests.OpenPhoto, audited), never on this public side.
	MediaURL null `json:"media_url" xml:"media_url"`
}

type xmlRequests[T any] struct {
	XMLName xml.Name `xml:"service_requests"`
	Items   []T      `xml:"request"`
}

// writeList answers a list of the service_requests kind.
func writeList[T any](w http.ResponseWriter, r *http.Request, status int, items []T) error {
	if format(r) == "json" {
		return write(w, r, status, items)
	}
	return write(w, r, status, xmlRequests[T]{Items: items})
}

// statusNotes says why a closed request that was not solved is closed.
var statusNotes = map[requests.Status]string{requests.Rejected: "open311.status.rejected", requests.Merged: "open311.status.merged"}

func (s *Server) doc(lang string, p requests.PublicRequest) requestDoc {
	d := requestDoc{ID: p.Number, Status: "open", ServiceCode: p.CategoryCode, ServiceName: p.NameZH,
		Description: null(idcard.RedactNumbers(p.Description)), AgencyResponsible: null(p.Agency),
		Requested: w3c(p.CreatedAt), Updated: w3c(p.UpdatedAt), Address: null(publicAddress(p)),
		Lat: coord(p.Lat), Long: coord(p.Lng)}
	if lang == "en" {
		d.ServiceName = p.NameEN
	}
	if !p.Status.Open() {
		d.Status = "closed"
		if p.ClosedAt != nil {
			d.Updated = w3c(*p.ClosedAt) // the spec: a closed request's update is its closing
		}
		if k, ok := statusNotes[p.Status]; ok {
			d.StatusNotes = null(i18n.T(lang, k, nil))
		}
	} else if p.Due != nil {
		d.Expected = null(w3c(*p.Due))
	}
	if p.BuildingID != 0 {
		d.AddressID = null(strconv.FormatInt(p.BuildingID, 10))
	}
	return d
}

// parseTime reads a W3C date-time with its zone, or a whole date (taken
// in China's zone).
func parseTime(field, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, clock.Shanghai); err == nil {
		return t, nil
	}
	return time.Time{}, malformed(field, "open311.date.invalid", map[string]any{"value": s})
}

// list splits a comma-delimited argument, dropping empty items.
func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) listRequests(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	q := r.URL.Query()
	c, err := s.jurisdiction(r.Context(), q.Get("jurisdiction_id"))
	if err != nil {
		return err
	}
	f := requests.PublicFilter{Numbers: list(q.Get("service_request_id")), Codes: list(q.Get("service_code")), Limit: MaxRows}
	if len(f.Numbers) > MaxRows {
		return malformed("service_request_id", "open311.ids.many", map[string]any{"max": MaxRows})
	}
	if len(f.Numbers) == 0 {
		// service_request_id overrides every other argument; without
		// it the dates, codes and statuses apply.
		now := s.Clock.Now()
		var from, to time.Time
		if v := strings.TrimSpace(q.Get("start_date")); v != "" {
			if from, err = parseTime("start_date", v); err != nil {
				return err
			}
		}
		if v := strings.TrimSpace(q.Get("end_date")); v != "" {
			if to, err = parseTime("end_date", v); err != nil {
				return err
			}
		}
		switch {
		case from.IsZero() && to.IsZero():
			to, from = now, now.Add(-Window)
		case to.IsZero():
			to = from.Add(Window)
		case from.IsZero():
			from = to.Add(-Window)
		}
		if to.Before(from) {
			return malformed("end_date", "open311.date.order", nil)
		}
		if to.Sub(from) > Window {
			return malformed("end_date", "open311.date.span", map[string]any{"days": int(Window.Hours() / 24)})
		}
		f.From, f.To = from, to
		switch st := list(q.Get("status")); {
		case len(st) == 0:
		case slices.ContainsFunc(st, func(v string) bool { return v != "open" && v != "closed" }):
			return malformed("status", "open311.status.invalid", nil)
		case len(st) == 1:
			open := st[0] == "open"
			f.Open = &open
		}
	}
	rows, err := s.Requests.PublicRequests(r.Context(), c.ID, f)
	if err != nil {
		return err
	}
	lang := httpx.Lang(r, nil)
	out := make([]requestDoc, 0, len(rows))
	for _, p := range rows {
		out = append(out, s.doc(lang, p))
	}
	return writeDocs(w, r, out)
}

// writeDocs answers a list of requests, encoded directly (encode.go).
func writeDocs(w http.ResponseWriter, r *http.Request, docs []requestDoc) error {
	var buf bytes.Buffer
	buf.Grow(512 * (len(docs) + 1))
	appendDocs(&buf, format(r), docs)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if format(r) == "json" {
		h.Set("Content-Type", "application/json; charset=utf-8")
	} else {
		h.Set("Content-Type", "text/xml; charset=utf-8")
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}

func (s *Server) getRequest(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	id, err := split(r.PathValue("file"), "service_request_id")
	if err != nil {
		return err
	}
	c, err := s.jurisdiction(r.Context(), r.URL.Query().Get("jurisdiction_id"))
	if err != nil {
		return err
	}
	rows, err := s.Requests.PublicRequests(r.Context(), c.ID, requests.PublicFilter{Numbers: []string{id}, Limit: 1})
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		// A request in a private category is not there, as far as the
		// public side knows.
		return apperr.New(apperr.NotFound, "open311.request.unknown").With(map[string]any{"id": id})
	}
	return writeDocs(w, r, []requestDoc{s.doc(httpx.Lang(r, nil), rows[0])})
}

type tokenDoc struct {
	ID    string `json:"service_request_id" xml:"service_request_id"`
	Token string `json:"token" xml:"token"`
}

func (s *Server) token(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	tok, err := split(r.PathValue("file"), "token")
	if err != nil {
		return err
	}
	c, err := s.jurisdiction(r.Context(), r.URL.Query().Get("jurisdiction_id"))
	if err != nil {
		return err
	}
	n, err := s.Requests.Open311Token(r.Context(), c.ID, tok)
	if apperr.Is(err, apperr.NotFound) {
		return apperr.New(apperr.NotFound, "open311.token.unknown")
	}
	if err != nil {
		return err
	}
	return writeList(w, r, http.StatusOK, []tokenDoc{{ID: n, Token: tok}})
}
