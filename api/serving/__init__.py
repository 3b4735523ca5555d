"""How the app is served: ASGI middleware, the bridge to Flask, the HTTP protocol, the worker processes.

This is the one place that reaches into the private or undocumented parts of Connexion, Starlette,
a2wsgi and uvicorn; api/serving/upstream.py lists each such use, and tests/test_upstream.py fails
when the upstream code behind one of them changes. Only api/app.py and api/cli.py import it.
"""
