package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/linli/linli/internal/testkit/server"
)

// 赵建国 exchanges points at the shop; the worker takes the item back.
func TestPointsPages(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true})
	v := newBrowser(t, s)
	v.login("volunteer", server.Password)
	st, _, body := v.do("GET", "/me/points", nil, nil)
	expect(t, "my points", st, 200, body, "可用积分", "积分超市", "洗衣液一瓶", "积分规则")
	before := regexp.MustCompile(`id="balance">(\d+)<`).FindStringSubmatch(body)
	item := regexp.MustCompile(`action="/shop/(\d+)/redeem"`).FindStringSubmatch(body)
	if before == nil || item == nil {
		t.Fatal("no balance or nothing to exchange")
	}
	st, loc, _ := v.do("POST", "/shop/"+item[1]+"/redeem", url.Values{"quantity": {"1"}}, nil)
	if st != http.StatusSeeOther || loc != "/me/points" {
		t.Fatalf("redeem: %d %s", st, loc)
	}
	st, _, body = v.do("GET", "/me/points", nil, nil)
	expect(t, "after", st, 200, body, "兑换成功")
	if after := regexp.MustCompile(`id="balance">(\d+)<`).FindStringSubmatch(body); after == nil || after[1] == before[1] {
		t.Errorf("balance unchanged: %v → %v", before, after)
	}
	st, _, body = v.do("POST", "/shop/"+item[1]+"/redeem", url.Values{"quantity": {"500"}}, nil)
	expect(t, "500 at once", st, 422, body, "数量须为1到20")
	if st, _, _ := v.do("GET", "/shop", nil, nil); st != http.StatusForbidden {
		t.Errorf("volunteer opens the shop's back office: %d", st)
	}
	w := newBrowser(t, s)
	w.login("worker", server.Password)
	st, _, body = w.do("GET", "/shop", nil, nil)
	expect(t, "shop", st, 200, body, "最近兑换", "添加物品")
	ret := regexp.MustCompile(`action="/redemptions/(\d+)/return"`).FindStringSubmatch(body)
	if ret == nil {
		t.Fatal("nothing to take back")
	}
	if st, loc, _ := w.do("POST", "/redemptions/"+ret[1]+"/return", url.Values{}, nil); st != http.StatusSeeOther || loc != "/shop" {
		t.Errorf("take back: %d %s", st, loc)
	}
	st, _, body = w.do("POST", "/shop", url.Values{"name": {"围巾"}, "cost": {"0"}, "stock": {"5"}}, nil)
	expect(t, "bad item", st, 422, body, "所需积分须为1到100000")
}
