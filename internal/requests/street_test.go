package requests_test

import (
	"context"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// TestStreetSupervisor: the street supervisor opens, read-only, a request
// escalated to the street (requester masked, no phone, no steps, no
// linked neighbours) and finds every other request of the community not
// found; a supervisor of another street finds nothing. It sees each
// community's figures with no one named, and the street's, which are
// the sum of its communities'.
func TestStreetSupervisor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		sup := w.Supervisor.Principal()
		other := w.Person(t, "other-street", "振头督导", accounts.Grant{Role: accounts.Street, StreetID: w.OtherStreet}).Principal()
		worker := w.A.Worker.Principal()
		late := w.submitIn(t, w.b1, "safety", requests.UrgencyEmergency)
		quiet := w.submitIn(t, w.b1, "environment", requests.UrgencyGeneral)
		w.do(t, worker, quiet.ID, requests.Step{Action: requests.ActAccept})
		if _, err := w.s.Link(ctx, worker, late.ID, quiet.ID); err != nil {
			t.Fatal(err)
		}
		notFound := func(what string, err error) {
			t.Helper()
			if !apperr.Is(err, apperr.NotFound) {
				t.Errorf("%s: %v, want not found", what, err)
			}
		}
		_, err := w.s.Get(ctx, sup, late.ID)
		notFound("before escalation", err)
		_, err = w.s.List(ctx, sup, requests.Filter{CommunityID: w.A.ID})
		notFound("the queue", err)

		// Two levels: the admins are told, the street not yet.
		w.Clock.Advance(2*time.Hour + time.Minute)
		if _, err := w.s.Escalate(ctx); err != nil {
			t.Fatal(err)
		}
		_, err = w.s.Get(ctx, sup, late.ID)
		notFound("escalated to the admins only", err)
		w.Clock.Advance(time.Hour)
		if _, err := w.s.Escalate(ctx); err != nil {
			t.Fatal(err)
		}
		r, err := w.s.Get(ctx, sup, late.ID)
		if err != nil {
			t.Fatalf("escalated to the street: %v", err)
		}
		if r.RequesterName != "王*华" || r.RequesterPhone == "13900001234" || len(r.Actions) != 0 || len(r.Links) != 0 {
			t.Errorf("supervisor's view: name %q phone %q actions %v links %v", r.RequesterName, r.RequesterPhone, r.Actions, r.Links)
		}
		if ev, err := w.s.Timeline(ctx, sup, late.ID); err != nil || len(ev) < 2 {
			t.Errorf("timeline: %v, %d events", err, len(ev))
		}
		if _, err := w.s.RevealPhone(ctx, sup, late.ID, "督办需要联系"); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("reveal: %v, want forbidden", err)
		}
		if _, err := w.s.Do(ctx, sup, late.ID, requests.Step{Action: requests.ActAccept}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("accept: %v, want forbidden", err)
		}
		if got, _ := w.s.Get(ctx, worker, late.ID); got.Status != requests.Submitted {
			t.Errorf("the refused step changed the request: %s", got.Status)
		}
		_, err = w.s.Get(ctx, sup, quiet.ID)
		notFound("a request never escalated", err)
		_, err = w.s.Timeline(ctx, sup, quiet.ID)
		notFound("its timeline", err)
		_, err = w.s.Get(ctx, other, late.ID)
		notFound("another street's supervisor", err)
		// Dispatched and done since, it stays open to the street: it was told.
		w.do(t, worker, late.ID, requests.Step{Action: requests.ActAccept})
		if _, err := w.s.Get(ctx, sup, late.ID); err != nil {
			t.Errorf("after acceptance: %v", err)
		}

		// The figures: a worker handles one; the street sees it as "workers".
		w.do(t, worker, quiet.ID, requests.Step{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerAccount, ID: w.A.Worker.Account.ID}})
		office, err := w.s.Metrics(ctx, worker, w.A.ID, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		m, err := w.s.Metrics(ctx, sup, w.A.ID, time.Time{}, time.Time{})
		if err != nil {
			t.Fatalf("street's figures of A: %v", err)
		}
		if m.Overall.Requests != 2 || m.Overall.Requests != office.Overall.Requests || len(m.ByCategory) != len(office.ByCategory) {
			t.Errorf("street's figures of A: %+v, office's %+v", m.Overall, office.Overall)
		}
		named := false
		for _, g := range office.ByHandler {
			named = named || g.Kind == "account" && g.Name != ""
		}
		if !named {
			t.Errorf("the office's figures name no worker: %+v", office.ByHandler)
		}
		for _, g := range m.ByHandler {
			if (g.Kind == "account" || g.Kind == "volunteer") && (g.ID != 0 || g.Name != "") {
				t.Errorf("the street's figures name a person: %+v", g)
			}
		}
		_, err = w.s.Metrics(ctx, sup, w.C.ID, time.Time{}, time.Time{})
		notFound("a community of another street", err)
		_, err = w.s.Metrics(ctx, w.B.Admin.Principal(), w.A.ID, time.Time{}, time.Time{})
		notFound("another community's admin", err)
		sm, err := w.s.StreetMetrics(ctx, sup, w.Street, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(sm.Communities) != 2 || sm.Communities[0].CommunityID != w.A.ID || sm.Communities[1].CommunityID != w.B.ID ||
			sm.Communities[0].Rates.Requests != 2 || sm.Communities[1].Rates.Requests != 0 || sm.Overall.Requests != 2 ||
			sm.Overall.DueForResponse != office.Overall.DueForResponse || sm.Overall.RespondedOnTime != office.Overall.RespondedOnTime {
			t.Errorf("street figures: %+v", sm)
		}
		_, err = w.s.StreetMetrics(ctx, other, w.Street, time.Time{}, time.Time{})
		notFound("another street's figures", err)
		_, err = w.s.StreetMetrics(ctx, w.A.Admin.Principal(), w.Street, time.Time{}, time.Time{})
		notFound("a community's admin asks for the street", err)
		if _, err := w.s.StreetMetrics(ctx, sup, w.Street, w.Clock.Now(), w.Clock.Now().Add(-time.Hour)); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("a backwards period: %v", err)
		}
	})
}
