package calendar

import (
	"context"
	"fmt"
	"time"

	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
)

// span is a run of consecutive days of one kind.
type span struct {
	from, to string // inclusive
	kind     Kind
	name     string
}

// china is the State Council's public holiday arrangement (全国年节放假安排)
// for the years Linli ships with. Admins add later years themselves when
// each November's notice comes out (or a release updates this table).
//
// 2025: 国务院办公厅关于2025年部分节假日安排的通知 (November 2024).
// 2026: 国务院办公厅关于2026年部分节假日安排的通知 (4 November 2025,
// published by Xinhua).
var china = []span{
	{"2025-01-01", "2025-01-01", Holiday, "元旦"},
	{"2025-01-26", "2025-01-26", Workday, "春节调休上班"},
	{"2025-01-28", "2025-02-04", Holiday, "春节"},
	{"2025-02-08", "2025-02-08", Workday, "春节调休上班"},
	{"2025-04-04", "2025-04-06", Holiday, "清明节"},
	{"2025-04-27", "2025-04-27", Workday, "劳动节调休上班"},
	{"2025-05-01", "2025-05-05", Holiday, "劳动节"},
	{"2025-05-31", "2025-06-02", Holiday, "端午节"},
	{"2025-09-28", "2025-09-28", Workday, "国庆节、中秋节调休上班"},
	{"2025-10-01", "2025-10-08", Holiday, "国庆节、中秋节"},
	{"2025-10-11", "2025-10-11", Workday, "国庆节、中秋节调休上班"},

	{"2026-01-01", "2026-01-03", Holiday, "元旦"},
	{"2026-01-04", "2026-01-04", Workday, "元旦调休上班"},
	{"2026-02-14", "2026-02-14", Workday, "春节调休上班"},
	{"2026-02-15", "2026-02-23", Holiday, "春节"},
	{"2026-02-28", "2026-02-28", Workday, "春节调休上班"},
	{"2026-04-04", "2026-04-06", Holiday, "清明节"},
	{"2026-05-01", "2026-05-05", Holiday, "劳动节"},
	{"2026-05-09", "2026-05-09", Workday, "劳动节调休上班"},
	{"2026-06-19", "2026-06-21", Holiday, "端午节"},
	{"2026-09-20", "2026-09-20", Workday, "国庆节调休上班"},
	{"2026-09-25", "2026-09-27", Holiday, "中秋节"},
	{"2026-10-01", "2026-10-07", Holiday, "国庆节"},
	{"2026-10-10", "2026-10-10", Workday, "国庆节调休上班"},
}

// ChinaDays expands the built-in arrangement into single days, in order.
func ChinaDays() []Day {
	var out []Day
	for _, sp := range china {
		from, err1 := time.Parse(DateLayout, sp.from)
		to, err2 := time.Parse(DateLayout, sp.to)
		if err1 != nil || err2 != nil || to.Before(from) {
			panic(fmt.Sprintf("calendar: bad span %+v", sp)) // caught by the tests
		}
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			out = append(out, Day{Day: d.Format(DateLayout), Kind: sp.kind, Name: sp.name})
		}
	}
	return out
}

// SeedChina fills a community's calendar with the built-in national
// arrangement (2025 and 2026) on q, in the caller's transaction, and
// returns how many days it added. Days already set are left alone, so it
// can run again without undoing an admin's corrections. The demo seed and
// the creation of a community call it; at is the caller's clock reading.
func SeedChina(ctx context.Context, q db.Querier, communityID int64, at time.Time) (int, error) {
	at = at.UTC().Truncate(time.Microsecond)
	added := 0
	for _, d := range ChinaDays() {
		res, err := q.Exec(ctx, `INSERT INTO calendar_days (community_id, day, kind, name, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT (community_id, day) DO NOTHING`,
			communityID, d.Day, string(d.Kind), d.Name, at)
		if err != nil {
			return added, fmt.Errorf("calendar: seed %s: %w", d.Day, err)
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	if added > 0 {
		err := audit.Record(ctx, q, audit.Entry{At: at, ActorName: "system", CommunityID: communityID,
			Action: "calendar.seed", ObjectType: "calendar_day", Detail: fmt.Sprintf("China 2025-2026: %d days", added)})
		if err != nil {
			return added, err
		}
	}
	return added, nil
}
