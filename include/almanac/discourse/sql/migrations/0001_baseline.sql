-- discourse, version 1: discourse-viz state (the layout of every install made before versioning). Every reset builds a new *version* of the data; readers read the
-- views courses, users, user_metrics and platform_scores, which show the version system_status points
-- at. Publishing a reset is one UPDATE of system_status.live_version_id: readers never see half a
-- rebuild, and the previous version (the backup) stays intact until a later reset replaces it.
CREATE TABLE IF NOT EXISTS discourse.versions (
    version_id     bigserial PRIMARY KEY,
    run_id         text NOT NULL,
    reset_date     date NOT NULL,
    status         text NOT NULL CHECK (status IN ('building', 'published', 'failed', 'retired')),
    failure_reason text,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS discourse.system_status (
    id                   integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    live_version_id      bigint REFERENCES discourse.versions (version_id),
    last_refresh_date    date,
    user_actions_loaded  boolean NOT NULL DEFAULT false,
    reset_failed         boolean NOT NULL DEFAULT false,
    reset_failure_reason text,
    last_reset_at        timestamptz
);
INSERT INTO discourse.system_status (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS discourse.v_courses (
    version_id         bigint NOT NULL REFERENCES discourse.versions (version_id) ON DELETE CASCADE,
    category_id        integer NOT NULL,
    name               text NOT NULL,
    slug               text,
    parent_category_id integer,
    is_uncategorized   boolean NOT NULL,
    PRIMARY KEY (version_id, category_id)
);
CREATE TABLE IF NOT EXISTS discourse.v_users (
    version_id bigint NOT NULL REFERENCES discourse.versions (version_id) ON DELETE CASCADE,
    user_id    integer NOT NULL,
    username   text NOT NULL,
    PRIMARY KEY (version_id, user_id)
);
-- Natural key of a Discourse user action: who, what, on which post, when. A refresh that fetches an
-- action twice merges it once.
CREATE TABLE IF NOT EXISTS discourse.v_user_actions (
    version_id      bigint NOT NULL REFERENCES discourse.versions (version_id) ON DELETE CASCADE,
    trimester_id    text NOT NULL,
    category_id     integer NOT NULL,
    user_id         integer NOT NULL,
    action_type     integer NOT NULL,
    target_post_id  integer NOT NULL,
    target_topic_id integer,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (version_id, user_id, action_type, target_post_id, created_at)
);
CREATE INDEX IF NOT EXISTS v_user_actions_trimester_idx ON discourse.v_user_actions (version_id, trimester_id, category_id);
CREATE TABLE IF NOT EXISTS discourse.v_engagement (
    version_id        bigint NOT NULL REFERENCES discourse.versions (version_id) ON DELETE CASCADE,
    trimester_id      text NOT NULL,
    user_id           integer NOT NULL,
    days_visited      integer NOT NULL,
    posts_read        integer NOT NULL,
    time_read_minutes numeric NOT NULL,
    PRIMARY KEY (version_id, trimester_id, user_id)
);
CREATE TABLE IF NOT EXISTS discourse.v_user_metrics (
    version_id           bigint NOT NULL REFERENCES discourse.versions (version_id) ON DELETE CASCADE,
    trimester_id         text NOT NULL,
    category_id          integer NOT NULL,
    user_id              integer NOT NULL,
    likes_given          integer NOT NULL,
    likes_received       integer NOT NULL,
    topics_created       integer NOT NULL,
    replies              integer NOT NULL,
    solutions            integer NOT NULL,
    days_active          integer NOT NULL,
    unnormalized_score   numeric NOT NULL,
    log_normalized_score numeric NOT NULL,
    PRIMARY KEY (version_id, trimester_id, category_id, user_id)
);
CREATE TABLE IF NOT EXISTS discourse.v_platform_scores (
    version_id           bigint NOT NULL REFERENCES discourse.versions (version_id) ON DELETE CASCADE,
    trimester_id         text NOT NULL,
    user_id              integer NOT NULL,
    score                numeric NOT NULL,
    log_normalized_score numeric NOT NULL,
    PRIMARY KEY (version_id, trimester_id, user_id)
);

-- The readers' tables (docs/discourse.md#contract): the live version only.
CREATE OR REPLACE VIEW discourse.courses AS
SELECT c.category_id, c.name, c.slug, c.parent_category_id, c.is_uncategorized
FROM discourse.v_courses c JOIN discourse.system_status s ON c.version_id = s.live_version_id;
CREATE OR REPLACE VIEW discourse.users AS
SELECT u.user_id, u.username
FROM discourse.v_users u JOIN discourse.system_status s ON u.version_id = s.live_version_id;
CREATE OR REPLACE VIEW discourse.user_metrics AS
SELECT m.trimester_id, m.category_id, m.user_id, m.likes_given, m.likes_received, m.topics_created, m.replies,
       m.solutions, m.days_active, m.unnormalized_score, m.log_normalized_score
FROM discourse.v_user_metrics m JOIN discourse.system_status s ON m.version_id = s.live_version_id;
CREATE OR REPLACE VIEW discourse.platform_scores AS
SELECT p.trimester_id, p.user_id, p.score, p.log_normalized_score
FROM discourse.v_platform_scores p JOIN discourse.system_status s ON p.version_id = s.live_version_id;
