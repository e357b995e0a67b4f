-- Builders (the people who edit apps at /edit), their sessions, draft revisions and every
-- published version of an app. Builders are not the provider's users: an app's end users
-- (table `user`) never edit.

create table builder (
    id            text primary key not null,
    email         text not null,
    password_hash text not null,
    role          text not null,
    created_at    integer not null,
    updated_at    integer not null,
    constraint builder_email_key unique (email),
    constraint builder_role_check check (role in ('admin', 'editor'))
);

-- A builder's signed-in browser. The key is the SHA-256 digest of the cookie's random token:
-- a leaked database does not sign anyone in.
create table builder_session (
    token_hash text primary key not null,
    builder_id text not null references builder (id) on delete cascade,
    created_at integer not null,
    expires_at integer not null
);
create index builder_session_builder_idx on builder_session (builder_id);

-- The draft's revision: every write of a draft adds one, and a write that names an older
-- revision is refused (optimistic concurrency, `Store::write_draft`).
alter table app add column revision integer not null default 1;

-- Every published version, kept. `app.published` stays the newest one (the viewer's read).
create table app_version (
    slug         text not null references app (slug) on delete cascade,
    version      integer not null,
    definition   text not null,
    published_at integer not null,
    -- A builder's e-mail address, or "cli" for `lowkey app publish`.
    published_by text not null,
    constraint app_version_pkey primary key (slug, version)
);

-- Versions published before this migration: only the newest was kept.
insert into app_version (slug, version, definition, published_at, published_by)
select slug, published_version, published, coalesce(published_at, draft_updated_at), 'cli'
from app
where published is not null and published_version > 0;
