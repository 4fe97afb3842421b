"""SMTP adapter: the mail outbox's drainer and its client, the only importer of aiosmtplib.

message.py builds each mail (the standard library's EmailMessage), client.py talks to the server
and sorts its answers (sent, try again, refused for good, the server itself unavailable),
drainer.py is the task that reads due mails from the outbox, sends them and marks each, and
setup.py builds it from the configuration.
"""

from component.smtp.client import ServerUnavailable, SmtpClient, describe, probe
from component.smtp.drainer import MailDrainer
from component.smtp.setup import build_drainer

__all__ = ["MailDrainer", "ServerUnavailable", "SmtpClient", "build_drainer", "describe", "probe"]
