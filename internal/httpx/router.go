// Package httpx is the plumbing both front doors (the web UI and the JSON
// API) share: a router that makes every route name a policy action and
// enforces it before the handler runs, security headers, request ids,
// client addresses, body limits and panic recovery.
package httpx

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/policy"
)

// Handler serves a request for an actor (nil on public routes when nobody
// is signed in) and returns an error instead of writing one.
type Handler func(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error

// Route is one registered route, listed for tests and documents.
type Route struct {
	Method, Path string
	Action       policy.Action
}

// Router registers routes on a ServeMux. Authenticate reads the caller's
// credentials (a cookie for the web, a Bearer token for the API); Fail
// renders errors in the front door's own format.
type Router struct {
	Mux          *http.ServeMux
	Authenticate func(r *http.Request) (*accounts.Principal, error)
	Fail         func(w http.ResponseWriter, r *http.Request, p *accounts.Principal, err error)
	// Denied, when set, is told of every request refused as Forbidden —
	// by the policy table here or by a service — so it can be audited.
	Denied func(r *http.Request, p *accounts.Principal, action policy.Action, err error)
	routes []Route
}

// Handle registers pattern ("GET /api/v1/me") under action. It panics on
// an action missing from the policy table, so a route cannot exist
// without a rule.
func (rt *Router) Handle(pattern string, action policy.Action, h Handler) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "*", pattern // a catch-all, for the front door's 404
	}
	rule, ok := policy.Lookup(action)
	if !ok {
		panic(fmt.Sprintf("httpx: route %s names action %q that has no policy rule", pattern, action))
	}
	rt.routes = append(rt.routes, Route{Method: method, Path: path, Action: action})
	rt.Mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p, err := rt.Authenticate(r)
		if err != nil && !apperr.Is(err, apperr.Unauthenticated) {
			rt.Fail(w, r, nil, err)
			return
		}
		if p != nil {
			p.ClientAddr = ClientAddr(r)
			p.RequestID = RequestID(r.Context())
		}
		if !rule.Public {
			if p == nil {
				rt.Fail(w, r, nil, apperr.UnauthenticatedErr())
				return
			}
			if !policy.Permits(p, action) {
				rt.deny(w, r, p, action, apperr.ForbiddenErr())
				return
			}
		}
		if err := h(w, r.WithContext(withPrincipal(r.Context(), p)), p); err != nil {
			if apperr.Is(err, apperr.Forbidden) {
				rt.deny(w, r, p, action, err)
				return
			}
			rt.Fail(w, r, p, err)
		}
	})
}

func (rt *Router) deny(w http.ResponseWriter, r *http.Request, p *accounts.Principal, action policy.Action, err error) {
	if rt.Denied != nil {
		rt.Denied(r, p, action, err)
	}
	rt.Fail(w, r, p, err)
}

// Routes lists the registered routes, sorted.
func (rt *Router) Routes() []Route {
	out := append([]Route(nil), rt.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p *accounts.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the actor a Router put in the context, or nil.
func PrincipalFrom(ctx context.Context) *accounts.Principal {
	p, _ := ctx.Value(principalKey{}).(*accounts.Principal)
	return p
}
