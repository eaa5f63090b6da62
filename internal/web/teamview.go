package web

// HasMember reports whether volunteer id is on the team page's member
// list (as far as the actor sees it: a guardian sees their children).
func (d teamData) HasMember(id int64) bool {
	for _, m := range d.Members {
		if m.ID == id {
			return true
		}
	}
	return false
}
