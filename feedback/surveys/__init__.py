"""Surveys after resolution (CSAT, CES), relationship NPS, the follow-ups unhappy answers open,
and the Satisfaction Index. The definitions of every number are in docs/metrics.md."""
