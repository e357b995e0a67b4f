-- Token buckets of rate limits (`Store::take_rate_token`). A bucket keeps its own capacity and
-- refill rate so that a full one can be recognised and forgotten (a missing bucket is a full
-- one).
create table rate_bucket (
    key            text primary key not null,
    tokens         real not null,
    updated_at     integer not null,
    capacity       real not null,
    refill_per_sec real not null
);
