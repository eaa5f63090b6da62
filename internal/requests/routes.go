package requests

import "github.com/linli/linli/internal/policy"

// StepRoute is one step of the life cycle as an address: the path under a
// request (POST .../requests/{id}/<Path>), its action, and the route's
// policy — the coarse "may take steps of this kind at all"; Do decides
// per request, by reach and by the side the step belongs to (Machine).
type StepRoute struct {
	Path   string
	Action Action
	Policy policy.Action
}

// StepRoutes are every step's address, in the machine's order. The API
// and the pages register the same table, so an endpoint and its form
// cannot drift apart.
var StepRoutes = []StepRoute{
	{"accept", ActAccept, policy.RequestsManage},
	{"reject", ActReject, policy.RequestsManage},
	{"merge", ActMerge, policy.RequestsManage},
	{"dispatch", ActDispatch, policy.RequestsManage},
	{"sign", ActSign, policy.RequestsHandle},
	{"return", ActReturn, policy.RequestsHandle},
	{"progress", ActProgress, policy.RequestsHandle},
	{"extension", ActExtension, policy.RequestsHandle},
	{"extension/approve", ActApproveExtension, policy.RequestsManage},
	{"extension/deny", ActDenyExtension, policy.RequestsManage},
	{"result", ActResult, policy.RequestsHandle},
	{"verify", ActVerify, policy.RequestsManage},
	{"send-back", ActSendBack, policy.RequestsManage},
	{"callback", ActCallback, policy.RequestsCallback},
	{"reopen", ActReopen, policy.RequestsCallback},
}

// StepPath is the address of action a under a request, or "".
func StepPath(a Action) string {
	for _, st := range StepRoutes {
		if st.Action == a {
			return st.Path
		}
	}
	return ""
}
