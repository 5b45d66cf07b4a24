"""tutoring (seed 004): daily tutor performance metrics over 7/30/90-day windows."""
