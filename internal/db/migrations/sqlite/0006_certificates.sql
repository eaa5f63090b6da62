-- Volunteer record certificates (志愿服务记录证明, 办法 第十四-十七条).
-- What a certificate says is frozen when it is issued, so a verification
-- shows what was certified; numbers carry 60 random bits so they cannot
-- be guessed or listed. Keep in step with the other dialect's 0006.
CREATE TABLE certificates (
    id               INTEGER PRIMARY KEY,
    community_id     INTEGER NOT NULL REFERENCES communities(id),
    number           TEXT NOT NULL UNIQUE,
    volunteer_id     INTEGER NOT NULL REFERENCES volunteers(id),
    name_shown       TEXT NOT NULL,
    volunteer_number TEXT NOT NULL,
    period_from      TEXT NOT NULL,
    period_to        TEXT NOT NULL,
    minutes          INTEGER NOT NULL,
    services         INTEGER NOT NULL,
    lines            TEXT NOT NULL,
    organiser        TEXT NOT NULL,
    issued_at        TIMESTAMP NOT NULL,
    issued_by        INTEGER REFERENCES accounts(id)
);
CREATE INDEX certificates_volunteer ON certificates(volunteer_id);
