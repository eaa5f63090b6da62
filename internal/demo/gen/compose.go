package gen

// member is a person before they get a name, birth date and documents.
type member struct {
	rel     string
	male    bool
	age     int
	surname string
	res     Resident
}

// house is a household before it is placed in a flat.
type house struct {
	kind     *kind
	members  []*member // householder first
	newcomer bool      // moved to the city recently: 新市民, ID from elsewhere
	area     string    // a newcomer family's area code of origin
	score    float64   // youngness plus noise, to pick an estate
	flat     flat
	landline string
	tags     []string
	fixed    bool // the demo's household 1: no drawn statuses
}

// kind is a household type with its count in a community of 2,250. The
// counts are fixed so that the figures a worker sees on the demo (120
// elderly living alone, about 28% aged 60+, about 400 children of 5-14)
// do not depend on the seed: 2,250 households, 4,100 people before the
// few adult children who are 60+ themselves.
type kind struct {
	name     string
	count    int
	young    float64 // 0 elderly .. 1 young: newer estates get younger households
	newcomer float64 // chance the household is 新市民
	make     func(c *community) []*member
}

var kinds = []*kind{
	{"alone elder", 120, 0.1, 0, func(c *community) []*member {
		return []*member{c.person(RelHead, c.chance(0.3), c.elderAge(true), "")}
	}},
	{"elderly couple", 85, 0.15, 0, func(c *community) []*member {
		h := c.between(62, 92)
		return c.couple(h, max(60, h-c.between(-2, 5)), c.chance(0.75))
	}},
	{"elder with younger spouse", 30, 0.3, 0, func(c *community) []*member {
		return c.couple(c.between(60, 68), c.between(52, 59), c.chance(0.7))
	}},
	{"elder and adult child", 390, 0.3, 0, func(c *community) []*member {
		e := c.person(RelHead, c.chance(0.35), c.elderAge(false), "")
		ch := c.child(e, max(18, e.age-c.between(22, 36)), "")
		if c.chance(0.4) { // the child is registered as 户主
			e.rel, ch.rel = RelParent, RelHead
			return []*member{ch, e}
		}
		return []*member{e, ch}
	}},
	{"elderly couple and adult child", 80, 0.25, 0, func(c *community) []*member {
		h := c.between(60, 86)
		m := c.couple(h, max(60, h-c.between(-2, 5)), true)
		return append(m, c.child(m[0], max(18, min(m[0].age, m[1].age)-c.between(22, 34)), ""))
	}},
	{"couple and elderly parent", 50, 0.4, 0, func(c *community) []*member {
		h := c.between(45, 59)
		m := c.couple(h, min(59, max(40, h-c.between(-2, 5))), c.chance(0.7))
		p := c.parent(m[0], h+c.between(22, 34))
		return append(m, p)
	}},
	{"elder and grandchild", 40, 0.35, 0, func(c *community) []*member {
		k := c.minorAge()
		e := c.person(RelHead, c.chance(0.35), max(60, k+c.between(46, 62)), "")
		return []*member{e, c.grandchild(e, k)}
	}},
	{"elderly couple and grandchild", 30, 0.35, 0, func(c *community) []*member {
		k := c.minorAge()
		h := max(60, k+c.between(48, 62))
		m := c.couple(h, max(60, h-c.between(-2, 5)), true)
		return append(m, c.grandchild(m[0], k))
	}},
	{"elder, adult child and grandchild", 40, 0.45, 0, func(c *community) []*member {
		k := c.minorAge()
		p := k + c.between(24, 36)
		e := c.person(RelHead, c.chance(0.4), max(60, p+c.between(22, 32)), "")
		ch := c.child(e, p, "")
		return []*member{e, ch, c.grandchild(ch, k)}
	}},
	{"elderly couple, adult child and grandchild", 25, 0.45, 0, func(c *community) []*member {
		k := c.minorAge()
		p := k + c.between(24, 36)
		h := max(60, p+c.between(23, 32))
		m := c.couple(h, max(60, h-c.between(-2, 5)), true)
		ch := c.child(m[0], p, "")
		return append(m, ch, c.grandchild(ch, k))
	}},
	{"three generations", 20, 0.55, 0, func(c *community) []*member {
		k := c.minorAge()
		f := k + c.between(25, 36)
		m := c.couple(f, max(20, f-c.between(-1, 4)), true)
		kid := c.child(m[0], k, "")
		g := max(60, f+c.between(23, 32))
		gf := c.parent(m[0], g)
		gf.male, gf.surname = true, m[0].surname
		gm := c.person(RelParent, false, max(60, g-c.between(-2, 5)), c.otherSurname(gf.surname))
		return append(m, kid, gf, gm)
	}},
	{"young family", 220, 0.8, 0.12, func(c *community) []*member {
		k := c.minorAge()
		mo := min(50, k+c.between(24, 36))
		m := c.couple(min(59, mo+c.between(-1, 4)), mo, c.chance(0.8))
		return append(m, c.child(father(m), k, ""))
	}},
	{"single parent", 60, 0.6, 0, func(c *community) []*member {
		k := c.minorAge()
		p := c.person(RelHead, c.chance(0.25), k+c.between(24, 40), "")
		return []*member{p, c.child(p, k, "")}
	}},
	{"couple and two children", 35, 0.75, 0, func(c *community) []*member {
		k1, k2 := c.minorAge(), c.minorAge()
		mo := min(50, max(k1, k2)+c.between(24, 34))
		m := c.couple(min(59, mo+c.between(-1, 4)), mo, c.chance(0.8))
		a := c.child(father(m), k1, "")
		b := c.child(father(m), k2, a.surname)
		return append(m, a, b)
	}},
	{"middle-aged couple", 70, 0.45, 0, func(c *community) []*member {
		h := c.between(45, 59)
		return c.couple(h, min(59, max(40, h-c.between(-2, 5))), c.chance(0.8))
	}},
	{"young couple", 50, 0.85, 0.4, func(c *community) []*member {
		h := c.between(23, 38)
		return c.couple(h, max(20, h-c.between(-2, 4)), c.chance(0.7))
	}},
	{"two adults", 25, 0.5, 0.2, func(c *community) []*member {
		a := c.person(RelHead, c.chance(0.5), c.between(25, 59), "")
		s := ""
		if c.chance(0.6) { // siblings
			s = a.surname
		}
		return []*member{a, c.person(RelOther, c.chance(0.5), c.between(25, 59), s)}
	}},
	{"young single", 400, 0.8, 0.4, func(c *community) []*member {
		return []*member{c.person(RelHead, c.chance(0.55), c.between(20, 34), "")}
	}},
	{"single", 480, 0.5, 0, func(c *community) []*member {
		return []*member{c.person(RelHead, c.chance(0.5), c.between(35, 59), "")}
	}},
}

// person makes a member; surname "" draws one.
func (c *community) person(rel string, male bool, age int, surname string) *member {
	if surname == "" {
		surname = c.surname()
	}
	return &member{rel: rel, male: male, age: age, surname: surname}
}

// couple makes a husband of age h and a wife of age w; the husband is
// householder when husbandHead, else the wife.
func (c *community) couple(h, w int, husbandHead bool) []*member {
	hu := c.person(RelHead, true, h, "")
	wi := c.person(RelSpouse, false, w, c.otherSurname(hu.surname))
	if husbandHead {
		return []*member{hu, wi}
	}
	hu.rel, wi.rel = RelSpouse, RelHead
	return []*member{wi, hu}
}

func father(m []*member) *member {
	for _, x := range m {
		if x.male {
			return x
		}
	}
	return m[0]
}

// child makes a child of p who takes the father's surname: p's if p is
// the father, usually another (the absent father's) if p is the mother.
// surname, when set, wins (siblings share one).
func (c *community) child(p *member, age int, surname string) *member {
	if surname == "" {
		surname = p.surname
		if !p.male && c.chance(0.85) {
			surname = c.otherSurname(p.surname)
		}
	}
	return c.person(RelChild, c.chance(0.52), age, surname)
}

func (c *community) grandchild(p *member, age int) *member {
	k := c.child(p, age, "")
	k.rel = RelGrandchild
	return k
}

// parent makes the householder's parent: a father shares the surname.
func (c *community) parent(h *member, age int) *member {
	male := c.chance(0.3)
	s := ""
	if male {
		s = h.surname
	}
	return c.person(RelParent, male, age, s)
}
