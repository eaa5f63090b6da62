-- Routing, deadlines and escalation of residents' requests (issue 6 step
-- two). Keep in step with postgres/0018.
--
-- request_routing holds the marks the default routes look for: the team
-- of skilled volunteers (能人先锋队) that takes repairs, water and
-- electricity, and the organisation that is the heating company. Either
-- may be unset; the route then falls to the grid's worker.
CREATE TABLE request_routing (
    community_id    INTEGER PRIMARY KEY REFERENCES communities(id),
    skilled_team_id INTEGER REFERENCES teams(id),
    heating_org_id  INTEGER REFERENCES organisations(id),
    updated_by      INTEGER REFERENCES accounts(id),
    updated_at      TIMESTAMP NOT NULL
);

-- The office's own routes: a category (and optionally one grid) to a
-- handler. handler_kind is team, organisation, account or grid_worker
-- (the worker of the request's grid; handler_id NULL). A route for the
-- grid beats the one for every grid (grid_id NULL).
CREATE TABLE request_routes (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    category_id  INTEGER NOT NULL REFERENCES request_categories(id),
    grid_id      INTEGER REFERENCES grids(id),
    handler_kind TEXT NOT NULL,
    handler_id   INTEGER,
    created_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX request_routes_key ON request_routes(community_id, category_id, COALESCE(grid_id, 0));

-- A community's time limits per urgency class, where they differ from
-- the Beijing 12345 defaults (internal/requests/deadlines.go). Each limit
-- is in clock hours or in working days: exactly one of the pair is set.
CREATE TABLE request_deadlines (
    community_id   INTEGER NOT NULL REFERENCES communities(id),
    urgency        TEXT NOT NULL,
    dispatch_hours INTEGER NOT NULL DEFAULT 0,
    dispatch_days  INTEGER NOT NULL DEFAULT 0,
    sign_hours     INTEGER NOT NULL DEFAULT 0,
    sign_days      INTEGER NOT NULL DEFAULT 0,
    feedback_hours INTEGER NOT NULL DEFAULT 0,
    feedback_days  INTEGER NOT NULL DEFAULT 0,
    updated_by     INTEGER REFERENCES accounts(id),
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (community_id, urgency)
);

-- One row per escalation (督办) sent: the key makes it once per request,
-- deadline (dispatch, sign, feedback) and level (1 grid worker, 2 the
-- community's admins, 3 the street), however many job runners race.
CREATE TABLE request_escalations (
    request_id INTEGER NOT NULL REFERENCES requests(id),
    deadline   TEXT NOT NULL,
    level      INTEGER NOT NULL,
    due_at     TIMESTAMP NOT NULL,
    at         TIMESTAMP NOT NULL,
    PRIMARY KEY (request_id, deadline, level)
);
