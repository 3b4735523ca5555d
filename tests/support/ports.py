"""Loopback ports for the servers the tests start."""

import socket


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on at the moment of asking."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
