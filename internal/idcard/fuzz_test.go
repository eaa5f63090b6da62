package idcard

import (
	"testing"
	"time"
)

// FuzzValidate: ValidateAt never panics, every failure is an *Error with a
// known reason, and every success is stable: its normalised number
// re-validates to the same Info and carries the right check character.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		"", "11010519491231002X", "11010519491231002x", " 110105 19491231 002X ",
		"１１０１０５１９４９１２３１００２Ｘ", "130104580312951", "13010419580312951",
		"000000000000000000", "99999999999999999X", "1301042023022995X", "13010421000101951X",
		"13010419580312951一", "\u3000\u3000", "ＸＸＸＸＸＸＸＸＸＸＸＸＸＸＸＸＸＸ",
	} {
		f.Add(s)
	}
	reasons := map[string]bool{ReasonLength: true, ReasonChars: true, ReasonArea: true, ReasonDate: true, ReasonFuture: true, ReasonCheck: true}
	at := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		info, err := ValidateAt(s, at)
		if err != nil {
			if !reasons[ReasonOf(err)] {
				t.Fatalf("ValidateAt(%q): unexpected error %v", s, err)
			}
			return
		}
		again, err := ValidateAt(info.Normalized, at)
		if err != nil || again != info {
			t.Fatalf("re-validating %q: %+v, %v; first %+v", info.Normalized, again, err, info)
		}
		c, err := CheckDigit(info.Normalized[:17])
		if err != nil || c != info.Normalized[17] {
			t.Fatalf("%q: check digit %q, %v", info.Normalized, c, err)
		}
		if Age(info.Birth, at) < 0 || info.Birth.After(at) {
			t.Fatalf("%q: birth %v after now", info.Normalized, info.Birth)
		}
		_ = MaskID(s)
	})
}

func BenchmarkValidate(b *testing.B) {
	id := mk(b, "13010419580312951")
	at := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ValidateAt(id, at); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateFullWidth(b *testing.B) {
	id := " １１０１０５１９４９１２３１００２ｘ "
	at := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ValidateAt(id, at); err != nil {
			b.Fatal(err)
		}
	}
}
