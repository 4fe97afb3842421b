"""HelperChat: website live chat on XMPP, as an ejabberd external component (XEP-0114)."""
