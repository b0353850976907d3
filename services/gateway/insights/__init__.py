"""Insights: when to post and what works, from the account's own history and model
(shared.model.insights, stored with each model by the builder), in the person's time zone,
beside Instagram's online_followers where the account grants it (docs/insights.md)."""
