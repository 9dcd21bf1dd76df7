"""Record a run's exchanges as HAR 1.2 and replay them to re-judge offline.

- ``har``: the thread-safe, redacted, bounded HAR log (``transcript.har``).
- ``keys``: how a request is recognised again (shared by recording and replay).
- ``transport``: the recording transports (``httpx`` for our client, ``httpx2`` for the SDK).
- ``replay``: the replay transports, ``NotInRecording``, the virtual clock.
- ``wiring``: what a run plugs in (``Recorder``, ``Replayer``).
"""
