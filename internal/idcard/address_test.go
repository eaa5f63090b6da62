package idcard

import "testing"

func TestBuildingNumber(t *testing.T) {
	for _, in := range []string{"1", "1号楼", "1栋", "1幢", "1号", " 1 号楼 ", "１号楼", "一号楼", "第一栋", "01", "1座", "1楼"} {
		if got, err := BuildingNumber(in); err != nil || got != "1" {
			t.Errorf("BuildingNumber(%q) = %q, %v; want 1", in, got, err)
		}
	}
	for in, want := range map[string]string{
		"12-A": "12A", "12A号楼": "12A", "12a": "12A", "１２Ａ号楼": "12A", "十二号楼": "12",
		"二十三栋": "23", "一百零一号楼": "101", "A座": "A", "16号楼": "16", "9999": "9999",
	} {
		if got, err := BuildingNumber(in); err != nil || got != want {
			t.Errorf("BuildingNumber(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", " ", "号楼", "0", "0号楼", "10000", "AB", "楼", "1-2", "胜利北街9号楼", "一二三十", "1号楼2单元", "12-", "-A", "十十"} {
		if got, err := BuildingNumber(in); ReasonOf(err) != ReasonBuilding {
			t.Errorf("BuildingNumber(%q) = %q, %v; want reason building", in, got, err)
		}
	}
}

func TestUnitNumber(t *testing.T) {
	for _, in := range []string{"1", "1单元", "一单元", "第一单元", "１单元", " 1 单元", "1门", "01"} {
		if got, err := UnitNumber(in); err != nil || got != "1" {
			t.Errorf("UnitNumber(%q) = %q, %v; want 1", in, got, err)
		}
	}
	if got, err := UnitNumber("十二单元"); err != nil || got != "12" {
		t.Errorf("UnitNumber(十二单元) = %q, %v", got, err)
	}
	for _, in := range []string{"", "单元", "0", "100", "东单元", "A", "1-1", "1号楼"} {
		if got, err := UnitNumber(in); ReasonOf(err) != ReasonUnit {
			t.Errorf("UnitNumber(%q) = %q, %v; want reason unit", in, got, err)
		}
	}
}

func TestRoomNumber(t *testing.T) {
	for in, want := range map[string]string{
		"101": "101", "101室": "101", "101号": "101", " 602 ": "602", "１０１室": "101",
		"1102": "1102", "101a": "101A", "0101": "0101", "1": "1",
	} {
		if got, err := RoomNumber(in); err != nil || got != want {
			t.Errorf("RoomNumber(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "室", "1-101", "一零一", "123456", "A", "101室室", "B-101", "101AB"} {
		if got, err := RoomNumber(in); ReasonOf(err) != ReasonRoom {
			t.Errorf("RoomNumber(%q) = %q, %v; want reason room", in, got, err)
		}
	}
}
