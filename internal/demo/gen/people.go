package gen

import (
	"math/rand/v2"
	"time"

	"github.com/linli/linli/internal/idcard"
)

// Surnames with weights roughly following their frequency in Hebei: 王,
// 李, 张, 刘 and 赵 fill whole stairwells. A few compound surnames give the
// rare four-character name.
var surnames, surnameWeights = func() ([]string, []float64) {
	common := []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"}
	top := []float64{80, 75, 70, 62, 40, 30, 34, 18, 18, 16, 14, 16, 14, 12, 11, 14, 9, 13, 6, 7}
	rest := []rune("郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	names, weights := common, top
	for i, r := range rest {
		names = append(names, string(r))
		weights = append(weights, 6-4.5*float64(i)/float64(len(rest)))
	}
	for _, s := range []string{"欧阳", "司马", "上官"} {
		names = append(names, s)
		weights = append(weights, 0.15)
	}
	return names, weights
}()

// Given names by the decade a person was born in: 秀英 and 桂兰 for women
// born before the 1950s, 建国 and 国庆 for the 1950s-60s, one-character
// names for the 1970s-80s, 子涵 and 浩宇 for children today.
var given = []struct {
	until        int // last birth year of the generation
	male, female []string
}{
	{1950, []string{"德明", "富贵", "国栋", "树林", "振华", "福海", "广才", "德胜", "文斌", "玉山", "长顺", "永福", "宝山", "进才", "志成", "洪章", "守义", "殿臣"},
		[]string{"秀英", "桂兰", "淑珍", "凤英", "玉兰", "秀兰", "桂英", "玉珍", "淑英", "凤兰", "秀珍", "桂芳", "玉英", "兰英", "素珍", "淑兰", "翠兰", "桂珍"}},
	{1965, []string{"建国", "建华", "国华", "志强", "国庆", "卫东", "建军", "国强", "援朝", "胜利", "建平", "志刚", "永强", "跃进", "和平", "振国", "保国"},
		[]string{"秀梅", "丽华", "淑芬", "桂香", "秀云", "凤琴", "玉梅", "秀芳", "桂荣", "金凤", "红英", "兰芳", "建英", "素华", "秀琴", "玉霞"}},
	{1979, []string{"伟", "勇", "军", "强", "刚", "磊", "海涛", "建伟", "立新", "晓东", "志勇", "卫国", "红波", "春生", "建新", "立军"},
		[]string{"丽", "红", "艳", "敏", "静", "丽娟", "红梅", "海燕", "晓燕", "艳红", "春梅", "秀娟", "丽萍", "玉洁", "彩霞", "艳芳"}},
	{1994, []string{"磊", "鹏", "超", "浩", "亮", "涛", "斌", "杰", "明", "凯", "帅", "鑫", "宁", "晓明", "志鹏", "海波", "建", "博"},
		[]string{"静", "婷", "娜", "晶", "倩", "雪", "燕", "颖", "丹", "婷婷", "晓丽", "佳", "文静", "美玲", "丽娜", "晓雪"}},
	{2009, []string{"浩然", "宇航", "子豪", "俊杰", "鹏飞", "家豪", "天宇", "博文", "明轩", "嘉伟", "志豪", "晨阳", "浩", "宇"},
		[]string{"欣怡", "雨欣", "佳琪", "思雨", "梦瑶", "雅琪", "婧", "梦琪", "文慧", "可欣", "雨萱", "佳怡", "璐", "悦"}},
	{9999, []string{"浩宇", "宇轩", "子墨", "梓睿", "一诺", "俊熙", "奕辰", "宇泽", "浩轩", "沐阳", "皓轩", "子轩", "梓豪", "睿泽"},
		[]string{"子涵", "梓萱", "一诺", "欣怡", "诗涵", "梓涵", "雨桐", "可馨", "若汐", "语桐", "思彤", "依诺", "沐晨", "芷若"}},
}

// pickWeighted returns an index drawn with the given weights.
func pickWeighted(r *rand.Rand, w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	u := r.Float64() * total
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

func (c *community) surname() string { return surnames[pickWeighted(c.r, surnameWeights)] }

// otherSurname is a surname different from s, for a spouse.
func (c *community) otherSurname(s string) string {
	for {
		if t := c.surname(); t != s {
			return t
		}
	}
}

// name gives a person a name fitting their birth year, different from
// every name in taken (no household has two 王静).
func (c *community) name(surname string, male bool, birthYear int, taken []string) string {
	for try := 0; ; try++ {
		g := given[len(given)-1]
		for _, x := range given {
			if birthYear <= x.until {
				g = x
				break
			}
		}
		list := g.female
		if male {
			list = g.male
		}
		n := surname + list[c.r.IntN(len(list))]
		if try > 20 || !contains(taken, n) {
			return n
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// between draws an integer in [lo, hi].
func (c *community) between(lo, hi int) int { return lo + c.r.IntN(hi-lo+1) }

// chance is true with probability p.
func (c *community) chance(p float64) bool { return c.r.Float64() < p }

// elderAge draws the age of a person of 60 or more; people living alone
// are older on average (most are widowed).
func (c *community) elderAge(alone bool) int {
	w := []float64{45, 35, 17, 3}
	if alone {
		w = []float64{28, 40, 27, 5}
	}
	lo := 60 + 10*pickWeighted(c.r, w)
	if lo == 90 {
		return c.between(90, 97)
	}
	return c.between(lo, lo+9)
}

// minorWeights make 5-14 year-olds about four in five of all children, as
// in an estate whose young couples moved out and left school-age
// grandchildren with their grandparents.
var minorWeights = func() []float64 {
	w := make([]float64, 18)
	for a := range w {
		switch {
		case a < 5:
			w[a] = 0.5
		case a <= 14:
			w[a] = 1.6
		default:
			w[a] = 0.6
		}
	}
	return w
}()

func (c *community) minorAge() int { return pickWeighted(c.r, minorWeights) }

// birth draws a birth date for someone who is age years old on the
// anchor date, counted the way idcard.Age counts.
func (c *community) birth(age int) time.Time {
	a := c.w.anchor
	hi := a.AddDate(-age, 0, 0)
	if idcard.Age(hi, a) < age { // anchor on 29 February
		hi = hi.AddDate(0, 0, -1)
	}
	lo := a.AddDate(-age-1, 0, 1)
	days := int(hi.Sub(lo).Hours()/24 + 0.5)
	b := lo.AddDate(0, 0, c.r.IntN(days+1))
	if idcard.Age(b, a) != age {
		b = hi
	}
	return b
}
