package gen

import (
	"fmt"
	"strconv"
)

// estatePlan describes one estate: how many buildings, their stairwells,
// storeys, age and grid. The plan is fixed, not drawn from the seed, so
// building and flat keys never move between demo databases.
type estatePlan struct {
	name, address string
	street        bool  // a street of numbered buildings: addresses read "胜利北街9号楼"
	buildings     int   // numbered 1..n
	units         []int // stairwells per building, cycled
	floors        int   // storeys
	firstFloor    int   // lowest residential floor
	year, span    int   // built between year and year+span-1
	grid          func(n int) int
	newness       float64 // 0 old, 1 new: younger households tend to live in newer estates
}

// place names a community and its district.
type place struct {
	community, district, area string // area: the district's ID area code
	word                      string // the invented communities' name stem
}

var districts = []struct{ name, area string }{
	{"桥西区", "130104"}, {"长安区", "130102"}, {"新华区", "130105"}, {"裕华区", "130108"},
}

// demoPlan is 建胜路社区: 2,380 flats for its 2,250 households.
func demoPlan() []estatePlan {
	return []estatePlan{
		{"平安小区", "石家庄市桥西区平安南大街56号", false, 28, []int{3, 3, 4, 3, 2, 3, 4, 3}, 6, 1, 1984, 9,
			func(n int) int { return 1 + (n-1)/14 }, 0.3},
		{"建胜里", "石家庄市桥西区建胜路12号", false, 10, []int{3, 3, 2, 3, 4, 3, 3, 2, 3, 3}, 6, 1, 1986, 5,
			func(int) int { return 3 }, 0.3},
		{"胜利北街", "石家庄市桥西区胜利北街", true, 16, []int{2, 3, 2, 3, 3, 2, 3, 2}, 6, 1, 1990, 7,
			func(n int) int { return 4 + (n-1)/8 }, 0.45},
		{"铁路宿舍", "石家庄市桥西区建胜路88号", false, 8, []int{3, 3, 4, 3, 3, 3, 2, 3}, 5, 1, 1979, 7,
			func(int) int { return 6 }, 0.1},
		{"建胜路商业街", "石家庄市桥西区建胜路", true, 4, []int{2}, 6, 2, 1996, 4,
			func(int) int { return 7 }, 0.6},
		{"新建胜家园", "石家庄市桥西区建胜路200号", false, 4, []int{2}, 11, 1, 2009, 3,
			func(int) int { return 8 }, 0.85},
	}
}

var demoGrids = []string{
	"第一网格（平安小区东区）", "第二网格（平安小区西区）", "第三网格（建胜里）", "第四网格（胜利北街1-8号楼）",
	"第五网格（胜利北街9-16号楼）", "第六网格（铁路宿舍）", "第七网格（商业街区）", "第八网格（新建胜家园）",
}

// Stems of the invented communities of a City. 平安, 建胜, 胜利 and 铁路
// are left out so no invented estate is mistaken for the demo's.
var stems = []string{
	"和平", "新华", "裕华", "长安", "维明", "友谊", "红旗", "槐安", "联盟", "中华",
	"汇通", "东岗", "塔谈", "建华", "育才", "光华", "民族", "振头", "休门", "范西",
	"谈固", "北焦", "石岗", "留营", "跃进", "建设", "康乐", "向阳", "丰收", "朝阳",
}

var works = []string{"纺织", "电力", "化工", "邮电", "棉纺", "机床厂", "制药厂", "供电局", "印染厂", "煤机厂"}

// cityPlace invents community k (k >= 1) of a City.
func cityPlace(k int) place {
	i := k - 1
	word := stems[i%len(stems)] + []string{"", "东", "西", "南", "北"}[(i/len(stems))%5]
	if n := i / (len(stems) * 5); n > 0 {
		word += strconv.Itoa(n + 1)
	}
	d := districts[k%len(districts)]
	return place{community: word + "路社区", district: d.name, area: d.area, word: word}
}

// cityPlan gives an invented community the demo's shape with its own
// names, stairwell patterns rotated and build years shifted.
func cityPlan(k int, p place) []estatePlan {
	plans := demoPlan()
	road := "石家庄市" + p.district + p.word + "路"
	work := works[(k-1)%len(works)]
	names := []string{p.word + "小区", p.word + "里", p.word + "北街", p.word + work + "宿舍", p.word + "路商业街", "新" + p.word + "家园"}
	for i := range plans {
		e := &plans[i]
		e.name = names[i]
		e.address = fmt.Sprintf("%s%d号", road, 10+i*20+k%9)
		if e.street {
			e.address = road
			if i == 2 {
				e.address = "石家庄市" + p.district + p.word + "北街"
			}
		}
		r := k % len(e.units)
		e.units = append(e.units[r:len(e.units):len(e.units)], e.units[:r]...)
		e.year += k%5 - 2
	}
	return plans
}

func cityGrids(p place) []string {
	n := []string{"一", "二", "三", "四", "五", "六", "七", "八"}
	area := []string{p.word + "小区东区", p.word + "小区西区", p.word + "里", p.word + "北街1-8号楼",
		p.word + "北街9-16号楼", "宿舍区", "商业街区", "新" + p.word + "家园"}
	out := make([]string, 8)
	for i := range out {
		out[i] = "第" + n[i] + "网格（" + area[i] + "）"
	}
	return out
}

// flat is one dwelling before anybody is placed in it.
type flat struct {
	building *Building
	index    int // of the building, for sorting
	unit     int
	floor    int
	door     int
	newness  float64
}

func (f flat) room() string { return strconv.Itoa(f.floor*100 + f.door) }

// build lays out estates, buildings and flats from plans.
func build(plans []estatePlan) ([]Estate, []Building, []flat) {
	var estates []Estate
	var buildings []Building
	for _, e := range plans {
		estates = append(estates, Estate{Name: e.name, Address: e.address})
		for n := 1; n <= e.buildings; n++ {
			num := strconv.Itoa(n)
			addr := e.address + e.name + num + "号楼"
			if e.street {
				addr = e.address + num + "号楼"
			}
			buildings = append(buildings, Building{
				Key: e.name + "/" + num, Estate: e.name, Number: num, Address: addr,
				Year: e.year + (n*7)%e.span, Grid: e.grid(n), Floors: e.floors,
				Units: e.units[(n-1)%len(e.units)], FirstFloor: e.firstFloor,
			})
		}
	}
	newness := map[string]float64{}
	for _, e := range plans {
		newness[e.name] = e.newness
	}
	var flats []flat
	for i := range buildings {
		b := &buildings[i]
		for u := 1; u <= b.Units; u++ {
			for f := b.FirstFloor; f <= b.Floors; f++ {
				for d := 1; d <= 2; d++ {
					flats = append(flats, flat{building: b, index: i, unit: u, floor: f, door: d, newness: newness[b.Estate]})
				}
			}
		}
	}
	return estates, buildings, flats
}
