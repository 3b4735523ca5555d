"""Course API: the SelfCommunity v2 course endpoints, served contract-first."""

import warnings

# Connexion imports Starlette's test client, which warns about httpx on every start; it is not ours to fix.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
