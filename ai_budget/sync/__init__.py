"""Several machines, one journal: sync through any git remote, with merges that never conflict."""
