package idcard

import (
	"strings"
	"testing"
)

func TestRedactNumbers(t *testing.T) {
	cases := []struct{ in, want string }{
		{"楼上漏水，电话13800001111", "楼上漏水，电话" + Redacted},
		{"call 138 0000 1111 or 138-0000-1111", "call " + Redacted + " or " + Redacted},
		{"座机0311-8765432，分机", "座机" + Redacted + "，分机"},
		{"+86 13800001111", Redacted},
		{"身份证130102199003071234", "身份证" + Redacted},
		{"身份证13010219900307123X号", "身份证" + Redacted + "号"},
		{"全角１３８００００１１１１", "全角" + Redacted},
		{"老号码130102900307123", "老号码" + Redacted},
		{"3号楼2单元502室，暖气20度", "3号楼2单元502室，暖气20度"},
		{"2026-12-01起停暖，2026.12.1 也是", "2026-12-01起停暖，2026.12.1 也是"},
		{"编号123456 可以", "编号123456 可以"},
		{"", ""},
	}
	for _, c := range cases {
		if got := RedactNumbers(c.in); got != c.want {
			t.Errorf("RedactNumbers(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Whatever the text, no run of seven digits survives.
	for _, s := range []string{"1 2 3 4 5 6 7", "12345 67", "a1234567b", "１２３４５６７"} {
		out := RedactNumbers(s)
		digits := 0
		for _, r := range out {
			if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
				digits++
			}
		}
		if digits >= 7 || !strings.Contains(out, Redacted) {
			t.Errorf("RedactNumbers(%q) = %q keeps a long number", s, out)
		}
	}
}
