-- Session mode (docs/security.md, "Store mode and session mode"): an app's signed-in visitor
-- whose tokens the server keeps. The key is the SHA-256 digest of the cookie's random token;
-- `sealed` holds the tokens encrypted by the server (AES-256-GCM, a key of the data directory),
-- so neither a leaked database nor a leaked cookie digest gives the tokens.
create table app_session (
    token_hash        text primary key not null,
    slug              text not null references app (slug) on delete cascade,
    sealed            blob not null,
    -- When the access token expires (ms since the epoch), if known: the server refreshes before.
    access_expires_at integer,
    -- One more at every refresh: a refresh replaces the tokens only if no other did meanwhile.
    generation        integer not null default 0,
    created_at        integer not null,
    expires_at        integer not null
);
create index app_session_slug_idx on app_session (slug, expires_at);
