"""The team server's web face: signing in, the client board, roster import, members, the audit
log and each case's sign-off, over the same case pages as the single-person face; every case
page passes the access check of the services first (gate.py)."""
