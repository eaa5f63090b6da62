package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/requests"
)

// RequestsStep is the name of the step that gives the demo a year of
// residents' requests.
const RequestsStep = "2026-12-requests"

// The two stories of the article among the year's requests; tests find
// them by these words of their descriptions.
const (
	LeakStory    = "楼上装修漏水到我家"
	HeatingStory = "暖气管道受损"
)

// requestsStep gives 建胜路社区 a year of residents' requests up to the
// demo's today, through requests.SeedTx (which replays every step through
// the state machine): about a thousand, shaped by the seasons (heating in
// the heating season, leaks in the summer rains, more repairs on working
// days), from every channel, most closed with a callback, some rejected
// or merged as duplicates, recent ones open at every stage and a few old
// ones stuck (overdue), and the article's leak between neighbours and
// heating outage before the snow.
func requestsStep(ctx context.Context, s *Seeder, tx *db.Tx) error {
	if s.Requests == nil {
		return fmt.Errorf("demo: the requests step needs the requests service")
	}
	if err := s.ids(ctx, tx); err != nil {
		return err
	}
	g, err := newReqGen(ctx, s, tx)
	if err != nil {
		return err
	}
	g.year()
	g.fresh()
	g.stories()
	batch := g.batch()
	g.pickShots()
	ids, err := s.Requests.SeedTx(ctx, tx, s.CommunityID, batch)
	if err != nil {
		return err
	}
	return g.photos(ctx, tx, ids)
}

// reqPlace is a flat of the registry with where it is.
type reqPlace struct {
	household, building, grid int64
	room, unit, label         string // label: 平安小区3号楼2单元
	blabel                    string // 平安小区3号楼
	floors                    int
}

type reqPerson struct {
	id, household int64
	surname       string
	male          bool
	age           int
	alone         bool
}

type reqVolunteer struct {
	id, account int64
	name        string
}

// plan is one request before the batch is put in order.
type plan struct {
	r       requests.SeedRequest
	into    *plan // merged into
	related []*plan
	pos     int
	story   bool
	shots   []reqShot // its photos (requestphotos.go)
}

type reqGen struct {
	s                 *Seeder
	rnd               *rand.Rand
	cid               int64
	now               time.Time // the demo's now
	cats              map[string]int64
	flats             []reqPlace
	byFlat            map[int64]reqPlace
	people            []reqPerson
	inFlat            map[int64][]reqPerson
	me                reqPerson // 陈秀英, the resident login
	office            []*accounts.Principal
	grid              *accounts.Principal // 张伟, the first grid
	gridOne           int64
	zhao              *accounts.Principal // 赵建国, the electrician volunteer
	partner           *accounts.Principal // 孙磊 of the heating company
	meP               *accounts.Principal
	skilled           int64 // 社区能人先锋队
	members           []reqVolunteer
	heating, property int64
	plans             []*plan
}

func newReqGen(ctx context.Context, s *Seeder, tx *db.Tx) (*reqGen, error) {
	cid := s.CommunityID
	g := &reqGen{s: s, cid: cid, now: s.Anchor.UTC(), rnd: rand.New(rand.NewPCG(uint64(s.Seed), 20261206)),
		byFlat: map[int64]reqPlace{}, inFlat: map[int64][]reqPerson{}}
	var err error
	if g.cats, err = s.Requests.SeedCategories(ctx, tx, cid); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT h.id, h.room, u.number, b.id, b.number, e.name, COALESCE(b.grid_id, 0), COALESCE(b.floors, 6)
		FROM households h JOIN units u ON u.id = h.unit_id JOIN buildings b ON b.id = u.building_id JOIN estates e ON e.id = b.estate_id
		WHERE h.community_id = ? ORDER BY h.id`, cid)
	if err != nil {
		return nil, fmt.Errorf("demo: flats: %w", err)
	}
	for rows.Next() {
		var p reqPlace
		var bnum, estate string
		if err := rows.Scan(&p.household, &p.room, &p.unit, &p.building, &bnum, &estate, &p.grid, &p.floors); err != nil {
			rows.Close()
			return nil, fmt.Errorf("demo: flats: %w", err)
		}
		p.blabel = fmt.Sprintf("%s%s号楼", estate, bnum)
		p.label = fmt.Sprintf("%s%s单元", p.blabel, p.unit)
		g.flats = append(g.flats, p)
		g.byFlat[p.household] = p
	}
	rows.Close()
	today := s.Anchor.In(clock.Shanghai)
	rows, err = tx.Query(ctx, `SELECT id, household_id, name, gender, birth_date FROM residents
		WHERE community_id = ? AND moved_out_at IS NULL AND child = ? AND birth_date IS NOT NULL AND birth_date <> '' ORDER BY id`, cid, false)
	if err != nil {
		return nil, fmt.Errorf("demo: residents: %w", err)
	}
	for rows.Next() {
		var p reqPerson
		var name, gender, birth string
		if err := rows.Scan(&p.id, &p.household, &name, &gender, &birth); err != nil {
			rows.Close()
			return nil, fmt.Errorf("demo: residents: %w", err)
		}
		b, err := time.ParseInLocation(time.DateOnly, birth, clock.Shanghai)
		if err != nil {
			continue
		}
		p.age = today.Year() - b.Year()
		p.surname, p.male = string([]rune(name)[:1]), gender == "M"
		if p.age < 18 {
			continue
		}
		g.people = append(g.people, p)
		if name == ResidentName && g.me.id == 0 {
			g.me = p
		}
	}
	rows.Close()
	for _, p := range g.people {
		g.inFlat[p.household] = append(g.inFlat[p.household], p)
	}
	for i, p := range g.people {
		g.people[i].alone = len(g.inFlat[p.household]) == 1 && p.age >= 65
	}
	if g.me.id == 0 || len(g.flats) == 0 {
		return nil, fmt.Errorf("demo: the requests step needs the registry")
	}
	for _, u := range []string{"worker", "admin"} {
		p, err := s.principal(ctx, u)
		if err != nil {
			return nil, err
		}
		g.office = append(g.office, p)
	}
	if g.grid, err = s.principal(ctx, "grid"); err != nil {
		return nil, err
	}
	g.gridOne = g.grid.Grants[0].GridID
	if g.zhao, err = s.principal(ctx, "volunteer"); err != nil {
		return nil, err
	}
	if g.partner, err = s.principal(ctx, "partner"); err != nil {
		return nil, err
	}
	if g.meP, err = s.principal(ctx, "resident"); err != nil {
		return nil, err
	}
	teams, err := namedIDs(ctx, tx, `SELECT name, id FROM teams WHERE community_id = ?`, cid)
	if err != nil {
		return nil, err
	}
	orgs, err := namedIDs(ctx, tx, `SELECT name, id FROM organisations WHERE community_id = ?`, cid)
	if err != nil {
		return nil, err
	}
	g.skilled, g.heating, g.property = teams["社区能人先锋队"], orgs["桥西区供热公司"], orgs["平安物业服务中心（红色物业）"]
	rows, err = tx.Query(ctx, `SELECT v.id, COALESCE(v.account_id, 0), r.name FROM team_members tm JOIN volunteers v ON v.id = tm.volunteer_id
		JOIN residents r ON r.id = v.resident_id WHERE tm.team_id = ? AND v.status = 'active' AND tm.left_on IS NULL ORDER BY v.id`, g.skilled)
	if err != nil {
		return nil, fmt.Errorf("demo: skilled team: %w", err)
	}
	for rows.Next() {
		var v reqVolunteer
		if err := rows.Scan(&v.id, &v.account, &v.name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("demo: skilled team: %w", err)
		}
		g.members = append(g.members, v)
	}
	rows.Close()
	if g.skilled == 0 || g.heating == 0 || g.property == 0 || len(g.members) == 0 {
		return nil, fmt.Errorf("demo: the requests step needs the teams and partners")
	}
	return g, nil
}

// reqCat is how one category's requests look through the year.
type reqCat struct {
	code     string
	weight   func(m time.Month) float64
	weekday  float64 // how much more on a working day
	kinds    []requests.Kind
	flat     bool // about a flat (else a building or a street)
	problems []string
	details  []string
	results  []string
}

func flat(w float64) func(time.Month) float64 { return func(time.Month) float64 { return w } }

var reqCats = []reqCat{
	{code: "repairs", weight: flat(3.2), weekday: 1.5, flat: true,
		kinds: []requests.Kind{requests.KindHelp, requests.KindHelp, requests.KindHelp, requests.KindConsult},
		problems: []string{"家里的电烧水壶不加热了", "单元门禁坏了，门关不严", "厨房水龙头一直滴水，关不紧", "卧室窗户合页松了，关不上",
			"抽油烟机不转了", "老式吊扇转起来有异响", "卫生间门锁坏了，老人被锁在里面过一次", "电动车充电器不充电", "楼道扶手松动",
			"单元门闭门器坏了，门一直咣当响", "家里的电饭锅插上电没反应", "阳台晾衣架摇不下来"},
		details: []string{"老人腿脚不便，没法自己拿去修", "已经好几天了", "自己试过没修好", "家里只有老两口", "孩子在外地上班",
			"邻居说能人先锋队的师傅会修"},
		results: []string{"师傅上门检查，更换了温控器，已恢复正常", "已更换配件并调试正常，未收材料费以外费用", "上门修好，顺便检查了家里的插座和线路",
			"已维修完毕，居民当场试用正常", "配件已更换，教老人日常注意事项"}},
	{code: "water", weight: func(m time.Month) float64 {
		switch m {
		case time.June, time.July, time.August:
			return 4.5
		case time.May, time.September:
			return 2
		}
		return 1.2
	}, weekday: 1.1, flat: true,
		kinds: []requests.Kind{requests.KindHelp, requests.KindHelp, requests.KindComplaint, requests.KindSuggestion},
		problems: []string{"连续下雨，顶层卧室墙面渗水", "卫生间下水管返味、排水慢", "楼内老旧水管锈蚀，接口处渗水", "厨房下水道堵了",
			"水表井里积满了水", "楼里的管道用了三十多年，老化严重，希望整栋楼的管道换新", "地下室进水，储藏间的东西泡了", "楼顶雨水管堵塞，雨水顺着外墙流", "自来水发黄，放一会儿才清"},
		details: []string{"这几天雨大，越来越严重", "楼里的管道用了三十多年了", "物业来看过一次没解决", "担心泡坏楼下邻居家",
			"晚上都不敢用水", "家里有瘫痪老人"},
		results: []string{"已疏通管道，排水恢复正常", "更换了锈蚀的一段立管和阀门", "已对楼顶防水做临时处理，雨季后安排整体维修",
			"清理雨水管杂物，外墙不再流水", "已抽排积水，检查排水泵正常"}},
	{code: "heating", weight: func(m time.Month) float64 {
		switch m {
		case time.November, time.December, time.January:
			return 6
		case time.February:
			return 4
		case time.March:
			return 2
		case time.October:
			return 0.8
		}
		return 0.15
	}, weekday: 1, flat: true,
		kinds: []requests.Kind{requests.KindComplaint, requests.KindHelp, requests.KindHelp, requests.KindConsult},
		problems: []string{"暖气不热，室温只有十四五度", "暖气片漏水", "暖气管道里有哗哗的响声", "暖气阀门拧不动", "供暖后暖气上热下凉",
			"想咨询今年供暖费缴费和困难家庭减免", "家里暖气一直不热，怀疑管道堵了"},
		details: []string{"家里有八十多岁的老人", "孩子刚出生，屋里太冷", "已经给供热公司打过电话", "整个单元都不太热",
			"晚上睡觉得穿着棉袄", "放过气了还是不热"},
		results: []string{"供热公司上门排气、清洗过滤网，室温回升到20度", "更换了漏水的暖气片阀门", "调整单元入口阀门，上下温差已消除",
			"已讲解缴费和减免政策，协助提交申请", "疏通堵塞的支管，暖气恢复正常"}},
	{code: "electricity", weight: func(m time.Month) float64 {
		if m >= time.June && m <= time.August {
			return 2.2
		}
		return 1.3
	}, weekday: 1.3, flat: true,
		kinds: []requests.Kind{requests.KindHelp, requests.KindHelp, requests.KindReport},
		problems: []string{"家里总跳闸，一开空调就断电", "楼道声控灯不亮了", "插座冒火花，闻到焦糊味", "单元楼道电线老化，外皮都裂了",
			"家里一半房间没电"},
		details: []string{"天太热，老人受不了", "晚上楼道黑，老人上下楼不安全", "怕引起火灾", "已经拉了总闸"},
		results: []string{"更换了老化的空气开关和一段线路", "已更换声控灯，楼道照明恢复", "拆换烧坏的插座，检查线路无隐患",
			"重新敷设了楼道线路，加装线槽"}},
	{code: "environment", weight: func(m time.Month) float64 {
		if m >= time.April && m <= time.September {
			return 2.4
		}
		return 1.5
	}, weekday: 1.1,
		kinds: []requests.Kind{requests.KindComplaint, requests.KindReport, requests.KindSuggestion, requests.KindComplaint},
		problems: []string{"楼下堆放了大量装修垃圾", "垃圾桶满了没人清运，味道很大", "楼道里堆满杂物", "绿化带里有人种菜、堆放旧家具",
			"小区里流浪猫太多，晚上叫", "楼前有人遛狗不牵绳、不清理粪便", "路边饭店油烟太大"},
		details: []string{"味道很难闻", "已经放了一个多星期了", "老人孩子出门都不方便", "好几户邻居都有意见"},
		results: []string{"物业已清运垃圾，并张贴装修垃圾投放告知", "已协调环卫增加清运频次", "楼院管家组织居民清理了楼道杂物",
			"已上门劝导，当事人承诺整改", "晨之美志愿者已清理，后续纳入日常巡查"}},
	{code: "dispute", weight: flat(0.8), weekday: 1.1,
		kinds: []requests.Kind{requests.KindHelp, requests.KindComplaint},
		problems: []string{"楼上晚上噪音太大，影响休息", "邻居占用楼道公共空间放鞋柜", "对门装监控对着我家门口", "停车位被邻居长期占用",
			"楼上空调外机滴水滴到我家窗台"},
		details: []string{"自己沟通过几次没用", "双方都有点情绪", "希望社区出面调解"},
		results: []string{"网格员上门分别沟通，双方达成一致", "社区调解后邻居已挪走杂物", "经调解，对方调整了监控角度",
			"组织双方和楼栋长一起协商，问题已解决"}},
	{code: "benefits", weight: func(m time.Month) float64 {
		if m <= time.March {
			return 1.5
		}
		return 0.9
	}, weekday: 1.6, flat: true,
		kinds: []requests.Kind{requests.KindConsult, requests.KindHelp, requests.KindHelp},
		problems: []string{"想咨询低保边缘家庭怎么申报", "老人的高龄津贴怎么办理", "残疾证到期需要换证", "想申请临时救助",
			"医保缴费不会在手机上操作", "孩子上学需要开居住证明"},
		details: []string{"对政策不太理解", "家里老人行动不便，没法去街道", "材料不知道准备哪些", "手机上操作不会"},
		results: []string{"已上门讲解政策并协助准备材料，申请已提交街道", "工作人员协助在手机上完成缴费", "已开具证明",
			"已代办提交，审核通过"}},
	{code: "safety", weight: func(m time.Month) float64 {
		if m >= time.November || m <= time.February {
			return 1.6
		}
		return 1
	}, weekday: 1.2,
		kinds: []requests.Kind{requests.KindReport, requests.KindReport, requests.KindComplaint},
		problems: []string{"楼道里有人给电动车充电，电线从窗户拉下来", "单元门口井盖松动", "楼顶防护栏锈断了", "小区消防通道被车堵住",
			"闻到楼道里有煤气味", "楼道灭火器过期了"},
		details: []string{"很危险，怕出事", "晚上看不清容易踩空", "孩子们常在附近玩"},
		results: []string{"已劝离楼道充电，引导到集中充电桩", "物业已更换井盖", "已加固防护栏并设置警示", "已联系燃气公司检修，排除泄漏",
			"更换了过期灭火器"}},
	{code: "elderly", weight: func(m time.Month) float64 {
		if m >= time.November || m <= time.February {
			return 1.6
		}
		return 1.1
	}, weekday: 1.3, flat: true,
		kinds: []requests.Kind{requests.KindHelp, requests.KindHelp, requests.KindConsult},
		problems: []string{"独居老人希望有人定期上门看看", "老人想学用智能手机视频通话", "老人需要有人帮忙买菜、取药",
			"老人耳背，敲门听不见，担心有事没人知道", "老人想申请居家养老服务"},
		details: []string{"子女在外地", "老人腿脚不好，不方便下楼", "最近天冷，更担心了"},
		results: []string{"五彩益家亲志愿者每周上门探望一次", "志愿者已上门教会老人视频通话", "已安排志愿者每周帮忙买菜取药",
			"为老人登记了紧急联系人，约定出门时到居委会转转", "已协助申请居家养老服务"}},
	{code: "other", weight: flat(0.6), weekday: 1.2,
		kinds: []requests.Kind{requests.KindConsult, requests.KindSuggestion, requests.KindSuggestion},
		problems: []string{"希望社区多办老年人手机课，教拍视频", "建议在小区里多装几把休息的长椅", "想咨询社区活动室开放时间",
			"希望给孩子们在暑假组织活动", "建议在楼门口加装快递柜"},
		details: []string{"好多老人都有这个想法", "邻居们都挺支持"},
		results: []string{"已记录建议，纳入下月居民议事会议题", "已答复并告知活动安排", "建议已采纳，正在落实"}},
}

// The four door-to-door duties of the article, as a door visit's label.
var doorDuties = map[string]string{
	"other": "民意上门听", "elderly": "困难上门帮", "benefits": "政务上门办", "safety": "风险上门管", "repairs": "困难上门帮",
}

var asks = []string{"麻烦社区帮忙协调。", "希望尽快处理。", "谢谢社区！", "希望能解决。", ""}

// Categories where someone comes with tools.
var toolCats = []string{"repairs", "water", "heating", "electricity"}

var rejectReasons = []string{"属于开发商保修范围，已告知居民联系开发商", "诉求人三次电话联系不上，无法核实", "不在本社区辖区，已告知拨打12345",
	"已由法院处理的纠纷，社区不再受理"}
var returnReasons = []string{"不属于本单位管辖范围，请改派", "需要专业资质施工，请转物业", "人员外出，今天无法上门，请改派其他人"}
var sendBackReasons = []string{"回访居民反映问题没有彻底解决", "处理结果缺少照片和说明，请补充"}
var extensionReasons = []string{"需要购买配件，预计三天到货", "需要协调楼上住户入户查看", "需等待天气转好后施工"}

// What is asked of people rather than pipes takes its own reasons.
var paperCats = []string{"benefits", "dispute", "elderly", "other"}
var paperExtensionReasons = []string{"需等待街道审核材料", "当事人外出，需约时间再次上门", "需要和家属一起商量"}
var progressNotes = []string{"已电话联系居民，约好上门时间", "已上门查看，正在准备材料", "配件已到，明天上门更换", "已和相关住户沟通"}

// year generates the year's requests day by day.
func (g *reqGen) year() {
	today := g.s.Anchor.In(clock.Shanghai)
	start := time.Date(today.Year()-1, today.Month(), today.Day(), 0, 0, 0, 0, clock.Shanghai)
	// Scale so the year holds about a thousand.
	expected := 0.0
	for d := start; d.Before(today); d = d.AddDate(0, 0, 1) {
		for _, c := range reqCats {
			expected += g.dayWeight(c, d)
		}
	}
	scale := 990 / expected
	for d := start; !d.After(today); d = d.AddDate(0, 0, 1) {
		for _, c := range reqCats {
			n := g.poisson(g.dayWeight(c, d) * scale)
			for range n {
				at := d.Add(time.Duration(8*60+g.rnd.IntN(10*60)) * time.Minute)
				if at.After(g.s.Anchor) {
					continue
				}
				g.request(c, at)
			}
		}
	}
}

// fresh adds the last few hours' requests, not yet accepted: the
// office's queue on the demo's today is never empty.
func (g *reqGen) fresh() {
	// In the office's hours: a demo started at night has last evening's.
	base := g.s.Anchor.In(clock.Shanghai)
	if base.Hour() < 9 {
		y := base.AddDate(0, 0, -1)
		base = time.Date(y.Year(), y.Month(), y.Day(), 18, 0, 0, 0, clock.Shanghai)
	}
	for i, code := range []string{"heating", "repairs", "environment"} {
		for _, c := range reqCats {
			if c.code == code {
				p := g.request(c, base.Add(-time.Duration(25+i*45)*time.Minute))
				p.r.Steps = nil
			}
		}
	}
}

func (g *reqGen) dayWeight(c reqCat, d time.Time) float64 {
	w := c.weight(d.Month())
	if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		return w * 0.6
	}
	return w * c.weekday
}

func (g *reqGen) poisson(l float64) int {
	k, p, t := 0, 1.0, math.Exp(-l)
	for {
		p *= g.rnd.Float64()
		if p <= t {
			return k
		}
		k++
	}
}

func (g *reqGen) pick(xs []string) string { return xs[g.rnd.IntN(len(xs))] }

// request plans one request of category c at at and its life.
func (g *reqGen) request(c reqCat, at time.Time) *plan {
	p := &plan{}
	r := &p.r
	r.At, r.CategoryID, r.Kind = at.UTC(), g.cats[c.code], c.kinds[g.rnd.IntN(len(c.kinds))]
	r.Urgency = requests.UrgencyGeneral
	person := g.people[g.rnd.IntN(len(g.people))]
	if c.code == "elderly" {
		for range 20 { // mostly about someone old, often living alone
			if person.age >= 70 {
				break
			}
			person = g.people[g.rnd.IntN(len(g.people))]
		}
	}
	fl := g.byFlat[person.household]
	office := g.office[g.rnd.IntN(8)/7] // the worker mostly, the admin now and then
	if fl.grid == g.gridOne && g.rnd.IntN(2) == 0 {
		office = g.grid
	}
	r.By = office
	var desc strings.Builder
	channel := requests.ChannelPhone
	switch x := g.rnd.IntN(100); {
	case x < 38:
	case x < 62:
		channel = requests.ChannelWalkIn
	case x < 80:
		channel = requests.ChannelDoorVisit
	case x < 94:
		channel = requests.ChannelGridPatrol
	case x < 97 && (c.code == "other" || c.code == "environment" || c.code == "safety"):
		channel = requests.ChannelMeeting
	case x < 97, g.rnd.IntN(3) > 0:
		channel = requests.ChannelWalkIn
	default:
		// 陈秀英, the one resident with the app in the demo.
		channel = requests.ChannelWeb
	}
	switch {
	case channel == requests.ChannelWeb && c.code == "dispute":
		channel = requests.ChannelPhone
	case (channel == requests.ChannelGridPatrol || channel == requests.ChannelMeeting) && c.flat:
		// A patrol sees what is outside; a flat's trouble comes in by phone.
		channel = requests.ChannelPhone
	}
	r.Channel = channel
	switch channel {
	case requests.ChannelDoorVisit:
		duty := doorDuties[c.code]
		if duty == "" {
			duty = "民意上门听"
		}
		fmt.Fprintf(&desc, "【%s】入户走访时了解到：", duty)
		at = time.Date(at.Year(), at.Month(), at.Day(), 9+g.rnd.IntN(2)+5*g.rnd.IntN(2), g.rnd.IntN(60), 0, 0, clock.Shanghai)
	case requests.ChannelGridPatrol:
		desc.WriteString("网格巡查发现：")
	case requests.ChannelMeeting:
		desc.WriteString("居民议事会上提出：")
	case requests.ChannelWeb:
		person, fl = g.me, g.byFlat[g.me.household]
		r.By, r.Self = g.meP, true
		at = at.Add(time.Duration(g.rnd.IntN(5*60)) * time.Minute)
	}
	if at.After(g.s.Anchor) {
		at = g.s.Anchor.Add(-time.Duration(1+g.rnd.IntN(60)) * time.Minute)
	}
	r.At = at.UTC()
	// The place and the requester.
	patrol := channel == requests.ChannelGridPatrol || channel == requests.ChannelMeeting
	switch {
	case patrol:
		r.BuildingID = fl.building
		desc.WriteString(fl.blabel + "，")
		if office == g.grid {
			r.ContactName, r.ContactPhone = "张伟（第一网格网格员）", "0311-87012001"
		} else {
			r.ContactName, r.ContactPhone = "王芳（社区社工）", "0311-87012000"
		}
		r.By = office
		if channel == requests.ChannelGridPatrol && fl.grid == g.gridOne {
			r.By = g.grid
			r.ContactName, r.ContactPhone = "张伟（第一网格网格员）", "0311-87012001"
		}
	case channel != requests.ChannelWeb && channel != requests.ChannelDoorVisit && g.rnd.IntN(100) < 12:
		// A free contact: a shopkeeper, a tenant not in the registry.
		who := []string{"李女士", "王先生", "沿街商户刘老板", "租户小陈", "快递员周师傅", "张阿姨的女儿"}[g.rnd.IntN(6)]
		r.ContactName, r.ContactPhone = who, fmt.Sprintf("1%d%09d", 3+g.rnd.IntN(6), g.rnd.IntN(1_000_000_000))
		r.BuildingID = fl.building
		fmt.Fprintf(&desc, "%s反映：", fl.label)
	default:
		r.ResidentID = person.id
		if c.flat {
			r.HouseholdID = fl.household
		} else {
			r.BuildingID = fl.building
		}
		if person.alone && (c.code == "elderly" || g.rnd.IntN(3) == 0) {
			desc.WriteString("独居老人反映：")
		}
	}
	problem := g.pick(c.problems)
	// The kind follows what was said: a question, a wish, or a trouble.
	switch {
	case strings.Contains(problem, "咨询"):
		r.Kind = requests.KindConsult
	case strings.Contains(problem, "建议") || strings.Contains(problem, "希望"):
		r.Kind = requests.KindSuggestion
	case r.Kind == requests.KindConsult || r.Kind == requests.KindSuggestion:
		r.Kind = requests.KindHelp
	}
	desc.WriteString(problem)
	if !strings.Contains(problem, "咨询") {
		// A question stands alone; a trouble comes with what makes it hard.
		desc.WriteString("，")
		desc.WriteString(g.pick(c.details))
	}
	desc.WriteString("。")
	if slices.Contains(toolCats, c.code) && g.rnd.IntN(3) == 0 {
		desc.WriteString("请派师傅上门看看。")
	} else {
		desc.WriteString(asks[g.rnd.IntN(len(asks))])
	}
	r.Description = strings.TrimSpace(desc.String())
	// Urgency from what it is.
	d := r.Description
	switch {
	case strings.Contains(d, "煤气味") || strings.Contains(d, "冒火花") || strings.Contains(d, "被锁"):
		r.Urgency = requests.UrgencyEmergency
	case c.code == "heating" && !strings.Contains(d, "咨询"), c.code == "water" && g.rnd.IntN(2) == 0, c.code == "electricity" && strings.Contains(d, "没电"):
		r.Urgency = requests.UrgencyUtilities
	case c.code == "dispute" && g.rnd.IntN(3) == 0, strings.Contains(d, "老化"):
		r.Urgency = requests.UrgencyComplex
	}
	g.life(p, c)
	g.plans = append(g.plans, p)
	// Neighbours call about the same thing: a duplicate, merged.
	if r.Kind != requests.KindConsult && c.code != "dispute" && (!c.flat && g.rnd.IntN(100) < 10 || c.code == "heating" && g.rnd.IntN(100) < 5) {
		g.duplicate(p)
	}
	return p
}

// handler picks who a request of category c goes to, and who acts for it.
func (g *reqGen) handler(c string, r *requests.SeedRequest) (requests.Handler, *accounts.Principal) {
	worker := g.office[0]
	grid := func() (requests.Handler, *accounts.Principal) {
		fl := g.gridOf(r)
		if fl == g.gridOne {
			return requests.Handler{Kind: requests.HandlerAccount, ID: g.grid.AccountID}, g.grid
		}
		// The other grids have no worker account in the demo: the
		// office's social worker takes their requests.
		return requests.Handler{Kind: requests.HandlerAccount, ID: worker.AccountID}, worker
	}
	skilled := func() (requests.Handler, *accounts.Principal) {
		switch x := g.rnd.IntN(10); {
		case x < 4:
			return requests.Handler{Kind: requests.HandlerVolunteer, ID: g.zhaoVolunteer()}, g.zhao
		case x < 7:
			return requests.Handler{Kind: requests.HandlerTeam, ID: g.skilled}, worker
		default:
			v := g.members[g.rnd.IntN(len(g.members))]
			if v.account == g.zhao.AccountID {
				return requests.Handler{Kind: requests.HandlerVolunteer, ID: v.id}, g.zhao
			}
			return requests.Handler{Kind: requests.HandlerVolunteer, ID: v.id}, worker
		}
	}
	switch c {
	case "repairs", "electricity":
		if strings.Contains(r.Description, "楼道") && g.rnd.IntN(2) == 0 {
			return requests.Handler{Kind: requests.HandlerOrganisation, ID: g.property}, worker
		}
		return skilled()
	case "water":
		if r.HouseholdID != 0 && g.rnd.IntN(2) == 0 {
			return skilled()
		}
		return requests.Handler{Kind: requests.HandlerOrganisation, ID: g.property}, worker
	case "heating":
		return requests.Handler{Kind: requests.HandlerOrganisation, ID: g.heating}, g.partner
	case "environment", "safety":
		if g.rnd.IntN(2) == 0 {
			return requests.Handler{Kind: requests.HandlerOrganisation, ID: g.property}, worker
		}
	}
	return grid()
}

func (g *reqGen) gridOf(r *requests.SeedRequest) int64 {
	if r.HouseholdID != 0 {
		return g.byFlat[r.HouseholdID].grid
	}
	for _, f := range g.flats {
		if f.building == r.BuildingID {
			return f.grid
		}
	}
	return 0
}

func (g *reqGen) zhaoVolunteer() int64 {
	for _, v := range g.members {
		if v.account == g.zhao.AccountID {
			return v.id
		}
	}
	return g.members[0].id
}

// officeTime moves t into the office's hours (8:30-18:00) unless the
// request cannot wait.
func officeTime(t time.Time, urgent bool) time.Time {
	if urgent {
		return t
	}
	sh := t.In(clock.Shanghai)
	switch {
	case sh.Hour() < 8:
		return time.Date(sh.Year(), sh.Month(), sh.Day(), 8, 30+sh.Minute()%30, 0, 0, clock.Shanghai)
	case sh.Hour() >= 18:
		n := sh.AddDate(0, 0, 1)
		return time.Date(n.Year(), n.Month(), n.Day(), 8, 30+sh.Minute()%30, 0, 0, clock.Shanghai)
	}
	return t
}

// life plans the steps of p: most go the whole way round; some are
// rejected, some sent back, returned, extended or reopened. Steps after
// the demo's now are dropped later, so recent requests stay open where
// they would be.
func (g *reqGen) life(p *plan, c reqCat) {
	r := &p.r
	urgent := r.Urgency == requests.UrgencyEmergency || r.Urgency == requests.UrgencyUtilities
	t := r.At
	mins := func(a, b int) time.Duration { return time.Duration(a+g.rnd.IntN(b-a+1)) * time.Minute }
	office := r.By
	if r.Self {
		office = g.office[0]
	}
	step := func(a requests.Action, by *accounts.Principal, d time.Duration, f func(*requests.SeedStep)) {
		t = officeTime(t.Add(d), urgent)
		st := requests.SeedStep{Step: requests.Step{Action: a}, Actor: by, At: t.UTC()}
		if f != nil {
			f(&st)
		}
		r.Steps = append(r.Steps, st)
	}
	if g.rnd.IntN(100) < 4 {
		step(requests.ActReject, office, mins(20, 240), func(s *requests.SeedStep) { s.Reason = g.pick(rejectReasons) })
		return
	}
	wait := mins(5, 90)
	if age := g.s.Anchor.Sub(r.At); age < 30*time.Hour && g.rnd.IntN(5) < 2 {
		wait = age + mins(30, 600) // the office is behind: some of today's and yesterday's still wait
	}
	step(requests.ActAccept, office, wait, nil)
	h, actor := g.handler(c.code, r)
	step(requests.ActDispatch, office, mins(5, 120), func(s *requests.SeedStep) { s.Handler = &h })
	if g.rnd.IntN(100) < 4 {
		step(requests.ActReturn, actor, mins(30, 300), func(s *requests.SeedStep) { s.Reason = g.pick(returnReasons) })
		// Sent on to someone else (a new variable: the first dispatch
		// keeps a pointer to h).
		h2 := requests.Handler{Kind: requests.HandlerOrganisation, ID: g.property}
		actor = g.office[0]
		if c.code == "heating" {
			h2, actor = requests.Handler{Kind: requests.HandlerVolunteer, ID: g.zhaoVolunteer()}, g.zhao
		}
		step(requests.ActDispatch, office, mins(10, 120), func(s *requests.SeedStep) { s.Handler = &h2 })
	}
	step(requests.ActSign, actor, mins(10, 240), nil)
	var work time.Duration
	switch r.Urgency {
	case requests.UrgencyEmergency:
		work = mins(40, 300)
	case requests.UrgencyUtilities:
		work = mins(120, 24*60)
	case requests.UrgencyComplex:
		work = mins(4*24*60, 18*24*60)
	default:
		work = mins(6*60, 5*24*60)
	}
	if g.rnd.IntN(100) < 35 {
		step(requests.ActProgress, actor, work/3, func(s *requests.SeedStep) { s.Note = g.pick(progressNotes) })
	}
	if g.rnd.IntN(100) < 6 || r.Urgency == requests.UrgencyComplex && g.rnd.IntN(2) == 0 {
		step(requests.ActExtension, actor, work/3, func(s *requests.SeedStep) {
			s.Reason = g.pick(extensionReasons)
			if slices.Contains(paperCats, c.code) {
				s.Reason = g.pick(paperExtensionReasons)
			}
		})
		if g.rnd.IntN(5) == 0 {
			step(requests.ActDenyExtension, office, mins(30, 240), func(s *requests.SeedStep) { s.Reason = "问题影响居民生活，请按原时限办结" })
		} else {
			step(requests.ActApproveExtension, office, mins(30, 240), nil)
		}
	}
	step(requests.ActResult, actor, work/2+mins(10, 60), func(s *requests.SeedStep) { s.Note = g.pick(c.results) })
	if g.rnd.IntN(100) < 5 {
		step(requests.ActSendBack, office, mins(60, 600), func(s *requests.SeedStep) { s.Reason = g.pick(sendBackReasons) })
		step(requests.ActResult, actor, mins(240, 2*24*60), func(s *requests.SeedStep) { s.Note = "已重新上门处理，" + g.pick(c.results) })
	}
	verify := mins(30, 24*60)
	if age := g.s.Anchor.Sub(t); age >= 0 && age < 30*time.Hour {
		verify = age + mins(30, 600) // the office is behind: the last day's results wait to be checked
	}
	step(requests.ActVerify, office, verify, nil)
	if g.callback(p, office, mins(60, 3*24*60), false) {
		// 不满意, not fixed: the resident reopens it within the week.
		t = r.Steps[len(r.Steps)-1].At
		who := office
		if r.Self {
			who = r.By
		}
		step(requests.ActReopen, who, mins(12*60, 4*24*60), func(s *requests.SeedStep) {
			s.Reason = "修好没几天又坏了"
			if slices.Contains(paperCats, c.code) {
				s.Reason = "事情还没有办妥，居民不满意"
			}
		})
		step(requests.ActResult, actor, mins(240, 3*24*60), func(s *requests.SeedStep) { s.Note = "再次上门，" + g.pick(c.results) })
		step(requests.ActVerify, office, mins(30, 24*60), nil)
		g.callback(p, office, mins(60, 2*24*60), true)
	}
}

// callback closes p after d and reports whether the resident will reopen
// it. The first answer: mostly 满意, some 基本满意, a few 不满意. Now and
// then it is not solved: most of those residents reopen it; some accept
// a partial fix, or a cause beyond the community (old pipes that wait for
// the city's renovation, a benefit the rules do not allow), and it stays
// closed unsolved. After a second round (again) most are solved, not all,
// and nobody reopens twice. So the figures are not a wall of 100%.
func (g *reqGen) callback(p *plan, office *accounts.Principal, d time.Duration, again bool) (reopen bool) {
	r := &p.r
	last := r.Steps[len(r.Steps)-1].At
	at := officeTime(last.Add(d), false)
	sat, ok := requests.Satisfied, true
	x := g.rnd.IntN(100)
	switch {
	case again && x < 12:
		sat, ok = requests.Unsatisfied, false
	case again && x < 30:
		sat = requests.BasicSatisfied
	case again:
	case x < 5:
		sat, ok = requests.Unsatisfied, false
		reopen = g.rnd.IntN(5) > 0
	case x < 8:
		sat, ok = requests.BasicSatisfied, false // partly fixed; the rest waits
	case x < 10:
		sat = requests.Unsatisfied // fixed, but too slowly for them
	case x < 23:
		sat = requests.BasicSatisfied
	}
	by := office
	if r.Self && g.rnd.IntN(2) == 0 {
		by = r.By // she answered on her phone
	}
	note := ""
	if !ok && !reopen {
		note = g.pick(unsolvedNotes)
	}
	r.Steps = append(r.Steps, requests.SeedStep{Step: requests.Step{Action: requests.ActCallback, Resolved: &ok, Satisfaction: sat, Note: note}, Actor: by, At: at.UTC()})
	return reopen
}

// unsolvedNotes are what the office writes when a request closes
// unsolved and the resident does not reopen it.
var unsolvedNotes = []string{
	"居民表示问题未彻底解决，已说明需纳入老旧小区改造统一处理",
	"部分解决，剩余问题需产权单位出资，已向居民解释",
	"居民不满意处理结果，已记录，转街道协调",
	"按现行政策无法办理，已向居民解释政策依据",
}

// duplicate: a neighbour of the same building reports the same thing a
// little later; the office merges it into the first.
func (g *reqGen) duplicate(first *plan) {
	r := first.r
	var neighbours []reqPerson
	for _, f := range g.flats {
		if f.building == g.buildingOf(&r) {
			neighbours = append(neighbours, g.inFlat[f.household]...)
		}
	}
	if len(neighbours) == 0 {
		return
	}
	who := neighbours[g.rnd.IntN(len(neighbours))]
	at := r.At.Add(time.Duration(30+g.rnd.IntN(300)) * time.Minute)
	// It must come in, and be merged, while the first is still open.
	mergeAt := at.Add(time.Duration(10+g.rnd.IntN(50)) * time.Minute)
	for _, st := range r.Steps {
		if (st.Action == requests.ActCallback || st.Action == requests.ActReject) && !st.At.After(mergeAt) {
			return
		}
	}
	if at.After(g.s.Anchor) {
		return
	}
	d := &plan{into: first}
	d.r = requests.SeedRequest{Input: requests.Input{Channel: requests.ChannelPhone, Kind: requests.KindComplaint, CategoryID: r.CategoryID,
		BuildingID: g.buildingOf(&r), Urgency: r.Urgency, ResidentID: who.id,
		Description: "邻居来电反映同一问题：" + strings.TrimPrefix(strings.TrimPrefix(r.Description, "网格巡查发现："), "独居老人反映：")},
		By: g.office[0], At: at.UTC()}
	d.r.Steps = []requests.SeedStep{{Step: requests.Step{Action: requests.ActMerge}, Actor: g.office[0], At: mergeAt.UTC()}}
	g.plans = append(g.plans, d)
}

func (g *reqGen) buildingOf(r *requests.SeedRequest) int64 {
	if r.HouseholdID != 0 {
		return g.byFlat[r.HouseholdID].building
	}
	return r.BuildingID
}

// stories adds the article's leak between neighbours (last summer) and
// heating outage before the big snow (the snow the activities step
// clears on 11 January).
func (g *reqGen) stories() {
	today := g.s.Anchor.In(clock.Shanghai)
	worker := g.office[0]
	// Two flats of one unit, one above the other.
	var up, down reqPlace
	for _, f := range g.flats {
		if f.room != "301" {
			continue
		}
		for _, h := range g.flats {
			if h.building == f.building && h.unit == f.unit && h.room == "201" && len(g.inFlat[f.household]) > 0 && len(g.inFlat[h.household]) > 0 {
				up, down = f, h
			}
		}
		if up.household != 0 {
			break
		}
	}
	july := time.Date(today.Year(), 7, 14, 0, 0, 0, 0, clock.Shanghai)
	if july.After(today) {
		july = july.AddDate(-1, 0, 0)
	}
	if up.household != 0 && july.After(today.AddDate(-1, 0, 0)) {
		at := func(days, h, m int) time.Time {
			return july.AddDate(0, 0, days).Add(time.Duration(h*60+m) * time.Minute).UTC()
		}
		yes := true
		below := g.inFlat[down.household][0]
		leak := &plan{story: true}
		leak.r = requests.SeedRequest{Input: requests.Input{Channel: requests.ChannelPhone, Kind: requests.KindHelp, CategoryID: g.cats["water"],
			HouseholdID: down.household, Urgency: requests.UrgencyEmergency, ResidentID: below.id,
			Description: fmt.Sprintf("%s%s室来电：%s，卫生间和厨房顶上一直往下滴水，墙皮都泡起来了，楼上%s室正在装修。请赶紧派人来看看。", down.label, down.room, LeakStory, up.room)},
			By: worker, At: at(0, 9, 12)}
		h := requests.Handler{Kind: requests.HandlerVolunteer, ID: g.zhaoVolunteer()}
		leak.r.Steps = []requests.SeedStep{
			{Step: requests.Step{Action: requests.ActAccept}, Actor: worker, At: at(0, 9, 15)},
			{Step: requests.Step{Action: requests.ActDispatch, Handler: &h, Note: "漏水紧急，请能人先锋队赵师傅先上门关阀"}, Actor: worker, At: at(0, 9, 18)},
			{Step: requests.Step{Action: requests.ActSign}, Actor: g.zhao, At: at(0, 9, 25)},
			{Step: requests.Step{Action: requests.ActProgress, Note: "已到现场，关闭楼上进户总阀，楼下不再滴水"}, Actor: g.zhao, At: at(0, 10, 5)},
			{Step: requests.Step{Action: requests.ActResult, Note: "楼上装修时地板下水管接口被打裂，已临时封堵，装修队已重新接管。楼下顶棚受损，赔偿问题双方有分歧，转社区调解"}, Actor: g.zhao, At: at(0, 16, 40)},
			{Step: requests.Step{Action: requests.ActVerify}, Actor: worker, At: at(1, 9, 30)},
			{Step: requests.Step{Action: requests.ActCallback, Resolved: &yes, Satisfaction: requests.Satisfied, Note: "漏水已止住，赔偿另行调解"}, Actor: worker, At: at(1, 10, 0)},
		}
		dispute := &plan{story: true, related: []*plan{leak}}
		dh := requests.Handler{Kind: requests.HandlerAccount, ID: worker.AccountID}
		if up.grid == g.gridOne {
			dh = requests.Handler{Kind: requests.HandlerAccount, ID: g.grid.AccountID}
		}
		mediator := worker
		if dh.ID == g.grid.AccountID {
			mediator = g.grid
		}
		dispute.r = requests.SeedRequest{Input: requests.Input{Channel: requests.ChannelWalkIn, Kind: requests.KindHelp, CategoryID: g.cats["dispute"],
			HouseholdID: down.household, Urgency: requests.UrgencyComplex, ResidentID: below.id,
			Description: fmt.Sprintf("楼上%s室装修漏水，把我家顶棚和衣柜泡坏了，和楼上在赔偿费用上谈不拢，希望社区出面调解。", up.room)},
			By: worker, At: at(2, 14, 0)}
		until := july.AddDate(0, 0, 50).Add(18 * time.Hour).UTC()
		steps := []requests.SeedStep{
			{Step: requests.Step{Action: requests.ActAccept}, Actor: worker, At: at(2, 14, 10)},
			{Step: requests.Step{Action: requests.ActDispatch, Handler: &dh}, Actor: worker, At: at(2, 14, 20)},
			{Step: requests.Step{Action: requests.ActSign}, Actor: mediator, At: at(2, 15, 0)},
		}
		for i, note := range []string{"第一次上门，分别听取楼上楼下两户意见", "第二次调解，请物业出具漏水原因说明", "第三次调解，双方对损失金额差距较大",
			"请装修公司到场说明责任", "第五次调解，楼上同意承担顶棚修复费用", "第六次调解，衣柜赔偿仍有分歧", "请楼栋长一起参与调解",
			"第八次调解，双方各让一步", "第九次调解，拟定赔偿协议草稿"} {
			steps = append(steps, requests.SeedStep{Step: requests.Step{Action: requests.ActProgress, Note: note}, Actor: mediator, At: at(4+i*4, 19, 30)})
			if i == 4 {
				steps = append(steps,
					requests.SeedStep{Step: requests.Step{Action: requests.ActExtension, Reason: "调解需要多次上门，双方白天上班，只能晚上沟通", Until: &until}, Actor: mediator, At: at(21, 9, 0)},
					requests.SeedStep{Step: requests.Step{Action: requests.ActApproveExtension}, Actor: worker, At: at(21, 11, 0)})
			}
		}
		steps = append(steps,
			requests.SeedStep{Step: requests.Step{Action: requests.ActResult, Note: "经过十来次调解，楼上楼下签订赔偿协议：楼上承担顶棚修复和衣柜赔偿，双方都满意"}, Actor: mediator, At: at(42, 20, 0)},
			requests.SeedStep{Step: requests.Step{Action: requests.ActVerify}, Actor: worker, At: at(43, 10, 0)},
			requests.SeedStep{Step: requests.Step{Action: requests.ActCallback, Resolved: &yes, Satisfaction: requests.Satisfied, Note: "两户都表示满意，邻里和好"}, Actor: worker, At: at(44, 10, 0)})
		dispute.r.Steps = steps
		// The resident's photo of the stained ceiling came with the call,
		// the electrician's of the mended pipe with his result.
		leak.shots = []reqShot{{step: -1, shot: shotStain}, {step: 4, shot: shotDry}}
		g.plans = append(g.plans, leak, dispute)
	}

	// The heating outage: a unit's pipe broken, the second floor cold,
	// the heating company called at once, heat back the day before the snow.
	snow := time.Date(today.Year(), 1, 11, 0, 0, 0, 0, clock.Shanghai)
	if snow.After(today) {
		snow = snow.AddDate(-1, 0, 0)
	}
	var second []reqPlace
	for _, f := range g.flats {
		if len(f.room) == 3 && f.room[0] == '2' && len(g.inFlat[f.household]) > 0 && (len(second) == 0 || f.building == second[0].building) {
			second = append(second, f)
		}
		if len(second) == 3 {
			break
		}
	}
	if len(second) < 3 || !snow.After(today.AddDate(-1, 0, 0)) {
		return
	}
	at := func(days, h, m int) time.Time {
		return snow.AddDate(0, 0, days).Add(time.Duration(h*60+m) * time.Minute).UTC()
	}
	yes := true
	first := &plan{story: true}
	first.r = requests.SeedRequest{Input: requests.Input{Channel: requests.ChannelPhone, Kind: requests.KindHelp, CategoryID: g.cats["heating"],
		HouseholdID: second[0].household, Urgency: requests.UrgencyUtilities, ResidentID: g.inFlat[second[0].household][0].id,
		Description: fmt.Sprintf("%s%s室来电：单元里%s，二楼几户暖气都不热了，屋里只有十一二度，天气预报说后天有大雪，家里有老人，请社区赶紧联系供热公司。", second[0].label, second[0].room, HeatingStory)},
		By: worker, At: at(-3, 8, 40)}
	hh := requests.Handler{Kind: requests.HandlerOrganisation, ID: g.heating}
	first.r.Steps = []requests.SeedStep{
		{Step: requests.Step{Action: requests.ActAccept}, Actor: worker, At: at(-3, 8, 45)},
		{Step: requests.Step{Action: requests.ActDispatch, Handler: &hh, Note: "大雪前必须恢复供暖，请供热公司第一时间处置"}, Actor: worker, At: at(-3, 8, 50)},
		{Step: requests.Step{Action: requests.ActSign}, Actor: g.partner, At: at(-3, 9, 20)},
		{Step: requests.Step{Action: requests.ActProgress, Note: "抢修人员到场，查明单元供热立管在一层管井内受损"}, Actor: g.partner, At: at(-3, 11, 0)},
		{Step: requests.Step{Action: requests.ActProgress, Note: "管材已到，关阀泄水后开始更换受损管段"}, Actor: g.partner, At: at(-2, 9, 30)},
		{Step: requests.Step{Action: requests.ActResult, Note: "更换受损立管两米，试压合格后恢复供暖，二楼室温回升到19度"}, Actor: g.partner, At: at(-1, 15, 30)},
		{Step: requests.Step{Action: requests.ActVerify, Note: "社区工作人员入户测温确认"}, Actor: worker, At: at(-1, 17, 0)},
		{Step: requests.Step{Action: requests.ActCallback, Resolved: &yes, Satisfaction: requests.Satisfied, Note: "大雪前恢复了供暖，该楼居民送来感谢信"}, Actor: worker, At: at(1, 10, 0)},
	}
	first.shots = []reqShot{{step: -1, shot: shotRadiator}} // the cold radiator and the thermometer
	g.plans = append(g.plans, first)
	for i, f := range second[1:] {
		d := &plan{story: true, into: first}
		d.r = requests.SeedRequest{Input: requests.Input{Channel: requests.ChannelPhone, Kind: requests.KindComplaint, CategoryID: g.cats["heating"],
			HouseholdID: f.household, Urgency: requests.UrgencyUtilities, ResidentID: g.inFlat[f.household][0].id,
			Description: fmt.Sprintf("%s室也反映暖气不热，和楼下邻居说的是同一根管子的问题。", f.room)},
			By: worker, At: at(-3, 9+i, 5)}
		d.r.Steps = []requests.SeedStep{{Step: requests.Step{Action: requests.ActMerge}, Actor: worker, At: at(-3, 9+i, 15)}}
		g.plans = append(g.plans, d)
	}
}

// stuckIn are the statuses in which a limit counts (requests.pendingDues):
// a request left in one of them is overdue by now.
var stuckIn = []requests.Status{requests.Submitted, requests.Accepted, requests.Returned, requests.Dispatched,
	requests.InProgress, requests.ExtensionRequested}

// batch puts the plans in the order they came in, drops what has not
// happened yet, leaves a few old ones stuck (overdue), and turns the
// links between plans into positions.
func (g *reqGen) batch() []requests.SeedRequest {
	slices.SortStableFunc(g.plans, func(a, b *plan) int { return a.r.At.Compare(b.r.At) })
	now := g.s.Anchor.UTC()
	stuck := 0
	for i, p := range g.plans {
		p.pos = i
		age := now.Sub(p.r.At)
		if !p.story && p.into == nil && stuck < 14 && age > 20*24*time.Hour && age < 200*24*time.Hour && len(p.r.Steps) > 4 && g.rnd.IntN(40) == 0 {
			// Left where it got to: an office that never sent it on, a
			// handler who never came back. Where a limit counts, so it
			// shows overdue: not after its result, which no limit follows.
			n := 1 + g.rnd.IntN(len(p.r.Steps)-2)
			for n > 1 && !slices.Contains(stuckIn, requests.Machine[p.r.Steps[n-1].Action].To) {
				n--
			}
			p.r.Steps = p.r.Steps[:n]
			stuck++
		}
		kept := p.r.Steps[:0]
		for _, st := range p.r.Steps {
			if st.At.After(now) {
				break
			}
			kept = append(kept, st)
		}
		p.r.Steps = kept
	}
	out := make([]requests.SeedRequest, len(g.plans))
	for i, p := range g.plans {
		for j := range p.r.Steps {
			if p.r.Steps[j].Action == requests.ActMerge {
				p.r.Steps[j].Into = int64(p.into.pos)
			}
		}
		for _, q := range p.related {
			p.r.Related = append(p.r.Related, q.pos)
		}
		out[i] = p.r
	}
	return out
}
