"""Predictions: the routes (predict, history, the stored image), the post's intent from the form and
the header-only upload check."""
