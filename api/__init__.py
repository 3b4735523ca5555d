"""Course API: the SelfCommunity v2 course endpoints, served contract-first."""
