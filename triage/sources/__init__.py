"""Where messages come from: IMAP, local files (eml, Maildir, mbox) and scanned letters."""
