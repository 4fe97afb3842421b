"""Composition root: opens the database, builds the desk and the component, runs until stopped.

Start order: the spool directory checked, database (retried until reachable), the spool written
back (before chat numbers and seqs are read, so none is reused), archive writer, the mail
outbox's drainer (when smtp is configured) and transcripts, directory and open chats, the HTTP
side, XMPP, the retention purge. Stop order is the reverse (HTTP first, so no request meets a
half-stopped desk); the archive is flushed before the database closes, and what the database
does not take by then goes to the spool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import time

from component.archive import ArchiveBatch, ArchiveWriter
from component.chat_events import ChatHistory, ChatKey
from component.config import Config, spool_dir_of
from component.desk.helpdesk import HelpDesk
from component.desk.notify import Notifier
from component.desk.ports import ArchiveSink, Watches
from component.desk.state import DeskState
from component.directory import Directory
from component.live_admin import DirectoryReload, LiveAdmin
from component.locales import shipped_catalogue
from component.metered import MeteredArchive
from component.metrics import Metrics
from component.models import Site, VisitorKind
from component.reminders import FeedbackReminders
from component.retention_task import RetentionTask
from component.roster_runtime import RosterPushRuntime, roster_push_of
from component.site_stats import site_stats
from component.smtp import MailDrainer, build_drainer, describe
from component.spool import SpoolDirectory, SpoolError, SpoolOwner, replay_spool
from component.storage import Database, StorageError, open_database
from component.storage.archive import ArchiveRepository
from component.storage.archive_browsing import ArchiveBrowsing
from component.storage.directory import DirectoryRepository
from component.storage.feedback import FeedbackRepository
from component.storage.feedback_inbox import FeedbackInbox
from component.storage.mail_outbox import MailOutboxRepository
from component.storage.notify_requests import NotifyRequestRepository
from component.storage.purge import ChatPurge
from component.storage.schema import require_current_schema
from component.storage.web_chats import WebChatRepository
from component.transcripts import ArchivedTranscripts
from component.visitor_limits import VisitorLimits
from component.web.app import build_app
from component.web.health import Health
from component.web.held import raise_open_file_limit
from component.web.notify_api import NotifyApi
from component.web.server import HttpServer
from component.web.visitor_api import VisitorApi
from component.web.visitors import WebVisitors
from component.webhook_runtime import WebhookRuntime
from component.xmpp.component import HelperChatComponent
from component.xmpp.jids import normalize_bare_jid
from component.xmpp.visitors import XmppVisitors

log = logging.getLogger(__name__)

TICK_SECONDS = 0.5


async def connect_database(config: Config, stop: asyncio.Event) -> Database | None:
    """Open the pool, retrying with back-off until it works or a stop is asked for."""
    delay = 0.5
    while not stop.is_set():
        try:
            return await open_database(config.mysql)
        except StorageError as exc:
            log.warning("database not reachable (%s); retrying in %.1f s", exc, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 10.0)
    return None


def spool_of(config: Config) -> SpoolDirectory:
    """The spool of this component and database, where the config (or the default) puts it."""
    owner = SpoolOwner(config.xmpp.component_jid, config.mysql.database)
    return SpoolDirectory(spool_dir_of(config.archive), owner)


async def load_directory(repo: DirectoryRepository) -> Directory:
    return Directory(await repo.list_sites(), await repo.list_operators())


class Application:
    """Everything `helperchat run` runs, with an explicit start and stop."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.stop_requested = asyncio.Event()
        self.metrics = Metrics()
        self.limits = VisitorLimits(
            config.http.rate_limits, time.monotonic, self.metrics.count_rate_limited
        )  # one set for web and XMPP visitors: a site's chats started count both
        self.component = HelperChatComponent(config.xmpp, self.limits)
        self.db: Database | None = None
        self.writer: ArchiveWriter | None = None
        self.desk: HelpDesk | None = None
        self.transcripts: ArchivedTranscripts | None = None
        self.web_visitors = WebVisitors(time.time)
        self.watches = Watches()  # who hears of operators coming online and going offline
        self.reminders: FeedbackReminders | None = None
        self.roster_pushes: RosterPushRuntime | None = None  # None: no ejabberd_api
        self.webhooks = WebhookRuntime(config.webhooks, self.metrics)
        self.http: HttpServer | None = None
        self.mail: MailDrainer | None = None  # None: smtp is not configured
        self.spool = spool_of(config)
        self.retention: RetentionTask | None = None
        self.catalogue = shipped_catalogue()  # CatalogueError before anything starts
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> bool:
        """Bring everything up; False when stopped before the database was reachable and the
        spool written back. SpoolError when the spool directory cannot be used."""
        self.spool.check_usable()  # better known now than at the stop
        self.db = await connect_database(self.config, self.stop_requested)
        if self.db is None:
            return False
        await require_current_schema(self.db)  # SchemaMismatch: `helperchat run` exits 1
        db = self.db
        if not await replay_spool(self.spool, lambda: self._new_writer(db), self.stop_requested):
            return False
        self.writer = self._new_writer(db)
        self.metrics.watch_archive(self.writer)
        self.writer.start()
        self._start_mail(self.db, self.writer)
        archive = ArchiveRepository(self.db)
        self.transcripts = ArchivedTranscripts(
            self.component.outbox,
            self.writer.flush,
            archive.messages_between,
            timeout=2 * self.config.mysql.query_timeout,
        )
        metered = MeteredArchive(self.writer, self.metrics, self._slug_of)
        if self.config.ejabberd_api.configured:
            push = roster_push_of(self.config, DirectoryRepository(self.db))
            self.roster_pushes = RosterPushRuntime(push)
        self.desk = self._build_desk(self.webhooks.tap(metered))  # webhook events seen on the way
        if self.roster_pushes is not None:
            self.roster_pushes.attach(self.desk.roster_pushed)
        assert self.webhooks.operator_events is not None
        self.watches.add(self.webhooks.operator_events)
        open_chats = await archive.open_chats()
        cards = await WebChatRepository(self.db).open_cards()
        for entry in open_chats:  # web visitors' details come back with their chats
            entry.card = cards.get((entry.chat.site_id, entry.chat.number), entry.card)
        self.desk.restore(await archive.last_numbers(), open_chats)
        await self._start_feedback(self.db, self.desk, self.writer)
        directory_repo = DirectoryRepository(self.db)
        self.desk.apply_directory(await load_directory(directory_repo))
        reload_interval = self.config.component.reload_interval
        await self.webhooks.start(self.db, self.writer, self.desk.state, reload_interval)
        self.component.attach(self.desk)
        browse_timeout = 2 * self.config.mysql.query_timeout
        writer = self.writer

        async def flush_for_browsing() -> None:
            await writer.flush_within(browse_timeout)

        self.component.adhoc.attach_archive(ArchiveBrowsing(self.db, flush_for_browsing))
        self.component.adhoc.attach_feedback(FeedbackInbox(self.db, flush_for_browsing))
        reload = DirectoryReload(directory_repo, lambda: self.desk)
        self.component.adhoc.attach_admin(
            LiveAdmin(
                directory_repo,
                normalize_bare_jid,
                reload,
                self.catalogue.languages,
                None if self.roster_pushes is None else self.roster_pushes.operator_removed,
            )
        )
        await self._start_http(self.db, self.desk)  # HttpStartError: `helperchat run` exits 1
        self.component.connect()
        self._start_retention(self.db, directory_repo)
        self._tasks = [
            asyncio.create_task(self._reload_loop(reload)),
            asyncio.create_task(self._tick_loop()),
        ]
        return True

    def _start_retention(self, db: Database, directory: DirectoryRepository) -> None:
        """The daily purge of chats past their site's retention (archive.purge_interval)."""
        archive = self.config.archive
        self.retention = RetentionTask(
            ChatPurge(db),
            directory.list_sites,
            self.metrics,
            time.time,
            interval=archive.purge_interval,
            first_delay=archive.purge_first_delay,
        )
        self.retention.start()

    def _new_writer(self, db: Database) -> ArchiveWriter:
        archive_cfg = self.config.archive
        return ArchiveWriter(
            ArchiveRepository(db),
            flush_interval=archive_cfg.flush_interval,
            batch_size=archive_cfg.batch_size,
            retry_max_delay=archive_cfg.retry_max_delay,
            # a backstop: the database already drops a transaction after query_timeout
            write_timeout=2 * self.config.mysql.query_timeout,
            max_backlog=archive_cfg.max_backlog,
        )

    def _start_mail(self, db: Database, writer: ArchiveWriter) -> None:
        """The outbox's drainer, woken by stored mails; without smtp the mails stay queued."""
        smtp = self.config.smtp
        if not smtp.configured:
            log.warning("mail is not configured (no smtp section): mails stay in the outbox")
            return
        self.mail = build_drainer(smtp, MailOutboxRepository(db), self.metrics)
        writer.on_stored(self.mail.on_stored)
        self.mail.start()
        log.info("mail: sending through %s", describe(smtp))

    def _build_desk(self, archive: ArchiveSink) -> HelpDesk:
        out = self.component.outbox
        assert self.transcripts is not None
        return HelpDesk(
            DeskState(
                catalogue=self.catalogue,
                addresses=self.component.addresses,
                archive=archive,
                out=out,
                transcripts=self.transcripts,
                visitors={
                    VisitorKind.XMPP: XmppVisitors(out, self.component.addresses),
                    VisitorKind.WEB: self.web_visitors,
                },
                clock=time.time,
                rng=random.Random(),
                max_body_chars=self.config.limits.max_body_chars,
                jid_form=normalize_bare_jid,
                on_archive_full=self.metrics.count_refused_message,
                watch=self.watches,
                max_open_chats=self.config.limits.max_open_chats_per_site,
                unanswered_expiry=self.config.limits.unanswered_expiry_seconds,
                roster_pushes=self.roster_pushes,
            )
        )

    async def _start_feedback(self, db: Database, desk: HelpDesk, writer: ArchiveWriter) -> None:
        """Feedback numbers continue from the database (the spool is written back by now); the
        reminders hear of operators coming online and of feedback stored."""
        feedback = FeedbackRepository(db)
        desk.feedback.restore(await feedback.last_numbers())
        self.reminders = FeedbackReminders(
            self.component.outbox,
            self.component.addresses,
            feedback,
            writer.flush,
            time.time,
            online_at=lambda site_id: _online_at(desk, site_id),
        )
        self.watches.add(self.reminders)
        writer.on_stored(self.reminders.on_stored)

    def _slug_of(self, site_id: int) -> str | None:
        site = None if self.desk is None else self.desk.directory.site_by_id_or_none(site_id)
        return None if site is None else site.slug

    async def _start_http(self, db: Database, desk: HelpDesk) -> None:
        """The web side: /healthz, /metrics; per-site gauges are read from the desk when scraped."""
        self.metrics.watch_sites(lambda: site_stats(desk.directory, desk.chats, desk.presence))
        health = Health(self.component.connected_event.is_set, db.ping)
        web_app = build_app(
            self.config.http,
            health=health,
            metrics=self.metrics,
            visitor_api=self._visitor_api(db, desk),
            avatars=DirectoryRepository(db),
            notify=NotifyApi(desk, Notifier(desk.state), NotifyRequestRepository(db), time.time),
            limits=self.limits,
        )
        self.http = HttpServer(web_app, self.config.http)
        await self.http.start()

    def _visitor_api(self, db: Database, desk: HelpDesk) -> VisitorApi:
        """The web chats' transport: operators' names and the avatar from the desk's directory, a
        chat's history from the desk while it is open, else from the archive once flushed."""
        writer = self.writer
        assert writer is not None
        archive = ArchiveRepository(db)
        public_url = self.config.http.public_url
        timeout = 2 * self.config.mysql.query_timeout  # as for transcripts: then 503, not a hang

        async def flush() -> None:
            await writer.flush_within(timeout)

        async def archived(key: ChatKey, limit: int, after: int | None) -> ChatHistory:
            await flush()
            return await archive.web_history(*key, limit, after)

        self.web_visitors.attach(desk, archived, public_url)
        return VisitorApi(desk, self.web_visitors, WebChatRepository(db), flush)

    async def _reload_loop(self, reload: DirectoryReload) -> None:
        """Re-read sites and operators so command-line changes apply without a restart (the
        desk's own `settings` and `operators` apply theirs at once, through the same reload)."""
        while True:
            await asyncio.sleep(self.config.component.reload_interval)
            try:
                await reload()
            except StorageError as exc:
                log.warning("settings reload failed: %s", exc)
            except Exception:
                log.exception("applying reloaded settings failed")

    async def _tick_loop(self) -> None:
        """Drive the desk's timers (answer timeouts)."""
        while True:
            await asyncio.sleep(TICK_SECONDS)
            if self.desk is not None:
                try:
                    self.desk.on_tick()
                except Exception:
                    log.exception("timer handling failed")

    async def stop(self) -> None:
        self.stop_requested.set()
        if self.http is not None:
            await self.http.stop()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.retention is not None:
            await self.retention.stop()
        if self.mail is not None:
            await self.mail.stop()
        await self.webhooks.stop()  # what is in flight goes again after the next start
        if self.transcripts is not None:
            await self.transcripts.close()
        if self.reminders is not None:
            await self.reminders.close()
        if self.roster_pushes is not None:
            await self.roster_pushes.close()
        await self.component.stop()
        try:
            if self.writer is not None:
                self._spool(await self.writer.close())
        finally:
            if self.db is not None:
                await self.db.close()
        log.info("stopped")

    def _spool(self, unstored: ArchiveBatch) -> None:
        """Keep on disk what the database did not take; SpoolError (logged) when that fails."""
        if not len(unstored):
            return
        try:
            path = self.spool.save(unstored)
        except SpoolError as exc:
            log.error("archive: %d rows LOST, neither stored nor spooled: %s", len(unstored), exc)
            raise
        log.warning(
            "archive: the database did not take %d rows before the stop; spooled to %s,"
            " written at the next start",
            len(unstored),
            path,
        )


def _online_at(desk: HelpDesk, site_id: int) -> list[tuple[Site, str]]:
    """The site's enabled operators online at its desk now (none for a site that is gone)."""
    site = desk.directory.site_by_id_or_none(site_id)
    if site is None:
        return []
    operators = desk.directory.operators(site_id)
    online = (op for op in operators if op.enabled and desk.state.is_online(site, op.jid))
    return [(site, op.jid) for op in online]


async def run(config: Config) -> None:
    """`helperchat run`: serve until SIGTERM or SIGINT, then stop cleanly."""
    log.info("open-file limit: %d", raise_open_file_limit())  # held connections fit under it
    app = Application(config)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, app.stop_requested.set)
    try:
        if await app.start():
            log.info("HelperChat is running as %s", config.xmpp.component_jid)
            await app.stop_requested.wait()
    finally:
        await app.stop()
