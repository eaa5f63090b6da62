package requests

import "slices"

// Status is where a request stands in its life cycle.
type Status string

const (
	Submitted          Status = "submitted"           // 待受理
	Accepted           Status = "accepted"            // 已受理
	Rejected           Status = "rejected"            // 不予受理 (final)
	Merged             Status = "merged"              // 重复件, merged into another (final)
	Dispatched         Status = "dispatched"          // 已派单, waiting to be signed for
	Returned           Status = "returned"            // 已退单, back to the office to dispatch again
	InProgress         Status = "in_progress"         // 已签收, 处置中
	ExtensionRequested Status = "extension_requested" // 延期申请中
	ResultSubmitted    Status = "result_submitted"    // 已反馈, waiting to be verified (待核查)
	AwaitingCallback   Status = "awaiting_callback"   // 待回访
	Closed             Status = "closed"              // 已办结
)

// Statuses lists every status in life-cycle order.
var Statuses = []Status{Submitted, Accepted, Rejected, Merged, Dispatched, Returned, InProgress,
	ExtensionRequested, ResultSubmitted, AwaitingCallback, Closed}

// Open reports whether a request in st still needs work: every status
// but the three final ones. Only open requests take merges.
func (st Status) Open() bool { return st != Rejected && st != Merged && st != Closed }

// Action names a transition; each has its own API endpoint.
type Action string

const (
	ActSubmit           Action = "submit" // the first event, not a transition
	ActAccept           Action = "accept"
	ActReject           Action = "reject"
	ActMerge            Action = "merge"
	ActDispatch         Action = "dispatch"
	ActSign             Action = "sign"
	ActReturn           Action = "return"
	ActProgress         Action = "progress"
	ActExtension        Action = "extension"
	ActApproveExtension Action = "extension_approve"
	ActDenyExtension    Action = "extension_deny"
	ActResult           Action = "result"
	ActVerify           Action = "verify"
	ActSendBack         Action = "send_back"
	ActCallback         Action = "callback"
	ActReopen           Action = "reopen"
)

// Side says whose step a transition is. The office (and a grid worker on
// its grids' requests) may take every step, on the handler's or the
// requester's behalf too; a handler only handler steps on what is
// dispatched to it; a requester only requester steps on their own.
type Side int

const (
	SideOffice    Side = iota // accept, dispatch, verify, ...
	SideHandler               // sign, return, progress, extension, result
	SideRequester             // callback, reopen
)

// Transition is one row of the machine.
type Transition struct {
	From []Status
	To   Status
	Side Side
	// Reason must be given (2-500 characters): refusing, returning,
	// sending back, denying, reopening, asking for more time.
	Reason bool
	// Note must be given: what was done (progress, result).
	Note bool
}

// Machine is the life cycle (issue 6 item 2; anchors-china.md 3.6): only
// these transitions exist. Anything else is refused with
// request.transition.invalid and changes nothing.
var Machine = map[Action]Transition{
	ActAccept:           {From: []Status{Submitted}, To: Accepted, Side: SideOffice},
	ActReject:           {From: []Status{Submitted}, To: Rejected, Side: SideOffice, Reason: true},
	ActMerge:            {From: []Status{Submitted}, To: Merged, Side: SideOffice},
	ActDispatch:         {From: []Status{Accepted, Returned}, To: Dispatched, Side: SideOffice},
	ActSign:             {From: []Status{Dispatched}, To: InProgress, Side: SideHandler},
	ActReturn:           {From: []Status{Dispatched}, To: Returned, Side: SideHandler, Reason: true},
	ActProgress:         {From: []Status{InProgress}, To: InProgress, Side: SideHandler, Note: true},
	ActExtension:        {From: []Status{InProgress}, To: ExtensionRequested, Side: SideHandler, Reason: true},
	ActApproveExtension: {From: []Status{ExtensionRequested}, To: InProgress, Side: SideOffice},
	ActDenyExtension:    {From: []Status{ExtensionRequested}, To: InProgress, Side: SideOffice, Reason: true},
	ActResult:           {From: []Status{InProgress}, To: ResultSubmitted, Side: SideHandler, Note: true},
	ActVerify:           {From: []Status{ResultSubmitted}, To: AwaitingCallback, Side: SideOffice},
	ActSendBack:         {From: []Status{ResultSubmitted}, To: InProgress, Side: SideOffice, Reason: true},
	ActCallback:         {From: []Status{AwaitingCallback}, To: Closed, Side: SideRequester},
	ActReopen:           {From: []Status{Closed}, To: InProgress, Side: SideRequester, Reason: true},
}

// Allowed reports whether action may start from st.
func Allowed(st Status, a Action) bool {
	t, ok := Machine[a]
	return ok && slices.Contains(t.From, st)
}

// Next lists the actions that may start from st, in a stable order, for
// pages to offer (the actor's side is checked separately).
func Next(st Status) []Action {
	var out []Action
	for _, a := range actionOrder {
		if Allowed(st, a) {
			out = append(out, a)
		}
	}
	return out
}

var actionOrder = []Action{ActAccept, ActReject, ActMerge, ActDispatch, ActSign, ActReturn, ActProgress,
	ActExtension, ActApproveExtension, ActDenyExtension, ActResult, ActVerify, ActSendBack, ActCallback, ActReopen}
