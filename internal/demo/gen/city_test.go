package gen

import (
	"crypto/sha256"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/idcard"
)

func digest(t testing.TB, v any) [32]byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestDeterministic(t *testing.T) {
	a, b := digest(t, Community(7, anchor)), digest(t, Community(7, anchor))
	if a != b {
		t.Fatal("two runs with one seed differ")
	}
	if digest(t, Community(8, anchor)) == a {
		t.Error("seeds 7 and 8 give the same registry")
	}
	// A later hour of the same Shanghai day is the same anchor.
	if digest(t, Community(7, anchor.Add(5*time.Hour))) != a {
		t.Error("the anchor's time of day changed the registry")
	}
}

func TestCity(t *testing.T) {
	city := City(4, 1, anchor)
	if len(city) != 4 || digest(t, city[0]) != digest(t, demo(t, 1)) {
		t.Fatal("the first community of a City is not the demo community")
	}
	names, estates, keys, ids, mobiles := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	once := func(seen map[string]bool, what, v string) {
		if seen[v] {
			t.Errorf("%s %q twice in the city", what, v)
		}
		seen[v] = true
	}
	for _, r := range city {
		once(names, "community", r.Community)
		if len(r.Households) != Households || len(r.Buildings) != len(city[0].Buildings) {
			t.Errorf("%s: %d households, %d buildings", r.Community, len(r.Households), len(r.Buildings))
		}
		for _, e := range r.Estates {
			once(estates, "estate", e.Name)
		}
		for _, h := range r.Households {
			once(keys, "household", h.Key)
		}
		for _, p := range r.Residents {
			once(keys, "resident", p.Key)
			if p.IDNumber != "" {
				once(ids, "ID number", p.IDNumber)
			}
			if p.Phone != "" && !strings.HasPrefix(p.Phone, "0") {
				once(mobiles, "mobile", p.Phone)
			}
			if p.DocType == idcard.DocIDCard {
				if _, err := idcard.ValidateAt(p.IDNumber, anchor); err != nil {
					t.Errorf("%s: %v", p.Key, err)
				}
			}
		}
		if s := r.Summary(anchor); math.Abs(float64(s.Aged60)/float64(s.Residents)-0.28) > 0.02 {
			t.Errorf("%s: %d of %d aged 60+", r.Community, s.Aged60, s.Residents)
		}
	}
}

func BenchmarkCommunity(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		Community(int64(i), anchor)
	}
}
