"""Backups of one Médiature instance (database and home) and their restoration: `mediature backup`/`restore`.

archive.py is the file format (manifest, checksums, unpacking), crypto.py the optional encryption,
operations.py the two operations; the database side lives in triage.store.snapshot.
"""
