"""Gmail: OAuth, token storage, quota-paced API client and the MailSource built on them.

googleapiclient, google-auth and google-auth-oauthlib are imported only inside this package.
"""
