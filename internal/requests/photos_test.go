package requests_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg"
	"io"
	"os"
	"testing"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/files"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
	"github.com/linli/linli/internal/testkit/phototest"
)

// TestPhotos: a resident's phone photo comes in with her request, and
// photos with steps and on their own; each belongs to its request and
// the event that brought it, is stored without its EXIF GPS, and is
// seen by exactly those who see the request.
func TestPhotos(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		dir := t.TempDir()
		w.s.UsePhotos(&files.Store{Dir: dir})
		worker, resident, partner := w.A.Worker.Principal(), w.A.Resident.Principal(), w.A.Partner.Principal()

		up := phototest.WithGPS(phototest.JPEG(t, 320, 240))
		if !phototest.HasEXIF(up) {
			t.Fatal("the upload has no EXIF to strip")
		}
		r, err := w.s.Submit(ctx, resident, w.A.ID, requests.Input{Kind: requests.KindHelp, CategoryID: w.cats["water"],
			Description: "楼上漏水，天花板在滴水", Photos: [][]byte{up}})
		if err != nil {
			t.Fatal(err)
		}
		tl, err := w.s.Timeline(ctx, resident, r.ID)
		if err != nil || len(tl) != 1 || len(tl[0].Photos) != 1 || len(tl[0].Attachments) != 1 {
			t.Fatalf("timeline after intake: %+v %v", tl, err)
		}
		p := tl[0].Photos[0]
		if p.Seq != 1 || p.Width != 320 || p.Height != 240 || tl[0].Attachments[0] != p.ID {
			t.Fatalf("intake photo: %+v", p)
		}
		read := func(a *accounts.Principal, rid, pid int64) ([]byte, error) {
			f, _, err := w.s.OpenPhoto(ctx, a, rid, pid)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return io.ReadAll(f)
		}
		stored, err := read(resident, r.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if phototest.HasEXIF(stored) || bytes.Contains(stored, []byte{0x88, 0x25}) && bytes.Contains(stored, []byte("N\x00\x00\x00")) {
			t.Error("the stored photo still carries the EXIF GPS")
		}
		if c, format, err := image.DecodeConfig(bytes.NewReader(stored)); err != nil || format != "jpeg" || c.Width != 320 {
			t.Errorf("stored: %+v %s %v", c, format, err)
		}

		// Who sees it: the requester, the office, the grid's worker; not
		// another grid's worker, another resident, a partner it is not
		// dispatched to, nor B. A photo asked for under another request
		// is not found either.
		grid2 := w.Person(t, "a-grid2", "二网格员", accounts.Grant{Role: accounts.Grid, CommunityID: w.A.ID, GridID: w.grid2}).Principal()
		neighbour := w.Person(t, "a-neighbour", "邻居", accounts.Grant{Role: accounts.Resident, CommunityID: w.A.ID, HouseholdID: w.A.HouseholdID}).Principal()
		other := w.submit(t, "另一件")
		for name, c := range map[string]struct {
			p    *accounts.Principal
			rid  int64
			sees bool
		}{
			"worker":      {worker, r.ID, true},
			"grid 1":      {w.A.Grid.Principal(), r.ID, true},
			"grid 2":      {grid2, r.ID, false},
			"neighbour":   {neighbour, r.ID, false},
			"partner":     {partner, r.ID, false},
			"B admin":     {w.B.Admin.Principal(), r.ID, false},
			"wrong route": {worker, other.ID, false},
		} {
			_, err := read(c.p, c.rid, p.ID)
			if c.sees && err != nil {
				t.Errorf("%s: %v", name, err)
			}
			if !c.sees && !apperr.Is(err, apperr.NotFound) {
				t.Errorf("%s: %v, want not found", name, err)
			}
			if c.sees || c.rid != r.ID {
				continue
			}
			if _, err := w.s.AddPhotos(ctx, c.p, c.rid, "", [][]byte{up}); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("%s adds a photo: %v, want not found", name, err)
			}
		}

		// Dispatched to the partner: now it sees the photo, and the
		// result it submits carries one of its own.
		w.do(t, worker, r.ID, requests.Step{Action: requests.ActAccept})
		w.do(t, worker, r.ID, requests.Step{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerOrganisation, ID: w.A.OrgID}})
		if _, err := read(partner, r.ID, p.ID); err != nil {
			t.Errorf("partner after dispatch: %v", err)
		}
		w.do(t, partner, r.ID, requests.Step{Action: requests.ActSign})
		w.do(t, partner, r.ID, requests.Step{Action: requests.ActResult, Note: "已更换楼上水管", Photos: [][]byte{phototest.JPEG(t, 64, 48)}})
		// The resident adds one more on her own, with a note.
		added, err := w.s.AddPhotos(ctx, resident, r.ID, "修好后的天花板", [][]byte{phototest.JPEG(t, 40, 30)})
		if err != nil || len(added) != 1 || added[0].Width != 40 {
			t.Fatalf("add photos: %+v %v", added, err)
		}
		tl, _ = w.s.Timeline(ctx, worker, r.ID)
		got := map[requests.Action]int{}
		for _, e := range tl {
			got[e.Action] += len(e.Photos)
		}
		last := tl[len(tl)-1]
		if got[requests.ActSubmit] != 1 || got[requests.ActResult] != 1 || got[requests.ActAttach] != 1 ||
			last.Action != requests.ActAttach || last.Note != "修好后的天花板" || last.To != requests.ResultSubmitted {
			t.Errorf("photos by event: %v; last %+v", got, last)
		}
		if n := fixture.Count(t, d, "request_photos"); n != 3 {
			t.Errorf("%d photo rows, want 3", n)
		}
		var audits int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'request.photo' AND object_id = ?`, fmt.Sprint(r.ID)).Scan(&audits); err != nil || audits != 3 {
			t.Errorf("%d request.photo audit entries, want 3 (%v)", audits, err)
		}
		// The attach event moved nothing along: the office verifies.
		w.do(t, worker, r.ID, requests.Step{Action: requests.ActVerify})
	})
}

// TestPhotoRefusals: not an image, too large, too many, out of scope, a
// closed request: each refused with its reason, and nothing written,
// neither a row nor a file.
func TestPhotoRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		dir := t.TempDir()
		w.s.UsePhotos(&files.Store{Dir: dir})
		worker := w.A.Worker.Principal()
		r := w.submit(t, "二楼漏水")
		jpg := phototest.JPEG(t, 16, 16)
		five := [][]byte{jpg, jpg, jpg, jpg, jpg}
		if _, err := w.s.AddPhotos(ctx, worker, r.ID, "", five); err != nil {
			t.Fatal(err)
		}
		big := make([]byte, 11<<20)
		copy(big, jpg)
		written := func() [3]int {
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			return [3]int{fixture.Count(t, d, "request_photos"), fixture.Count(t, d, "request_events"), len(entries)}
		}
		before := written()
		if before != [3]int{5, 2, 5} {
			t.Fatalf("before: %v", before)
		}
		closed := w.submit(t, "已办结的")
		w.do(t, worker, closed.ID, requests.Step{Action: requests.ActReject, Reason: "不属于社区职责"})
		fresh := w.submit(t, "还没有照片的")
		before = written()
		step := state(t, d, r.ID)
		svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
		for name, c := range map[string]struct {
			p      *accounts.Principal
			id     int64
			note   string
			photos [][]byte
			code   apperr.Code
			key    string
		}{
			"svg":                  {worker, r.ID, "", [][]byte{svg}, apperr.Unsupported, "photo.type"},
			"text":                 {worker, r.ID, "", [][]byte{[]byte("这不是照片")}, apperr.Unsupported, "photo.type"},
			"truncated":            {worker, r.ID, "", [][]byte{jpg[:len(jpg)/2]}, apperr.Unsupported, "photo.unreadable"},
			"too big":              {worker, r.ID, "", [][]byte{big}, apperr.TooLarge, ""},
			"seventh":              {worker, r.ID, "", [][]byte{jpg, jpg}, apperr.Invalid, "request.photo.many"},
			"none":                 {worker, r.ID, "", nil, apperr.Invalid, "photo.missing"},
			"html note":            {worker, r.ID, "<b>看</b>", [][]byte{jpg}, apperr.Invalid, "request.text.html"},
			"closed":               {worker, closed.ID, "", [][]byte{jpg}, apperr.Conflict, "request.photo.closed"},
			"other grid":           {w.Person(t, "a-grid2", "二网格员", accounts.Grant{Role: accounts.Grid, CommunityID: w.A.ID, GridID: w.grid2}).Principal(), r.ID, "", [][]byte{jpg}, apperr.NotFound, ""},
			"B's admin":            {w.B.Admin.Principal(), r.ID, "", [][]byte{jpg}, apperr.NotFound, ""},
			"good, then a bad one": {worker, fresh.ID, "", [][]byte{jpg, svg}, apperr.Unsupported, "photo.type"},
		} {
			_, err := w.s.AddPhotos(ctx, c.p, c.id, c.note, c.photos)
			if err == nil {
				t.Errorf("%s: accepted", name)
				continue
			}
			wantErr(t, err, c.code, c.key)
			if got := written(); got != before {
				t.Errorf("%s changed %v to %v", name, before, got)
			}
		}
		// With a step and at intake the same limits hold, and a refused
		// step or intake writes nothing either.
		if _, err := w.s.Do(ctx, worker, r.ID, requests.Step{Action: requests.ActAccept, Photos: [][]byte{jpg, jpg}}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("a step with the seventh photo: %v", err)
		}
		if _, err := w.s.Submit(ctx, worker, w.A.ID, requests.Input{Channel: requests.ChannelPhone, Kind: requests.KindHelp,
			CategoryID: w.cats["water"], BuildingID: w.b1, Description: "漏水", ContactName: "王", ContactPhone: "13900001234",
			Photos: [][]byte{svg}}); !apperr.Is(err, apperr.Unsupported) {
			t.Errorf("an intake with an SVG: %v", err)
		}
		if got := written(); got != before || fixture.Count(t, d, "requests") != 3 || state(t, d, r.ID) != step {
			t.Errorf("a refused step or intake changed %v to %v", before, got)
		}
		// The sixth fits.
		if _, err := w.s.Do(ctx, worker, r.ID, requests.Step{Action: requests.ActAccept, Photos: [][]byte{jpg}}); err != nil {
			t.Errorf("the sixth photo with a step: %v", err)
		}
	})
}
