package requests_test

import (
	"slices"
	"testing"

	"github.com/linli/linli/internal/requests"
)

// TestMachinePinned writes the life cycle out by hand (issue 6 item 2),
// so a change to the table in machine.go is a deliberate change here too:
// every status against every action, allowed exactly where listed.
func TestMachinePinned(t *testing.T) {
	want := map[requests.Status][]requests.Action{
		requests.Submitted:          {requests.ActAccept, requests.ActReject, requests.ActMerge},
		requests.Accepted:           {requests.ActDispatch},
		requests.Rejected:           nil,
		requests.Merged:             nil,
		requests.Dispatched:         {requests.ActSign, requests.ActReturn},
		requests.Returned:           {requests.ActDispatch},
		requests.InProgress:         {requests.ActProgress, requests.ActExtension, requests.ActResult},
		requests.ExtensionRequested: {requests.ActApproveExtension, requests.ActDenyExtension},
		requests.ResultSubmitted:    {requests.ActVerify, requests.ActSendBack},
		requests.AwaitingCallback:   {requests.ActCallback},
		requests.Closed:             {requests.ActReopen},
	}
	if len(want) != len(requests.Statuses) {
		t.Fatalf("%d statuses pinned, %d declared", len(want), len(requests.Statuses))
	}
	for _, st := range requests.Statuses {
		if got := requests.Next(st); !slices.Equal(got, want[st]) {
			t.Errorf("from %s: %v, want %v", st, got, want[st])
		}
		if st.Open() == slices.Contains([]requests.Status{requests.Rejected, requests.Merged, requests.Closed}, st) {
			t.Errorf("%s: Open() = %v", st, st.Open())
		}
	}
	sides := map[requests.Side][]requests.Action{
		requests.SideOffice: {requests.ActAccept, requests.ActReject, requests.ActMerge, requests.ActDispatch,
			requests.ActApproveExtension, requests.ActDenyExtension, requests.ActVerify, requests.ActSendBack},
		requests.SideHandler:   {requests.ActSign, requests.ActReturn, requests.ActProgress, requests.ActExtension, requests.ActResult},
		requests.SideRequester: {requests.ActCallback, requests.ActReopen},
	}
	n := 0
	for side, acts := range sides {
		for _, a := range acts {
			n++
			if requests.Machine[a].Side != side {
				t.Errorf("%s is on side %d, want %d", a, requests.Machine[a].Side, side)
			}
		}
	}
	if n != len(requests.Machine) {
		t.Errorf("%d actions pinned to sides, %d in the machine", n, len(requests.Machine))
	}
	reason := []requests.Action{requests.ActReject, requests.ActReturn, requests.ActExtension, requests.ActDenyExtension,
		requests.ActSendBack, requests.ActReopen}
	for a, tr := range requests.Machine {
		if tr.Reason != slices.Contains(reason, a) {
			t.Errorf("%s: reason required = %v", a, tr.Reason)
		}
	}
	if requests.Allowed(requests.Closed, "submit") || requests.Allowed(requests.Submitted, "nonsense") {
		t.Error("an action outside the machine is allowed")
	}
}
