package stories_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/stories"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/phototest"
)

// counts is stories, photos, tags and photo files: what "nothing written"
// compares.
func (w *world) counts(t *testing.T) [4]int {
	t.Helper()
	var c [4]int
	ctx := context.Background()
	w.d.QueryRow(ctx, `SELECT count(*) FROM stories`).Scan(&c[0])
	w.d.QueryRow(ctx, `SELECT count(*) FROM story_photos`).Scan(&c[1])
	w.d.QueryRow(ctx, `SELECT count(*) FROM photo_people`).Scan(&c[2])
	files, _ := os.ReadDir(w.dir)
	c[3] = len(files)
	return c
}

// Compose, the organiser's form: summary, visibility and a photo in one
// go. A refused part (summary, visibility, the photo's type, size or
// people) writes nothing at all; a story may be kept inside the community
// but a members-only activity's story cannot be made public.
func TestComposeStory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		adult := w.person(t, "王老师", false)
		occ := w.occurrence(t, "楼道清扫", "public", adult)
		inner := w.occurrence(t, "防溺水课", "members", adult)
		leader := w.A.Leader.Principal()
		w.Clock.Set(time.Date(2025, 3, 8, 12, 0, 0, 0, clock.Shanghai))

		// Before anything is written, Prepare has nothing and knows the
		// activity's visibility; a volunteer is refused.
		if st, members, err := w.s.Prepare(ctx, leader, inner); err != nil || st != nil || !members {
			t.Fatalf("prepare: %+v %v %v", st, members, err)
		}
		if _, _, err := w.s.Prepare(ctx, w.A.Volunteer.Principal(), occ); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("volunteer prepares: %v", err)
		}

		good := phototest.JPEG(t, 300, 200)
		before := w.counts(t)
		for name, c := range map[string]struct {
			occ   int64
			d     stories.Draft
			code  apperr.Code
			field string
		}{
			"empty summary":      {occ, stories.Draft{Summary: " ", Photo: good}, apperr.Invalid, "summary"},
			"odd visibility":     {occ, stories.Draft{Summary: "扫了楼道", Visibility: "everyone"}, apperr.Invalid, "visibility"},
			"public, members'":   {inner, stories.Draft{Summary: "学了急救", Visibility: "public"}, apperr.Invalid, "visibility"},
			"svg":                {occ, stories.Draft{Summary: "扫了楼道", Photo: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)}, apperr.Unsupported, ""},
			"30 MB":              {occ, stories.Draft{Summary: "扫了楼道", Photo: append(good, make([]byte, 30<<20)...)}, apperr.TooLarge, ""},
			"someone else's tag": {occ, stories.Draft{Summary: "扫了楼道", Photo: good, People: []int64{999999}}, apperr.Invalid, "people"},
			"volunteer":          {occ, stories.Draft{Summary: "扫了楼道"}, apperr.Forbidden, ""},
		} {
			p := leader
			if name == "volunteer" {
				p = w.A.Volunteer.Principal()
			}
			_, err := w.s.Compose(ctx, p, c.occ, c.d)
			if !apperr.Is(err, c.code) || (c.field != "" && apperr.From(err).Fields[c.field].Key == "") {
				t.Errorf("%s: %v, want %s on %q", name, err, c.code, c.field)
			}
		}
		if got := w.counts(t); got != before {
			t.Errorf("refused drafts wrote %v (before %v)", got, before)
		}

		// Kept inside: members see it, the public does not; the photo
		// comes with it, tagged, and waits for consent with the office.
		st, err := w.s.Compose(ctx, leader, occ, stories.Draft{Summary: "扫了三栋楼的楼道", Visibility: "members", Photo: good, People: []int64{adult}})
		if err != nil {
			t.Fatal(err)
		}
		if st.Visibility != "members" || len(st.Photos) != 0 || st.Participants != 1 {
			t.Errorf("composed (the photo waits for 王老师's consent, the office's alone): %+v", st)
		}
		if o, err := w.s.Get(ctx, w.office, st.ID); err != nil || len(o.Photos) != 1 || !o.Photos[0].OfficeOnly || len(o.Photos[0].People) != 1 {
			t.Errorf("the office's view: %+v %v", o, err)
		}
		if got := w.counts(t); got != [4]int{1, 1, 1, 1} {
			t.Errorf("after compose: %v", got)
		}
		if _, err := w.s.Get(ctx, nil, st.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("signed out reads a story kept inside: %v", err)
		}
		if list, _, _ := w.s.List(ctx, nil, w.A.ID, 20, 0); len(list) != 0 {
			t.Errorf("public list: %+v", list)
		}
		if _, err := w.s.Get(ctx, w.A.Volunteer.Principal(), st.ID); err != nil {
			t.Errorf("member: %v", err)
		}
		// Rewritten without a visibility, it stays inside; made public, it
		// is out, and Prepare shows the rewrite.
		if st, err = w.s.Write(ctx, leader, occ, "扫了四栋楼的楼道"); err != nil || st.Visibility != "members" {
			t.Errorf("rewrite: %+v %v", st, err)
		}
		if st, err = w.s.Compose(ctx, leader, occ, stories.Draft{Summary: "扫了四栋楼的楼道", Visibility: "public"}); err != nil || st.Visibility != "public" {
			t.Fatalf("made public: %+v %v", st, err)
		}
		if got, err := w.s.Get(ctx, nil, st.ID); err != nil || !strings.Contains(got.Summary, "四栋") {
			t.Errorf("signed out after making it public: %v", err)
		}
		if got, members, err := w.s.Prepare(ctx, leader, occ); err != nil || got == nil || got.ID != st.ID || members {
			t.Errorf("prepare after: %+v %v %v", got, members, err)
		}
	})
}
