"""Claude data: the login, usage from every source, transcripts and prices."""
