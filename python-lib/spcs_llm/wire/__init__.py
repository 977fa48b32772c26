"""The pieces of an HTTP exchange that hold no connection: the lowest layer but the leaves.

``json_codec`` (fast JSON), ``http_body`` (``BodyReader``: size limits, deadlines, SSE
lines; header safety), ``server_text`` (server text made safe for an error: secrets
scrubbed, input elided, cut short), ``urls`` (endpoint URL checks, method paths),
``deadline`` (one call's time budget).

May import: ``errors`` only. Imported by: ``transport``, ``auth``, ``protocols``,
``snowflake``, ``settings`` and above.
"""
