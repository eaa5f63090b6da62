package idcard

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// now is "today" for the tests: 2026-11-28 10:00 in Shanghai.
var now = time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)

// mk completes 17 digits with their check character. Test numbers are
// built, never copied from a real person.
func mk(t testing.TB, first17 string) string {
	t.Helper()
	c, err := CheckDigit(first17)
	if err != nil {
		t.Fatalf("CheckDigit(%q): %v", first17, err)
	}
	return first17 + string(c)
}

// wrongCheck returns id with a check character that does not match.
func wrongCheck(id string) string {
	c := byte('0')
	if id[17] == '0' {
		c = '1'
	}
	return id[:17] + string(c)
}

func TestCheckDigit(t *testing.T) {
	// The worked example of GB 11643-1999 itself.
	if c, err := CheckDigit("11010519491231002"); err != nil || c != 'X' {
		t.Fatalf("CheckDigit(standard example) = %q, %v; want X", c, err)
	}
	for in, reason := range map[string]string{"1101051949123100": ReasonLength, "1101051949123100A": ReasonChars, "": ReasonLength} {
		if _, err := CheckDigit(in); ReasonOf(err) != reason {
			t.Errorf("CheckDigit(%q) error %v, want reason %s", in, err, reason)
		}
	}
}

func TestValidateAt(t *testing.T) {
	male := mk(t, "13010419580312951") // odd sequence
	female := mk(t, "13010420121129962")
	withX := "11010519491231002X"
	fw := strings.NewReplacer("0", "０", "1", "１", "2", "２", "3", "３", "4", "４", "5", "５", "6", "６", "7", "７", "8", "８", "9", "９", "X", "Ｘ")
	tests := []struct {
		name, in string
		want     string // normalised number, or "" when an error is expected
		reason   string
	}{
		{"male", male, male, ""},
		{"female", female, female, ""},
		{"check X", withX, withX, ""},
		{"lower-case x", strings.ToLower(withX), withX, ""},
		{"spaces around and inside", "  110105 19491231 002x ", withX, ""},
		{"ideographic space", "\u3000" + male + "\u3000", male, ""},
		{"full-width", fw.Replace(withX), withX, ""},
		{"full-width lower x", strings.ReplaceAll(fw.Replace(withX), "Ｘ", "ｘ"), withX, ""},
		{"born today", mk(t, "13010420261128951"), mk(t, "13010420261128951"), ""},
		{"Hong Kong permit holder", mk(t, "81000019800101951"), mk(t, "81000019800101951"), ""},
		{"empty", "", "", ReasonLength},
		{"17 characters", male[:17], "", ReasonLength},
		{"19 characters", male + "1", "", ReasonLength},
		{"15-digit first generation", "130104580312951", "", ReasonLength},
		{"letter inside", male[:5] + "A" + male[6:], "", ReasonChars},
		{"X before the end", "X" + male[1:], "", ReasonChars},
		{"Chinese character", male[:17] + "一", "", ReasonChars},
		{"hyphen", male[:6] + "-" + male[7:], "", ReasonChars},
		{"province 00", mk(t, "00010419580312951"), "", ReasonArea},
		{"province 99", mk(t, "99010419580312951"), "", ReasonArea},
		{"province 16", mk(t, "16010419580312951"), "", ReasonArea},
		{"month 13", mk(t, "13010419581312951"), "", ReasonDate},
		{"day 00", mk(t, "13010419580300951"), "", ReasonDate},
		{"31 April", mk(t, "13010419580431951"), "", ReasonDate},
		{"29 February in a common year", mk(t, "13010420230229951"), "", ReasonDate},
		{"29 February in a leap year", mk(t, "13010420240229951"), mk(t, "13010420240229951"), ""},
		{"before 1900", mk(t, "13010418991231951"), "", ReasonDate},
		{"born tomorrow", mk(t, "13010420261129951"), "", ReasonFuture},
		{"born next century", mk(t, "13010421000101951"), "", ReasonFuture},
		{"wrong check digit", wrongCheck(male), "", ReasonCheck},
		{"transposed digits", male[:8] + male[9:10] + male[8:9] + male[10:], "", ReasonCheck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := ValidateAt(tt.in, now)
			if tt.reason != "" {
				if ReasonOf(err) != tt.reason {
					t.Fatalf("error %v, want reason %q", err, tt.reason)
				}
				if strings.Contains(err.Error(), Normalize(tt.in)) && tt.in != "" {
					t.Errorf("error message %q contains the number", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if info.Normalized != tt.want {
				t.Errorf("Normalized = %q, want %q", info.Normalized, tt.want)
			}
		})
	}
}

func TestValidateAtInfo(t *testing.T) {
	info, err := ValidateAt(mk(t, "13010419580312951"), now)
	if err != nil {
		t.Fatal(err)
	}
	want := Info{Normalized: mk(t, "13010419580312951"), Birth: time.Date(1958, 3, 12, 0, 0, 0, 0, time.UTC), Male: true, Province: "13", Area: "130104"}
	if info != want {
		t.Errorf("info = %+v, want %+v", info, want)
	}
	if info, _ := ValidateAt(mk(t, "13010420121129962"), now); info.Male {
		t.Error("even sequence read as male")
	}
}

// "Today" is the date in Shanghai: at 17:00 UTC on the 28th it is already
// the 29th there, so a child born on the 29th is no longer in the future.
func TestValidateAtShanghaiToday(t *testing.T) {
	id := mk(t, "13010420261129951")
	if _, err := ValidateAt(id, time.Date(2026, 11, 28, 15, 59, 0, 0, time.UTC)); !errors.Is(err, ErrFuture) {
		t.Errorf("at 23:59 Shanghai on the 28th: %v, want future", err)
	}
	if _, err := ValidateAt(id, time.Date(2026, 11, 28, 16, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("at 00:00 Shanghai on the 29th: %v", err)
	}
}

func TestErrorsIs(t *testing.T) {
	_, err := ValidateAt(wrongCheck(mk(t, "13010419580312951")), now)
	if !errors.Is(err, ErrCheck) || errors.Is(err, ErrDate) {
		t.Errorf("errors.Is mismatch for %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonCheck {
		t.Errorf("errors.As: %v", err)
	}
	if ReasonOf(errors.New("other")) != "" || ReasonOf(nil) != "" {
		t.Error("ReasonOf of a foreign error should be empty")
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		" 1301 0419\t5803 ":  "130104195803",
		"１３０１ｘ":              "1301X",
		"ｅ１２３４５６７８":          "E12345678",
		"\u3000abc\u3000":    "ABC",
		"13010419580312951一": "13010419580312951一",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateDoc(t *testing.T) {
	tests := []struct {
		doc, number, want, reason string
	}{
		{DocIDCard, mk(t, "13010419580312951"), mk(t, "13010419580312951"), ""},
		{DocIDCard, wrongCheck(mk(t, "13010419580312951")), "", ReasonCheck},
		{DocPassport, "e12345678", "E12345678", ""},
		{DocHKMOPermit, "H 1234 5678", "H12345678", ""},
		{DocTWPermit, "１２３４５６７８", "12345678", ""},
		{DocForeignPermanent, "USA310068010178", "USA310068010178", ""},
		{DocOther, "AB123", "AB123", ""},
		{DocPassport, "E123", "", ReasonLength},
		{DocPassport, strings.Repeat("1", 21), "", ReasonLength},
		{DocPassport, "E1234-5678", "", ReasonChars},
		{DocPassport, "护照E1234567", "", ReasonChars},
		{"driving_licence", "E12345678", "", ReasonDocType},
		{"", "E12345678", "", ReasonDocType},
	}
	for _, tt := range tests {
		got, err := NormalizeDoc(tt.doc, tt.number, now)
		if ReasonOf(err) != tt.reason || got != tt.want {
			t.Errorf("NormalizeDoc(%q, %q) = %q, %v; want %q, reason %q", tt.doc, tt.number, got, err, tt.want, tt.reason)
		}
		if err2 := ValidateDoc(tt.doc, tt.number, now); ReasonOf(err2) != tt.reason {
			t.Errorf("ValidateDoc(%q, %q) = %v", tt.doc, tt.number, err2)
		}
	}
	if len(DocTypes) != 6 || DocTypes[0] != DocIDCard {
		t.Errorf("DocTypes = %v", DocTypes)
	}
}
