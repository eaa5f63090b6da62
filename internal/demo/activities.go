package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/stories"
)

// ActivitiesStep is the name of the step that runs a year of activities.
const ActivitiesStep = "2026-12-activities"

// KidsSeriesTitle names the children's team's monthly series.
const KidsSeriesTitle = "五彩益童心梦·月末活动"

// The managed list of places, with how many people each holds.
var demoPlaces = []struct {
	name     string
	capacity int
}{
	{"社区活动室", 60}, {"建胜路小学", 300}, {"党群服务中心电脑室", 20}, {"社区广场", 500}, {"平安小区主干道", 0},
}

// 元宵节 (the 15th of the first lunar month) by Gregorian year.
var lanternFestival = map[int]string{2024: "2024-02-24", 2025: "2025-02-12", 2026: "2026-03-03", 2027: "2027-02-20", 2028: "2028-02-09"}

// How a monthly story ends: what the organiser adds after the theme.
var storyEndings = []string{
	"活动结束后，孩子们一起把活动室打扫得干干净净。",
	"刘静队长为表现突出的小志愿者贴上了“志愿之星”贴纸。",
	"德仁社工带着大家做了活动分享，约好下个月再见。",
	"几位第一次来的小朋友在老队员的带领下很快熟悉起来。",
	"家长志愿者全程看护，活动安全顺利。",
	"孩子们说，下次还想带上小伙伴一起来。",
}

// seedRun carries one run of the activities step.
type seedRun struct {
	s       *Seeder
	tx      *db.Tx
	rnd     *rand.Rand
	cid     int64
	members map[int64][]member // by team
	photos  []demoPhotoJob     // drawn and stored side by side at the end
}

// demoPhotoJob is one photo a story gets.
type demoPhotoJob struct {
	story  int64
	seed   uint64
	label  string
	people []int64
	by     int64
	at     time.Time
}

type member struct {
	id           int64
	joined, left string
	role         string
	accompanied  bool
	child        bool
	account      int64
}

// activitiesStep gives the demo community its activities: the children's
// team on the last Saturday of every month in the activity room, from a
// year back and on for twelve months, and a few others — the lantern
// evening at 元宵, a drowning-safety class in summer, a weekly
// smartphone class for older residents for a while, snow clearing after
// the big snow. Every past date has its sign-ups, a believable attendance
// (not everyone comes), hours credited from the check-ins and posted to
// the ledger through activities (so the hours step leaves these dates
// alone), and — for the children's team and the one-offs — a story.
func activitiesStep(ctx context.Context, s *Seeder, tx *db.Tx) error {
	if s.Activities == nil {
		return fmt.Errorf("demo: the activities step needs the activities service")
	}
	if err := s.ids(ctx, tx); err != nil {
		return err
	}
	cid := s.CommunityID
	now := s.Anchor.UTC()
	today := s.Anchor.In(clock.Shanghai)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, clock.Shanghai)
	run := &seedRun{s: s, tx: tx, rnd: rand.New(rand.NewPCG(uint64(s.Seed), 20261204)), cid: cid, members: map[int64][]member{}}

	places := map[string]int64{}
	for _, p := range demoPlaces {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO places (community_id, name, capacity, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			cid, p.name, p.capacity, now).Scan(&id); err != nil {
			return fmt.Errorf("demo: place: %w", err)
		}
		places[p.name] = id
	}
	teams, err := namedIDs(ctx, tx, `SELECT name, id FROM teams WHERE community_id = ?`, cid)
	if err != nil {
		return err
	}
	orgs, err := namedIDs(ctx, tx, `SELECT name, id FROM organisations WHERE community_id = ?`, cid)
	if err != nil {
		return err
	}
	leader, err := s.principal(ctx, "leader")
	if err != nil {
		return err
	}
	worker, err := s.principal(ctx, "worker")
	if err != nil {
		return err
	}
	if err := run.photoConsents(ctx, teams["五彩益童心梦"]); err != nil {
		return err
	}

	// The children's team: the last Saturday of every month, from the
	// first one a year back.
	first := today.AddDate(-1, 0, 0)
	for !(first.Weekday() == time.Saturday && first.AddDate(0, 0, 7).Month() != first.Month()) {
		first = first.AddDate(0, 0, 1)
	}
	kids := teams["五彩益童心梦"]
	series, err := activities.CreateTx(ctx, tx, cid, activities.Input{Title: KidsSeriesTitle,
		Description: "5-14岁少年儿童志愿服务队的月度活动，每月一个主题，家长可陪同参加。", Kind: "series", TeamID: kids,
		Organisations: []int64{orgs["德仁社会工作服务中心"], orgs["建胜路小学"]}, PlaceID: places["社区活动室"], Category: "children",
		Tasks: "小志愿者在社工和家长志愿者带领下开展手工、宣传和敬老服务", Risks: "剪刀、热熔胶枪等手工工具；外出活动的交通安全",
		Protection: "社工和家长志愿者全程看护，10岁以下儿童由监护人陪同，已购买活动意外险", Insurance: "团体意外险（德仁社工代办）",
		OpenTo: "team", Capacity: 45, DeadlineHours: 24, Visibility: "public",
		Start: first.Format("2006-01-02") + "T09:00", End: first.Format("2006-01-02") + "T11:30", RRule: "FREQ=MONTHLY;BYDAY=-1SA"}, leader.AccountID, now)
	if err != nil {
		return err
	}
	if err := run.replaceDirect(ctx, kids, "", worker.AccountID); err != nil {
		return err
	}
	for _, o := range series.Occurrences {
		if !o.End.Before(now) {
			break
		}
		theme := kidsThemes[int(o.Start.In(clock.Shanghai).Month())%12]
		_, came, err := run.roster(ctx, o, kids, 75, 88, 45, leader)
		if err != nil {
			return err
		}
		if err := run.post(ctx, o, kids, leader); err != nil {
			return err
		}
		summary := fmt.Sprintf("本月主题：%s。%s。%s", theme.name, theme.content, storyEndings[run.rnd.IntN(len(storyEndings))])
		if err := run.story(ctx, o, summary, leader, came, theme.name); err != nil {
			return err
		}
	}

	// The others: one-offs and a short weekly series.
	day := func(d time.Time, hm string) string { return d.Format("2006-01-02") + "T" + hm }
	type oneOff struct {
		in               activities.Input
		signPct, comePct int
		story            string
		organiser        *accounts.Principal
		photoTitle       string
	}
	var others []oneOff
	for y := today.Year() - 1; y <= today.Year(); y++ {
		if d, ok := lanternFestival[y]; ok {
			t, _ := time.ParseInLocation(time.DateOnly, d, clock.Shanghai)
			if !t.Before(today.AddDate(-1, 0, 0)) && t.Before(today) {
				others = append(others, oneOff{in: activities.Input{Title: "元宵节花灯制作晚会", Description: "居民和志愿者一起扎花灯、猜灯谜",
					TeamID: teams["五彩益艺舞团"], PlaceID: places["社区活动室"], Category: "culture", Tasks: "准备材料、教居民扎花灯、组织猜灯谜",
					Risks: "剪刀和蜡烛", Protection: "用LED灯代替蜡烛，志愿者看护", OpenTo: "residents", WalkIns: true, Capacity: 40, Visibility: "public",
					Start: day(t, "18:30"), End: day(t, "20:30")}, signPct: 80, comePct: 90, organiser: worker, photoTitle: "花灯",
					story: "元宵节晚上，社区活动室里挂满了居民亲手做的花灯。艺舞团的志愿者教大家扎兔子灯、荷花灯，猜灯谜的队伍排到了门口。"})
			}
		}
	}
	july := time.Date(today.Year(), 7, 1, 0, 0, 0, 0, clock.Shanghai)
	if !july.Before(today) {
		july = july.AddDate(-1, 0, 0)
	}
	for july.Weekday() != time.Saturday || july.Day() <= 7 {
		july = july.AddDate(0, 0, 1) // the second Saturday of July
	}
	others = append(others, oneOff{in: activities.Input{Title: "暑期防溺水安全课", Description: "暑假前为社区儿童讲解防溺水知识",
		TeamID: teams["五彩益健康团"], Organisations: []int64{orgs["建胜路小学"], orgs["德仁社会工作服务中心"]}, PlaceID: places["建胜路小学"],
		Category: "health", Tasks: "讲解防溺水“六不”，演示心肺复苏", Risks: "无下水环节", Protection: "在教室内进行", OpenTo: "team", Capacity: 30,
		Visibility: "public", Start: day(july, "09:30"), End: day(july, "11:00")}, signPct: 70, comePct: 90, organiser: worker, photoTitle: "安全课",
		story: "健康团的医护志愿者在建胜路小学给孩子们上了防溺水安全课，讲了“六不”要求，还手把手演示了心肺复苏。"})
	snow := time.Date(today.Year(), 1, 11, 0, 0, 0, 0, clock.Shanghai)
	if snow.After(today) {
		snow = snow.AddDate(-1, 0, 0)
	}
	others = append(others, oneOff{in: activities.Input{Title: "雪后扫雪", Description: "大雪后清扫主干道和单元门口积雪",
		TeamID: teams["五彩益先锋团"], PlaceID: places["平安小区主干道"], Category: "emergency", Tasks: "清扫主干道和单元门口积雪，帮老人出行",
		Risks: "路面湿滑", Protection: "配发防滑鞋套和手套", OpenTo: "volunteers", Capacity: 60, Visibility: "public",
		Start: day(snow, "07:30"), End: day(snow, "09:30")}, signPct: 45, comePct: 95, organiser: worker, photoTitle: "扫雪",
		story: "一夜大雪后，先锋团的党员志愿者一早就到了平安小区，清出了主干道和各单元门口的通道，还帮独居老人把垃圾送到了楼下。"})
	for _, x := range others {
		sd, err := activities.CreateTx(ctx, tx, cid, x.in, x.organiser.AccountID, now)
		if err != nil {
			return err
		}
		o := sd.Occurrences[0]
		came, _, err := run.roster(ctx, o, x.in.TeamID, x.signPct, x.comePct, x.in.Capacity, x.organiser)
		if err != nil {
			return err
		}
		if came == 0 {
			continue
		}
		if err := run.post(ctx, o, x.in.TeamID, x.organiser); err != nil {
			return err
		}
		if err := run.story(ctx, o, x.story, x.organiser, nil, x.photoTitle); err != nil {
			return err
		}
	}
	// The smartphone class for older residents: ten Wednesdays this autumn.
	wed := today.AddDate(0, 0, -7*11)
	for wed.Weekday() != time.Wednesday {
		wed = wed.AddDate(0, 0, 1)
	}
	phone, err := activities.CreateTx(ctx, tx, cid, activities.Input{Title: "老年人智能手机课", Description: "每周三下午，教老人用微信视频、扫码支付、防范诈骗",
		TeamID: teams["五彩益生活"], PlaceID: places["党群服务中心电脑室"], Category: "education", Tasks: "一对一教老人用手机",
		Risks: "无", Protection: "室内进行", OpenTo: "team", Capacity: 12, Visibility: "public",
		Start: day(wed, "14:30"), End: day(wed, "16:00"), RRule: "FREQ=WEEKLY;BYDAY=WE;COUNT=10"}, worker.AccountID, now)
	if err != nil {
		return err
	}
	for _, o := range phone.Occurrences {
		if !o.End.Before(now) {
			break
		}
		came, _, err := run.roster(ctx, o, teams["五彩益生活"], 35, 90, 12, worker)
		if err != nil {
			return err
		}
		if came > 0 {
			if err := run.post(ctx, o, teams["五彩益生活"], worker); err != nil {
				return err
			}
		}
	}
	return run.storePhotos(ctx)
}

// replaceDirect corrects a demo database seeded before this step existed,
// whose hours step recorded the children's team's services (and other
// teams' services on the days now run as activities) straight into the
// ledger: each such record is reversed, as an office would correct a
// double entry, so the rosters' hours are the only ones that count. On a
// database seeded in order there is nothing to reverse.
// The records are those of team (on date, unless it is empty); it runs
// before the day's hours are posted, which would otherwise meet the old
// records as duplicates.
func (r *seedRun) replaceDirect(ctx context.Context, team int64, date string, by int64) error {
	rows, err := r.tx.Query(ctx, `SELECT r.id, r.volunteer_id, r.team_id, r.minutes, r.category, r.service_date,
		CASE WHEN r.captured <> 'backfill' OR EXISTS (SELECT 1 FROM record_decisions d WHERE d.record_id = r.id AND d.decision = 'confirm') THEN 1 ELSE 0 END
		FROM service_records r WHERE r.community_id = ? AND r.team_id = ? AND (r.service_date = ? OR ? = '')
		AND r.serves_id IS NULL AND r.reverses_id IS NULL AND NOT EXISTS (SELECT 1 FROM service_records x WHERE x.reverses_id = r.id)
		ORDER BY r.id`, r.cid, team, date, date)
	if err != nil {
		return fmt.Errorf("demo: records to replace: %w", err)
	}
	type rec struct {
		id, vid, team    int64
		minutes, counted int
		category, date   string
	}
	var recs []rec
	for rows.Next() {
		var x rec
		if err := rows.Scan(&x.id, &x.vid, &x.team, &x.minutes, &x.category, &x.date, &x.counted); err != nil {
			rows.Close()
			return err
		}
		recs = append(recs, x)
	}
	rows.Close()
	for _, x := range recs {
		if _, err := r.tx.Exec(ctx, `INSERT INTO service_records (community_id, volunteer_id, team_id, activity_name, service_date, place, content,
			started_at, ended_at, minutes, organiser, person_in_charge, category, captured, serves_kind, serves_id, batch, recorded_by, recorded_at,
			due_on, late, flags, reverses_id, reason)
			SELECT community_id, volunteer_id, team_id, activity_name, service_date, place, content, started_at, ended_at, -minutes, organiser,
			person_in_charge, category, captured, serves_kind, serves_id, batch, ?, ?, due_on, ?, '', id, ? FROM service_records WHERE id = ?`,
			by, r.s.Anchor.UTC(), false, "与活动签到记录重复，以签到记录为准", x.id); err != nil {
			return fmt.Errorf("demo: reverse a double entry: %w", err)
		}
		if x.counted == 1 {
			if err := hours.Rollup(ctx, r.tx, r.cid, x.vid, x.team, x.category, x.date, -x.minutes, -1); err != nil {
				return err
			}
		}
	}
	return nil
}

// principal acts as a demo login, as a session of it would.
func (s *Seeder) principal(ctx context.Context, username string) (*accounts.Principal, error) {
	a, err := s.Accounts.FindByUsername(ctx, username)
	if err != nil {
		return nil, fmt.Errorf("demo: login %s: %w", username, err)
	}
	return &accounts.Principal{AccountID: a.ID, Username: a.Username, DisplayName: a.DisplayName, Grants: a.Grants,
		SessionKind: accounts.KindWeb, RequestID: "demo-seed"}, nil
}

// photoConsents: most guardians of the children's team have signed the
// photo consent; a few have not, so their children's photos stay with
// the office.
func (r *seedRun) photoConsents(ctx context.Context, team int64) error {
	rows, err := r.tx.Query(ctx, `SELECT c.volunteer_id, c.given_on, c.recorded_at FROM consents c JOIN team_members tm ON tm.volunteer_id = c.volunteer_id
		WHERE tm.team_id = ? AND c.kind = 'guardian' AND c.withdrawn_at IS NULL ORDER BY c.volunteer_id`, team)
	if err != nil {
		return fmt.Errorf("demo: guardian consents: %w", err)
	}
	type given struct {
		vid int64
		on  string
		at  time.Time
	}
	var all []given
	for rows.Next() {
		var g given
		if err := rows.Scan(&g.vid, &g.on, &g.at); err != nil {
			rows.Close()
			return err
		}
		all = append(all, g)
	}
	rows.Close()
	for _, g := range all {
		if r.rnd.IntN(100) >= 85 {
			continue
		}
		if _, err := r.tx.Exec(ctx, `INSERT INTO consents (community_id, volunteer_id, kind, scope, given_on, given_by, recorded_at) VALUES (?, ?, 'photo', ?, ?, 'guardian', ?)`,
			r.cid, g.vid, "同意在社区活动故事中公开使用孩子的活动照片", g.on, g.at); err != nil {
			return fmt.Errorf("demo: photo consent: %w", err)
		}
	}
	return nil
}

// teamMembers loads a team's memberships once.
func (r *seedRun) teamMembers(ctx context.Context, team int64) ([]member, error) {
	if ms, ok := r.members[team]; ok {
		return ms, nil
	}
	rows, err := r.tx.Query(ctx, `SELECT tm.volunteer_id, tm.joined_on, COALESCE(tm.left_on, ''), tm.role, tm.accompanied,
		EXISTS (SELECT 1 FROM consents g WHERE g.volunteer_id = tm.volunteer_id AND g.kind = 'guardian'), COALESCE(v.account_id, 0)
		FROM team_members tm JOIN volunteers v ON v.id = tm.volunteer_id WHERE tm.team_id = ? AND v.status = 'active' ORDER BY tm.id`, team)
	if err != nil {
		return nil, fmt.Errorf("demo: members: %w", err)
	}
	defer rows.Close()
	var out []member
	for rows.Next() {
		var m member
		if err := rows.Scan(&m.id, &m.joined, &m.left, &m.role, &m.accompanied, &m.child, &m.account); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	r.members[team] = out
	return out, rows.Err()
}

// roster signs up signPct% of the team's members of the day (its leaders
// always), up to capacity, as the organiser does a few days before, and
// checks in comePct% of them — children ticked on the roster, people
// with the app by the QR code — then checks everyone out at the end, a
// few having left early. It returns how many came, and the children.
func (r *seedRun) roster(ctx context.Context, o activities.SeededOccurrence, team int64, signPct, comePct, capacity int, by *accounts.Principal) (int, []int64, error) {
	ms, err := r.teamMembers(ctx, team)
	if err != nil {
		return 0, nil, err
	}
	date := o.Start.In(clock.Shanghai).Format(time.DateOnly)
	var signed []member
	for _, m := range ms {
		if m.joined > date || (m.left != "" && m.left <= date) || len(signed) == capacity {
			continue
		}
		if m.role == "leader" || r.rnd.IntN(100) < signPct {
			signed = append(signed, m)
		}
	}
	var children []int64
	came := 0
	for i, m := range signed {
		at := o.Start.AddDate(0, 0, -2-r.rnd.IntN(8)).Add(time.Duration(r.rnd.IntN(600)) * time.Minute)
		if _, err := r.tx.Exec(ctx, `INSERT INTO signups (community_id, occurrence_id, volunteer_id, status, position, accompanied, signed_by, created_at, changed_at)
			VALUES (?, ?, ?, 'signed', 0, ?, ?, ?, ?)`, r.cid, o.ID, m.id, m.accompanied, by.AccountID, at.UTC(), at.UTC()); err != nil {
			return 0, nil, fmt.Errorf("demo: sign-up: %w", err)
		}
		if m.role != "leader" && r.rnd.IntN(100) >= comePct {
			continue // signed up, did not come
		}
		how, byAcct := activities.ByRoster, by.AccountID
		if m.account != 0 && !m.child {
			how, byAcct = activities.ByQR, m.account
		}
		in := o.Start.Add(time.Duration(r.rnd.IntN(25)-15) * time.Minute)
		out := o.End.Add(time.Duration(5+r.rnd.IntN(10)) * time.Minute)
		if i > 0 && r.rnd.IntN(100) < 8 {
			out = o.End.Add(-time.Duration(30+r.rnd.IntN(30)) * time.Minute) // left early
		}
		if _, err := r.tx.Exec(ctx, `INSERT INTO checkins (community_id, occurrence_id, volunteer_id, how, checked_in_at, checked_out_at, by_account) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.cid, o.ID, m.id, how, in.UTC(), out.UTC(), byAcct); err != nil {
			return 0, nil, fmt.Errorf("demo: check-in: %w", err)
		}
		came++
		if m.child {
			children = append(children, m.id)
		}
	}
	if _, err := r.tx.Exec(ctx, `UPDATE occurrences SET signed = ? WHERE id = ?`, len(signed), o.ID); err != nil {
		return 0, nil, fmt.Errorf("demo: places taken: %w", err)
	}
	return came, children, nil
}

// post credits the attendance (rounded down to 15 minutes) and posts it
// to the ledger through activities, that evening, after reversing any
// record of the team's day an older seed made directly.
func (r *seedRun) post(ctx context.Context, o activities.SeededOccurrence, team int64, by *accounts.Principal) error {
	sh := o.Start.In(clock.Shanghai)
	at := time.Date(sh.Year(), sh.Month(), sh.Day(), 20, 30, 0, 0, clock.Shanghai)
	if err := r.replaceDirect(ctx, team, sh.Format(time.DateOnly), by.AccountID); err != nil {
		return err
	}
	if _, err := r.s.Activities.PostHoursTx(ctx, r.tx, by, o.ID, 15, at); err != nil {
		return fmt.Errorf("demo: post hours of %s: %w", o.Start.Format(time.DateOnly), err)
	}
	return nil
}

// story publishes the day's story that evening, with one photo the seed
// draws itself, showing a few of the children who came (so some photos
// wait for a guardian's consent and stay with the office).
func (r *seedRun) story(ctx context.Context, o activities.SeededOccurrence, summary string, by *accounts.Principal, children []int64, label string) error {
	sh := o.Start.In(clock.Shanghai)
	at := time.Date(sh.Year(), sh.Month(), sh.Day(), 21, 0, 0, 0, clock.Shanghai)
	id, err := stories.Publish(ctx, r.tx, r.cid, o.ID, summary, by.AccountID, at)
	if err != nil {
		return err
	}
	if r.s.Stories == nil {
		return nil
	}
	var shown []int64
	if len(children) > 0 {
		n := min(len(children), 2+r.rnd.IntN(3))
		for _, i := range r.rnd.Perm(len(children))[:n] {
			shown = append(shown, children[i])
		}
	}
	r.photos = append(r.photos, demoPhotoJob{story: id, seed: uint64(r.s.Seed)<<20 | uint64(o.ID), label: label, people: shown, by: by.AccountID, at: at})
	return nil
}

// storePhotos draws and stores the stories' photos side by side (each
// file is synced to disk, which is most of the cost), then records them
// on the step's transaction in order. A file of a failed step is left
// behind unnamed: harmless, and the next run draws new ones.
func (r *seedRun) storePhotos(ctx context.Context) error {
	type stored struct {
		name string
		size int64
		w, h int
		err  error
	}
	out := make([]stored, len(r.photos))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, j := range r.photos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			jpg, w, h, err := demoPhoto(j.seed, j.label)
			if err == nil {
				out[i].name, out[i].size, err = r.s.Stories.StorePhoto(ctx, jpg)
			}
			out[i].w, out[i].h, out[i].err = w, h, err
		}()
	}
	wg.Wait()
	for i, j := range r.photos {
		if out[i].err != nil {
			return out[i].err
		}
		if _, err := stories.RecordPhoto(ctx, r.tx, r.cid, j.story, out[i].name, out[i].size, out[i].w, out[i].h, j.people, j.by, j.at); err != nil {
			return err
		}
	}
	return nil
}
