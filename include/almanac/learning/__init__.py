"""learning (seed 001): daily performance snapshots and weekly recommendations."""
