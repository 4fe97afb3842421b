"""Who has each chat: new chats routed, chats moved, the queue served and its positions told.

Works on the shared DeskState; every chat it moves goes through `DeskState.set_state`; what the
new operator is given is handover.py's. Must not import asyncio or any adapter library.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from component import texts
from component.archive import OperatorUpdate
from component.chats import OpenChat, transition
from component.desk.feedback import NOBODY_ONLINE, FeedbackDesk
from component.desk.handover import send_backlog, send_transcript
from component.desk.state import DeskState
from component.models import ChatState, Notice, Site
from component.routing import Decision, Outcome

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, state: DeskState, feedback: FeedbackDesk) -> None:
        """`feedback` takes the chats that find nobody online at a site whose form is on."""
        self._s = state
        self._feedback = feedback

    def route_new(self, site: Site, entry: OpenChat, now: float) -> None:
        """A chat just opened: to an operator, to offline routing, or into the queue; with
        nobody online and the site's feedback form on, it becomes feedback."""
        s = self._s
        if not s.connected:
            return  # held in the queue; served once connected and presence settled
        decision = s.route(site, card=entry.card)
        if self._becomes_feedback(site, decision):
            if s.settle_until is None:
                self._feedback.take_chat(site, entry, now)
            return  # else held until presence has settled, then served with the queue
        if decision.outcome is Outcome.NOBODY:
            log.warning("chat %s.%d: no operator at all", site.slug, entry.chat.number)
            s.tell_visitor(site, entry, s.words(site, entry.chat, "no_operator"), now)
            entry.told_position = len(s.chats.queued(site.id))  # told enough: no "busy" greeting
        elif len(s.chats.queued(site.id)) > 1:  # others wait already: first come, first served
            self.tell_positions(site, now)
        elif decision.outcome is Outcome.OFFLINE and s.settle_until is not None:
            return  # presence is still coming back: held, and served once it has settled
        elif decision.outcome in (Outcome.ASSIGN, Outcome.OFFLINE):
            self.assign(site, entry, decision, now)
            if decision.outcome is Outcome.OFFLINE:
                s.tell_visitor(site, entry, s.words(site, entry.chat, "offline"), now)
        else:
            self.tell_positions(site, now)

    def assign(
        self, site: Site, entry: OpenChat, decision: Decision, now: float, moved: str = ""
    ) -> None:
        """Give the chat to the decided operator; on a move, tell the previous one why."""
        s = self._s
        operator = s.directory.operator(site.id, decision.operator or "")
        if operator is None:
            return
        previous = entry.chat.operator if entry.chat.state is ChatState.ASSIGNED else None
        chat = transition(entry.chat, ChatState.ASSIGNED, now, operator.jid)
        chat = replace(chat, route_reason=decision.explain())
        s.set_state(entry, chat)
        entry.assignment += 1
        entry.answered, entry.waiting_since, entry.told_position = False, now, 0
        s.directory.record_assignment(site.id, operator.jid, now)
        s.archive.add_operator_update(OperatorUpdate(site.id, operator.jid, now))
        assigned = texts.system_assigned(operator, decision.rule)
        s.tell_visitor(site, entry, assigned, now, Notice.ASSIGNED, operator.name)
        log.info("chat %s.%d -> %s (%s)", site.slug, chat.number, operator.jid, decision.rule)
        s.refresh(operator.jid)
        handed, entry.handed = entry.handed, True
        if previous is None and not handed:
            send_backlog(s, site, entry, operator.jid, now)
            return
        if previous is not None:
            s.refresh(previous)
        if s.is_member(site, previous):  # nothing of the site reaches a removed operator
            chat_jid = s.addresses.chat(site.slug, chat.number)
            s.out.send_message(
                chat_jid, previous or "", texts.chat_moved(site, chat, operator, moved)
            )
        send_transcript(s, site, entry, operator.jid, now)
        words = s.words(site, chat, "new_operator", name=operator.name)
        s.tell_visitor(site, entry, words, now, Notice.NEW_OPERATOR)

    def rebalance(self, site: Site, now: float) -> None:
        """Move chats of operators who are gone, then serve the queue in order; tell positions.

        Looks at the site's chat holders, not at every chat. Does nothing while disconnected:
        presence is unknown then, and nothing can be sent.
        """
        s = self._s
        if not s.connected:
            return
        stuck = False  # once one offline operator's chat finds nobody, so will the others
        for holder in s.chats.holders(site.id):
            if not s.gone(site, holder) or (stuck and s.is_member(site, holder)):
                continue
            for entry in s.chats.assigned_to(holder, site.id):
                if not self._rescue(site, entry, now) and s.is_member(site, holder):
                    stuck = True
                    break
        self._serve_queue(site, now)
        self.tell_positions(site, now)

    def reassign_overdue(self, site: Site, entry: OpenChat, now: float) -> None:
        """Another online operator who has not lost this chat before; else it stays."""
        current = entry.chat.operator or ""
        decision = self._s.route(site, frozenset(entry.lost_by | {current}), entry.card)
        if decision.outcome is Outcome.ASSIGN:
            entry.lost_by.add(current)
            timeout = site.settings.answer_timeout
            self.assign(site, entry, decision, now, texts.moved_timeout(timeout))
        else:
            entry.waiting_since = now  # nobody else can take it: look again after a timeout

    def tell_positions(self, site: Site, now: float) -> None:
        for position, entry in enumerate(self._s.chats.queued(site.id), start=1):
            if entry.told_position != position:
                key = "queue_first" if entry.told_position == 0 else "queue_moved"
                words = self._s.words(site, entry.chat, key, position=position)
                self._s.tell_visitor(site, entry, words, now, Notice.QUEUE, str(position))
                entry.told_position = position

    def _rescue(self, site: Site, entry: OpenChat, now: float) -> bool:
        """A chat whose operator went offline or was removed: to someone online if possible
        (True when it went to someone online).

        A chat of an operator who is merely offline stays with them otherwise (their server keeps
        the messages); one of a removed operator goes to offline routing or back to the queue.
        """
        s = self._s
        current = entry.chat.operator or ""
        decision = s.route_avoiding(site, entry.lost_by, {current}, entry.card)
        if decision.outcome is Outcome.ASSIGN:
            self.assign(site, entry, decision, now, texts.MOVED_OFFLINE)
            return True
        if s.is_member(site, current):
            return False
        if decision.outcome is Outcome.OFFLINE:
            self.assign(site, entry, decision, now, texts.MOVED_OFFLINE)
            s.tell_visitor(site, entry, s.words(site, entry.chat, "offline"), now)
        else:
            self._requeue(site, entry, now)
        return False

    @staticmethod
    def _becomes_feedback(site: Site, decision: Decision) -> bool:
        """Nobody online (SPEC §4.2) at a site whose feedback form is on."""
        return site.settings.feedback_form and decision.outcome in NOBODY_ONLINE

    def _requeue(self, site: Site, entry: OpenChat, now: float) -> None:
        """Back to the queue (in its old place, by when it opened); the visitor is told why."""
        s = self._s
        log.info("chat %s.%d back in the queue: its operator left", site.slug, entry.chat.number)
        queued = transition(entry.chat, ChatState.QUEUED, now)
        s.set_state(entry, queued)
        entry.waiting_since = None
        position = [e.chat.number for e in s.chats.queued(site.id)].index(queued.number) + 1
        words = s.words(site, queued, "requeued", position=position)
        s.tell_visitor(site, entry, words, now, Notice.QUEUE, str(position))
        entry.told_position = position

    def _serve_queue(self, site: Site, now: float) -> None:
        """Queued chats in order: to an operator who can take one; offline when nobody is online
        (feedback when the site's form is on).

        Queued chats become offline messages (or feedback) only once presence has settled, so a
        restart does not send the whole queue to offline operators before they are heard from.
        """
        s = self._s
        for entry in s.chats.queued(site.id):
            decision = s.route_avoiding(site, entry.lost_by, card=entry.card)
            if self._becomes_feedback(site, decision):
                if s.settle_until is not None:
                    return
                self._feedback.take_chat(site, entry, now)
            elif decision.outcome is Outcome.ASSIGN:
                self.assign(site, entry, decision, now)
            elif decision.outcome is Outcome.OFFLINE and s.settle_until is None:
                self.assign(site, entry, decision, now)
                s.tell_visitor(site, entry, s.words(site, entry.chat, "offline"), now)
            else:
                return
