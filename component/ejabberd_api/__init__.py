"""ejabberd's HTTP API (mod_http_api): the aiohttp client that puts a site's desk into an
operator's roster and takes it out again. The only importer of aiohttp outside web/ and
webhooks/."""

from component.ejabberd_api.client import EjabberdApi, EjabberdApiError

__all__ = ["EjabberdApi", "EjabberdApiError"]
