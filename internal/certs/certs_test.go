package certs_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/certs"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/registry/registrytest"
	"github.com/linli/linli/internal/secret"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
	"github.com/linli/linli/internal/volunteers"
)

type world struct {
	*fixture.World
	c            *certs.Service
	h            *hours.Service
	office       *accounts.Principal
	adult, child int64 // volunteer ids
	mum          *accounts.Principal
}

// setup: in community A an adult outside volunteer with two services, and
// a child of 10 (a resident, the fixture resident's account is the
// mother) with one.
func setup(t *testing.T, d *db.DB) *world {
	t.Helper()
	f := fixture.New(t, d)
	keys, _ := secret.New([]byte(strings.Repeat("c", 40)))
	reg := registry.New(d, keys, f.Clock)
	vol := volunteers.New(d, keys, f.Clock, reg, f.Accounts)
	w := &world{World: f, office: f.A.Worker.Principal(), mum: f.A.Resident.Principal()}
	w.h = hours.New(d, f.Clock, calendar.New(d, f.Clock), vol)
	w.c = certs.New(d, f.Clock, vol)
	ctx := context.Background()
	var mother, kid int64
	err := d.InTx(ctx, func(tx *db.Tx) error {
		l := reg.NewLoader(tx, f.A.ID)
		b, err := l.Building(ctx, registry.Place{Estate: "平安小区", Building: "1", GridID: f.A.GridID})
		if err != nil {
			return err
		}
		h, err := l.Household(ctx, b, "1", "101", "")
		if err != nil {
			return err
		}
		if mother, _, err = l.Resident(ctx, registry.Input{HouseholdID: h, Name: "刘芳", IDNumber: registrytest.MakeID("130104", "19880505", "222"), Relation: "户主"}, time.Time{}); err != nil {
			return err
		}
		kidBirth := f.Clock.Now().AddDate(-10, 0, -3).Format("20060102")
		kid, _, err = l.Resident(ctx, registry.Input{HouseholdID: h, Name: "刘小嘉", IDNumber: registrytest.MakeID("130104", kidBirth, "341"), Relation: "子女"}, time.Time{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(ctx, `UPDATE residents SET account_id = ? WHERE id = ?`, f.A.Resident.Account.ID, mother); err != nil {
		t.Fatal(err)
	}
	a, err := vol.Register(ctx, w.office, f.A.ID, volunteers.Input{Person: &volunteers.Person{Name: "王老师", BirthDate: "1975-01-01", Phone: "13900001111"},
		Consent: volunteers.ConsentInput{General: true}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := vol.Register(ctx, w.mum, f.A.ID, volunteers.Input{ResidentID: kid, Consent: volunteers.ConsentInput{General: true},
		Guardian: &volunteers.GuardianInput{ResidentID: mother, Relation: "母亲"}})
	if err != nil {
		t.Fatal(err)
	}
	w.adult, w.child = a.ID, c.ID
	rec := func(date, start, end string, vids ...int64) {
		_, err := w.h.Record(ctx, w.office, f.A.ID, hours.Input{ActivityName: "元宵节做花灯", Date: date, Start: start, End: end,
			Place: "社区活动室", Content: "制作花灯", PersonInCharge: "刘静", Volunteers: vids})
		if err != nil {
			t.Fatal(err)
		}
	}
	rec("2025-02-12", "09:00", "11:30", w.adult, w.child)
	rec("2025-02-22", "14:00", "16:00", w.adult)
	return w
}

func TestIssueAndVerify(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		c, err := w.c.Issue(ctx, w.office, w.A.ID, w.adult, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if c.Hours != 4.5 || c.Services != 2 || c.From != "2025-02-12" || c.To != "2025-03-03" || c.Name != "王老师" ||
			len(c.Lines) != 1 || c.Lines[0].Times != 2 || c.Organiser != w.A.Name+"居民委员会" {
			t.Fatalf("certificate: %+v", c)
		}
		if _, ok := certs.Normalize(strings.ToLower(c.Number)); !ok {
			t.Errorf("own number %s is not well formed", c.Number)
		}
		// Anyone can check it: the name, period, hours, issuer; no more.
		v, err := w.c.Verify(ctx, " "+strings.ToLower(c.Number)+" ")
		if err != nil || v.Name != "王老师" || v.Hours != 4.5 || v.VolunteerNumber != "" || v.VolunteerID != 0 || v.Lines != nil {
			t.Fatalf("verify: %+v %v", v, err)
		}
		// A changed character fails the check digit; a well-formed but
		// unknown number is not found either.
		tampered := []byte(c.Number)
		i := len(tampered) - 4
		tampered[i] = map[bool]byte{true: 'A', false: 'B'}[tampered[i] != 'A']
		for _, n := range []string{string(tampered), "JSL-2025-0000000000000-0", "nonsense", "", c.Number + "0"} {
			if _, err := w.c.Verify(ctx, n); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("verify %q: %v, want not found", n, err)
			}
		}
		// Only the volunteer, their guardian and the office open the whole
		// certificate; a certificate for someone else is not theirs to issue.
		if _, err := w.c.Get(ctx, w.mum, c.Number); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("the mother opens the teacher's certificate: %v", err)
		}
		if _, err := w.c.Issue(ctx, w.mum, w.A.ID, w.adult, "", ""); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("the mother issues the teacher's certificate: %v", err)
		}
		// Bad periods, and a period without service.
		for _, p := range [][2]string{{"2025-02-30", ""}, {"2025-03-01", "2025-02-01"}, {"", "2030-01-01"}} {
			if _, err := w.c.Issue(ctx, w.office, w.A.ID, w.adult, p[0], p[1]); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("period %v: %v", p, err)
			}
		}
		if _, err := w.c.Issue(ctx, w.office, w.A.ID, w.adult, "2024-01-01", "2024-12-31"); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("a period without service: %v", err)
		}
		// The guardian prints the child's: the name masked, on the
		// certificate and on the public check.
		k, err := w.c.Issue(ctx, w.mum, w.A.ID, w.child, "2025-02-01", "")
		if err != nil || k.Name != "刘*嘉" || k.Hours != 2.5 {
			t.Fatalf("child's certificate: %+v %v", k, err)
		}
		if v, _ := w.c.Verify(ctx, k.Number); v.Name != "刘*嘉" {
			t.Errorf("child's name on the public check: %q", v.Name)
		}
		mine, err := w.c.Mine(ctx, w.mum, w.A.ID)
		if err != nil || len(mine) != 1 || mine[0].Number != k.Number {
			t.Errorf("the mother's certificates: %+v %v", mine, err)
		}
		var stored string
		d.QueryRow(ctx, `SELECT name_shown || lines FROM certificates WHERE number = ?`, k.Number).Scan(&stored)
		if strings.Contains(stored, "刘小嘉") {
			t.Error("the child's full name is stored on the certificate")
		}
	})
}

// The PDF has the certificate's text in Chinese and a QR code; pdftotext
// (poppler-utils, installed by .ci/run) reads it back.
func TestPDF(t *testing.T) {
	c := &certs.Certificate{Number: "JSL-2026-7KQ2M9XD4TPB-R", Name: "赵建国", VolunteerNumber: "JSL-V00002", From: "2025-12-01", To: "2026-11-30",
		Hours: 139.5, Services: 92, Organiser: "建胜路社区居民委员会", IssuedAt: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC),
		Lines: []certs.Line{{Activity: "上门修电水壶", Times: 20, Hours: 30}, {Activity: "集中维修日", Times: 12, Hours: 36}}}
	pdf, err := certs.PDF(c, "https://linli.example.cn/verify/"+c.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) > 400_000 {
		t.Fatalf("not a small PDF: %d bytes, starts %q", len(pdf), pdf[:8])
	}
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext (poppler-utils) is needed under CI=true")
		}
		t.Skip("pdftotext not installed")
	}
	path := filepath.Join(t.TempDir(), "c.pdf")
	os.WriteFile(path, pdf, 0o600)
	out, err := exec.Command(bin, "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	// Lines wrap anywhere in Chinese: compare without spaces and breaks.
	text := strings.Join(strings.Fields(string(out)), "")
	for _, want := range []string{"志愿服务记录证明", "赵建国", "JSL-V00002", "139.5", "2025年12月1日", "上门修电水壶", "不得用于任何商业用途",
		"建胜路社区居民委员会", "2026年12月1日", "https://linli.example.cn/verify/JSL-2026-7KQ2M9XD4TPB-R"} {
		if !strings.Contains(text, strings.ReplaceAll(want, " ", "")) {
			t.Errorf("the PDF lacks %q:\n%s", want, out)
		}
	}
}
