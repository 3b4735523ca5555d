"""What the tests share besides fixtures (those live in tests/conftest.py): helpers, servers, data."""
