# {{Name}} (`{{name}}`)

Connect a store with `base_url` = the store's API host (paths are under `/api/v1/`)
and the credential `access_token`. Setting: `requests_per_second` (default 4).

This crate was written by `cargo run -p xtask -- new-adapter {{name}}`: a plain REST
skeleton. Each section below says what the skeleton does; replace it with what
{{Name}} documents, and cite the platform's reference.

## Auth

`Authorization: Bearer {access_token}`; a 401 is a typed auth error, never retried.

## Paging

Page numbers (`page`, `per_page` ≤ 100) over a listing sorted by id; the page count
is `meta.total_pages`. Declared as kit endpoints in `src/adapter.rs`.

## Incremental sync

`updated_at_min` (RFC 3339, inclusive, whole seconds) on orders and products.

## Rate limits

A fixed budget of `requests_per_second`; 429 with `Retry-After` waits as told.

## Webhooks

None: stores are polled.

## Writes

None.

## Simulator

`polycart simulate {{name}}`: listings and single records of the kit's generated
store behind the bearer token, with fault injection.

## Known gaps

Customers, categories and inventory are not listed; no counts, writes or webhooks;
statuses are kept as the platform's text only.
