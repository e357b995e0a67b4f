-- Lowkey's schema on PostgreSQL: what migrations/sqlite 0001-0005 build, in one step (this
-- backend starts here). Same tables, columns and constraint names as SQLite, so both backends'
-- code names the same things: timestamps are Unix milliseconds (bigint), ids are UUID text,
-- JSON is kept as the text the code wrote.

create table users (
    id                 text not null,
    email              text not null,
    phone              text not null default '',
    password_hash      text,
    role               text not null default 'authenticated',
    email_confirmed_at bigint,
    banned_until       bigint,
    last_sign_in_at    bigint,
    app_metadata       text not null default '{}',
    user_metadata      text not null default '{}',
    created_at         bigint not null,
    updated_at         bigint not null,
    constraint users_pkey primary key (id),
    constraint user_email_key unique (email)
);

create table session (
    id               text not null,
    user_id          text not null references users (id) on delete cascade,
    created_at       bigint not null,
    authenticated_at bigint not null,
    constraint session_pkey primary key (id)
);
create index session_user_idx on session (user_id);

create table refresh_token (
    id         bigint generated always as identity,
    token_hash text not null,
    session_id text not null references session (id) on delete cascade,
    parent_id  bigint,
    created_at bigint not null,
    rotated_at bigint,
    constraint refresh_token_pkey primary key (id),
    constraint refresh_token_hash_key unique (token_hash)
);
create index refresh_token_session_idx on refresh_token (session_id, rotated_at);
-- The rotation rules, also held by the database: one current token per session, and a token
-- rotated into one child at most (a chain never branches, whatever an instance does).
create unique index refresh_token_current_key on refresh_token (session_id) where rotated_at is null;
create unique index refresh_token_parent_key on refresh_token (parent_id);

-- Failed sign-ins per normalised e-mail, whether or not a user has it (no enumeration).
create table login_attempt (
    email        text not null,
    failures     bigint not null,
    locked_until bigint not null,
    constraint login_attempt_pkey primary key (email)
);

create table signing_key (
    kid           text not null,
    alg           text not null,
    private_pkcs8 bytea not null,
    created_at    bigint not null,
    retired_at    bigint,
    constraint signing_key_pkey primary key (kid)
);

create table app (
    slug              text not null,
    name              text not null,
    draft             text not null,
    draft_updated_at  bigint not null,
    published         text,
    published_at      bigint,
    published_version bigint not null default 0,
    -- Goes up by one with every write of the draft (optimistic concurrency).
    revision          bigint not null default 1,
    constraint app_slug_key primary key (slug)
);

-- Every published version, kept. `app.published` stays the newest one (the viewer's read).
create table app_version (
    slug         text not null references app (slug) on delete cascade,
    version      bigint not null,
    definition   text not null,
    published_at bigint not null,
    -- A builder's e-mail address, or "cli" for `lowkey app publish`.
    published_by text not null,
    constraint app_version_pkey primary key (slug, version)
);

-- Builders (the people who edit apps at /edit) are not the provider's users.
create table builder (
    id            text not null,
    email         text not null,
    password_hash text not null,
    role          text not null,
    created_at    bigint not null,
    updated_at    bigint not null,
    constraint builder_pkey primary key (id),
    constraint builder_email_key unique (email),
    constraint builder_role_check check (role in ('admin', 'editor'))
);

-- A builder's signed-in browser, keyed by the SHA-256 digest of the cookie's random token.
create table builder_session (
    token_hash text not null,
    builder_id text not null references builder (id) on delete cascade,
    created_at bigint not null,
    expires_at bigint not null,
    constraint builder_session_pkey primary key (token_hash)
);
create index builder_session_builder_idx on builder_session (builder_id);

-- Session mode: an app's signed-in visitor whose tokens the server keeps, sealed.
create table app_session (
    token_hash        text not null,
    slug              text not null references app (slug) on delete cascade,
    sealed            bytea not null,
    access_expires_at bigint,
    -- One more at every refresh: a refresh replaces the tokens only if no other did meanwhile.
    generation        bigint not null default 0,
    created_at        bigint not null,
    expires_at        bigint not null,
    constraint app_session_pkey primary key (token_hash)
);
create index app_session_slug_idx on app_session (slug, expires_at);

-- Token buckets of rate limits shared by every instance (`Store::take_rate_token`). A bucket
-- keeps its own capacity and refill rate so that a full one can be recognised and forgotten
-- (a missing bucket is a full one).
create table rate_bucket (
    key            text not null,
    tokens         double precision not null,
    updated_at     bigint not null,
    capacity       double precision not null,
    refill_per_sec double precision not null,
    constraint rate_bucket_pkey primary key (key)
);
