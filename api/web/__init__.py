"""HTTP semantics around the handlers: representations, ETags and preconditions, idempotent
replays, JSON output and the problem answers.

Handlers and the app use it; it may use the rules and pictures, never the serving plumbing.
"""
