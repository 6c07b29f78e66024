"""Recorded lectures: who records and who watches (`services`), the replay's job (`replay_job`), its pages (`views`),
and the replay itself (`replay`, with `manifest`, `timeline` and `ffmpeg`).

The relay records each live lecture as it forwards it (relay/record.py): one WebM file per track, a manifest.json
beside them (`manifest`: the contract). After the lecture one background job per recording turns that folder into
three files (`replay.compose`, pure: no Flask, no database, ffmpeg's CLI doing the decoding and encoding in one
process): the replay to watch and download, a low version for weak links and an audio-only one.
"""
