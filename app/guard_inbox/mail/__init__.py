"""Message sources behind the MailSource port: MIME decoding and local mailboxes (Gmail next)."""
