"""Planning: pure functions over the data (estimates, tiers, the recommendation)."""
