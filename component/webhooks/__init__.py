"""Delivering webhooks: the aiohttp client (the only place HelperChat calls out over HTTP) and the
drainer that sends what the database holds, with per-receiver limits, holds and retries."""
