package idcard

import "time"

// Age is the age in whole years (周岁) on now's calendar date in
// Asia/Shanghai, whatever zones birth and now are in: someone born
// 2012-11-29 is 13 on 2026-11-28 and 14 on 2026-11-29. A person born on
// 29 February turns a year older on 1 March in common years. Ages of
// children decide team eligibility (5-14) and 未成年 status, so the
// server's own time zone must not shift a birthday by a day. A birth after
// now gives 0.
func Age(birth, now time.Time) int {
	by, bm, bd := birth.In(shanghai).Date()
	ny, nm, nd := now.In(shanghai).Date()
	age := ny - by
	if nm < bm || nm == bm && nd < bd {
		age--
	}
	return max(age, 0)
}
