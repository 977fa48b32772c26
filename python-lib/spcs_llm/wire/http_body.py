"""Reading HTTP answers within a deadline and a size limit; checks shared by the transport, auth and settings.

``BodyReader`` reads a ``stream=True`` answer as its bytes arrive, one socket read at a
time: each wait is clipped to what is left of the call's deadline, the decoded size is
counted (a gzip bomb is stopped at the limit, not after inflating), SSE lines are handed
on as soon as they are complete whether or not the server used chunked encoding, and the
connection goes back to the pool only when the answer was read to its end.
"""

import socket
import zlib
from http.client import HTTPException

from ..errors import DeadlineExceededError, MalformedResponseError, ResponseTooLargeError, TransientServiceError

# One socket read takes at most this much; read1 returns what has arrived, never waits for more.
READ_CHUNK = 256 * 1024
MEGABYTE = 1024 * 1024
# Only what BodyReader decodes, counting the inflated size (requests would also offer br and
# zstd when those modules are installed): every request we send says so.
ACCEPT_ENCODING = "gzip, deflate"


def is_cut_short(headers, received):
    """True when a body of ``received`` bytes is shorter than its ``Content-Length``.

    urllib3 2 raises on such a body, but urllib3 1.26 (still installed next to some
    connector versions) returns it silently: a connection lost mid-answer would then pass
    for a whole answer, such as a truncated token. A compressed body is measured after
    decoding, so its length cannot be compared and is not checked.
    """
    declared = headers.get("Content-Length")
    if not declared or not declared.isdigit():
        return False
    if headers.get("Content-Encoding", "identity").lower() not in ("", "identity"):
        return False
    return received < int(declared)


def headers_as_set(request):
    """A requests ``auth`` that leaves the request as built: our own header carries the credential.

    With no ``auth``, requests reads ~/.netrc (or $NETRC) on every request, and an entry
    for the host, or a ``default`` one, replaces our Authorization header with Basic auth.
    """
    return request


def is_header_safe(token):
    """True if ``token`` can go inside ``Snowflake Token="..."``: printable ASCII, no space, quote or backslash.

    Anything else would either be refused by the HTTP stack, with the header's value (our
    token) in its error message, or split the header.
    """
    return bool(token) and all(33 <= ord(c) <= 126 and c not in '"\\' for c in token)


class BodyReader:
    """The body of one ``requests`` response opened with ``stream=True``, read under a deadline and a size limit.

    >>> body = BodyReader(response, url, deadline, read_timeout=300, max_bytes=256 * MEGABYTE)
    >>> data = body.read_all()            # or: for line in body.lines(max_line): ...
    """

    def __init__(self, response, url, deadline, read_timeout, max_bytes, limit_setting="maxResponseMegabytes"):
        self._response = response
        self._url = url
        self._deadline = deadline
        self._read_timeout = read_timeout
        self._max_bytes = max_bytes
        self._limit_setting = limit_setting
        self._source = self._decoded(self._raw_chunks())

    def read_all(self):
        """The whole decoded body."""
        return b"".join(self._source)

    def lines(self, max_line):
        """Each line (without its line break) as soon as it is complete; one longer than ``max_line`` fails."""
        pending = b""
        for data in self._source:
            pending += data
            *complete, pending = pending.split(b"\n")
            for line in complete:
                self._check_line(len(line), max_line)
                yield line.rstrip(b"\r")
            self._check_line(len(pending), max_line)
        if pending:
            yield pending.rstrip(b"\r")

    def drain(self, max_bytes, seconds):
        """Read and drop what is left, at most ``max_bytes`` within ``seconds``; True if the answer ended.

        Only an answer read to its end gives its connection back to the pool; a server that
        holds the connection open (or keeps sending) loses it instead of holding the call.
        """
        self._deadline = self._deadline.sooner(seconds)
        drained = 0
        try:
            for data in self._source:
                drained += len(data)
                if drained > max_bytes:
                    return False
        except (TransientServiceError, MalformedResponseError, ResponseTooLargeError, DeadlineExceededError):
            return False  # the answer was complete already: only the connection is lost
        return True

    def _check_line(self, length, max_line):
        if length > max_line:
            raise ResponseTooLargeError(
                "The stream from %s sent one line longer than %d bytes; reading it was stopped. A server event "
                "this large is not a chat answer: check 'llmEndpointUrl' and 'modelHandlingMode'."
                % (self._url, max_line))

    def _raw_chunks(self):
        """The body's bytes as they arrive, undecoded; gives the connection back to the pool at the end."""
        raw = self._response.raw
        fp = raw._fp  # the http.client response: read1 is the one read that returns what has arrived
        sock = _socket_of(raw)
        received = 0
        while getattr(fp, "length", None) != 0:  # Python 3.9's read1 does not notice the end of a Content-Length body
            wait = self._deadline.timeout(self._read_timeout, "reading the answer of %s" % self._url)
            if sock is not None:
                sock.settimeout(wait)
            try:
                data = fp.read1(READ_CHUNK)
            except socket.timeout:
                if self._deadline.expired():
                    raise self._deadline.error("reading the answer of %s" % self._url) from None
                raise TransientServiceError("%s stopped sending its answer for %g s (setting 'readTimeoutSeconds')."
                                            % (self._url, self._read_timeout)) from None
            except (HTTPException, OSError, ValueError) as exc:
                raise TransientServiceError("The connection to %s was lost while reading the answer (%s)."
                                            % (self._url, type(exc).__name__)) from None
            if not data:
                break
            received += len(data)
            yield data
        declared = self._response.headers.get("Content-Length", "")
        if declared.isdigit() and received < int(declared):
            raise TransientServiceError("The connection to %s was lost while reading the answer (%d of %s bytes)."
                                        % (self._url, received, declared))
        fp.close()  # marks the http.client response done, as its own read does, so the connection can serve again
        raw.release_conn()

    def _decoded(self, chunks):
        """Decoded chunks, counted: more than the size limit stops the read (a gzip bomb before it inflates)."""
        encoding = self._response.headers.get("Content-Encoding", "identity").strip().lower()
        decoder = None
        if encoding in ("gzip", "x-gzip", "deflate"):
            decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
        elif encoding not in ("", "identity"):
            raise MalformedResponseError("%s answered with Content-Encoding '%s', which was not asked for."
                                         % (self._url, encoding[:40]))
        size = 0
        for data in chunks:
            if decoder is not None:
                try:
                    # At most one byte over the limit is inflated: enough to know it is over.
                    data = decoder.decompress(data, self._max_bytes - size + 1)
                except zlib.error:
                    raise MalformedResponseError("%s answered with a corrupt %s body." % (self._url, encoding)) \
                        from None
            size += len(data)
            if size > self._max_bytes:
                raise ResponseTooLargeError(
                    "The answer from %s is larger than %s (setting '%s'); reading it was stopped."
                    % (self._url, _size(self._max_bytes), self._limit_setting))
            if data:
                yield data
        if decoder is not None and not decoder.eof:
            raise TransientServiceError("The connection to %s was lost while reading the answer (compressed "
                                        "body cut short)." % self._url)


def _socket_of(raw):
    """The socket under a urllib3 response, to clip each wait to the deadline (None if not found)."""
    connection = getattr(raw, "_connection", None) or getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _size(n):
    return "%g MB" % (n / MEGABYTE) if n >= MEGABYTE else "%d bytes" % n
