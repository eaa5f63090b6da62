package stories_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/files"
	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/secret"
	"github.com/linli/linli/internal/stories"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
	"github.com/linli/linli/internal/testkit/phototest"
	"github.com/linli/linli/internal/volunteers"
)

type world struct {
	*fixture.World
	d      *db.DB
	a      *activities.Service
	s      *stories.Service
	vol    *volunteers.Service
	dir    string
	office *accounts.Principal
}

func setup(t *testing.T, d *db.DB) *world {
	t.Helper()
	f := fixture.New(t, d)
	keys, _ := secret.New([]byte(strings.Repeat("a", 40)))
	vol := volunteers.New(d, keys, f.Clock, registry.New(d, keys, f.Clock), f.Accounts)
	h := hours.New(d, f.Clock, calendar.New(d, f.Clock), vol)
	dir := filepath.Join(t.TempDir(), "data", "photos")
	return &world{World: f, d: d, a: activities.New(d, f.Clock, keys, vol, nil, h), vol: vol, dir: dir,
		s: stories.New(d, f.Clock, vol, &files.Store{Dir: dir}), office: f.A.Worker.Principal()}
}

// person inserts a volunteer of community A (a child with a guardian's
// consent when child), straight into the tables.
func (w *world) person(t *testing.T, name string, child bool) int64 {
	t.Helper()
	ctx := context.Background()
	birth := "1980-01-01"
	if child {
		birth = "2016-05-01"
	}
	var id int64
	if err := w.d.QueryRow(ctx, `INSERT INTO volunteers (community_id, number, name, birth_date, registered_via, registered_at, updated_at)
		VALUES (?, ?, ?, ?, 'worker', ?, ?) RETURNING id`, w.A.ID, "T-"+name, name, birth, w.Clock.Now(), w.Clock.Now()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	kinds := []string{"general"}
	if child {
		kinds = append(kinds, "guardian")
	}
	for _, kind := range kinds {
		if _, err := w.d.Exec(ctx, `INSERT INTO consents (community_id, volunteer_id, kind, given_on, given_by, recorded_at) VALUES (?, ?, ?, '2025-01-01', 'self', ?)`,
			w.A.ID, id, kind, w.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// occurrence makes a one-off activity of A's team on 2025-03-08 09:00-11:00
// with the given people signed up and ticked in.
func (w *world) occurrence(t *testing.T, title, visibility string, people ...int64) int64 {
	t.Helper()
	ctx := context.Background()
	w.Clock.Set(fixture.Start)
	id, err := w.a.Create(ctx, w.office, w.A.ID, activities.Input{Title: title, TeamID: w.A.TeamID, Capacity: 20, Visibility: visibility,
		Start: "2025-03-08T09:00", End: "2025-03-08T11:00"})
	if err != nil {
		t.Fatal(err)
	}
	var occ int64
	if err := w.d.QueryRow(ctx, `SELECT id FROM occurrences WHERE activity_id = ?`, id).Scan(&occ); err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		if _, err := w.a.SignUp(ctx, w.office, occ, p); err != nil {
			t.Fatalf("sign up %d: %v", p, err)
		}
	}
	w.Clock.Set(time.Date(2025, 3, 8, 9, 5, 0, 0, clock.Shanghai))
	for _, p := range people {
		if _, err := w.a.Tick(ctx, w.office, occ, p); err != nil {
			t.Fatalf("tick %d: %v", p, err)
		}
	}
	return occ
}

// Writing a story: after the date, by its organiser, with the count of
// who came taken from the check-ins; members-only stories stay inside.
func TestWriteStory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		adult, child, absent := w.person(t, "王老师", false), w.person(t, "小明", true), w.person(t, "小红", true)
		occ := w.occurrence(t, "元宵节做花灯", "public", adult, child)
		if _, err := w.a.SignUp(ctx, w.office, occ, absent); err == nil {
			t.Fatal("signed up after the start")
		}
		leader := w.A.Leader.Principal()
		// Not before it is over.
		if _, err := w.s.Write(ctx, leader, occ, "做了花灯"); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("before the end: %v", err)
		}
		w.Clock.Set(time.Date(2025, 3, 8, 12, 0, 0, 0, clock.Shanghai))
		for name, c := range map[string]struct {
			p    *accounts.Principal
			code apperr.Code
			text string
		}{
			"volunteer":  {w.A.Volunteer.Principal(), apperr.Forbidden, "x"},
			"B's worker": {w.B.Worker.Principal(), apperr.NotFound, "x"},
			"empty":      {leader, apperr.Invalid, "  \n "},
			"too long":   {leader, apperr.Invalid, strings.Repeat("长", stories.MaxSummary+1)},
			"control":    {leader, apperr.Invalid, "a\x00b"},
		} {
			if _, err := w.s.Write(ctx, c.p, occ, c.text); !apperr.Is(err, c.code) {
				t.Errorf("%s: %v, want %s", name, err, c.code)
			}
		}
		var n int
		d.QueryRow(ctx, `SELECT count(*) FROM stories`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d stories after refusals", n)
		}
		st, err := w.s.Write(ctx, leader, occ, "孩子们用废旧材料做了十几盏花灯。")
		if err != nil || st.Participants != 2 || st.Title != "元宵节做花灯" || st.Visibility != "public" {
			t.Fatalf("story: %+v %v", st, err)
		}
		// Rewriting replaces the summary; the count still comes from the roster.
		st2, err := w.s.Write(ctx, w.office, occ, "改：做了十二盏花灯。")
		if err != nil || st2.ID != st.ID || st2.Summary != "改：做了十二盏花灯。" || st2.Participants != 2 {
			t.Fatalf("rewrite: %+v %v", st2, err)
		}
		// Public: anyone, signed out too.
		if got, err := w.s.Get(ctx, nil, st.ID); err != nil || got.Summary != st2.Summary {
			t.Errorf("signed out: %+v %v", got, err)
		}
		// Members only: A's members, not the public nor B.
		inner := w.occurrence(t, "队员内部总结会", "members", adult)
		w.Clock.Set(time.Date(2025, 3, 8, 12, 0, 0, 0, clock.Shanghai))
		ist, err := w.s.Write(ctx, leader, inner, "内部总结")
		if err != nil {
			t.Fatal(err)
		}
		for name, p := range map[string]*accounts.Principal{"signed out": nil, "B's worker": w.B.Worker.Principal(), "street": w.Supervisor.Principal()} {
			if _, err := w.s.Get(ctx, p, ist.ID); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("%s reads a members-only story: %v", name, err)
			}
		}
		if _, err := w.s.Get(ctx, w.A.Resident.Principal(), ist.ID); err != nil {
			t.Errorf("A's resident: %v", err)
		}
		pub, total, err := w.s.List(ctx, nil, w.A.ID, 20, 0)
		if err != nil || total != 1 || len(pub) != 1 || pub[0].ID != st.ID {
			t.Errorf("public list: %d %+v %v", total, pub, err)
		}
		all, total, err := w.s.List(ctx, w.A.Volunteer.Principal(), w.A.ID, 20, 0)
		if err != nil || total != 2 || len(all) != 2 {
			t.Errorf("member's list: %d %v", total, err)
		}
		if other, total, _ := w.s.List(ctx, w.B.Worker.Principal(), w.B.ID, 20, 0); total != 0 || len(other) != 0 {
			t.Errorf("B lists A's stories: %+v", other)
		}
	})
}

// Photos: by content type only, re-encoded without metadata, scaled down,
// under random names; a child's photo is the office's until the
// guardian's photo consent is recorded.
func TestPhotos(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		adult, child := w.person(t, "王老师", false), w.person(t, "小明", true)
		occ := w.occurrence(t, "防溺水安全课", "public", adult, child)
		w.Clock.Set(time.Date(2025, 3, 8, 12, 0, 0, 0, clock.Shanghai))
		leader := w.A.Leader.Principal()
		st, err := w.s.Write(ctx, leader, occ, "社工讲解防溺水知识。")
		if err != nil {
			t.Fatal(err)
		}

		// EXIF GPS in, none out; a 3000×1500 photo comes out 2048×1024.
		up := phototest.WithGPS(phototest.JPEG(t, 3000, 1500))
		if !bytes.Contains(up, []byte("Exif\x00\x00")) || !bytes.Contains(up, []byte{0x88, 0x25}) {
			t.Fatal("the upload has no EXIF GPS to strip")
		}
		if _, _, err := image.Decode(bytes.NewReader(up)); err != nil {
			t.Fatalf("the upload is not a JPEG: %v", err)
		}
		// Nobody tagged, but a child came: the office's until tagged
		// (TestUntaggedPhotos).
		p, err := w.s.AddPhoto(ctx, leader, st.ID, up, nil)
		if err != nil || p.Width != 2048 || p.Height != 1024 || !p.OfficeOnly {
			t.Fatalf("photo: %+v %v", p, err)
		}
		f, _, err := w.s.OpenPhoto(ctx, w.office, p.ID)
		if err != nil {
			t.Fatalf("office photo: %v", err)
		}
		stored, _ := io.ReadAll(f)
		f.Close()
		if phototest.HasEXIF(stored) {
			t.Error("the stored photo still carries EXIF")
		}
		if cfg, format, err := image.DecodeConfig(bytes.NewReader(stored)); err != nil || format != "jpeg" || cfg.Width != 2048 {
			t.Errorf("stored: %+v %s %v", cfg, format, err)
		}
		// A PNG is taken too, and stored as a JPEG.
		var pngBuf bytes.Buffer
		png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 40, 30)))
		if p2, err := w.s.AddPhoto(ctx, leader, st.ID, pngBuf.Bytes(), nil); err != nil || p2.Width != 40 {
			t.Errorf("png: %+v %v", p2, err)
		}

		// Refused, nothing stored: SVG with script, HTML, a truncated
		// JPEG, 30 MB, a stranger or B's volunteer tagged, a volunteer uploading.
		svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>`)
		big := make([]byte, 30<<20)
		copy(big, phototest.JPEG(t, 10, 10))
		for name, c := range map[string]struct {
			p      *accounts.Principal
			data   []byte
			people []int64
			code   apperr.Code
		}{
			"svg":        {leader, svg, nil, apperr.Unsupported},
			"html":       {leader, []byte("<html><script>x</script></html>"), nil, apperr.Unsupported},
			"truncated":  {leader, up[:len(up)/3], nil, apperr.Unsupported},
			"30 MB":      {leader, big, nil, apperr.TooLarge},
			"stranger":   {leader, up, []int64{999999}, apperr.Invalid},
			"volunteer":  {w.A.Volunteer.Principal(), up, nil, apperr.Forbidden},
			"B's worker": {w.B.Worker.Principal(), up, nil, apperr.NotFound},
		} {
			if _, err := w.s.AddPhoto(ctx, c.p, st.ID, c.data, c.people); !apperr.Is(err, c.code) {
				t.Errorf("%s: %v, want %s", name, err, c.code)
			}
		}
		var photos int
		d.QueryRow(ctx, `SELECT count(*) FROM story_photos`).Scan(&photos)
		entries, _ := os.ReadDir(w.dir)
		if photos != 2 || len(entries) != 2 {
			t.Fatalf("%d photos recorded, %d files", photos, len(entries))
		}
		for _, e := range entries {
			if !files.ValidName(e.Name()) {
				t.Errorf("stored as %q", e.Name())
			}
		}

		// A photo of the child: the office only, until the guardian consents.
		kid, err := w.s.AddPhoto(ctx, leader, st.ID, phototest.JPEG(t, 64, 48), []int64{child, adult})
		if err != nil || !kid.OfficeOnly {
			t.Fatalf("child's photo: %+v %v", kid, err)
		}
		shown := func(p *accounts.Principal) bool {
			t.Helper()
			f, _, err := w.s.OpenPhoto(ctx, p, kid.ID)
			served := err == nil
			if served {
				f.Close()
			} else if !apperr.Is(err, apperr.NotFound) {
				t.Fatal(err)
			}
			got, err := w.s.Get(ctx, p, st.ID)
			if err != nil {
				t.Fatal(err)
			}
			listed := false
			for _, ph := range got.Photos {
				listed = listed || ph.ID == kid.ID
			}
			if listed != served {
				t.Errorf("listed %v but served %v", listed, served)
			}
			return listed
		}
		for name, p := range map[string]*accounts.Principal{"public": nil, "leader": leader, "volunteer": w.A.Volunteer.Principal(), "resident": w.A.Resident.Principal()} {
			if shown(p) {
				t.Errorf("%s sees the child's photo without consent", name)
			}
		}
		if !shown(w.office) {
			t.Error("the office does not see the child's photo")
		}
		// The adult has only a general consent: the child's consent alone
		// is not enough.
		if _, err := w.vol.AddConsent(ctx, w.office, child, "photo", nil); err != nil {
			t.Fatal(err)
		}
		if shown(nil) {
			t.Error("public sees a photo of an adult without publicity consent")
		}
		if _, err := w.vol.AddConsent(ctx, w.office, adult, "publicity", nil); err != nil {
			t.Fatal(err)
		}
		if !shown(nil) || !shown(leader) {
			t.Error("the photo is not public after both consented")
		}
		// The child's publicity consent would not do; withdrawing the
		// photo consent takes the photo down again.
		var cons int64
		d.QueryRow(ctx, `SELECT id FROM consents WHERE volunteer_id = ? AND kind = 'photo'`, child).Scan(&cons)
		if _, err := w.vol.WithdrawConsent(ctx, w.office, child, cons); err != nil {
			t.Fatal(err)
		}
		if _, err := w.vol.AddConsent(ctx, w.office, child, "publicity", nil); err != nil {
			t.Fatal(err)
		}
		if shown(nil) {
			t.Error("a child's photo is public on a publicity consent alone")
		}
		var given string
		d.QueryRow(ctx, `SELECT given_by FROM consents WHERE id = ?`, cons).Scan(&given)
		if given != "guardian" {
			t.Errorf("a child's photo consent given by %q", given)
		}
	})
}

// A photo nobody is tagged in is public only when no child took part in
// the date: not checked in, not on the roster. Otherwise it stays with
// the office, as a photo of an untagged child would.
func TestUntaggedPhotos(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		leader := w.A.Leader.Principal()
		adult, child := w.person(t, "王老师", false), w.person(t, "小明", true)
		untagged := func(occ int64) *stories.Photo {
			t.Helper()
			w.Clock.Set(time.Date(2025, 3, 8, 12, 0, 0, 0, clock.Shanghai))
			st, err := w.s.Write(ctx, leader, occ, "活动顺利结束。")
			if err != nil {
				t.Fatal(err)
			}
			p, err := w.s.AddPhoto(ctx, leader, st.ID, phototest.JPEG(t, 64, 48), nil)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		public := func(p *stories.Photo) bool {
			t.Helper()
			f, _, err := w.s.OpenPhoto(ctx, nil, p.ID)
			if err == nil {
				f.Close()
			} else if !apperr.Is(err, apperr.NotFound) {
				t.Fatal(err)
			}
			return err == nil
		}

		// Adults only: public at once.
		grown := untagged(w.occurrence(t, "楼道清扫", "public", adult))
		if grown.OfficeOnly || !public(grown) {
			t.Errorf("untagged photo of an adults' date: %+v", grown)
		}
		// A child checked in: the office's only.
		kids := untagged(w.occurrence(t, "亲子手工", "public", adult, child))
		if !kids.OfficeOnly || public(kids) {
			t.Errorf("untagged photo of a children's date: %+v", kids)
		}
		for name, p := range map[string]*accounts.Principal{"leader": leader, "volunteer": w.A.Volunteer.Principal()} {
			if f, _, err := w.s.OpenPhoto(ctx, p, kids.ID); err == nil {
				f.Close()
				t.Errorf("%s sees the untagged photo of a children's date", name)
			}
		}
		if f, _, err := w.s.OpenPhoto(ctx, w.office, kids.ID); err != nil {
			t.Errorf("office: %v", err)
		} else {
			f.Close()
		}
		// A child signed up but not (yet) ticked in counts as well.
		w.Clock.Set(fixture.Start)
		id, err := w.a.Create(ctx, w.office, w.A.ID, activities.Input{Title: "读书会", TeamID: w.A.TeamID, Capacity: 20, Visibility: "public",
			Start: "2025-03-08T09:00", End: "2025-03-08T11:00"})
		if err != nil {
			t.Fatal(err)
		}
		var occ int64
		if err := d.QueryRow(ctx, `SELECT id FROM occurrences WHERE activity_id = ?`, id).Scan(&occ); err != nil {
			t.Fatal(err)
		}
		if _, err := w.a.SignUp(ctx, w.office, occ, child); err != nil {
			t.Fatal(err)
		}
		rostered := untagged(occ)
		if !rostered.OfficeOnly || public(rostered) {
			t.Errorf("untagged photo of a date a child signed up for: %+v", rostered)
		}
		// The public page lists the adults' photo alone.
		list, _, err := w.s.List(ctx, nil, w.A.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var shown []int64
		for _, st := range list {
			for _, p := range st.Photos {
				shown = append(shown, p.ID)
			}
		}
		if len(list) != 3 || len(shown) != 1 || shown[0] != grown.ID {
			t.Errorf("public page: %d stories, photos %v, want only %d", len(list), shown, grown.ID)
		}
	})
}
