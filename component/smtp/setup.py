"""The drainer as the configuration asks for it (the composition root calls this)."""

from __future__ import annotations

from component.config import SmtpConfig
from component.mail import Backoff, mailbox_of
from component.smtp.client import SmtpClient
from component.smtp.drainer import DrainSettings, MailCounts, MailDrainer, MailOutbox


def settings_of(config: SmtpConfig) -> DrainSettings:
    sender = mailbox_of(config.from_)
    if sender is None:  # config.py checked it
        raise ValueError("smtp.from is not an e-mail address")
    return DrainSettings(
        sender=sender,
        batch_size=config.batch_size,
        poll_interval=config.poll_interval,
        backoff=Backoff(config.retry_min_delay, config.retry_max_delay),
    )


def build_drainer(config: SmtpConfig, outbox: MailOutbox, counts: MailCounts) -> MailDrainer:
    return MailDrainer(outbox, SmtpClient(config), settings_of(config), counts)
