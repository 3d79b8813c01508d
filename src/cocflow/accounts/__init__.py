"""Sign-in security for the team server: the pure rules, with no database and no web.

- :mod:`~cocflow.accounts.passwords`: hashing (Argon2id), checking a new password against
  the length rules and a list of common passwords, and equal timing for unknown users.
- :mod:`~cocflow.accounts.totp`: time-based one-time codes (RFC 6238) for a second factor.
- :mod:`~cocflow.accounts.tokens`: single-use secrets for links (invitations, password resets,
  client questionnaires) and personal access tokens, stored only as keyed digests.

The services that keep users, sessions and tokens in the store build on these; this package
imports nothing of cocflow but the kernel.
"""
