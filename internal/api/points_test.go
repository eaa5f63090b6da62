package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/linli/linli/internal/points"
	"github.com/linli/linli/internal/testkit/server"
)

// Points through the API: the volunteer's balance from a year of
// service, the shop, an exchange, a refusal when points run short, the
// office taking an item back.
func TestPointsThroughTheAPI(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true})
	vol := s.Login(t, "volunteer")
	st, b := s.Do(t, "GET", "/api/v1/points", vol, nil)
	var sum points.Summary
	if st != 200 || json.Unmarshal(b, &sum) != nil || sum.Balance <= 0 {
		t.Fatalf("points: %d %s", st, b)
	}
	st, b = s.Do(t, "GET", "/api/v1/shop", vol, nil)
	var shop struct{ Items []points.Item }
	if st != 200 || json.Unmarshal(b, &shop) != nil || len(shop.Items) < 5 {
		t.Fatalf("shop: %d %s", st, b)
	}
	cheap, dear := shop.Items[0], shop.Items[len(shop.Items)-1]
	st, b = s.Do(t, "POST", fmt.Sprintf("/api/v1/shop/%d/redeem", cheap.ID), vol, map[string]int{"quantity": 1})
	var red points.Redemption
	if st != 201 || json.Unmarshal(b, &red) != nil || red.Points != cheap.Cost {
		t.Fatalf("redeem: %d %s", st, b)
	}
	// More than the balance: 409 with the reason, nothing taken.
	n := sum.Balance/dear.Cost + 1
	if n <= 20 {
		st, b = s.Do(t, "POST", fmt.Sprintf("/api/v1/shop/%d/redeem", dear.ID), vol, map[string]int{"quantity": n})
		if st != 409 || !strings.Contains(string(b), "积分不足") && !strings.Contains(string(b), "库存不足") {
			t.Errorf("too dear: %d %s", st, b)
		}
	}
	if st, _ := s.Do(t, "POST", fmt.Sprintf("/api/v1/shop/%d/redeem", cheap.ID), vol, map[string]int{"quantity": 0}); st != 422 {
		t.Errorf("quantity 0: %d", st)
	}
	// The volunteer cannot stock the shelf or take items back; the worker can.
	if st, _ := s.Do(t, "POST", fmt.Sprintf("/api/v1/redemptions/%d/return", red.ID), vol, nil); st != 403 {
		t.Errorf("volunteer returns: %d", st)
	}
	worker := s.Login(t, "worker")
	if st, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/redemptions/%d/return", red.ID), worker, nil); st != 200 {
		t.Errorf("worker takes back: %d %s", st, b)
	}
	st, b = s.Do(t, "GET", "/api/v1/points", vol, nil)
	var after points.Summary
	if st != 200 || json.Unmarshal(b, &after) != nil || after.Balance != sum.Balance {
		t.Errorf("balance after exchange and return: %d, want %d", after.Balance, sum.Balance)
	}
	// Another volunteer's points are not the leader's to see.
	if st, _ := s.Do(t, "GET", fmt.Sprintf("/api/v1/points?volunteer_id=%d", sum.VolunteerID), s.Login(t, "leader"), nil); st != 404 {
		t.Errorf("leader reads the volunteer's points: %d", st)
	}
	if st, _ := s.Do(t, "POST", "/api/v1/shop", worker, map[string]any{"name": "围巾", "cost": 80, "stock": 5, "active": true}); st != 201 {
		t.Errorf("add item: %d", st)
	}
	if st, _ := s.Do(t, "POST", "/api/v1/shop", worker, map[string]any{"name": "", "cost": -1}); st != 422 {
		t.Errorf("bad item: %d", st)
	}
}
