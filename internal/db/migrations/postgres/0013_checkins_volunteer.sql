-- A roster shows each person's record of the last twelve months (issue
-- 5: repeated no-shows visible to the leader): their check-ins are read
-- by volunteer. Keep in step with sqlite/0013.
CREATE INDEX checkins_volunteer ON checkins(volunteer_id);
