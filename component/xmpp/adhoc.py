"""XEP-0050 ad-hoc commands at the component's desk and chat JIDs, with XEP-0004 forms.

Hand-written rather than slixmpp's xep_0050 plugin: that plugin keeps one static command list per
JID (this component serves a JID per site and per chat, and lists depend on who asks), lets anyone
continue any session by its id, and keeps every session for good. Here the listing is computed per
address and requester, and sessions (adhoc_sessions.py) are bound to their owner, expire and are
capped. Forms become plain values for desk/console.py; the desk never sees a stanza.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast

from slixmpp import Iq
from slixmpp.exceptions import XMPPError
from slixmpp.plugins.xep_0004.stanza import FieldOption, Form, FormField
from slixmpp.plugins.xep_0050.stanza import Command
from slixmpp.types import ErrorConditions
from slixmpp.xmlstream import register_stanza_plugin
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import StanzaPath

from component import texts
from component.addresses import Address, Addresses, AddressKind
from component.desk import console
from component.desk.archive_view import ARCHIVE_COMMANDS
from component.desk.commands import Reply
from component.desk.feedback_view import FEEDBACK_COMMANDS
from component.desk.helpdesk import HelpDesk
from component.desk.site_admins import ADMIN_COMMANDS
from component.errors import HelpDeskError
from component.xmpp.adhoc_admin import AdminCommands, SiteAdministration
from component.xmpp.adhoc_archive import ArchiveCommands, Browsing
from component.xmpp.adhoc_feedback import FeedbackCommands, FeedbackInbox
from component.xmpp.adhoc_sessions import ForeignSession, Sessions, UnknownSession
from component.xmpp.adhoc_steps import COMMANDS_NS, FORMS_NS, answers_of, set_actions, step_reply
from component.xmpp.jids import Jid, parse_jid

log = logging.getLogger(__name__)

SUBMIT_ACTIONS = frozenset({"execute", "next", "complete"})

ChatAsk = Callable[[HelpDesk, str, str, int], console.Question | Reply]
ChatAnswer = Callable[[HelpDesk, str, str, int, Mapping[str, str]], Reply]
CHAT_STEPS: dict[str, tuple[ChatAsk, ChatAnswer]] = {
    "transfer": (console.ask_transfer, console.answer_transfer),
}
"""Chat commands that ask a question (a form) first, then run with the answers."""


@contextmanager
def as_xmpp_errors() -> Iterator[None]:
    """A use case's refusal becomes the XMPP error it names; slixmpp sends the reply."""
    try:
        yield
    except HelpDeskError as error:
        raise XMPPError(cast(ErrorConditions, error.condition), error.text) from None


class AdHoc:
    def __init__(
        self,
        stream: Any,
        addresses: Addresses,
        desk: Callable[[], HelpDesk],
        sessions: Sessions | None = None,
    ) -> None:
        self._stream = stream
        self._addresses = addresses
        self._desk = desk
        self.sessions = sessions or Sessions()
        self.archive: ArchiveCommands | None = None  # `recent`, `transcript` once the db is up
        self.feedback: FeedbackCommands | None = None  # `feedback` once the db is up
        self.admin: AdminCommands | None = None  # `settings`, `operators` once the db is up
        register_stanza_plugin(FormField, FieldOption, iterable=True)
        register_stanza_plugin(Form, FormField, iterable=True)
        register_stanza_plugin(Iq, Command)
        register_stanza_plugin(Command, Form)
        matcher = StanzaPath("iq@type=set/command")
        stream.register_handler(Callback("HelperChat ad-hoc", matcher, self.on_command))

    def attach_archive(self, browsing: Browsing) -> None:
        """The archive's reads for `recent` and `transcript` (without: item-not-found)."""
        self.archive = ArchiveCommands(self._desk, self.sessions, browsing)

    def attach_feedback(self, inbox: FeedbackInbox) -> None:
        """The feedback's reads and marking for `feedback` (without: item-not-found)."""
        self.feedback = FeedbackCommands(self._desk, self.sessions, inbox)

    def attach_admin(self, admin: SiteAdministration) -> None:
        """The site administration for `settings` and `operators` (without: item-not-found)."""
        self.admin = AdminCommands(self._desk, self.sessions, admin)

    # -- service discovery -------------------------------------------------------------------

    def allowed(self, address: Address, requester: str) -> tuple[str, ...]:
        """The command nodes `requester` (a bare JID) may run at `address`; XMPPError for an
        unknown address, and for a stranger asking about a chat."""
        desk = self._desk()
        with as_xmpp_errors():
            if address.kind is AddressKind.DESK:
                return console.desk_commands(desk, requester, address.slug)
            if address.kind is AddressKind.CHAT:
                return console.chat_commands(desk, requester, address.slug, address.number)
        if address.kind is AddressKind.SERVICE:
            return ()
        raise XMPPError("item-not-found")

    def disco_items(self, jid: str, address: Address, requester: str, node: str) -> Any:
        """disco#items of the commands node at `jid`: what this requester may run there."""
        if node != COMMANDS_NS:
            raise XMPPError("item-not-found")
        items = self._stream.plugin["xep_0030"].stanza.DiscoItems()
        for name in self.allowed(address, requester):
            items.add_item(jid, node=name, name=texts.COMMAND_NAMES[name])
        return items

    def disco_info(self, address: Address, requester: str, node: str) -> Any:
        """disco#info of the commands node, or of one command this requester may run."""
        allowed = self.allowed(address, requester)
        info = self._stream.plugin["xep_0030"].stanza.DiscoInfo()
        if node == COMMANDS_NS:
            info.add_identity("automation", "command-list", "Commands")
        elif node in allowed:
            info.add_identity("automation", "command-node", texts.COMMAND_NAMES[node])
            info.add_feature(COMMANDS_NS)
            info.add_feature(FORMS_NS)
        else:
            raise XMPPError("item-not-found")
        return info

    # -- execution ---------------------------------------------------------------------------

    def on_command(self, iq: Any) -> None:
        try:
            with as_xmpp_errors():
                self._command(iq)
        except XMPPError:
            raise
        except Exception:
            log.exception("ad-hoc command %r failed", iq["command"]["node"])
            raise XMPPError("internal-server-error", "the command failed") from None

    def _command(self, iq: Any) -> None:
        try:
            to, requester = parse_jid(iq.xml.get("to", "")), parse_jid(iq.xml.get("from", ""))
        except ValueError:
            raise XMPPError("jid-malformed") from None
        if to.domain != self._addresses.domain or not requester.domain:
            raise XMPPError("item-not-found")
        address = self._addresses.parse(to.local)
        command = iq["command"]
        node, action, sessionid = command["node"], command["action"], command["sessionid"]
        if sessionid:
            self._continue(iq, address, requester, to.bare, sessionid)
        elif action == "execute":
            self._start(iq, address, requester, to.bare, node)
        else:
            raise _command_error("bad-sessionid", f"{action!r} needs a session; execute first")

    def _start(self, iq: Any, address: Address, requester: Jid, target: str, node: str) -> None:
        desk, who = self._desk(), requester.bare
        if address.kind is AddressKind.DESK and node in ARCHIVE_COMMANDS:
            if self.archive is None:
                raise XMPPError("item-not-found", "the archive is not available")
            self.archive.start(iq, _full(requester), target, address.slug, node)
        elif address.kind is AddressKind.DESK and node in FEEDBACK_COMMANDS:
            if self.feedback is None:
                raise XMPPError("item-not-found", "feedback is not available")
            self.feedback.start(iq, _full(requester), target, address.slug)
        elif address.kind is AddressKind.DESK and node in ADMIN_COMMANDS:
            if self.admin is None:
                raise XMPPError("item-not-found", "site administration is not available")
            self.admin.start(iq, _full(requester), target, address.slug, node)
        elif address.kind is AddressKind.DESK:
            self._complete(iq, console.run_at_desk(desk, who, address.slug, node))
        elif address.kind is AddressKind.CHAT and node in CHAT_STEPS:
            asked = CHAT_STEPS[node][0](desk, who, address.slug, address.number)
            if isinstance(asked, Reply):
                self._complete(iq, asked)
                return
            session = self.sessions.start(_full(requester), target, node, asked)
            self._ask(iq, session.id, asked)
        elif address.kind is AddressKind.CHAT:
            reply = console.run_in_chat(desk, who, address.slug, address.number, node)
            self._complete(iq, reply)
        else:
            raise XMPPError("item-not-found", f"no command {node!r} here")

    def _continue(
        self, iq: Any, address: Address, requester: Jid, target: str, sessionid: str
    ) -> None:
        command = iq["command"]
        if address.kind is AddressKind.DESK and command["node"] in ARCHIVE_COMMANDS:
            if self.archive is None:
                raise _command_error("bad-sessionid", "no such session here")
            self.archive.resume(iq, _full(requester), target, address.slug)
            return
        if address.kind is AddressKind.DESK and command["node"] in FEEDBACK_COMMANDS:
            if self.feedback is None:
                raise _command_error("bad-sessionid", "no such session here")
            self.feedback.resume(iq, _full(requester), target, address.slug)
            return
        if address.kind is AddressKind.DESK and command["node"] in ADMIN_COMMANDS:
            if self.admin is None:
                raise _command_error("bad-sessionid", "no such session here")
            self.admin.resume(iq, _full(requester), target, address.slug)
            return
        try:
            session = self.sessions.find(sessionid, _full(requester), target, command["node"])
        except ForeignSession:
            log.warning("%s tried a session of someone else at %s", _full(requester), target)
            raise XMPPError("forbidden", "this session belongs to someone else") from None
        except UnknownSession:
            raise _command_error(
                "bad-sessionid", "no such session here (ended or expired)"
            ) from None
        if command["action"] == "cancel":
            self.sessions.end(session.id)
            step_reply(iq, session.id, "canceled").send()
            return
        if command["action"] not in SUBMIT_ACTIONS or not isinstance(
            session.context, console.Question
        ):
            raise _command_error("bad-action", "only complete or cancel can follow this step")
        answers = _answers(iq, session.context)
        self.sessions.end(session.id)
        answer = CHAT_STEPS[session.node][1]  # sessions start only for those, at a chat
        reply = answer(self._desk(), requester.bare, address.slug, address.number, answers)
        self._complete(iq, reply, session.id)

    # -- replies -------------------------------------------------------------------------------

    def _complete(self, iq: Any, reply: Reply, sessionid: str | None = None) -> None:
        """The command is done: its text as the one note (what profanity and Converse show)."""
        result = step_reply(iq, sessionid or secrets.token_urlsafe(12), "completed")
        result["command"].add_note(reply.text, "info" if reply.done else "warn")
        result.send()

    def _ask(self, iq: Any, sessionid: str, question: console.Question) -> None:
        step = step_reply(iq, sessionid, "executing")
        set_actions(step)
        step["command"].append(_form(question))
        step.send()


def _form(question: console.Question) -> Any:
    form = Form()
    form["type"] = "form"
    form["title"] = question.title
    form["instructions"] = question.instructions
    for field in question.fields:
        options = [{"label": c.label, "value": c.value} for c in field.choices]
        form.add_field(
            var=field.var,
            ftype="list-single" if options else "text-single",
            label=field.label,
            required=field.required,
            options=options or None,
        )
    return form


def _answers(iq: Any, question: console.Question) -> Mapping[str, str]:
    """The submitted values of the question's fields; bad-request when a required one is empty."""
    submitted = answers_of(iq, {f.var for f in question.fields})
    answers = {f.var: submitted.get(f.var, "") for f in question.fields}
    missing = [f.label for f in question.fields if f.required and not answers[f.var].strip()]
    if missing:
        raise XMPPError("bad-request", f"missing: {', '.join(missing)}")
    return answers


def _command_error(reason: str, text: str) -> XMPPError:
    """bad-request with XEP-0050's specific condition (bad-action, bad-sessionid)."""
    return XMPPError("bad-request", text, extension=reason, extension_ns=COMMANDS_NS)


def _full(jid: Jid) -> str:
    return f"{jid.bare}/{jid.resource}" if jid.resource else jid.bare
