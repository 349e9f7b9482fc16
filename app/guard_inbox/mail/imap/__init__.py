"""IMAP mailboxes (Yahoo, iCloud, Fastmail, Outlook, Gmail with an app password, any server)."""
