-- Photos of residents' requests (issue 6: "a resident submits a request
-- with a photo"; "every transition records ... attachments"). Keep in
-- step with postgres/0020.
--
-- One row per photo, linked to its request and to the timeline event
-- that added it (seq: the intake, a step, or an "attach" event of its
-- own). file is the random name in the photo store; the bytes there are
-- the re-encoded JPEG, without the EXIF of the phone that took it. This
-- table is where a request's photos are listed from: the attachments
-- column of request_events stays NULL.
CREATE TABLE request_photos (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    request_id   INTEGER NOT NULL REFERENCES requests(id),
    seq          INTEGER NOT NULL,
    file         TEXT NOT NULL UNIQUE,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    added_by     INTEGER REFERENCES accounts(id),
    added_at     TIMESTAMP NOT NULL,
    FOREIGN KEY (request_id, seq) REFERENCES request_events(request_id, seq)
);
CREATE INDEX request_photos_request ON request_photos(request_id, seq);
