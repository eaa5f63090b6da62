package open311

// Service definitions: the questions a category asks beyond the
// description (GET services/{code}). They are kept here, by category
// code, rather than in a table: there are few, and each needs words in
// both languages and a way to read the answer back into the request.

type value struct{ Key, ZH, EN string }

type attribute struct {
	Code     string
	Datatype string // singlevaluelist only, for now
	Required bool
	Order    int
	ZH, EN   string // the question
	Values   []value
	DetailZH string // how the answer reads in the request's description
}

var yesNo = []value{{"yes", "是", "Yes"}, {"no", "否", "No"}}

// attributes are the questions of each category that needs them.
var attributes = map[string][]attribute{
	"heating": {
		{Code: "room", Datatype: "singlevaluelist", Required: true, Order: 1, ZH: "哪里不热？", EN: "Which room is cold?", DetailZH: "不热的房间",
			Values: []value{{"living_room", "客厅", "Living room"}, {"bedroom", "卧室", "Bedroom"}, {"kitchen", "厨房", "Kitchen"},
				{"bathroom", "卫生间", "Bathroom"}, {"whole_flat", "全屋", "The whole flat"}}},
		{Code: "water_leaking", Datatype: "singlevaluelist", Required: true, Order: 2, ZH: "暖气有没有漏水？", EN: "Is water leaking from the heating?",
			DetailZH: "暖气漏水", Values: yesNo},
	},
	"water": {
		{Code: "leak_below", Datatype: "singlevaluelist", Required: false, Order: 1, ZH: "是否漏到楼下？", EN: "Is it leaking into the flat below?",
			DetailZH: "漏到楼下", Values: yesNo},
	},
}
