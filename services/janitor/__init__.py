"""The janitor: accounts for every dead letter and resumes or fails stalled runs."""
