package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/i18n"
)

// DecodeJSON reads exactly one JSON object into dst. Wrong content type is
// Unsupported (415), a body over the limit TooLarge (413), anything that is
// not one well-formed object of the expected shape Malformed (400).
func DecodeJSON(r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return apperr.New(apperr.Unsupported, "error.unsupported_json")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apperr.Wrap(err, apperr.TooLarge, "error.too_large")
		}
		return apperr.Wrap(err, apperr.Malformed, "error.malformed_json")
	}
	if _, err := dec.Token(); err != io.EOF {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apperr.Wrap(err, apperr.TooLarge, "error.too_large")
		}
		return apperr.New(apperr.Malformed, "error.malformed_json")
	}
	return nil
}

// DecodeOptionalJSON is DecodeJSON for bodies that may be left out: an
// empty body (no bytes, or only white space) leaves dst as it is.
func DecodeOptionalJSON(r *http.Request, dst any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apperr.Wrap(err, apperr.TooLarge, "error.too_large")
		}
		return apperr.Wrap(err, apperr.Malformed, "error.malformed_json")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return DecodeJSON(r, dst)
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Lang picks the language of a response: the account's, else the lang
// cookie, else Accept-Language.
func Lang(r *http.Request, p *accounts.Principal) string {
	if p != nil && i18n.Supported(p.Locale) {
		return p.Locale
	}
	if c, err := r.Cookie("lang"); err == nil && i18n.Supported(c.Value) {
		return c.Value
	}
	return i18n.Match(r.Header.Get("Accept-Language"))
}

// ErrorBody is the JSON shape of every API error.
type ErrorBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
}

// Describe turns err into its status and translated body, logging
// unexpected errors with their cause. It is the one place that decides
// what a user is told about a failure.
func Describe(log *slog.Logger, r *http.Request, lang string, err error) (int, ErrorBody) {
	e := apperr.From(err)
	if e.Code == apperr.Internal && errors.Is(err, context.Canceled) {
		// The client hung up mid-request: nobody reads this answer, and it
		// is not a fault of ours worth an error line.
		log.Debug("client gone", "request_id", RequestID(r.Context()), "path", LogPath(r))
	} else if e.Code == apperr.Internal {
		log.Error("internal error", "request_id", RequestID(r.Context()), "method", r.Method, "path", LogPath(r), "err", err)
	}
	var b ErrorBody
	b.Error.Code = string(e.Code)
	key := e.Key
	if e.Code == apperr.Internal {
		key = "error.internal" // never the cause
	}
	b.Error.Message = i18n.T(lang, key, e.Args)
	if len(e.Fields) > 0 {
		b.Error.Fields = map[string]string{}
		for f, fe := range e.Fields {
			b.Error.Fields[f] = i18n.T(lang, fe.Key, fe.Args)
		}
	}
	return e.Code.Status(), b
}

// Page holds the paging parameters of a list request.
type Page struct {
	Page, PerPage int
}

// Offset is the number of items before this page.
func (p Page) Offset() int { return (p.Page - 1) * p.PerPage }

// ParsePage reads page (>= 1, default 1) and per_page (1-500, default 50);
// anything else is Malformed, naming the field.
func ParsePage(r *http.Request) (Page, error) {
	p := Page{Page: 1, PerPage: 50}
	q := r.URL.Query()
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1_000_000 {
			return p, apperr.New(apperr.Malformed, "error.malformed").Field("page", "error.page", nil)
		}
		p.Page = n
	}
	if s := q.Get("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return p, apperr.New(apperr.Malformed, "error.malformed").Field("per_page", "error.per_page", nil)
		}
		p.PerPage = n
	}
	return p, nil
}

// List is the shape of every list response.
type List[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

// NewList wraps items, never returning null for an empty list.
func NewList[T any](items []T, total int, p Page) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items, Total: total, Page: p.Page, PerPage: p.PerPage}
}

// LogPath is r's path as logs may hold it: a path that is itself a
// credential (a calendar feed's token, /feeds/<token>.ics) is cut to its
// prefix, so whoever reads the logs cannot subscribe to someone's
// calendar.
func LogPath(r *http.Request) string {
	if p := r.URL.Path; strings.HasPrefix(p, "/feeds/") {
		return "/feeds/…"
	}
	return r.URL.Path
}
