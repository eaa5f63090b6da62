package idcard

import "testing"

func TestNormalizePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "13812345678"},
		{"138 1234 5678", "13812345678"},
		{"138-1234-5678", "13812345678"},
		{"+86 138 1234 5678", "13812345678"},
		{"+8613812345678", "13812345678"},
		{"8613812345678", "13812345678"},
		{"008613812345678", "13812345678"},
		{"１３８１２３４５６７８", "13812345678"},
		{"19912345678", "19912345678"},
		{"0311-87654321", "0311-87654321"},
		{"031187654321", "0311-87654321"},
		{"(0311)87654321", "0311-87654321"},
		{"（0311）8765 4321", "0311-87654321"},
		{"０３１１－８７６５４３２１", "0311-87654321"},
		{"031-187654321", "0311-87654321"}, // the area-code rule wins over the writer's hyphen
		{"+86 311 8765 4321", "0311-87654321"},
		{"010-62345678", "010-62345678"},
		{"+86 10 6234 5678", "010-62345678"},
		{"021-5234567", "021-5234567"}, // 7-digit local number
		{"0755-26543210", "0755-26543210"},
	}
	for _, tt := range tests {
		got, err := NormalizePhone(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{
		"", "12812345678", "1381234567", "138123456789", "23812345678",
		"87654321",            // no area code: refused, not guessed
		"0311-07654321",       // local numbers do not start with 0
		"0311-876543210",      // 9-digit local number
		"0311-87654321-8001",  // extension
		"011-62345678",        // 011 is not an area code
		"+1 415 555 0100",     // not mainland
		"138一二三四五六七八",         // Chinese numerals
		"tel:13812345678",     // letters
		"138 1234 5678 / 139", // two numbers
	} {
		if got, err := NormalizePhone(in); ReasonOf(err) != ReasonPhone {
			t.Errorf("NormalizePhone(%q) = %q, %v; want reason phone", in, got, err)
		}
	}
}

func TestMask(t *testing.T) {
	id := mk(t, "13010419580312951")
	for _, tt := range []struct{ got, want string }{
		{MaskID(id), "1301**********" + id[14:]},
		{MaskID(" " + id[:17] + "x"), MaskID(id[:17] + "X")},
		{MaskID("E12345678"), "E1*****78"},
		{MaskID("H1234567"), "H1****67"},
		{MaskID("AB123"), "*****"},
		{MaskID(""), ""},
		{MaskPhone("13812345678"), "138****5678"},
		{MaskPhone("+86 138 1234 5678"), "138****5678"},
		{MaskPhone("0311-87654321"), "0311-******21"},
		{MaskPhone("021-5234567"), "021-*****67"},
		{MaskPhone(""), ""},
		{MaskPhone("12345"), "*****"},
		{MaskPhone("555-0100-99"), "55*******99"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	// An ID mask never shows more than half of the characters; a phone mask
	// (the 138****5678 convention shows 7 of 11) hides at least 4 digits.
	for _, s := range []string{"1", "12", "1234567", "12345678", "123456789012345", id, "13812345678", "0311-87654321", "021-5234567"} {
		if shown, n := count(MaskID(s)); shown*2 > n {
			t.Errorf("MaskID(%q) = %q shows %d of %d", s, MaskID(s), shown, n)
		}
		if shown, n := count(MaskPhone(s)); n-shown < min(4, n) {
			t.Errorf("MaskPhone(%q) = %q hides only %d", s, MaskPhone(s), n-shown)
		}
	}
}

// count returns how many characters of a mask are shown, and how many
// characters it has, not counting a landline's hyphen.
func count(mask string) (shown, n int) {
	for _, r := range mask {
		switch r {
		case '-':
		case '*':
			n++
		default:
			shown++
			n++
		}
	}
	return shown, n
}
