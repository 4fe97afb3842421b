"""The help desk's use cases: synchronous, ordered, never awaiting; the world only through ports.

`helpdesk.HelpDesk` is the entry point adapters call; `commands` parses operators' commands and
calls the use cases. Must not import asyncio or any adapter library.
"""
