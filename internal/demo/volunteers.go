package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/idcard"
	"github.com/linli/linli/internal/registry"
)

// VolunteersStep is the name of the step that builds the volunteer matrix.
const VolunteersStep = "2026-12-volunteers"

// The teams as the article describes them: category, founding date, when
// they meet, the ages they take, how many members, and the skills their
// members bring. The children's team takes 5-14 (its own range overrides
// the community's minimum of 6).
var teamPlan = []struct {
	name, category, founded, meets string
	minAge, maxAge                 int // 0: no range of its own
	adults, children               int
	skills                         []string
	backers                        []string
}{
	{"五彩益童心梦", "children", "2018-06-01", "每月最后一个周六上午9:00，社区活动室", 5, 14, 6, 40,
		[]string{"绘画", "编程", "手工"}, []string{"德仁社会工作服务中心", "建胜路小学"}},
	{"晨之美", "environment", "2019-03-12", "每天早上6:30，各小区门口", 0, 0, 30, 0, nil, []string{"平安物业服务中心（红色物业）"}},
	{"美丽家园", "environment", "2019-05-20", "每周六上午，轮流到各楼院", 0, 0, 36, 0, []string{"园艺"}, []string{"平安物业服务中心（红色物业）"}},
	{"微力无限楼院管家", "community", "2020-04-08", "楼栋长每周巡楼一次", 0, 0, 56, 0, nil, []string{"平安物业服务中心（红色物业）"}},
	{"五彩益惠民购", "convenience", "2021-01-15", "每月第二个周三，社区广场", 0, 0, 20, 0, nil, nil},
	{"五彩益家亲", "elderly", "2019-09-01", "每周二、周四入户探访", 0, 0, 38, 0, []string{"心理疏导", "烹饪"}, []string{"德仁社会工作服务中心"}},
	{"五彩益健康团", "health", "2020-10-10", "每月10日义诊，社区卫生站", 0, 0, 24, 0, []string{"医护"}, []string{"桥西区人民医院（共建单位）"}},
	{"五彩益生活", "education", "2021-03-05", "每周三下午2:30，老年人智能手机课", 0, 0, 24, 0, []string{"手机教学", "摄影", "理发"}, nil},
	{"五彩益先锋团", "civic", "2018-07-01", "每月主题党日", 0, 0, 52, 0, []string{"法律咨询"}, nil},
	{"五彩益艺舞团", "culture", "2019-01-20", "每晚7:00，社区广场", 0, 0, 34, 0, []string{"舞蹈", "书法"}, []string{"石家庄市义工联合会（红色社会组织）"}},
	{"社区能人先锋队", "convenience", "2020-08-16", "随叫随到；每月第一个周六集中维修", 0, 0, 20, 0, []string{"家电维修", "水电维修", "缝纫"}, []string{"桥西区供热公司"}},
}

var demoSkills = []string{"家电维修", "水电维修", "医护", "绘画", "编程", "舞蹈", "摄影", "手机教学", "书法", "理发", "法律咨询", "心理疏导", "烹饪", "缝纫", "园艺", "手工", "驾驶", "英语"}

// What each organisation is, who to call, and what it promised this year.
var orgPlan = map[string]struct {
	contact, phone, address, desc string
	commitments                   []string
}{
	"平安物业服务中心（红色物业）": {"马经理", "0311-87012345", "平安小区3号楼底商", "平安小区、建胜里的物业服务企业，党支部建在项目上",
		[]string{"物业党支部每月参加社区联席会议", "楼道照明报修24小时内修复", "冬季清雪保障主干道当天通行"}},
	"德仁社会工作服务中心": {"高社工", "0311-86523310", "建胜路社区党群服务中心二楼", "承接社区儿童、老年人社会工作服务项目",
		[]string{"每月开展一次五彩益童心梦儿童活动", "为20户独居老人提供个案服务"}},
	"建胜路小学": {"王主任", "0311-87654021", "建胜路56号", "社区内公办小学，共建少年儿童志愿服务",
		[]string{"寒暑假开放操场供社区儿童活动", "每学期一次防溺水安全课"}},
	"桥西区供热公司": {"孙磊", "0311-86068000", "桥西区新石北路120号", "负责社区集中供热，设社区供热服务联络员",
		[]string{"供暖季前完成小区管网巡检", "供热报修2小时内响应", "困难家庭暖气维修免人工费"}},
	"桥西区人民医院（共建单位）": {"李护士长", "0311-87891200", "桥西区中华南大街28号", "医疗共建单位，每月来社区义诊",
		[]string{"每月10日社区义诊", "为80岁以上老人建立健康档案"}},
	"石家庄市义工联合会（红色社会组织）": {"赵会长", "0311-85201314", "石家庄市长安区", "全市性志愿服务组织，支持社区文艺和培训",
		[]string{"全年开展志愿者骨干培训4次"}},
}

type demoPerson struct {
	registry.Person
	relation string
	party    bool
	age      int
}

// volunteersStep builds the matrix of the article: skills, the teams'
// details and backers, partners' contacts and commitments, and about 330
// volunteers from the registry — 40 children with their guardians'
// consent, and adults spread over the eleven teams, many in two.
func volunteersStep(ctx context.Context, s *Seeder, tx *db.Tx) error {
	if err := s.ids(ctx, tx); err != nil {
		return err
	}
	cid := s.CommunityID
	now := s.Anchor.UTC()
	today := s.Anchor.In(clock.Shanghai)
	rnd := rand.New(rand.NewPCG(uint64(s.Seed), 20261201))

	teams, err := namedIDs(ctx, tx, `SELECT name, id FROM teams WHERE community_id = ?`, cid)
	if err != nil {
		return err
	}
	orgs, err := namedIDs(ctx, tx, `SELECT name, id FROM organisations WHERE community_id = ?`, cid)
	if err != nil {
		return err
	}
	skills := map[string]int64{}
	for _, name := range demoSkills {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO skills (community_id, name, created_at) VALUES (?, ?, ?) RETURNING id`, cid, name, now).Scan(&id); err != nil {
			return fmt.Errorf("demo: skill: %w", err)
		}
		skills[name] = id
	}
	for name, o := range orgPlan {
		id, ok := orgs[name]
		if !ok {
			return fmt.Errorf("demo: no organisation %s", name)
		}
		if _, err := tx.Exec(ctx, `UPDATE organisations SET contact_name = ?, contact_phone = ?, address = ?, description = ? WHERE id = ?`,
			o.contact, o.phone, o.address, o.desc, id); err != nil {
			return fmt.Errorf("demo: organisation: %w", err)
		}
		for i, c := range o.commitments {
			if _, err := tx.Exec(ctx, `INSERT INTO organisation_commitments (community_id, organisation_id, year, text, done, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				cid, id, today.Year(), c, i == 0, now); err != nil {
				return fmt.Errorf("demo: commitment: %w", err)
			}
		}
	}
	for _, t := range teamPlan {
		id, ok := teams[t.name]
		if !ok {
			return fmt.Errorf("demo: no team %s", t.name)
		}
		var minAge, maxAge any
		if t.maxAge > 0 {
			minAge, maxAge = t.minAge, t.maxAge
		}
		if _, err := tx.Exec(ctx, `UPDATE teams SET category = ?, founded_on = ?, meets = ?, min_age = ?, max_age = ? WHERE id = ?`,
			t.category, t.founded, t.meets, minAge, maxAge, id); err != nil {
			return fmt.Errorf("demo: team: %w", err)
		}
		for _, b := range t.backers {
			if _, err := tx.Exec(ctx, `INSERT INTO team_organisations (team_id, organisation_id) VALUES (?, ?)`, id, orgs[b]); err != nil {
				return fmt.Errorf("demo: backer: %w", err)
			}
		}
	}

	people, err := s.demoPeople(ctx, tx, cid, today)
	if err != nil {
		return err
	}
	byHousehold := map[int64][]*demoPerson{}
	for _, p := range people {
		byHousehold[p.HouseholdID] = append(byHousehold[p.HouseholdID], p)
	}
	taken := map[int64]int64{}          // resident → volunteer id
	registered := map[int64]time.Time{} // volunteer id → registered at
	var seq int
	register := func(p *demoPerson, via string, since time.Time, account int64) (int64, error) {
		if id, ok := taken[p.ResidentID]; ok {
			return id, nil
		}
		seq++
		number := fmt.Sprintf("JSL-V%05d", seq)
		cats := []string{}
		var avail int64
		for range 1 + rnd.IntN(3) {
			avail |= 1 << rnd.IntN(21)
		}
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO volunteers (community_id, number, resident_id, account_id, categories, availability, registered_via, registered_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, cid, number, p.ResidentID, nullable(account), strings.Join(cats, ","), avail, via, since, since).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("demo: volunteer: %w", err)
		}
		if p.GridID != 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO volunteer_grids (volunteer_id, grid_id) VALUES (?, ?)`, id, p.GridID); err != nil {
				return 0, fmt.Errorf("demo: volunteer grid: %w", err)
			}
		}
		by := "self"
		if via == "worker" {
			by = p.Name + "本人"
		}
		if _, err := tx.Exec(ctx, `INSERT INTO consents (community_id, volunteer_id, kind, given_on, given_by, recorded_at) VALUES (?, ?, 'general', ?, ?, ?)`,
			cid, id, since.In(clock.Shanghai).Format(time.DateOnly), by, since); err != nil {
			return 0, fmt.Errorf("demo: consent: %w", err)
		}
		if rnd.IntN(10) < 7 {
			if _, err := tx.Exec(ctx, `INSERT INTO consents (community_id, volunteer_id, kind, given_on, given_by, recorded_at) VALUES (?, ?, 'publicity', ?, ?, ?)`,
				cid, id, since.In(clock.Shanghai).Format(time.DateOnly), by, since); err != nil {
				return 0, fmt.Errorf("demo: consent: %w", err)
			}
		}
		taken[p.ResidentID] = id
		registered[id] = since
		return id, nil
	}
	addSkill := func(vid int64, name string) error {
		_, err := tx.Exec(ctx, `INSERT INTO volunteer_skills (volunteer_id, skill_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, vid, skills[name])
		return err
	}
	setCategories := func(vid int64, cat string) error {
		_, err := tx.Exec(ctx, `UPDATE volunteers SET categories = CASE WHEN categories = '' THEN ? ELSE categories || ',' || ? END
			WHERE id = ? AND (',' || categories || ',') NOT LIKE ?`, cat, cat, vid, "%,"+cat+",%")
		return err
	}
	join := func(team, vid int64, role string, on time.Time, accompanied bool) error {
		// Nobody joins a team before registering.
		on = latest(on, registered[vid])
		// Already a member: nothing to do. ON CONFLICT, not a caught
		// unique violation, which would abort PostgreSQL's transaction.
		_, err := tx.Exec(ctx, `INSERT INTO team_members (community_id, team_id, volunteer_id, role, accompanied, joined_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, cid, team, vid, role, accompanied, on.In(clock.Shanghai).Format(time.DateOnly), on)
		return err
	}
	since := func(founded string) time.Time {
		f, _ := time.ParseInLocation(time.DateOnly, founded, clock.Shanghai)
		return between(rnd, f, today.AddDate(0, -1, 0))
	}

	// The named logins first: 刘静 leads the children's team and her own
	// child is in it; 赵建国 is the electrician of the skilled team.
	leaderAcct, err := accountID(ctx, tx, "leader")
	if err != nil {
		return err
	}
	volAcct, err := accountID(ctx, tx, "volunteer")
	if err != nil {
		return err
	}
	kids := teams["五彩益童心梦"]
	var liu, zhao *demoPerson
	var liuChild *demoPerson
	for _, p := range people {
		if liu == nil && p.Gender == "F" && p.age >= 32 && p.age <= 42 && p.AccountID == 0 {
			for _, q := range byHousehold[p.HouseholdID] {
				if q.age >= 7 && q.age <= 12 {
					liu, liuChild = p, q
				}
			}
		}
		if zhao == nil && p.Gender == "M" && p.age >= 48 && p.age <= 58 && p.AccountID == 0 && strings.HasPrefix(p.Name, "赵") {
			zhao = p
		}
	}
	if liu == nil || zhao == nil {
		return fmt.Errorf("demo: no resident fits 刘静 or 赵建国")
	}
	for _, x := range []struct {
		p    *demoPerson
		name string
		acct int64
	}{{liu, "刘静", leaderAcct}, {zhao, "赵建国", volAcct}} {
		if err := s.Registry.RenameTx(ctx, tx, cid, x.p.ResidentID, x.name); err != nil {
			return err
		}
		if err := s.Registry.LinkAccount(ctx, tx, x.p.ResidentID, x.acct); err != nil {
			return err
		}
		x.p.Name, x.p.AccountID = x.name, x.acct
	}
	liuID, err := register(liu, "self", since("2018-06-01"), leaderAcct)
	if err != nil {
		return err
	}
	if err := join(kids, liuID, "leader", since("2018-06-01"), false); err != nil {
		return err
	}
	for _, sk := range []string{"绘画", "手工"} {
		if err := addSkill(liuID, sk); err != nil {
			return err
		}
	}
	if err := setCategories(liuID, "children"); err != nil {
		return err
	}
	zhaoID, err := register(zhao, "self", since("2020-08-16"), volAcct)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE volunteers SET skills_other = '持电工证，会修小家电和电动车' WHERE id = ?`, zhaoID); err != nil {
		return err
	}
	for _, sk := range []string{"家电维修", "水电维修"} {
		if err := addSkill(zhaoID, sk); err != nil {
			return err
		}
	}
	if err := join(teams["社区能人先锋队"], zhaoID, "leader", since("2020-08-16"), false); err != nil {
		return err
	}
	for _, c := range []string{"convenience", "elderly"} {
		if err := setCategories(zhaoID, c); err != nil {
			return err
		}
	}
	if err := join(teams["五彩益先锋团"], zhaoID, "member", since("2020-08-16"), false); err != nil {
		return err
	}

	// Children 5-14 with an adult of their household as guardian.
	rules := struct{ accompany, consent int }{10, 18}
	children := []*demoPerson{liuChild}
	for _, p := range people {
		if p.age >= 5 && p.age <= 14 && p != liuChild {
			children = append(children, p)
		}
	}
	rnd.Shuffle(len(children)-1, func(i, j int) { children[i+1], children[j+1] = children[j+1], children[i+1] })
	nKids := 0
	for _, c := range children {
		if nKids == teamPlan[0].children {
			break
		}
		var guardian *demoPerson
		for _, q := range byHousehold[c.HouseholdID] {
			if q.age >= 25 && q.age <= 60 && (guardian == nil || q == liu) {
				guardian = q
			}
		}
		if guardian == nil {
			continue
		}
		// Joined on a day after the team was founded and the child turned five.
		b, _ := time.ParseInLocation(time.DateOnly, c.BirthDate, clock.Shanghai)
		when := between(rnd, latest(b.AddDate(5, 0, 0), time.Date(2018, 6, 1, 0, 0, 0, 0, clock.Shanghai)), today.AddDate(0, -1, 0))
		vid, err := register(c, "guardian", when, 0)
		if err != nil {
			return err
		}
		rel := "母亲"
		if guardian.Gender == "M" {
			rel = "父亲"
		}
		if guardian.relation == "户主" && c.relation == "孙子女" || guardian.age > 50 {
			rel = map[string]string{"M": "祖父", "F": "祖母"}[guardian.Gender]
		}
		if _, err := tx.Exec(ctx, `INSERT INTO consents (community_id, volunteer_id, kind, scope, given_on, given_by, guardian_resident_id, relation, recorded_at)
			VALUES (?, ?, 'guardian', ?, ?, 'guardian', ?, ?, ?)`, cid, vid, "参加五彩益童心梦活动，含拍照用于社区宣传",
			when.In(clock.Shanghai).Format(time.DateOnly), guardian.ResidentID, rel, when); err != nil {
			return fmt.Errorf("demo: guardian consent: %w", err)
		}
		if err := join(kids, vid, "member", when, c.age < rules.accompany); err != nil {
			return err
		}
		for _, sk := range pick(rnd, teamPlan[0].skills, 1) {
			if err := addSkill(vid, sk); err != nil {
				return err
			}
		}
		if err := setCategories(vid, "children"); err != nil {
			return err
		}
		nKids++
	}

	// Adults: retirees carry most teams, as in any old estate.
	var adults []*demoPerson
	for _, p := range people {
		if p.age >= 18 && p.age <= 78 && p.AccountID == 0 {
			adults = append(adults, p)
		}
	}
	rnd.Shuffle(len(adults), func(i, j int) { adults[i], adults[j] = adults[j], adults[i] })
	slices.SortStableFunc(adults, func(a, b *demoPerson) int { return weight(b) - weight(a) })
	pool := adults[:min(len(adults), 360)]
	rnd.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	next := 0
	for _, t := range teamPlan {
		tid := teams[t.name]
		leaderSet := t.name == "五彩益童心梦" || t.name == "社区能人先锋队"
		n := t.adults
		if t.name == "五彩益童心梦" || t.name == "社区能人先锋队" {
			n-- // their leaders are already in
		}
		for i := 0; i < n; i++ {
			var p *demoPerson
			switch {
			case t.name == "五彩益先锋团":
				// Party members, some of whom already serve elsewhere.
				for p == nil || !p.party {
					p = pool[rnd.IntN(len(pool))]
				}
			case next < len(pool) && (i%6 != 5 || next < 60):
				p = pool[next]
				next++
			default:
				// About one in six is someone already in another team.
				p = pool[rnd.IntN(max(1, next))]
			}
			vid, err := register(p, viaOf(rnd), since(t.founded), 0)
			if err != nil {
				return err
			}
			role := "member"
			if !leaderSet && i == 0 {
				role = "leader"
			} else if i == 1 {
				role = "deputy"
			}
			if err := join(tid, vid, role, since(t.founded), false); err != nil {
				return err
			}
			if err := setCategories(vid, t.category); err != nil {
				return err
			}
			for _, sk := range pick(rnd, t.skills, rnd.IntN(2)+1) {
				if err := addSkill(vid, sk); err != nil {
					return err
				}
			}
		}
	}
	// Numbers issued from here on continue the demo's.
	if _, err := tx.Exec(ctx, `INSERT INTO counters (community_id, name, value) VALUES (?, 'volunteer', ?)`, cid, seq); err != nil {
		return fmt.Errorf("demo: volunteer counter: %w", err)
	}
	return nil
}

// between is a random morning from a to b (a when b is not after a).
func between(r *rand.Rand, a, b time.Time) time.Time {
	days := int(b.Sub(a).Hours() / 24)
	d := time.Date(a.Year(), a.Month(), a.Day(), 9, 0, 0, 0, clock.Shanghai)
	if days > 0 {
		d = d.AddDate(0, 0, r.IntN(days))
	}
	return d.UTC()
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// weight favours people of 55-72 and party members for volunteering.
func weight(p *demoPerson) int {
	w := 0
	if p.age >= 55 && p.age <= 72 {
		w += 2
	}
	if p.party {
		w++
	}
	return w
}

func viaOf(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return "self"
	}
	return "worker"
}

func pick(r *rand.Rand, from []string, n int) []string {
	if len(from) == 0 || n <= 0 {
		return nil
	}
	c := slices.Clone(from)
	r.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
	return c[:min(n, len(c))]
}

func nullable(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func namedIDs(ctx context.Context, q db.Querier, query string, args ...any) (map[string]int64, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var n string
		var id int64
		if err := rows.Scan(&n, &id); err != nil {
			return nil, err
		}
		out[n] = id
	}
	return out, rows.Err()
}

func accountID(ctx context.Context, q db.Querier, username string) (int64, error) {
	var id int64
	if err := q.QueryRow(ctx, `SELECT id FROM accounts WHERE username = ?`, username).Scan(&id); err != nil {
		return 0, fmt.Errorf("demo: login %s: %w", username, err)
	}
	return id, nil
}

// demoPeople loads every current resident with what the plan needs.
func (s *Seeder) demoPeople(ctx context.Context, tx *db.Tx, cid int64, today time.Time) ([]*demoPerson, error) {
	rows, err := tx.Query(ctx, `SELECT id, relation, party FROM residents WHERE community_id = ? AND moved_out_at IS NULL ORDER BY id`, cid)
	if err != nil {
		return nil, fmt.Errorf("demo: residents: %w", err)
	}
	var ids []int64
	extra := map[int64]demoPerson{}
	for rows.Next() {
		var id int64
		var p demoPerson
		if err := rows.Scan(&id, &p.relation, &p.party); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
		extra[id] = p
	}
	rows.Close()
	persons, err := s.Registry.Persons(ctx, cid, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*demoPerson, 0, len(ids))
	for _, id := range ids {
		p, ok := persons[id]
		if !ok {
			continue
		}
		b, err := time.ParseInLocation(time.DateOnly, p.BirthDate, clock.Shanghai)
		if err != nil {
			continue // no birth date recorded: no age rules can apply
		}
		e := extra[id]
		e.Person, e.age = p, idcard.Age(b, today)
		out = append(out, &e)
	}
	return out, nil
}
