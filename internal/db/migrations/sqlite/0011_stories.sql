-- Stories: after an occurrence its organiser writes a summary that, with
-- the participant count (read from checkins, never stored or typed) and
-- photos, shows on the community's public page. A photo's file is named
-- by internal/files (random, never the uploader's name); the people it
-- shows are tagged so that it is public only when each has consented
-- (a child: the guardian's photo consent). Keep in step with postgres/0011.

CREATE TABLE stories (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities(id),
    occurrence_id INTEGER NOT NULL UNIQUE REFERENCES occurrences(id),
    summary       TEXT NOT NULL,
    written_by    INTEGER REFERENCES accounts(id),
    published_at  TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX stories_community ON stories(community_id, published_at);

CREATE TABLE story_photos (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    story_id     INTEGER NOT NULL REFERENCES stories(id),
    file         TEXT NOT NULL UNIQUE,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    uploaded_by  INTEGER REFERENCES accounts(id),
    uploaded_at  TIMESTAMP NOT NULL
);
CREATE INDEX story_photos_story ON story_photos(story_id);

CREATE TABLE photo_people (
    photo_id     INTEGER NOT NULL REFERENCES story_photos(id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    PRIMARY KEY (photo_id, volunteer_id)
);
CREATE INDEX photo_people_volunteer ON photo_people(volunteer_id);
