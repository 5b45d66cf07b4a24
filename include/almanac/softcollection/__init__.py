"""softcollection (seed 002): daily distribution of users to active campaigns and A–E groups."""
