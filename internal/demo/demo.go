// Package demo seeds the demo community of DOMAIN.md — 建胜路社区 under
// 东风街道, 桥西区, 石家庄市 — so a first visitor meets a real-looking place.
// Seeding happens in versioned steps recorded in seed_steps: each step runs
// once, in one transaction, and later issues add steps instead of
// re-seeding from scratch. Given the same seed and anchor date the result
// is the same.
package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/notify"
	"github.com/linli/linli/internal/points"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/stories"
	"github.com/linli/linli/internal/tenancy"
)

// Step is one versioned piece of demo data.
type Step struct {
	Name string
	Run  func(ctx context.Context, s *Seeder, tx *db.Tx) error
}

// Seeder carries what steps need.
type Seeder struct {
	DB       *db.DB
	Accounts *accounts.Service
	Tenancy  *tenancy.Store
	Notify   *notify.Service // optional: without it no messages are seeded
	Registry *registry.Service
	Calendar *calendar.Service // working days, for the records' deadlines
	Points   *points.Service   // settles the year's points
	// Activities and Stories run the year of activities; without Stories
	// the stories have no photos.
	Activities *activities.Service
	Stories    *stories.Service
	Requests   *requests.Service // the year of residents' requests
	Anchor     time.Time         // "today" of the demo
	Seed       int64
	Password   string // demo accounts' password

	// Filled by the foundation step, or looked up for later steps.
	StreetID, CommunityID int64
	Grids                 []int64
	Teams, Orgs           map[string]int64

	// Skip names steps not to run (tests that do not need 4,000 residents
	// skip the registry). A skipped step is not recorded as applied.
	Skip map[string]bool

	// Created lists demo logins made in this run (to print once).
	Created []string
}

// Steps in order. Later issues append; a step's name never changes once
// released, or it would run again on existing demo databases.
var Steps = []Step{
	{Name: "2026-11-foundation", Run: foundation},
	{Name: "2026-11-calendar-inbox", Run: calendarAndInbox},
	{Name: RegistryStep, Run: registryStep},
	{Name: VolunteersStep, Run: volunteersStep},
	// Before the hours: the activities' rosters post their own hours,
	// which the hours step then leaves alone and the points step counts.
	{Name: ActivitiesStep, Run: activitiesStep},
	{Name: HoursStep, Run: hoursStep},
	{Name: PointsStep, Run: pointsStep},
	{Name: RequestsStep, Run: requestsStep},
}

// RegistryStep is the name of the step that loads the registry.
const RegistryStep = "2026-11-registry"

// Run applies every step not yet applied.
func (s *Seeder) Run(ctx context.Context) error {
	for _, st := range Steps {
		if s.Skip[st.Name] {
			continue
		}
		var n int
		if err := s.DB.QueryRow(ctx, `SELECT count(*) FROM seed_steps WHERE name = ?`, st.Name).Scan(&n); err != nil {
			return fmt.Errorf("demo: read seed steps: %w", err)
		}
		if n > 0 {
			continue
		}
		err := s.DB.InTx(ctx, func(tx *db.Tx) error {
			if err := st.Run(ctx, s, tx); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO seed_steps (name, applied_at) VALUES (?, ?)`, st.Name, time.Now().UTC())
			return err
		})
		if err != nil {
			return fmt.Errorf("demo: step %s: %w", st.Name, err)
		}
	}
	return nil
}

// GeneratePassword makes a demo password that passes the staff rules
// (upper, lower, digit, symbol) and is easy to type on a phone.
func GeneratePassword() string {
	const lower = "abcdefghjkmnpqrstuvwxyz"
	const digits = "23456789"
	pick := func(set string) byte {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			panic(err)
		}
		return set[n.Int64()]
	}
	b := []byte("Linli-")
	for i := 0; i < 4; i++ {
		b = append(b, pick(lower))
	}
	for i := 0; i < 4; i++ {
		b = append(b, pick(digits))
	}
	return string(b)
}
