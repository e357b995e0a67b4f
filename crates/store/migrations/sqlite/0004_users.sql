-- `user` is a reserved word in PostgreSQL (and SQL): the provider's table is `users` in every
-- backend, so both can share the names their code uses. SQLite rewrites the foreign keys of
-- `session` that name it.
alter table user rename to users;
