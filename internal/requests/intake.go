package requests

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/idcard"
)

// Input is a new request. The place is a household, a building or a free
// address (at least one; a household implies its building). The requester
// is a resident of the registry or a free contact with a phone; a
// resident submitting for themself needs neither (their own record and
// account are the requester).
type Input struct {
	Channel      Channel `json:"channel"`
	Kind         Kind    `json:"kind"`
	CategoryID   int64   `json:"category_id"`
	HouseholdID  int64   `json:"household_id,omitempty"`
	BuildingID   int64   `json:"building_id,omitempty"`
	Address      string  `json:"address,omitempty"`
	Description  string  `json:"description"`
	Urgency      Urgency `json:"urgency"`
	ResidentID   int64   `json:"resident_id,omitempty"`
	ContactName  string  `json:"contact_name,omitempty"`
	ContactPhone string  `json:"contact_phone,omitempty"`
	// Photos are uploads as received (at most MaxPhotos), kept
	// re-encoded with the intake event (photos.go). The API's intake
	// is JSON and takes none: its photos come by POST .../photos.
	Photos [][]byte `json:"-"`
}

// htmlTag matches what looks like an HTML tag or comment: descriptions
// are plain text, and one that carries markup is refused rather than
// silently stripped, so what the resident said is what is stored.
var htmlTag = regexp.MustCompile(`(?i)<\s*/?\s*[a-z!][^>]*>|&#?[a-z0-9]+;`)

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return (r < 0x20 && r != '\n' && r != '\t' && r != '\r') || r == 0x7f })
}

// cleanText trims s and turns CRLF into LF.
func cleanText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// checkText validates a free text field of at most max characters.
func checkText(v *apperr.Validation, field, s string, max int) {
	switch {
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "request.text.long", map[string]any{"max": max})
	case hasControl(s):
		v.Add(field, "request.text.control", nil)
	case htmlTag.MatchString(s):
		v.Add(field, "request.text.html", nil)
	}
}

// place is a validated place.
type place struct {
	household, building, grid int64
	address                   string
}

// Submit registers a new request in community cid: the office and grid
// workers for anyone, a resident for themself (on the web channel). The
// request starts submitted, with the first event of its timeline.
func (s *Service) Submit(ctx context.Context, actor *accounts.Principal, cid int64, in Input) (*Request, error) {
	rc, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !rc.intake && !rc.residentG {
		if !memberOf(actor, cid) {
			return nil, apperr.NotFoundErr()
		}
		return nil, apperr.ForbiddenErr()
	}
	self := !rc.intake // a resident asking for themself
	if self {
		if in.Channel == "" {
			in.Channel = ChannelWeb
		}
		in.ResidentID, in.ContactName, in.ContactPhone = rc.resident, "", ""
	}
	var v apperr.Validation
	switch {
	case !slices.Contains(Channels, in.Channel):
		v.Add("channel", "request.channel.invalid", nil)
	case in.Channel == ChannelOpen311:
		// Only the Open311 endpoint files requests on that channel.
		v.Add("channel", "request.channel.invalid", nil)
	case self && in.Channel != ChannelWeb:
		v.Add("channel", "request.channel.invalid", nil)
	}
	if !slices.Contains(Kinds, in.Kind) {
		v.Add("kind", "request.kind.invalid", nil)
	}
	if in.Urgency == "" {
		in.Urgency = UrgencyGeneral
	}
	if !slices.Contains(Urgencies, in.Urgency) {
		v.Add("urgency", "request.urgency.invalid", nil)
	}
	in.Description = cleanText(in.Description)
	if utf8.RuneCountInString(in.Description) < 2 {
		v.Add("description", "request.description.required", nil)
	} else {
		checkText(&v, "description", in.Description, MaxDescription)
	}
	in.Address = cleanText(in.Address)
	checkText(&v, "address", in.Address, 200)
	in.ContactName = cleanText(in.ContactName)
	checkText(&v, "contact_name", in.ContactName, 50)
	phone := ""
	if p := strings.TrimSpace(in.ContactPhone); p != "" {
		if phone, err = idcard.NormalizePhone(p); err != nil {
			v.Add("contact_phone", "request.phone.invalid", nil)
		}
	}
	if err := s.ensure(ctx, cid); err != nil {
		return nil, err
	}
	if in.CategoryID == 0 {
		v.Add("category_id", "request.category.unknown", nil)
	} else if c, ok, err := category(ctx, s.db, cid, in.CategoryID); err != nil {
		return nil, err
	} else if !ok || c.Retired {
		v.Add("category_id", "request.category.unknown", nil)
	}
	var pl place
	if in.ResidentID != 0 {
		p, ok, err := s.reg.Person(ctx, cid, in.ResidentID)
		if err != nil {
			return nil, err
		}
		switch {
		case !ok || p.MovedOut:
			v.Add("resident_id", "request.resident.unknown", nil)
		case !self && !rc.office && !slices.Contains(rc.grids, p.GridID):
			// A grid worker registers for the residents of its grids, the
			// ones the registry shows it; others are not found.
			v.Add("resident_id", "request.resident.unknown", nil)
		case in.HouseholdID == 0 && in.BuildingID == 0 && in.Address == "":
			in.HouseholdID = p.HouseholdID // where the resident lives
		}
	}
	if self && in.HouseholdID != 0 && rc.resident != 0 {
		// A resident names their own flat, or a building or an address
		// (the flat upstairs that leaks is "2号楼3单元" to them): not
		// other households, whose addresses the registry keeps.
		p, _, err := s.reg.Person(ctx, cid, rc.resident)
		if err != nil {
			return nil, err
		}
		if in.HouseholdID != p.HouseholdID {
			v.Add("household_id", "request.place.unknown", nil)
		}
	} else if self && in.HouseholdID != 0 {
		v.Add("household_id", "request.place.unknown", nil)
	}
	if pl, err = s.checkPlace(ctx, cid, in, &v); err != nil {
		return nil, err
	}
	if !self && in.ResidentID == 0 && (in.ContactName == "" || phone == "") && !v.Has("contact_phone") {
		v.Add("contact_name", "request.requester.required", nil)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	phoneEnc, err := s.seal(cid, "contact_phone", phone)
	if err != nil {
		return nil, err
	}
	var id int64
	now := s.clock.Now().UTC()
	dispatchDue, err := s.intakeDue(ctx, cid, in.Urgency, now)
	if err != nil {
		return nil, err
	}
	// The photos last: decoding is the dear part, spent only on a
	// request that is otherwise whole.
	ks, err := s.keepPhotos(ctx, 0, in.Photos)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		number, err := nextNumber(ctx, tx, cid, now.In(clock.Shanghai).Year())
		if err != nil {
			return err
		}
		var requesterAccount any
		if self && actor.AccountID != 0 {
			requesterAccount = actor.AccountID
		}
		if err := tx.QueryRow(ctx, `INSERT INTO requests (community_id, number, channel, kind, category_id, household_id, building_id,
			grid_id, address, description, urgency, resident_id, requester_account_id, contact_name, contact_phone_enc, status,
			last_seq, created_by, created_at, updated_at, dispatch_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) RETURNING id`,
			cid, number, string(in.Channel), string(in.Kind), in.CategoryID, nullID(pl.household), nullID(pl.building),
			nullID(pl.grid), pl.address, in.Description, string(in.Urgency), nullID(in.ResidentID), requesterAccount,
			in.ContactName, phoneEnc, string(Submitted), nullID(actor.AccountID), now, now, dispatchDue).Scan(&id); err != nil {
			return fmt.Errorf("requests: insert: %w", err)
		}
		if err := s.event(ctx, tx, actor, cid, id, 1, event{action: ActSubmit, from: "", to: Submitted}, now); err != nil {
			return err
		}
		if err := s.record(ctx, tx, actor, "request.submit", cid, id, number); err != nil {
			return err
		}
		return s.recordPhotos(ctx, tx, actor, cid, id, 1, ks, now)
	})
	if err != nil {
		s.discard(ks)
		return nil, err
	}
	r, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	rc2, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	// The name is shown whole to whoever typed it (a free contact) or is
	// it (a resident for themself); a registry resident's is read whole
	// by Get, audited.
	out, err := s.fullView(ctx, r, rc2.relationTo(r), self || in.ResidentID == 0)
	if err != nil || self {
		return out, err
	}
	// The worker taking it in is offered what may be the same request.
	out.Similar, err = s.similar(ctx, rc2, r)
	return out, err
}

// checkPlace validates the place of in against community cid.
func (s *Service) checkPlace(ctx context.Context, cid int64, in Input, v *apperr.Validation) (place, error) {
	pl := place{address: in.Address}
	if in.HouseholdID != 0 {
		var b int64
		var g sql.NullInt64
		err := s.db.QueryRow(ctx, `SELECT b.id, b.grid_id FROM households h JOIN units u ON u.id = h.unit_id
			JOIN buildings b ON b.id = u.building_id WHERE h.id = ? AND h.community_id = ?`, in.HouseholdID, cid).Scan(&b, &g)
		if errors.Is(err, sql.ErrNoRows) {
			v.Add("household_id", "request.place.unknown", nil)
			return pl, nil
		}
		if err != nil {
			return pl, fmt.Errorf("requests: household: %w", err)
		}
		if in.BuildingID != 0 && in.BuildingID != b {
			v.Add("building_id", "request.place.unknown", nil)
		}
		pl.household, pl.building, pl.grid = in.HouseholdID, b, g.Int64
		return pl, nil
	}
	if in.BuildingID != 0 {
		var g sql.NullInt64
		err := s.db.QueryRow(ctx, `SELECT grid_id FROM buildings WHERE id = ? AND community_id = ?`, in.BuildingID, cid).Scan(&g)
		if errors.Is(err, sql.ErrNoRows) {
			v.Add("building_id", "request.place.unknown", nil)
			return pl, nil
		}
		if err != nil {
			return pl, fmt.Errorf("requests: building: %w", err)
		}
		pl.building, pl.grid = in.BuildingID, g.Int64
		return pl, nil
	}
	if pl.address == "" {
		v.Add("address", "request.place.required", nil)
	}
	return pl, nil
}

// nextNumber issues the community's next request number of year: 2026-000123.
func nextNumber(ctx context.Context, tx *db.Tx, cid int64, year int) (string, error) {
	var n int64
	err := tx.QueryRow(ctx, `INSERT INTO counters (community_id, name, value) VALUES (?, ?, 1)
		ON CONFLICT (community_id, name) DO UPDATE SET value = counters.value + 1 RETURNING value`,
		cid, fmt.Sprintf("request:%d", year)).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("requests: counter: %w", err)
	}
	return fmt.Sprintf("%d-%06d", year, n), nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
