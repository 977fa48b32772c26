"""Rebuild a PEM private key whose line breaks were lost on the way to us.

DSS may hand a ``PASSWORD`` field back with its line breaks turned into spaces, and admins
paste keys with ``\\n`` escapes or Windows line ends. ``cryptography`` needs the PEM layout:
the BEGIN line, optional RFC 1421 headers (an encrypted PKCS#1 key's ``Proc-Type`` and
``DEK-Info``), the base64 body in lines of 64, the END line. Pure: no I/O, no logging (the
text is a secret).
"""

import re

# The labels of the private keys we accept: PKCS#8, encrypted PKCS#8, PKCS#1 RSA.
LABELS = ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY")
_BLOCK = re.compile(
    r"-----BEGIN (%s)-----(.*?)-----END \1-----" % "|".join(re.escape(label) for label in LABELS),
    re.DOTALL,
)
_HEADER_NAMES = ("Proc-Type:", "DEK-Info:")
_LINE = 64


def rebuild_pem(text):
    """``text`` with its first private-key PEM block laid out as PEM requires.

    Whitespace of any kind (spaces, tabs, ``\\r\\n``, literal ``\\n`` escapes) between the
    parts is accepted. Text holding no BEGIN/END pair of a known label is returned
    unchanged, so that the key loader reports what is wrong with it.
    """
    if not isinstance(text, str):
        return text
    normalised = text.replace("\\r", "\n").replace("\\n", "\n")
    match = _BLOCK.search(normalised)
    if not match:
        return text
    label, inside = match.group(1), match.group(2).split()
    headers = []
    # A header is its name token followed by one value token ("Proc-Type: 4,ENCRYPTED").
    while len(inside) >= 2 and inside[0] in _HEADER_NAMES:
        headers.append("%s %s" % (inside[0], inside[1]))
        inside = inside[2:]
    body = "".join(inside)
    lines = ["-----BEGIN %s-----" % label]
    if headers:
        lines += headers + [""]
    lines += [body[i:i + _LINE] for i in range(0, len(body), _LINE)]
    lines.append("-----END %s-----" % label)
    return "\n".join(lines) + "\n"
