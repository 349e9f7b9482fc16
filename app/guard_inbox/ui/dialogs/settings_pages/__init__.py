"""The settings dialog's pages: General, Accounts, Advanced and Diagnostics, one module each."""
