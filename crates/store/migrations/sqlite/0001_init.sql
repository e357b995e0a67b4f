-- Lowkey's first schema: the identity provider, signing keys and apps.
-- Timestamps are Unix milliseconds (INTEGER); ids are UUID text.

create table user (
    id                 text primary key not null,
    email              text not null,
    phone              text not null default '',
    password_hash      text,
    role               text not null default 'authenticated',
    email_confirmed_at integer,
    banned_until       integer,
    last_sign_in_at    integer,
    app_metadata       text not null default '{}',
    user_metadata      text not null default '{}',
    created_at         integer not null,
    updated_at         integer not null,
    constraint user_email_key unique (email)
);

create table session (
    id               text primary key not null,
    user_id          text not null references user (id) on delete cascade,
    created_at       integer not null,
    authenticated_at integer not null
);
create index session_user_idx on session (user_id);

create table refresh_token (
    id         integer primary key autoincrement,
    token_hash text not null,
    session_id text not null references session (id) on delete cascade,
    parent_id  integer,
    created_at integer not null,
    rotated_at integer,
    constraint refresh_token_hash_key unique (token_hash)
);
create index refresh_token_session_idx on refresh_token (session_id, rotated_at);

-- Failed sign-ins per normalised e-mail, whether or not a user has it (no enumeration).
create table login_attempt (
    email        text primary key not null,
    failures     integer not null,
    locked_until integer not null
);

create table signing_key (
    kid           text primary key not null,
    alg           text not null,
    private_pkcs8 blob not null,
    created_at    integer not null,
    retired_at    integer
);

create table app (
    slug             text primary key not null,
    name             text not null,
    draft            text not null,
    draft_updated_at integer not null,
    published        text,
    published_at     integer,
    published_version integer not null default 0
);
