"""slixmpp adapter: the only package importing slixmpp."""
