package demo

import (
	"context"
	"fmt"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/tenancy"
)

// The community of the article. Teams are listed by name, with what the
// article says each does; the volunteers issue fills them with members.
var teams = []struct{ name, desc string }{
	{"五彩益童心梦", "5-14岁少年儿童志愿服务队，2018年成立，每月最后一个周六在社区活动室开展活动"},
	{"晨之美", "清晨环境清洁与文明劝导"},
	{"美丽家园", "楼院环境整治与绿化美化"},
	{"微力无限楼院管家", "楼栋长、单元长组成的楼院管家队伍"},
	{"五彩益惠民购", "便民购物与团购服务"},
	{"五彩益家亲", "邻里互助与家庭关爱"},
	{"五彩益健康团", "健康讲座、义诊与健身指导"},
	{"五彩益生活", "生活服务与技能培训，如老年人智能手机课"},
	{"五彩益先锋团", "党员先锋志愿服务"},
	{"五彩益艺舞团", "文艺演出与广场舞"},
	{"社区能人先锋队", "水电维修、家电修理等能人志愿服务"},
}

var branches = []string{
	"建胜路社区第一党支部（平安小区）", "建胜路社区第二党支部（建胜里）", "建胜路社区第三党支部（胜利北街）",
	"建胜路社区第四党支部（离退休党员）", "建胜路社区第五党支部（流动党员）", "建胜路社区第六党支部（红色物业）",
}

var orgs = []struct{ name, kind string }{
	{"平安物业服务中心（红色物业）", "property"},
	{"德仁社会工作服务中心", "social_work"},
	{"建胜路小学", "school"},
	{"桥西区供热公司", "utility"},
	{"桥西区人民医院（共建单位）", "co_building"},
	{"石家庄市义工联合会（红色社会组织）", "social_org"},
}

// Grids: the community is split into eight grids by estate.
var grids = []string{
	"第一网格（平安小区东区）", "第二网格（平安小区西区）", "第三网格（建胜里）", "第四网格（胜利北街1-8号楼）",
	"第五网格（胜利北街9-16号楼）", "第六网格（铁路宿舍）", "第七网格（商业街区）", "第八网格（新建胜家园）",
}

// DemoUser is one demo login.
type DemoUser struct {
	Username, Name string
	Note           string // who they are, for the start-up message and README
	Grant          func(s *Seeder) accounts.Grant
}

// Users: one per role, as README lists them.
var Users = []DemoUser{
	{"admin", "李建华", "社区党委书记", func(s *Seeder) accounts.Grant {
		return accounts.Grant{Role: accounts.Admin, CommunityID: s.CommunityID}
	}},
	{"worker", "王芳", "社工", func(s *Seeder) accounts.Grant {
		return accounts.Grant{Role: accounts.Worker, CommunityID: s.CommunityID}
	}},
	{"grid", "张伟", "第一网格网格员", func(s *Seeder) accounts.Grant {
		return accounts.Grant{Role: accounts.Grid, CommunityID: s.CommunityID, GridID: s.Grids[0]}
	}},
	{"leader", "刘静", "五彩益童心梦队长", func(s *Seeder) accounts.Grant {
		return accounts.Grant{Role: accounts.Leader, CommunityID: s.CommunityID, TeamID: s.Teams["五彩益童心梦"]}
	}},
	{"volunteer", "赵建国", "电工志愿者", func(s *Seeder) accounts.Grant {
		return accounts.Grant{Role: accounts.Volunteer, CommunityID: s.CommunityID}
	}},
	// The resident's household row arrives with the registry; household 1
	// is 平安小区 1号楼1单元101 there.
	{"resident", "陈秀英", "平安小区居民", func(s *Seeder) accounts.Grant {
		return accounts.Grant{Role: accounts.Resident, CommunityID: s.CommunityID, HouseholdID: 1}
	}},
	{"partner", "孙磊", "供热公司客服", func(s *Seeder) accounts.Grant {
		return accounts.Grant{Role: accounts.Partner, CommunityID: s.CommunityID, OrganisationID: s.Orgs["桥西区供热公司"]}
	}},
	{"street", "周敏", "东风街道", func(s *Seeder) accounts.Grant {
		return accounts.Grant{Role: accounts.Street, StreetID: s.StreetID}
	}},
}

func foundation(ctx context.Context, s *Seeder, tx *db.Tx) error {
	now := s.Anchor.UTC()
	var err error
	if s.StreetID, err = s.Tenancy.CreateStreet(ctx, tx, tenancy.Street{Code: "dongfeng", Name: "东风街道", District: "桥西区", City: "石家庄市"}, now); err != nil {
		return err
	}
	if s.CommunityID, err = s.Tenancy.CreateCommunity(ctx, tx, tenancy.Community{StreetID: s.StreetID, Code: "jsl",
		Name: "建胜路社区", Address: "石家庄市桥西区东风街道建胜路"}, now); err != nil {
		return err
	}
	s.Grids = nil
	for i, name := range grids {
		id, err := s.Tenancy.CreateGrid(ctx, tx, tenancy.Grid{CommunityID: s.CommunityID, Number: i + 1, Name: name}, now)
		if err != nil {
			return err
		}
		s.Grids = append(s.Grids, id)
	}
	for _, b := range branches {
		if _, err := s.Tenancy.CreateUnit(ctx, tx, "party_branches", tenancy.Unit{CommunityID: s.CommunityID, Name: b}, now); err != nil {
			return err
		}
	}
	s.Teams = map[string]int64{}
	for _, t := range teams {
		id, err := s.Tenancy.CreateUnit(ctx, tx, "teams", tenancy.Unit{CommunityID: s.CommunityID, Name: t.name}, now)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE teams SET description = ? WHERE id = ?`, t.desc, id); err != nil {
			return fmt.Errorf("demo: team description: %w", err)
		}
		s.Teams[t.name] = id
	}
	s.Orgs = map[string]int64{}
	for _, o := range orgs {
		id, err := s.Tenancy.CreateUnit(ctx, tx, "organisations", tenancy.Unit{CommunityID: s.CommunityID, Name: o.name, Kind: o.kind}, now)
		if err != nil {
			return err
		}
		s.Orgs[o.name] = id
	}
	for _, u := range Users {
		if err := s.Accounts.CreateDemoAccount(ctx, tx, u.Username, u.Name, s.Password, u.Grant(s), now); err != nil {
			return err
		}
		s.Created = append(s.Created, u.Username)
	}
	return nil
}
