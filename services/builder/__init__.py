"""Builder: fits the user's model on all stored posts and stores it as a new version."""
