"""The HTTP side (aiohttp), served in the component's process and event loop.

The only package importing aiohttp (with component/webhooks/ later). Handlers validate, call one
use case and serialise; domain errors become JSON error answers in one middleware.
"""
