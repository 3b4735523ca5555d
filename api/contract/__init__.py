"""Reading a request as the spec describes it: strict JSON, forms and multipart, and the JSON
Schema keywords rewritten to run in linear time.

Connexion's request validation calls it (`validator_map` in api/app.py); handlers never do.
"""
