"""The rules of the domain: who may see and change what, how changes apply, how courses are found.

Plain Python over the models and the database session; nothing here knows HTTP, the spec or the
server (import-linter holds it to that, see setup.cfg). Rules raise the problems of `api.errors`.
"""
