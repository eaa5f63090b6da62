// Package hours is the ledger of volunteer service (志愿服务记录): records
// with the statutory fields of 志愿服务记录与证明出具办法 第七条, append-only
// with reversing corrections, back-fills that count once a leader
// confirms them, the 10-working-day recording deadline, flags for review,
// totals, star grades, and the matrix of teams × categories and grids.
//
// Durations are whole minutes. Hours shown are minutes / 60, one decimal.
package hours

import "time"

// How a record was captured.
const (
	CapturedCheckin  = "checkin"  // scanned in and out at an activity
	CapturedRoster   = "roster"   // the organiser's sign-in sheet, entered on the day
	CapturedBackfill = "backfill" // entered afterwards from memory or notes: needs a leader's confirmation
)

// Status of a record as the ledger counts it.
const (
	StatusCounted  = "counted"
	StatusPending  = "pending"  // a back-fill awaiting confirmation
	StatusRefused  = "refused"  // a back-fill the leader refused
	StatusReversed = "reversed" // corrected by a later reversing entry
	StatusReversal = "reversal" // the reversing entry itself
)

// Flags raised for review. A flag does not stop a record from counting;
// it puts it on the review list.
const (
	FlagOverlap   = "overlap"    // overlaps another record of the same person
	FlagOver12    = "over12h"    // more than 12 hours in one day for one person
	FlagBulkRound = "bulk_round" // a bulk back-fill of whole hours
	FlagLate      = "late"       // recorded after the 10-working-day deadline
)

// DueWorkingDays is the recording deadline after the activity (办法 第十一条).
const DueWorkingDays = 10

// MaxPerDay is the most a person plausibly serves in a day.
const MaxPerDay = 12 * 60

// Input records one service, for one or more volunteers (a roster).
type Input struct {
	TeamID         int64    `json:"team_id"`
	ActivityName   string   `json:"activity_name"`
	Date           string   `json:"date"`  // YYYY-MM-DD
	Start          string   `json:"start"` // HH:MM
	End            string   `json:"end"`   // HH:MM
	Hours          *float64 `json:"hours"` // optional; must match start and end
	Place          string   `json:"place"`
	Content        string   `json:"content"`
	Organiser      string   `json:"organiser"`        // default: the community
	PersonInCharge string   `json:"person_in_charge"` // 活动负责人
	Category       string   `json:"category"`         // default: the team's
	Captured       string   `json:"captured"`         // roster (default) or backfill
	ServesKind     string   `json:"serves_kind"`      // activity, request, wish, visit
	ServesID       int64    `json:"serves_id"`
	Volunteers     []int64  `json:"volunteers"`
	// Times gives some volunteers their own start and end (HH:MM) inside
	// Start–End: check-in and check-out times from an activity's roster,
	// where people come late or leave early. Not part of the API's body.
	Times map[int64][2]string `json:"-"`
}

// Record is one ledger entry as shown.
type Record struct {
	ID             int64     `json:"id"`
	VolunteerID    int64     `json:"volunteer_id"`
	Volunteer      string    `json:"volunteer"`
	Number         string    `json:"volunteer_number"`
	TeamID         int64     `json:"team_id,omitempty"`
	Team           string    `json:"team,omitempty"`
	ActivityName   string    `json:"activity_name"`
	Date           string    `json:"date"`
	Start          string    `json:"start"`
	End            string    `json:"end"`
	Minutes        int       `json:"minutes"`
	Hours          float64   `json:"hours"`
	Place          string    `json:"place"`
	Content        string    `json:"content"`
	Organiser      string    `json:"organiser"`
	PersonInCharge string    `json:"person_in_charge"`
	Category       string    `json:"category,omitempty"`
	Captured       string    `json:"captured"`
	ServesKind     string    `json:"serves_kind,omitempty"`
	ServesID       int64     `json:"serves_id,omitempty"`
	RecordedAt     time.Time `json:"recorded_at"`
	DueOn          string    `json:"due_on"`
	Late           bool      `json:"late"`
	Flags          []string  `json:"flags"`
	Status         string    `json:"status"`
	ReversesID     int64     `json:"reverses_id,omitempty"`
	Reason         string    `json:"reason,omitempty"`
}

// Filter selects records.
type Filter struct {
	CommunityID   int64
	VolunteerID   int64
	TeamID        int64
	From, To      string // service dates, inclusive
	Review        bool   // only pending or flagged records
	Limit, Offset int
}

// DefaultStars are the star thresholds in hours (中国社区志愿者注册管理办法
// §18 and most local rules: research/anchors-china.md §4.1).
var DefaultStars = []int{100, 300, 600, 1000, 1500}
