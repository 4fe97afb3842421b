"""Domain errors raised by the use cases; each names the XMPP error condition adapters reply with.

Must not import any adapter library.
"""


class HelpDeskError(Exception):
    """A request the help desk refuses; `condition` is an RFC 6120 stanza error condition."""

    condition = "bad-request"

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class UnknownSite(HelpDeskError):
    condition = "item-not-found"


class UnknownChat(HelpDeskError):
    condition = "item-not-found"


class UnknownFeedback(HelpDeskError):
    """No such feedback at the site (one of another site is told exactly the same)."""

    condition = "item-not-found"


class NotAllowed(HelpDeskError):
    condition = "forbidden"


class NotYourChat(NotAllowed):
    """An operator of the site, but the chat is not assigned to them."""


class ChatClosed(HelpDeskError):
    """The chat existed and is closed: nobody may act on it any more."""

    condition = "not-allowed"


class UnknownCommand(HelpDeskError):
    condition = "item-not-found"


class EmptyMessage(HelpDeskError):
    condition = "bad-request"


class MessageTooLong(HelpDeskError):
    condition = "not-acceptable"


class InvalidInput(HelpDeskError):
    """Bad values given to an admin command (slug, JID, name, number)."""

    condition = "bad-request"


class InvalidField(InvalidInput):
    """Bad input for one option (`site set` / `operator set`) or the form field of the same name:
    the text is what the command line prints; `field` names the option (`answer_timeout`)."""

    def __init__(self, field: str, text: str) -> None:
        super().__init__(text)
        self.field = field


class ArchiveFull(HelpDeskError):
    """The archive buffer is at its cap (the database is away): nothing new is relayed for now."""

    condition = "resource-constraint"


class DeskFull(HelpDeskError):
    """The site holds as many open chats as it may: a new one is refused until some close."""

    condition = "resource-constraint"


class RateLimited(HelpDeskError):
    """A visitor over one of the visitor rate limits: nothing of what they sent goes on."""

    condition = "policy-violation"


class NobodyOnline(HelpDeskError):
    """Nobody of the site is online and its feedback form is on: no chat starts, the visitor is
    offered the form instead (the web's 409 `offline`)."""

    condition = "recipient-unavailable"


class FeedbackOff(HelpDeskError):
    """Feedback left at a site whose feedback form is off."""

    condition = "not-allowed"


class LastAdmin(HelpDeskError):
    """A change that would leave a site without any admin (remove or demote its last one)."""

    condition = "not-allowed"
