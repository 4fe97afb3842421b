"""The archive's spool: rows the writer could not store by a stop, kept in local files until the
next start writes them, before anything else (the local file system's adapter). lines.py is the
format (pure), files.py the files, replay.py the writing back. Must not import aiomysql or
slixmpp.
"""

from component.spool.files import SpoolDirectory, SpoolError
from component.spool.lines import SpoolOwner
from component.spool.replay import replay_spool

__all__ = ["SpoolDirectory", "SpoolError", "SpoolOwner", "replay_spool"]
