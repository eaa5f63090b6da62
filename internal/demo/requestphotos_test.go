package demo_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"io"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/demo"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/server"
)

// checkRequestPhotos checks the demo requests' photos (called from
// checkYearOfRequests, on both databases): a handful across the year,
// each on an event of its request, added by that event's actor at its
// time; the leak's stained ceiling on its intake and the mended pipe on
// its result, the heating outage's radiator on its intake; and the
// leak's photo opens, as a JPEG without EXIF, for the resident who
// reported it and for the office, through the timeline and OpenPhoto,
// and for no other resident. It returns how many photos there are.
func checkRequestPhotos(t *testing.T, s *server.Server, leak, heat int64) int {
	t.Helper()
	ctx := context.Background()
	// Every photo sits on an event of its request, by its actor, at its time.
	var total, misplaced, requestsWith int
	if err := s.DB.QueryRow(ctx, `SELECT count(*), count(DISTINCT request_id) FROM request_photos`).Scan(&total, &requestsWith); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.QueryRow(ctx, `SELECT count(*) FROM request_photos p LEFT JOIN request_events e
		ON e.request_id = p.request_id AND e.seq = p.seq AND e.actor_id = p.added_by AND e.at = p.added_at WHERE e.id IS NULL`).Scan(&misplaced); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d request photos on %d requests", total, requestsWith)
	if total < 10 || total > 20 || requestsWith < 8 || misplaced != 0 {
		t.Errorf("%d photos on %d requests, %d not on their event", total, requestsWith, misplaced)
	}

	worker, err := s.Accounts.FindByUsername(ctx, "worker")
	if err != nil {
		t.Fatal(err)
	}
	office := &accounts.Principal{AccountID: worker.ID, Username: worker.Username, Grants: worker.Grants}
	// The photos of a request by the action of their event, through the
	// timeline the request's page shows.
	shots := func(p *accounts.Principal, id int64) map[requests.Action][]requests.Photo {
		tl, err := s.Requests.Timeline(ctx, p, id)
		if err != nil {
			t.Fatalf("timeline of %d for %s: %v", id, p.Username, err)
		}
		out := map[requests.Action][]requests.Photo{}
		for _, e := range tl {
			for _, ph := range e.Photos {
				if ph.Seq != e.Seq || !ph.AddedAt.Equal(e.At) {
					t.Errorf("request %d: photo %d (event %d at %s) listed on event %d at %s", id, ph.ID, ph.Seq, ph.AddedAt, e.Seq, e.At)
				}
			}
			if len(e.Photos) > 0 {
				out[e.Action] = append(out[e.Action], e.Photos...)
			}
		}
		return out
	}
	lp := shots(office, leak)
	if len(lp[requests.ActSubmit]) != 1 || len(lp[requests.ActResult]) != 1 || len(lp) != 2 || lp[requests.ActSubmit][0].Seq != 1 {
		t.Fatalf("the leak's photos by event: %+v", lp)
	}
	hp := shots(office, heat)
	if len(hp[requests.ActSubmit]) != 1 || len(hp) != 1 {
		t.Errorf("the heating outage's photos by event: %+v", hp)
	}

	// The resident who reported the leak signs up: she sees her photo.
	var resident, household, cid int64
	if err := s.DB.QueryRow(ctx, `SELECT resident_id, household_id, community_id FROM requests WHERE id = ?`, leak).Scan(&resident, &household, &cid); err != nil {
		t.Fatal(err)
	}
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := s.Accounts.CreateDemoAccount(ctx, tx, "leak-downstairs", "楼下住户", server.Password,
			accounts.Grant{Role: accounts.Resident, CommunityID: cid, HouseholdID: household}, time.Now()); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM accounts WHERE username = 'leak-downstairs'`).Scan(&id); err != nil {
			return err
		}
		return s.Registry.LinkAccount(ctx, tx, resident, id)
	})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := s.Accounts.FindByUsername(ctx, "leak-downstairs")
	if err != nil {
		t.Fatal(err)
	}
	downstairs := &accounts.Principal{AccountID: acc.ID, Username: acc.Username, Grants: acc.Grants}
	intake := shots(downstairs, leak)[requests.ActSubmit]
	if len(intake) != 1 || intake[0].ID != lp[requests.ActSubmit][0].ID {
		t.Fatalf("the resident's timeline of the leak shows intake photos %+v", intake)
	}
	stain := intake[0]
	var size int64
	if err := s.DB.QueryRow(ctx, `SELECT bytes FROM request_photos WHERE id = ?`, stain.ID).Scan(&size); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*accounts.Principal{downstairs, office} {
		f, at, err := s.Requests.OpenPhoto(ctx, p, leak, stain.ID)
		if err != nil {
			t.Fatalf("%s opens the leak's photo: %v", p.Username, err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width != stain.Width || cfg.Height != stain.Height || int64(len(b)) != size || !at.Equal(stain.AddedAt) {
			t.Errorf("%s: the leak's photo: %dx%d of %dx%d, %d bytes of %d, at %s (%v)", p.Username, cfg.Width, cfg.Height, stain.Width, stain.Height, len(b), size, at, err)
		}
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("the leak's photo does not decode: %v", err)
		}
		if hasAPP1(b) {
			t.Errorf("the leak's photo carries an APP1 (EXIF) segment")
		}
	}
	// 陈秀英, another resident, does not.
	other, err := s.Accounts.FindByUsername(ctx, "resident")
	if err != nil {
		t.Fatal(err)
	}
	op := &accounts.Principal{AccountID: other.ID, Username: other.Username, Grants: other.Grants}
	if f, _, err := s.Requests.OpenPhoto(ctx, op, leak, stain.ID); !apperr.Is(err, apperr.NotFound) {
		if f != nil {
			f.Close()
		}
		t.Errorf("another resident opens the leak's photo: %v", err)
	}
	return total
}

// hasAPP1 reports whether a JPEG's header segments include APP1, where
// EXIF (and a phone's GPS position) would be.
func hasAPP1(b []byte) bool {
	for i := 2; i+4 <= len(b) && b[i] == 0xFF; {
		m := b[i+1]
		if m == 0xE1 {
			return true
		}
		if m == 0xDA { // start of scan: no more header segments
			return false
		}
		i += 2 + (int(b[i+2])<<8 | int(b[i+3]))
	}
	return false
}

// The request photos are drawn from their seed and label alone, cheaply:
// the same picture every time, another for another label, each a JPEG
// of its stated size without an APP1 segment (which hasAPP1 does find
// when one is there).
func TestDemoRequestPhotosDrawn(t *testing.T) {
	for _, shot := range demo.RequestShots {
		start := time.Now()
		a, w, h, err := demo.DrawRequestPhoto(7, "楼上装修漏水到我家", shot)
		took := time.Since(start)
		if err != nil {
			t.Fatalf("%s: %v", shot, err)
		}
		b, _, _, _ := demo.DrawRequestPhoto(7, "楼上装修漏水到我家", shot)
		c, _, _, _ := demo.DrawRequestPhoto(7, "厨房水龙头漏水", shot)
		if !bytes.Equal(a, b) || bytes.Equal(a, c) {
			t.Errorf("%s: not drawn from its seed and label alone", shot)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(a))
		if err != nil || cfg.Width != w || cfg.Height != h || hasAPP1(a) {
			t.Errorf("%s: %dx%d of %dx%d (%v), APP1 %v", shot, cfg.Width, cfg.Height, w, h, err, hasAPP1(a))
		}
		t.Logf("%s: %d bytes in %s", shot, len(a), took)
	}
	a, _, _, _ := demo.DrawRequestPhoto(7, "x", demo.RequestShots[0])
	exif := append([]byte("Exif\x00\x00"), make([]byte, 40)...)
	withExif := append(append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0, byte(len(exif) + 2)}, exif...), a[2:]...)
	if !hasAPP1(withExif) {
		t.Error("hasAPP1 misses an EXIF segment")
	}
	if _, _, _, err := demo.DrawRequestPhoto(7, "x", "selfie"); err == nil {
		t.Error("an unknown shot was drawn")
	}
}
