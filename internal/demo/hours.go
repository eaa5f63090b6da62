package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/hours"
)

// HoursStep is the name of the step that writes a year of service records.
const HoursStep = "2026-12-hours"

// A session is one service as a team holds it.
type session struct {
	team, name, place, content, category string
	day                                  time.Time // the date, 00:00 Shanghai
	start, end                           string    // HH:MM
	people                               int       // how many members come
	serves                               string
}

// The children's team's monthly themes, January to December, as the
// article describes them (lanterns, drawing, EV3, drowning safety, ...).
var kidsThemes = []struct{ name, content string }{
	{"冬至包饺子·迎新年", "和社区老人一起包饺子，送到独居老人家中"}, {"元宵节做花灯", "用废旧材料制作花灯，在社区广场展出"},
	{"学雷锋小小志愿者", "为楼道擦扶手、清理小广告"}, {"植树护绿", "在平安小区补种树苗、浇水"},
	{"EV3机器人编程", "建胜路小学老师指导搭建和编程EV3机器人"}, {"防溺水安全课", "德仁社工讲解防溺水知识并现场演练"},
	{"暑期绘画课", "以“我的社区”为主题绘画，作品在党群服务中心展出"}, {"垃圾分类小卫士", "在小区垃圾分类点引导居民分类投放"},
	{"中秋月饼DIY", "制作月饼并慰问社区孤寡老人"}, {"国庆手抄报", "制作“我爱我的祖国”手抄报"},
	{"重阳节敬老", "为老人表演节目、送上手工贺卡"}, {"消防安全我知道", "参观消防站，学习火场逃生"},
}

// hoursStep writes about a year of the teams' services into the ledger,
// the way the community would have recorded them: rosters entered within
// a few days, some back-fills (most confirmed, a few still pending), a
// few late ones, two corrections, and 赵建国's door-to-door repairs.
func hoursStep(ctx context.Context, s *Seeder, tx *db.Tx) error {
	if s.Calendar == nil {
		return fmt.Errorf("demo: the hours step needs the calendar service")
	}
	if err := s.ids(ctx, tx); err != nil {
		return err
	}
	cid := s.CommunityID
	rnd := rand.New(rand.NewPCG(uint64(s.Seed), 20261202))
	today := s.Anchor.In(clock.Shanghai)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, clock.Shanghai)
	from := today.AddDate(-1, 0, 0)

	type member struct {
		id     int64
		joined string
		role   string
	}
	teams, err := namedIDs(ctx, tx, `SELECT name, id FROM teams WHERE community_id = ?`, cid)
	if err != nil {
		return err
	}
	members := map[string][]member{}
	leaders := map[string]string{}
	for name, id := range teams {
		rows, err := tx.Query(ctx, `SELECT tm.volunteer_id, tm.joined_on, tm.role, COALESCE(r.name, v.name) FROM team_members tm
			JOIN volunteers v ON v.id = tm.volunteer_id LEFT JOIN residents r ON r.id = v.resident_id
			WHERE tm.team_id = ? AND tm.left_on IS NULL ORDER BY tm.id`, id)
		if err != nil {
			return fmt.Errorf("demo: members: %w", err)
		}
		for rows.Next() {
			var m member
			var who string
			if err := rows.Scan(&m.id, &m.joined, &m.role, &who); err != nil {
				rows.Close()
				return err
			}
			members[name] = append(members[name], m)
			if m.role == "leader" {
				leaders[name] = who
			}
		}
		rows.Close()
	}
	worker, err := accountID(ctx, tx, "worker")
	if err != nil {
		return err
	}
	leaderAcct, err := accountID(ctx, tx, "leader")
	if err != nil {
		return err
	}
	volAcct, err := accountID(ctx, tx, "volunteer")
	if err != nil {
		return err
	}

	// The activities step ran the children's team's year and a few other
	// dates as activities with rosters, and posted their hours from the
	// check-ins: those services are in the ledger already and must not be
	// counted twice. The children's team serves only through its
	// activities; another team's session is left out on a day the team
	// ran an activity.
	ranActivity := map[string]bool{} // team name + date
	kidsActivities := false
	rows, err := tx.Query(ctx, `SELECT t.name, o.starts_at FROM occurrences o JOIN activities a ON a.id = o.activity_id
		JOIN teams t ON t.id = a.team_id WHERE o.community_id = ?`, cid)
	if err != nil {
		return fmt.Errorf("demo: activities: %w", err)
	}
	for rows.Next() {
		var name string
		var at time.Time
		if err := rows.Scan(&name, &at); err != nil {
			rows.Close()
			return err
		}
		ranActivity[name+" "+at.In(clock.Shanghai).Format(time.DateOnly)] = true
		kidsActivities = kidsActivities || name == "五彩益童心梦"
	}
	rows.Close()
	var sessions []session
	add := func(ss session) {
		if (ss.team == "五彩益童心梦" && kidsActivities) || ranActivity[ss.team+" "+ss.day.Format(time.DateOnly)] {
			return
		}
		if !ss.day.Before(from) && ss.day.Before(today) {
			sessions = append(sessions, ss)
		}
	}
	for d := from; d.Before(today); d = d.AddDate(0, 0, 1) {
		wd := d.Weekday()
		next := d.AddDate(0, 0, 7)
		lastSat := wd == time.Saturday && next.Month() != d.Month()
		if lastSat {
			th := kidsThemes[int(d.Month())%12]
			add(session{"五彩益童心梦", th.name, "建胜路社区党群服务中心活动室", th.content, "children", d, "09:00", "11:30", 28, "activity"})
		}
		if wd == time.Tuesday {
			add(session{"晨之美", "清晨环境清洁", "平安小区、建胜里主干道", "清扫落叶、捡拾垃圾", "environment", d, "06:30", "07:30", 8, ""})
		}
		if wd == time.Saturday {
			add(session{"晨之美", "文明劝导", "社区广场、早市", "劝导文明养犬、不乱扔垃圾，宣传垃圾分类", "civic", d, "06:30", "07:30", 8, ""})
		}
		if wd == time.Saturday && !lastSat {
			add(session{"美丽家园", "楼院环境整治", fmt.Sprintf("平安小区%d号楼楼院", 1+rnd.IntN(12)), "清理楼道杂物、修剪绿化带", "environment", d, "08:30", "10:30", 11, ""})
		}
		if wd == time.Monday && d.YearDay()%14 < 7 {
			if d.YearDay()%28 < 14 {
				add(session{"微力无限楼院管家", "楼栋巡查", "各楼栋", "巡查楼道消防通道、照明和漏水", "safety", d, "19:00", "20:00", 30, ""})
			} else {
				add(session{"微力无限楼院管家", "民意收集", "各楼栋", "逐户听取居民意见，收集诉求转社区", "community", d, "19:00", "20:00", 30, ""})
			}
		}
		if wd == time.Wednesday && d.Day() >= 8 && d.Day() <= 14 {
			add(session{"五彩益惠民购", "惠民团购日", "社区广场", "组织平价蔬菜、粮油进社区，帮老人搬运", "convenience", d, "09:00", "11:00", 10, ""})
		}
		if wd == time.Tuesday {
			add(session{"五彩益家亲", "独居老人探访", "独居老人家中", "上门陪伴聊天、检查水电燃气安全", "elderly", d, "15:00", "16:00", 3, "visit"})
		}
		if wd == time.Thursday {
			add(session{"五彩益家亲", "助残探访", "残疾人家庭", "帮助代购代办、陪同就医", "disabled", d, "15:00", "16:30", 3, "visit"})
		}
		if d.Day() == 10 {
			add(session{"五彩益健康团", "社区义诊", "社区卫生服务站", "测血压血糖、健康咨询，桥西区人民医院医生参加", "health", d, "08:30", "11:30", 9, "activity"})
			if d.Month()%3 == 0 {
				add(session{"五彩益健康团", "老年人健康讲座", "党群服务中心", "讲解慢病用药和防跌倒", "elderly", d, "14:30", "16:00", 5, "activity"})
			}
		}
		if wd == time.Wednesday && d.Month() != time.August && d.Month() != time.February {
			add(session{"五彩益生活", "老年人智能手机课", "党群服务中心电脑室", "教老人用微信视频、扫码支付、防范诈骗", "education", d, "14:30", "16:00", 4, "activity"})
		}
		if d.Day() == 1 || (wd == time.Saturday && d.Day() <= 7 && d.Month()%3 == 0) {
			cat, name, content := "civic", "主题党日志愿服务", "学习宣讲后到小区开展志愿服务"
			if d.Month()%2 == 0 {
				cat, name, content = "safety", "平安巡逻", "夜间巡查小区电动车充电和消防隐患"
			}
			add(session{"五彩益先锋团", name, "建胜路社区", content, cat, d, "15:00", "17:00", 18, ""})
		}
		if wd == time.Friday && d.Day() > 21 {
			add(session{"五彩益艺舞团", "社区文艺演出", "社区广场", "为居民演出广场舞、合唱", "culture", d, "19:00", "20:30", 14, "activity"})
		}
		if wd == time.Saturday && d.Day() <= 7 {
			add(session{"社区能人先锋队", "集中维修日", "社区广场", "免费维修小家电、自行车，磨剪子", "convenience", d, "09:00", "12:00", 8, ""})
		}
	}
	// Snow: the children shovel snow after the year's biggest snowfall,
	// as in the article; the party members too.
	snow := time.Date(from.Year()+1, 1, 11, 0, 0, 0, 0, clock.Shanghai)
	if snow.After(today) {
		snow = snow.AddDate(-1, 0, 0)
	}
	add(session{"五彩益童心梦", "雪后扫雪", "平安小区主干道", "大雪后帮老人清扫单元门口积雪", "emergency", snow, "09:00", "10:30", 15, ""})
	add(session{"五彩益先锋团", "雪后扫雪", "建胜路社区", "清扫主干道和单元门口积雪", "emergency", snow, "07:30", "09:30", 20, ""})

	dues := map[string]string{}
	dueOf := func(day time.Time) (string, error) {
		k := day.Format(time.DateOnly)
		if d, ok := dues[k]; ok {
			return d, nil
		}
		due, err := s.Calendar.AddWorkingDays(ctx, cid, day, 10)
		if err != nil {
			return "", err
		}
		dues[k] = due.In(clock.Shanghai).Format(time.DateOnly)
		return dues[k], nil
	}
	organiser := "建胜路社区居民委员会"
	var batchN int
	var firstRecords []int64
	record := func(ss session, team int64, vids []int64, captured string, recordedBy int64, recordedAt time.Time) ([]int64, error) {
		batchN++
		sum := sha256.Sum256(fmt.Appendf(nil, "demo-batch-%d-%d", s.Seed, batchN))
		batch := hex.EncodeToString(sum[:8])
		st, _ := time.ParseInLocation("2006-01-02 15:04", ss.day.Format(time.DateOnly)+" "+ss.start, clock.Shanghai)
		en, _ := time.ParseInLocation("2006-01-02 15:04", ss.day.Format(time.DateOnly)+" "+ss.end, clock.Shanghai)
		minutes := int(en.Sub(st) / time.Minute)
		date := ss.day.Format(time.DateOnly)
		due, err := dueOf(ss.day)
		if err != nil {
			return nil, err
		}
		late := recordedAt.In(clock.Shanghai).Format(time.DateOnly) > due
		flags := ""
		if late {
			flags = "late"
		}
		org := organiser
		if ss.team == "五彩益童心梦" {
			org += "、德仁社会工作服务中心"
		}
		var ids []int64
		for _, v := range vids {
			var id int64
			err := tx.QueryRow(ctx, `INSERT INTO service_records (community_id, volunteer_id, team_id, activity_name, service_date, place, content,
				started_at, ended_at, minutes, organiser, person_in_charge, category, captured, serves_kind, batch, recorded_by, recorded_at, due_on, late, flags)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				cid, v, nullable(team), ss.name, date, ss.place, ss.content, st.UTC(), en.UTC(), minutes, org, leaders[ss.team],
				ss.category, captured, ss.serves, batch, recordedBy, recordedAt, due, late, flags).Scan(&id)
			if err != nil {
				return nil, fmt.Errorf("demo: record: %w", err)
			}
			if captured != "backfill" {
				if err := hours.Rollup(ctx, tx, cid, v, team, ss.category, date, minutes, 1); err != nil {
					return nil, err
				}
			}
			ids = append(ids, id)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO record_batches (batch, community_id, team_id, category, activity_name, service_date, people, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, batch, cid, nullable(team), ss.category, ss.name, date, len(ids), recordedAt); err != nil {
			return nil, fmt.Errorf("demo: batch: %w", err)
		}
		return ids, nil
	}

	slices.SortStableFunc(sessions, func(a, b session) int { return a.day.Compare(b.day) })
	for _, ss := range sessions {
		team := teams[ss.team]
		date := ss.day.Format(time.DateOnly)
		var present []int64
		var leaderID int64
		for _, m := range members[ss.team] {
			if m.joined > date {
				continue
			}
			if m.role == "leader" {
				leaderID = m.id
			} else {
				present = append(present, m.id)
			}
		}
		rnd.Shuffle(len(present), func(i, j int) { present[i], present[j] = present[j], present[i] })
		n := ss.people - 1 + rnd.IntN(3) - 1
		present = present[:max(0, min(len(present), n))]
		if leaderID != 0 {
			present = append([]int64{leaderID}, present...)
		}
		if len(present) == 0 {
			continue
		}
		by := worker
		if ss.team == "五彩益童心梦" {
			by = leaderAcct
		}
		captured := "roster"
		at := ss.day.Add(time.Duration(18+rnd.IntN(3))*time.Hour).AddDate(0, 0, rnd.IntN(4))
		switch r := rnd.IntN(100); {
		case r < 4:
			// Entered weeks later from the paper sign-in sheet: late.
			at = ss.day.AddDate(0, 0, 16+rnd.IntN(10)).Add(10 * time.Hour)
		case r < 9:
			captured = "backfill"
			at = ss.day.AddDate(0, 0, 3+rnd.IntN(5)).Add(16 * time.Hour)
		}
		if ss.team == "美丽家园" && ss.day.After(today.AddDate(0, 0, -8)) {
			// Last Saturday's sheet was entered by the office afterwards:
			// it waits for the team leader's confirmation.
			captured, at = "backfill", ss.day.AddDate(0, 0, 2).Add(10*time.Hour)
		}
		if !at.Before(s.Anchor) {
			at = s.Anchor.Add(-time.Hour)
		}
		ids, err := record(ss, team, present, captured, by, at.UTC())
		if err != nil {
			return err
		}
		if captured == "backfill" && at.Before(today.AddDate(0, 0, -14)) {
			// Older back-fills were confirmed by the leader (or the office
			// for the leader's own entries); recent ones still wait.
			decider := leaderAcct
			if by == leaderAcct {
				decider = worker
			}
			for _, id := range ids {
				if _, err := tx.Exec(ctx, `INSERT INTO record_decisions (community_id, record_id, decision, decided_by, decided_at) VALUES (?, ?, 'confirm', ?, ?)`,
					cid, id, decider, at.Add(48*time.Hour).UTC()); err != nil {
					return fmt.Errorf("demo: decision: %w", err)
				}
				if err := demoRollupOf(ctx, tx, id); err != nil {
					return err
				}
			}
		}
		if len(firstRecords) < 2 && captured == "roster" && len(ids) > 3 {
			firstRecords = append(firstRecords, ids[len(ids)-1])
		}
	}
	// 赵建国 goes door to door: kettles, washing machines, a heating pipe.
	var zhao int64
	if err := tx.QueryRow(ctx, `SELECT id FROM volunteers WHERE account_id = ?`, volAcct).Scan(&zhao); err != nil {
		return fmt.Errorf("demo: 赵建国: %w", err)
	}
	repairs := []struct{ name, content, category string }{
		{"上门修电水壶", "为行动不便的老人更换电水壶温控器", "elderly"}, {"上门修洗衣机", "更换洗衣机进水阀", "convenience"},
		{"上门检查线路", "排查老旧线路、更换插座", "safety"}, {"上门修暖气", "暖气管道漏水，临时处置并联系供热公司", "emergency"},
		{"上门修台灯", "更换开关和灯头", "convenience"}, {"上门修电视", "调试机顶盒、更换遥控器电池", "elderly"},
	}
	for d := from.AddDate(0, 0, 2); d.Before(today); d = d.AddDate(0, 0, 3+rnd.IntN(5)) {
		rp := repairs[rnd.IntN(len(repairs))]
		if rp.category == "emergency" && d.Month() > 3 && d.Month() < 11 {
			rp = repairs[0]
		}
		h := 9 + rnd.IntN(8)
		ss := session{"社区能人先锋队", rp.name, "居民家中", rp.content, rp.category, d, fmt.Sprintf("%02d:00", h), fmt.Sprintf("%02d:%02d", h+1, 30*rnd.IntN(2)), 1, "visit"}
		if _, err := record(ss, teams["社区能人先锋队"], []int64{zhao}, "roster", volAcct, d.Add(21*time.Hour).UTC()); err != nil {
			return err
		}
	}
	// Two corrections, as any real ledger has.
	for i, id := range firstRecords {
		reason := []string{"当天请假未到，误登记", "重复登记"}[i]
		var vid, team int64
		var minutes int
		var category, date string
		if err := tx.QueryRow(ctx, `SELECT volunteer_id, team_id, minutes, category, service_date FROM service_records WHERE id = ?`, id).
			Scan(&vid, &team, &minutes, &category, &date); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO service_records (community_id, volunteer_id, team_id, activity_name, service_date, place, content,
			started_at, ended_at, minutes, organiser, person_in_charge, category, captured, serves_kind, serves_id, batch, recorded_by, recorded_at,
			due_on, late, flags, reverses_id, reason)
			SELECT community_id, volunteer_id, team_id, activity_name, service_date, place, content, started_at, ended_at, -minutes, organiser,
			person_in_charge, category, captured, serves_kind, serves_id, batch, ?, recorded_at, due_on, ?, '', id, ? FROM service_records WHERE id = ?`,
			worker, false, reason, id); err != nil {
			return fmt.Errorf("demo: reversal: %w", err)
		}
		if err := hours.Rollup(ctx, tx, cid, vid, team, category, date, -minutes, -1); err != nil {
			return err
		}
	}
	return nil
}

// demoRollupOf counts a confirmed back-fill.
func demoRollupOf(ctx context.Context, tx *db.Tx, id int64) error {
	var cid, vid, team int64
	var minutes int
	var category, date string
	if err := tx.QueryRow(ctx, `SELECT community_id, volunteer_id, team_id, minutes, category, service_date FROM service_records WHERE id = ?`, id).
		Scan(&cid, &vid, &team, &minutes, &category, &date); err != nil {
		return fmt.Errorf("demo: confirmed record: %w", err)
	}
	return hours.Rollup(ctx, tx, cid, vid, team, category, date, minutes, 1)
}
