"""A self-signed certificate for localhost and its subdomains, made with the openssl program."""

import subprocess
from pathlib import Path

from devstack.process import require_binary

SUBJECT_ALT_NAME = "DNS:localhost,DNS:*.localhost"
DAYS = 3650


def self_signed(directory: Path) -> tuple[Path, Path]:
    """`cert.pem` and `key.pem` in `directory` (EC P-256, SAN localhost and *.localhost).

    Made once: an existing pair is kept, so clients that trusted it keep trusting it.
    """
    cert, key = directory / "cert.pem", directory / "key.pem"
    if cert.exists() and key.exists():
        return cert, key
    directory.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            require_binary("openssl", "openssl"),
            *("req", "-x509", "-nodes", "-newkey", "ec"),
            *("-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-keyout", str(key), "-out", str(cert), "-days", str(DAYS)),
            *("-subj", "/CN=localhost", "-addext", f"subjectAltName={SUBJECT_ALT_NAME}"),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"openssl could not make a certificate: {done.stderr.strip()}")
    key.chmod(0o600)
    return cert, key
