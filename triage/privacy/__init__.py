"""Personal data from arrival to erasure: retention, erasure, right of access, backups."""
